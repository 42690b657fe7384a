#include "lamina/models/eeg/gao_model.hpp"

#include "lamina/sim/rng.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <stdexcept>
#include <string>

namespace lamina::models::eeg {

namespace {

[[noreturn]] void refuse(const std::string& what) { throw std::invalid_argument("gao_model: " + what); }

void check(const gao_parameters& p) {
    const auto positive = [](double v) { return v > 0.0 && std::isfinite(v); };
    const auto non_negative = [](double v) { return v >= 0.0 && std::isfinite(v); };
    if (!positive(p.dt)) refuse("dt must be > 0 ms");
    if (!positive(p.duration)) refuse("duration must be > 0 ms");
    if (!non_negative(p.warmup)) refuse("warmup must be >= 0 ms");
    if (!non_negative(p.N_E) || !non_negative(p.N_I)) refuse("N_E and N_I must be >= 0");
    if (!non_negative(p.nu_E) || !non_negative(p.nu_I)) refuse("nu_E and nu_I must be >= 0 Hz");
    if (!(p.N_E * p.nu_E > 0.0)) refuse("the excitatory population must fire (N_E nu_E > 0)");
    if (!positive(p.tau_rise_E) || !positive(p.tau_decay_E) || !(p.tau_rise_E < p.tau_decay_E))
        refuse("need 0 < tau_rise_E < tau_decay_E");
    if (!positive(p.tau_rise_I) || !positive(p.tau_decay_I) || !(p.tau_rise_I < p.tau_decay_I))
        refuse("need 0 < tau_rise_I < tau_decay_I");
    if (!non_negative(p.inhibition_ratio)) refuse("inhibition_ratio must be >= 0");
    if (p.inhibition_ratio > 0.0 && !(p.N_I * p.nu_I > 0.0))
        refuse("inhibition_ratio > 0 needs a firing inhibitory population (N_I nu_I > 0)");
    if (!std::isfinite(p.V_r) || !std::isfinite(p.E_E) || !std::isfinite(p.E_I)) refuse("potentials must be finite");
}

// The sampled kernel as c (a_d^m - a_r^m).
struct kernel_terms {
    double c, a_r, a_d;
    double sum() const { return c * (1.0 / (1.0 - a_d) - 1.0 / (1.0 - a_r)); }
    // |K(f)|^2 with omega = 2 pi f dt (rad per sample).
    double gain2(double omega) const {
        const std::complex<double> z = std::polar(1.0, -omega);
        const std::complex<double> K = c * (1.0 / (1.0 - a_d * z) - 1.0 / (1.0 - a_r * z));
        return std::norm(K);
    }
};

double peak_normalisation(double tau_rise, double tau_decay) {
    const double t_peak = tau_rise * tau_decay * std::log(tau_decay / tau_rise) / (tau_decay - tau_rise);
    return 1.0 / (std::exp(-t_peak / tau_decay) - std::exp(-t_peak / tau_rise));
}

kernel_terms terms(double dt, double tau_rise, double tau_decay) {
    return {peak_normalisation(tau_rise, tau_decay), std::exp(-dt / tau_rise), std::exp(-dt / tau_decay)};
}

// Poisson(lambda) by inversion of its tabulated CDF with one uniform variate.
class poisson_sampler {
public:
    explicit poisson_sampler(double lambda) {
        if (!(lambda > 0.0)) return;
        double acc = 0.0;
        const double log_lambda = std::log(lambda);
        for (int k = 0;; ++k) {
            acc += std::exp(-lambda + k * log_lambda - std::lgamma(k + 1.0));
            cdf_.push_back(std::min(acc, 1.0));
            if (k > lambda && 1.0 - acc < 1e-17) break;
            if (k > lambda + 40.0 * std::sqrt(lambda) + 100.0) break;
        }
        cdf_.back() = 1.0;  // uniform() < 1, so every draw stops here
    }
    unsigned draw(sim::random_stream& rng) const {
        if (cdf_.empty()) return 0;
        const double u = rng.uniform();
        return static_cast<unsigned>(std::upper_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
    }

private:
    std::vector<double> cdf_;
};

} // namespace

double gao_kernel(double t, double tau_rise, double tau_decay) {
    if (t < 0.0) return 0.0;
    return peak_normalisation(tau_rise, tau_decay) * (std::exp(-t / tau_decay) - std::exp(-t / tau_rise));
}

double gao_inhibitory_scale(const gao_parameters& p) {
    check(p);
    if (p.inhibition_ratio == 0.0) return 0.0;
    const double sum_E = terms(p.dt, p.tau_rise_E, p.tau_decay_E).sum();
    const double sum_I = terms(p.dt, p.tau_rise_I, p.tau_decay_I).sum();
    return p.inhibition_ratio * (p.N_E * p.nu_E * sum_E) / (p.N_I * p.nu_I * sum_I);
}

gao_signals simulate_gao_lfp(const gao_parameters& p, std::uint64_t seed, std::uint32_t trial) {
    check(p);
    const double dt_s = p.dt * 1e-3;
    const auto n_rec = static_cast<std::size_t>(std::llround(p.duration / p.dt));
    const auto n_warm = static_cast<std::size_t>(std::llround(p.warmup / p.dt));
    if (n_rec < 2) refuse("duration must span at least 2 steps");
    const kernel_terms kE = terms(p.dt, p.tau_rise_E, p.tau_decay_E);
    const kernel_terms kI = terms(p.dt, p.tau_rise_I, p.tau_decay_I);
    const double beta = gao_inhibitory_scale(p);
    const poisson_sampler spikes_E(p.N_E * p.nu_E * dt_s), spikes_I(p.N_I * p.nu_I * dt_s);
    sim::random_stream rng_E(seed, sim::stream_purpose::user, 0x6a0u, trial);
    sim::random_stream rng_I(seed, sim::stream_purpose::user, 0x6a1u, trial);

    gao_signals out;
    out.fs = 1000.0 / p.dt;
    out.g_E.resize(n_rec);
    out.g_I.resize(n_rec);
    double eE_d = 0.0, eE_r = 0.0, eI_d = 0.0, eI_r = 0.0;
    for (std::size_t n = 0; n < n_warm + n_rec; ++n) {
        const double xE = spikes_E.draw(rng_E), xI = spikes_I.draw(rng_I);
        eE_d = kE.a_d * eE_d + xE;
        eE_r = kE.a_r * eE_r + xE;
        eI_d = kI.a_d * eI_d + xI;
        eI_r = kI.a_r * eI_r + xI;
        if (n >= n_warm) {
            out.g_E[n - n_warm] = kE.c * (eE_d - eE_r);
            out.g_I[n - n_warm] = beta * kI.c * (eI_d - eI_r);
        }
    }
    double mE = 0.0, mI = 0.0;
    for (std::size_t n = 0; n < n_rec; ++n) {
        mE += out.g_E[n];
        mI += out.g_I[n];
    }
    mE /= static_cast<double>(n_rec);
    mI /= static_cast<double>(n_rec);
    out.lfp.resize(n_rec);
    for (std::size_t n = 0; n < n_rec; ++n)
        out.lfp[n] = (out.g_E[n] - mE) * (p.E_E - p.V_r) + (out.g_I[n] - mI) * (p.E_I - p.V_r);
    return out;
}

std::vector<double> gao_expected_psd(const gao_parameters& p, std::span<const double> freqs) {
    check(p);
    const double dt_s = p.dt * 1e-3;
    const kernel_terms kE = terms(p.dt, p.tau_rise_E, p.tau_decay_E);
    const kernel_terms kI = terms(p.dt, p.tau_rise_I, p.tau_decay_I);
    const double beta = gao_inhibitory_scale(p);
    const double lE = p.N_E * p.nu_E * dt_s, lI = p.N_I * p.nu_I * dt_s;
    const double cE = p.E_E - p.V_r, cI = p.E_I - p.V_r;
    std::vector<double> S(freqs.size());
    for (std::size_t i = 0; i < freqs.size(); ++i) {
        const double omega = 2.0 * std::numbers::pi * freqs[i] * dt_s;
        S[i] = 2.0 * dt_s * (cE * cE * lE * kE.gain2(omega) + cI * cI * beta * beta * lI * kI.gain2(omega));
    }
    return S;
}

} // namespace lamina::models::eeg
