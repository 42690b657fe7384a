#include "lamina/bridges/encoders.hpp"

#include "lamina/sim/error.hpp"
#include "lamina/sim/rng.hpp"

#include <algorithm>
#include <cmath>

namespace lamina::bridges {

using sim::parameter_error;

void measure_error(encoding_result& r, const Eigen::MatrixXd& activations) {
    r.dense_values = static_cast<std::uint64_t>(activations.size());
    if (activations.size() == 0) {
        r.max_abs_error = r.rms_error = 0.0;
        return;
    }
    const Eigen::ArrayXXd d = (r.reconstruction - activations).array();
    r.max_abs_error = d.abs().maxCoeff();
    r.rms_error = std::sqrt(d.square().mean());
}

namespace {
double sign_of(double x) { return x < 0.0 ? -1.0 : 1.0; }
} // namespace

// rate -----------------------------------------------------------------------------------------

rate_encoder::rate_encoder(rate_encoder_options options) : opt_(options) {
    if (opt_.steps == 0) throw parameter_error("rate encoder", "steps", "must be positive");
    if (!(opt_.max_value > 0.0)) throw parameter_error("rate encoder", "max_value", "must be positive");
}

encoding_result rate_encoder::encode(const Eigen::MatrixXd& x) const {
    encoding_result r;
    r.reconstruction = Eigen::MatrixXd::Zero(x.rows(), x.cols());
    const auto T = static_cast<std::uint32_t>(opt_.steps);
    const auto units = static_cast<std::size_t>(x.cols());
    std::vector<double> acc(units), p(units);
    std::vector<std::uint32_t> count(units);
    for (Eigen::Index f = 0; f < x.rows(); ++f) {
        for (std::size_t u = 0; u < units; ++u) {
            p[u] = std::min(1.0, std::abs(x(f, static_cast<Eigen::Index>(u))) / opt_.max_value);
            acc[u] = 0.5;
            count[u] = 0;
        }
        for (std::uint32_t s = 0; s < T; ++s) {
            const std::uint64_t step = static_cast<std::uint64_t>(f) * T + s;
            for (std::size_t u = 0; u < units; ++u) {
                if (p[u] <= 0.0) continue;
                bool fire;
                if (opt_.poisson) {
                    const auto blk = sim::philox_block(opt_.seed, sim::stream_purpose::user, opt_.stream,
                                                       static_cast<std::uint32_t>(u), step);
                    fire = sim::u32_to_unit(blk.v[0]) < p[u];
                } else {
                    acc[u] += p[u];
                    fire = acc[u] >= 1.0;
                    if (fire) acc[u] -= 1.0;
                }
                if (fire) {
                    ++count[u];
                    r.events.push_back({static_cast<std::uint32_t>(step), static_cast<std::uint32_t>(u),
                                        sign_of(x(f, static_cast<Eigen::Index>(u)))});
                }
            }
        }
        for (std::size_t u = 0; u < units; ++u)
            r.reconstruction(f, static_cast<Eigen::Index>(u)) =
                sign_of(x(f, static_cast<Eigen::Index>(u))) * double(count[u]) * opt_.max_value / double(T);
    }
    measure_error(r, x);
    return r;
}

// latency --------------------------------------------------------------------------------------

latency_encoder::latency_encoder(latency_encoder_options options) : opt_(options) {
    if (opt_.steps < 2) throw parameter_error("latency encoder", "steps", "must be at least 2");
    if (!(opt_.max_value > 0.0)) throw parameter_error("latency encoder", "max_value", "must be positive");
}

encoding_result latency_encoder::encode(const Eigen::MatrixXd& x) const {
    encoding_result r;
    r.reconstruction = Eigen::MatrixXd::Zero(x.rows(), x.cols());
    const auto T = static_cast<std::uint32_t>(opt_.steps);
    const double last = double(T - 1);
    std::vector<encoder_event> frame_events;
    for (Eigen::Index f = 0; f < x.rows(); ++f) {
        frame_events.clear();
        for (Eigen::Index u = 0; u < x.cols(); ++u) {
            const double a = std::min(1.0, std::abs(x(f, u)) / opt_.max_value);
            const auto s = static_cast<std::uint32_t>(std::llround((1.0 - a) * last));
            if (s >= T - 1) continue;  // would decode as 0: no spike
            frame_events.push_back({static_cast<std::uint32_t>(f) * T + s, static_cast<std::uint32_t>(u), sign_of(x(f, u))});
            r.reconstruction(f, u) = sign_of(x(f, u)) * opt_.max_value * (1.0 - double(s) / last);
        }
        std::stable_sort(frame_events.begin(), frame_events.end(),
                         [](const encoder_event& a, const encoder_event& b) { return a.step < b.step; });
        r.events.insert(r.events.end(), frame_events.begin(), frame_events.end());
    }
    measure_error(r, x);
    return r;
}

// delta and sigma-delta ------------------------------------------------------------------------

delta_encoder::delta_encoder(double threshold) : threshold_(threshold) {
    if (!(threshold >= 0.0) || !std::isfinite(threshold)) throw parameter_error("delta encoder", "threshold", "must be finite and >= 0");
}

encoding_result delta_encoder::encode(const Eigen::MatrixXd& x) const {
    encoding_result r;
    r.reconstruction.resize(x.rows(), x.cols());
    Eigen::VectorXd sent = Eigen::VectorXd::Zero(x.cols());
    for (Eigen::Index f = 0; f < x.rows(); ++f) {
        for (Eigen::Index u = 0; u < x.cols(); ++u) {
            const double d = x(f, u) - sent[u];
            if (std::abs(d) > threshold_) {
                r.events.push_back({static_cast<std::uint32_t>(f), static_cast<std::uint32_t>(u), d});
                sent[u] += d;  // the receiver's running sum, in the receiver's arithmetic
            }
        }
        r.reconstruction.row(f) = sent.transpose();
    }
    measure_error(r, x);
    return r;
}

sigma_delta_encoder::sigma_delta_encoder(double threshold) : threshold_(threshold) {
    if (!(threshold >= 0.0) || !std::isfinite(threshold))
        throw parameter_error("sigma-delta encoder", "threshold", "must be finite and >= 0");
}

encoding_result sigma_delta_encoder::encode(const Eigen::MatrixXd& x) const {
    encoding_result r;
    r.reconstruction.resize(x.rows(), x.cols());
    Eigen::VectorXd prev = Eigen::VectorXd::Zero(x.cols()), residue = Eigen::VectorXd::Zero(x.cols()),
                    sigma = Eigen::VectorXd::Zero(x.cols());
    for (Eigen::Index f = 0; f < x.rows(); ++f) {
        for (Eigen::Index u = 0; u < x.cols(); ++u) {
            const double delta = x(f, u) - prev[u] + residue[u];
            if (std::abs(delta) >= threshold_ && delta != 0.0) {
                r.events.push_back({static_cast<std::uint32_t>(f), static_cast<std::uint32_t>(u), delta});
                sigma[u] += delta;
                residue[u] = 0.0;
            } else {
                residue[u] = delta;
            }
            prev[u] = x(f, u);
        }
        r.reconstruction.row(f) = sigma.transpose();
    }
    measure_error(r, x);
    return r;
}

// delta inference ------------------------------------------------------------------------------

delta_inference_result delta_inference(const Eigen::MatrixXd& W, const Eigen::VectorXd& bias, const Eigen::MatrixXd& inputs,
                                       double threshold, delta_rule rule) {
    if (inputs.cols() != W.cols())
        throw sim::error("delta inference: inputs have " + std::to_string(inputs.cols()) + " columns, W has " +
                         std::to_string(W.cols()));
    if (bias.size() != 0 && bias.size() != W.rows())
        throw sim::error("delta inference: bias of size " + std::to_string(bias.size()) + " for " +
                         std::to_string(W.rows()) + " outputs");
    const encoding_result enc = rule == delta_rule::delta ? delta_encoder(threshold).encode(inputs)
                                                          : sigma_delta_encoder(threshold).encode(inputs);
    const Eigen::Index T = inputs.rows(), n_out = W.rows();
    const Eigen::VectorXd b = bias.size() ? bias : Eigen::VectorXd::Zero(n_out);
    delta_inference_result r;
    r.outputs.resize(T, n_out);
    r.dense_outputs = (inputs * W.transpose()).rowwise() + b.transpose();
    Eigen::VectorXd y = b;
    std::size_t e = 0;
    for (Eigen::Index f = 0; f < T; ++f) {
        for (; e < enc.events.size() && enc.events[e].step == static_cast<std::uint32_t>(f); ++e) {
            y.noalias() += enc.events[e].value * W.col(enc.events[e].unit);  // one MAC per output
            ++r.input_events;
        }
        r.outputs.row(f) = y.transpose();
    }
    r.max_abs_error = T ? (r.outputs - r.dense_outputs).cwiseAbs().maxCoeff() : 0.0;
    r.error_bound = W.size() ? threshold * W.cwiseAbs().rowwise().sum().maxCoeff() : 0.0;
    r.dense_macs = static_cast<std::uint64_t>(T) * static_cast<std::uint64_t>(n_out) * static_cast<std::uint64_t>(W.cols());
    r.performed_macs = r.input_events * static_cast<std::uint64_t>(n_out);
    r.skipped_macs = r.dense_macs - r.performed_macs;
    return r;
}

} // namespace lamina::bridges
