#pragma once
// Stationary mean-field (diffusion / Siegert) rate of Brunel's sparse E-I network, model A.
//
// References: N. Brunel (2000), "Dynamics of sparsely connected networks of excitatory and
// inhibitory spiking neurons", J Comput Neurosci 8:183-208; D. J. Amit & N. Brunel (1997),
// "Model of global spontaneous activity and local structured activity during delay periods in the
// cerebral cortex", Cereb Cortex 7:237-252. Project digest: shared/docs/reference.md section 2.
//
// Model: N_E excitatory and N_I = gamma N_E inhibitory delta-synapse LIF neurons (rest 0 mV,
// membrane time constant tau_m, threshold theta, reset V_r, absolute refractory period tau_rp).
// Each neuron receives C_E excitatory synapses of weight J, C_I = gamma C_E inhibitory synapses of
// weight -g J, and C_E external Poisson synapses of weight J, each firing at nu_ext. For a network
// firing stationarily at nu, the free membrane potential is a diffusion with (tau in seconds here)
//
//     mu      = C_E J tau [nu_ext + nu (1 - g gamma)]             (mV)
//     sigma^2 = C_E J^2 tau [nu_ext + nu (1 + g^2 gamma)]         (mV^2)
//
// and the stationary rate of a LIF neuron driven by it is the Siegert formula
//
//     1/Phi(mu, sigma) = tau_rp + tau sqrt(pi) Int_{(V_r - mu)/sigma}^{(theta - mu)/sigma} e^{u^2} (1 + erf u) du.
//
// The self-consistent rate solves nu = Phi(mu(nu), sigma(nu)). Numerically the integrand is
// evaluated as erfcx(-u) = e^{u^2} erfc(-u) for u < 0 (no overflow, no cancellation) and, for
// u >= 0, the factor e^{b^2} of the upper limit b is pulled out of the integral so that nothing
// overflows; the rate then underflows gracefully to 0 Hz for strongly subthreshold input.
//
// Units everywhere in this header: time constants in ms, voltages in mV (relative to rest), rates in
// Hz. The equations above, with tau in ms, carry a factor 1e-3 (ms * Hz).
//
// Reference values (reference.md 2.2, C_E = 1000, gamma = 0.25, J = 0.1 mV, tau 20 ms, theta 20 mV,
// tau_rp 2 ms): g = 5, eta = 2 gives nu = 37.95 Hz (mu 21.03 mV, sigma 7.68 mV) with V_r = 10 mV and
// 32.03 Hz with V_r = 0 mV.
#include <vector>

namespace lamina::models {

// Scaled complementary error function erfcx(x) = exp(x^2) erfc(x), for all real x. For x >= 0 it is
// bounded (erfcx(x) ~ 1/(x sqrt(pi)) for large x) and evaluated without underflow; for x < 0 it
// grows as 2 exp(x^2) and overflows to +inf below x ~ -26.6.
double erfcx(double x);

// Parameters of Brunel's model A. Defaults: the asynchronous-irregular state of reference.md 2.1
// (and workload W3): g = 5, eta = 2, V_r = 10 mV.
struct brunel_parameters {
    double C_E = 1000.0;  // excitatory in-degree (also the number of external synapses)
    double gamma = 0.25;  // C_I / C_E
    double J = 0.1;       // excitatory (and external) efficacy, mV
    double g = 5.0;       // relative strength of inhibition (inhibitory weight -g J)
    double eta = 2.0;     // nu_ext / nu_thr, used when nu_ext <= 0
    double nu_ext = 0.0;  // rate per external synapse, Hz; if > 0 it overrides eta
    double tau_m = 20.0;  // membrane time constant, ms
    double theta = 20.0;  // threshold, mV (relative to rest)
    double V_r = 10.0;    // reset, mV (relative to rest)
    double tau_rp = 2.0;  // absolute refractory period, ms

    // nu_thr = theta / (J C_E tau_m): the external rate per synapse that brings mu to threshold, Hz.
    double nu_thr() const;
    // The external rate per synapse actually used, Hz: nu_ext if > 0, else eta * nu_thr().
    double external_rate() const;
};

// Mean and standard deviation of the free membrane potential (mV) when the network fires at nu Hz.
struct brunel_input {
    double mu = 0.0;
    double sigma = 0.0;
};
brunel_input brunel_mu_sigma(double nu, const brunel_parameters& p);

// Siegert transfer function: stationary rate (Hz) of a LIF neuron (tau_m, tau_rp in ms; theta, V_r
// in mV relative to rest) whose free membrane potential has mean mu and standard deviation sigma
// (mV). sigma = 0 gives the deterministic limit (0 Hz for mu <= theta, else
// 1/(tau_rp + tau_m ln((mu - V_r)/(mu - theta)))). Throws std::invalid_argument for tau_m <= 0,
// tau_rp < 0, theta <= V_r, sigma < 0 or non-finite input.
double siegert_rate(double mu, double sigma, double tau_m, double theta, double V_r, double tau_rp);

// Phi(mu, sigma) with the neuron parameters (tau_m, theta, V_r, tau_rp) of p, Hz.
double brunel_transfer(double mu, double sigma, const brunel_parameters& p);

struct brunel_solver_options {
    double nu_max = 500.0;     // upper end of the scan, Hz (rates above 1/tau_rp are impossible)
    int scan_points = 2000;    // grid points for the sign-change scan (log-spaced below 1 Hz, linear above)
    double rel_tol = 1e-12;    // relative tolerance of the root (Brent's method)
};

struct brunel_mean_field_result {
    double nu = 0.0;     // self-consistent rate, Hz (the lowest fixed point if there are several)
    double mu = 0.0;     // mean input at nu, mV
    double sigma = 0.0;  // input standard deviation at nu, mV
    std::vector<double> fixed_points;  // all fixed points found in the scan, ascending, Hz
};

// Solve nu = Phi(mu(nu), sigma(nu)): scan nu over (0, nu_max] for sign changes of Phi(nu) - nu and
// refine each bracket with Brent's method. Since Phi < 1/tau_rp and Phi(0) >= 0 a fixed point always
// exists; if Phi(0+) underflows to 0 the quiescent state nu = 0 is reported. Throws
// std::invalid_argument for invalid parameters.
brunel_mean_field_result solve_brunel_mean_field(const brunel_parameters& p,
                                                 const brunel_solver_options& opt = {});

} // namespace lamina::models
