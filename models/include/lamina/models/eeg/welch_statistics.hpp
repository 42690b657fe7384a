#pragma once
// How much a Welch PSD can be trusted: its equivalent number of independent segments and the
// height above the aperiodic fit that noise alone reaches, so that a spectrum from too little
// data says so instead of reporting peaks that are fluctuations.
//
// Effective segments (Welch 1967; Percival & Walden 1993, "Spectral Analysis for Physical
// Applications", eq. 292b): K segments of L samples stepping by S, window w, give
//
//     K_eff = K / (1 + 2 sum_{m=1}^{K-1} (1 - m/K) rho(m S)),
//     rho(s) = (sum_n w[n] w[n+s])^2 / (sum_n w[n]^2)^2,
//
// the variance reduction of averaging correlated periodograms of a Gaussian signal with a smooth
// spectrum (Hann with 50 % overlap: rho(L/2) = 0.028, so K_eff ~ 0.95 K for large K).
//
// Per-bin scatter: at a bin away from 0 Hz and Nyquist, the estimate over its expectation is
// X ~ chi^2_nu / nu with nu = 2 K_eff degrees of freedom (Gaussian signal), so
//     E[ln X] = psi(K_eff) - ln K_eff,     Var[ln X] = psi'(K_eff),
// and P(X > x) = Q(K_eff, K_eff x) (regularised upper incomplete gamma function).
//
// Noise peak height: specparam measures peaks in log10 power above an aperiodic fit that follows
// the mean of log10 power. Over M bins of pure noise the largest height above that mean exceeds
//     h(M, alpha) = log10 x* - E[log10 X],   P(X > x*) = 1 - (1 - alpha)^(1/M)
// with probability alpha (bins treated as independent, exact for non-overlapping boxcar segments).
// A fitted peak below h(M, 0.05) cannot be told from noise at the 5 % level.
#include "lamina/models/eeg/welch.hpp"

#include <cstddef>

namespace lamina::models::eeg {

// K_eff of welch(x, fs, options) on n samples (0 if n < nperseg).
double welch_effective_segments(std::size_t n, const welch_options& options);

// Standard deviation of log10 of a Welch PSD bin over its expectation, sqrt(psi'(K_eff)) / ln 10.
double welch_log10_scatter(double effective_segments);

// h(M, alpha) above, log10 power; throws std::invalid_argument for K_eff <= 0, M = 0 or alpha
// outside (0, 1).
double noise_peak_height(double effective_segments, std::size_t bins, double false_alarm = 0.05);

// Median of log10 X - E[log10 X] (X as above): where the median of a noise spectrum's residuals
// sits relative to its mean-log level (-0.16 for K_eff = 1, -> 0 for large K_eff).
double welch_log10_median_offset(double effective_segments);

// Special functions used above (exposed for the tests): digamma psi, trigamma psi', and the
// regularised upper incomplete gamma Q(a, x) = Gamma(a, x) / Gamma(a) for a > 0, x >= 0.
double digamma(double x);
double trigamma(double x);
double gamma_q(double a, double x);

} // namespace lamina::models::eeg
