#pragma once
// ANN activations -> events. Every encoder takes a sequence of dense activation frames (rows:
// frames in time, columns: units), emits events, and reports how many it emitted and how well a
// receiver reconstructs the dense activations from them (reference.md 6.2).
//
//   rate (deterministic)  each frame is presented for `steps` time steps; a unit accumulates
//                         |x|/max_value per step from 1/2 and fires (value sign(x)) whenever the
//                         accumulator reaches 1, subtracting 1: n = round(steps * |x|/max) spikes,
//                         reconstruction sign(x) * n * max / steps, error <= max / (2 steps) inside
//                         [-max, max]
//   rate (Poisson)        the same, but a spike in a step with probability |x|/max, drawn from
//                         philox_block(seed, user, stream, unit, frame * steps + step)
//   latency               one spike per unit and frame at step round((1 - |x|/max)(steps - 1))
//                         (value sign(x)); none when that is the last step; reconstruction
//                         sign(x) * max * (1 - step/(steps - 1)), error <= max / (2 (steps - 1))
//   delta                 (Neil et al. 2017) a unit sends x - x_sent when |x - x_sent| > threshold
//                         and sets x_sent = x; the receiver keeps the running sum, error <= threshold
//   sigma-delta           (Lava proc/sdn) delta = x - x_prev + residue; send delta when
//                         |delta| >= threshold (residue <- 0), else residue <- delta; x_prev <- x;
//                         the receiver's sigma stage sums what arrives, error = residue < threshold
//   Events of rate and latency encoders are spikes (value +-1, step within the whole sequence);
//   those of delta and sigma-delta are graded (value = the change, step = frame).
//
// delta_inference runs a dense layer y = W x + b over a sequence with y_t = y_(t-1) + W dx_t from
// the delta (or sigma-delta) events only, and compares with dense inference.
#include <Eigen/Core>

#include <cstdint>
#include <string>
#include <vector>

namespace lamina::bridges {

struct encoder_event {
    std::uint32_t step;  // time step (rate, latency) or frame (delta, sigma-delta)
    std::uint32_t unit;
    double value;
};

struct encoding_result {
    std::vector<encoder_event> events;  // by step, then unit
    Eigen::MatrixXd reconstruction;     // frames x units: what the receiver holds after each frame
    std::uint64_t dense_values = 0;     // frames x units
    double max_abs_error = 0.0;         // max |reconstruction - activations|
    double rms_error = 0.0;
    std::uint64_t event_count() const noexcept { return events.size(); }
    // Events per dense value (1 = as many events as a dense transfer has values).
    double events_per_value() const noexcept { return dense_values ? double(events.size()) / double(dense_values) : 0.0; }
};

class activation_encoder {
public:
    virtual ~activation_encoder() = default;
    virtual std::string name() const = 0;
    // activations: frames x units.
    virtual encoding_result encode(const Eigen::MatrixXd& activations) const = 0;
};

struct rate_encoder_options {
    std::size_t steps = 100;   // time steps per frame
    double max_value = 1.0;    // |x| >= max_value fires every step
    bool poisson = false;
    std::uint64_t seed = 1;
    std::uint32_t stream = 0;
};
class rate_encoder final : public activation_encoder {
public:
    explicit rate_encoder(rate_encoder_options options = {});
    std::string name() const override { return opt_.poisson ? "rate-poisson" : "rate"; }
    encoding_result encode(const Eigen::MatrixXd& activations) const override;

private:
    rate_encoder_options opt_;
};

struct latency_encoder_options {
    std::size_t steps = 100;  // time steps per frame (at least 2)
    double max_value = 1.0;   // |x| >= max_value fires in the first step
};
class latency_encoder final : public activation_encoder {
public:
    explicit latency_encoder(latency_encoder_options options = {});
    std::string name() const override { return "latency"; }
    encoding_result encode(const Eigen::MatrixXd& activations) const override;

private:
    latency_encoder_options opt_;
};

class delta_encoder final : public activation_encoder {
public:
    explicit delta_encoder(double threshold);
    std::string name() const override { return "delta"; }
    encoding_result encode(const Eigen::MatrixXd& activations) const override;
    double threshold() const noexcept { return threshold_; }

private:
    double threshold_;
};

class sigma_delta_encoder final : public activation_encoder {
public:
    explicit sigma_delta_encoder(double threshold);
    std::string name() const override { return "sigma-delta"; }
    encoding_result encode(const Eigen::MatrixXd& activations) const override;
    double threshold() const noexcept { return threshold_; }

private:
    double threshold_;
};

// Fills max_abs_error and rms_error of `r` against `activations`.
void measure_error(encoding_result& r, const Eigen::MatrixXd& activations);

enum class delta_rule { delta, sigma_delta };

struct delta_inference_result {
    Eigen::MatrixXd outputs;        // frames x outputs, y_t = y_(t-1) + W dx_t, y_(-1) = b
    Eigen::MatrixXd dense_outputs;  // frames x outputs, W x_t + b
    double max_abs_error = 0.0;     // max |outputs - dense_outputs|
    // threshold * max_i sum_j |W_ij|: no output can be further from dense than this
    double error_bound = 0.0;
    std::uint64_t input_events = 0;     // non-zero deltas sent
    std::uint64_t dense_macs = 0;       // frames * outputs * inputs
    std::uint64_t performed_macs = 0;   // input_events * outputs
    std::uint64_t skipped_macs = 0;     // dense_macs - performed_macs
};

// inputs: frames x n_in; W: n_out x n_in; bias: n_out (empty: none).
delta_inference_result delta_inference(const Eigen::MatrixXd& W, const Eigen::VectorXd& bias,
                                       const Eigen::MatrixXd& inputs, double threshold,
                                       delta_rule rule = delta_rule::delta);

} // namespace lamina::bridges
