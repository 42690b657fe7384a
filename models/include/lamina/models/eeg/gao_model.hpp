#pragma once
// LFP model of Gao, Peterson & Voytek (2017), "Inferring synaptic excitation/inhibition balance
// from field potentials", NeuroImage 158:70-78; code voytekresearch/EISlope
// (scripts/gao2017_PSDsim.m). Project digest: reference.md 5.5.
//
// Two populations fire as independent Poisson processes; on a grid of step dt their summed spike
// counts per step are Poisson with means lambda_E = N_E nu_E dt and lambda_I = N_I nu_I dt. The
// counts are convolved with conductance kernels, differences of exponentials normalised to a peak
// of 1 and sampled at t_m = m dt (m = 0, 1, ...; the value at m = 0 is 0):
//
//     k(t) = (exp(-t/tau_decay) - exp(-t/tau_rise)) / (exp(-t_p/tau_decay) - exp(-t_p/tau_rise)),
//     t_p  = tau_rise tau_decay ln(tau_decay/tau_rise) / (tau_decay - tau_rise),
//     g_E[n] = sum_m k_E[m] s_E[n - m],    g_I[n] = beta sum_m k_I[m] s_I[n - m],
//
// AMPA tau_rise 0.1 ms / tau_decay 2 ms, GABA_A 0.5 / 10 ms. beta scales inhibition so that
// mean(g_I)/mean(g_E) = inhibition_ratio, the "1:ratio" of E:I = 1:2 ... 1:6:
// beta = ratio N_E nu_E sum k_E / (N_I nu_I sum k_I). The LFP is the summed current proxy
//
//     LFP[n] = (g_E[n] - <g_E>) (E_E - V_r) + (g_I[n] - <g_I>) (E_I - V_r),
//
// V_r = -65, E_E = 0, E_I = -80 mV, <.> the sample mean of the recorded stretch (MATLAB
// detrend 'constant'). Units: conductances are relative to one unitary peak (dimensionless), so
// the LFP is in mV x unitary conductance (arbitrary units). Defaults: N_E = 8000 at 2 Hz,
// N_I = 2000 at 5 Hz, dt = 1 ms, 2 min, as the paper.
//
// The convolution is evaluated exactly as two first-order recursions per kernel (the kernel is a
// sum of two sampled exponentials), with the full kernel tail instead of the paper's 1 s
// truncation (the difference is below exp(-100)); the first `warmup` ms are simulated and
// discarded, which is MATLAB's conv(..., 'valid') with a 1 s kernel. Spike counts are drawn by
// inversion of the Poisson CDF with lamina's counter-based random streams: stream (seed,
// stream_purpose::user, object 0x6a0 + population (0 = E, 1 = I), index = trial), so a trial is
// reproducible and independent of the inhibition ratio (which only rescales g_I).
//
// Expected spectrum (for 0 < f < fs/2, one-sided, units^2/Hz): with dt in seconds,
// K(f) = sum_m k[m] exp(-2 pi i f m dt) = c (1/(1 - a_d z) - 1/(1 - a_r z)), z = exp(-2 pi i f dt),
// a = exp(-dt/tau), c the peak normalisation,
//
//     S(f) = 2 dt [ (E_E - V_r)^2 lambda_E |K_E(f)|^2 + (E_I - V_r)^2 beta^2 lambda_I |K_I(f)|^2 ].
//
// Its least-squares log-log slope over 30-50 Hz (1 Hz bins) is -0.459, -0.542, -0.642, -0.748, -0.852
// for E:I = 1:2 ... 1:6 (reference.md 5.5).
#include <cstdint>
#include <span>
#include <vector>

namespace lamina::models::eeg {

struct gao_parameters {
    double dt = 1.0;               // sampling step, ms (fs = 1000/dt Hz)
    double duration = 120000.0;    // recorded length, ms
    double warmup = 1000.0;        // simulated and discarded before the recording, ms
    double N_E = 8000.0;           // excitatory neurons
    double N_I = 2000.0;           // inhibitory neurons
    double nu_E = 2.0;             // excitatory rate per neuron, Hz
    double nu_I = 5.0;             // inhibitory rate per neuron, Hz
    double tau_rise_E = 0.1;       // AMPA rise, ms
    double tau_decay_E = 2.0;      // AMPA decay, ms
    double tau_rise_I = 0.5;       // GABA_A rise, ms
    double tau_decay_I = 10.0;     // GABA_A decay, ms
    double inhibition_ratio = 4.0; // mean(g_I) / mean(g_E): E:I = 1:inhibition_ratio
    double V_r = -65.0;            // resting potential, mV
    double E_E = 0.0;              // excitatory reversal, mV
    double E_I = -80.0;            // inhibitory reversal, mV
};

struct gao_signals {
    double fs = 0.0;         // sampling rate, Hz
    std::vector<double> lfp; // current proxy, mV x unitary conductance
    std::vector<double> g_E; // excitatory conductance (unitary peaks), mean not removed
    std::vector<double> g_I; // inhibitory conductance (unitary peaks, scaled by beta), mean not removed
};

// Peak-normalised difference-of-exponentials kernel k(t), t and taus in ms (0 for t < 0).
double gao_kernel(double t, double tau_rise, double tau_decay);

// beta, the factor on the inhibitory conductance (see above).
double gao_inhibitory_scale(const gao_parameters& p);

// Simulates one trial. Throws std::invalid_argument for non-positive dt, duration, taus
// (tau_rise < tau_decay required), negative N or rates, or inhibition_ratio < 0.
gao_signals simulate_gao_lfp(const gao_parameters& p, std::uint64_t seed, std::uint32_t trial = 0);

// The expected one-sided PSD at the given frequencies (Hz), units^2/Hz.
std::vector<double> gao_expected_psd(const gao_parameters& p, std::span<const double> freqs);

} // namespace lamina::models::eeg
