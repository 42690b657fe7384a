#pragma once
// Spectral parameterisation of a power spectrum into an aperiodic (1/f-like) component and
// Gaussian peaks: the FOOOF / specparam procedure of T. Donoghue, M. Haller, E. J. Peterson et al.
// (2020), "Parameterizing neural power spectra into periodic and aperiodic components", Nat
// Neurosci 23:1655-1665, following fooof/objs/fit.py (fooof 1.x). Project digest: reference.md 5.6.
//
// Model, in log10 power over the fitted frequencies f (Hz):
//
//     P(f) = L(f) + sum_n G_n(f)
//     L(f) = b - log10(k + f^chi)                 knee mode  (k = 0 in fixed mode: b - chi log10 f)
//     G_n(f) = a_n exp(-(f - c_n)^2 / (2 w_n^2))
//
// b: offset (log10 power), k: knee (Hz^chi; the knee frequency is k^(1/chi) Hz), chi: aperiodic
// exponent (= minus the log-log slope of a fixed-mode fit), c_n: centre (Hz), a_n: height (log10
// power), w_n: standard deviation (Hz).
//
// Procedure (step numbers as in reference.md 5.6):
//  1. Initial aperiodic fit to all points; guesses: b = first log-power value, k = 0,
//     chi = |end-to-end log-log slope| of the spectrum.
//  2. Robust refit: flatten (log power minus fit), clip negatives to 0, keep the points at or below
//     the ap_percentile-th percentile (0.025 %, numpy linear interpolation) of the flattened
//     spectrum, i.e. the points on or below the first fit, and refit from the first fit's values.
//  3. Peak search on the flattened spectrum: repeatedly take its maximum; stop when it is
//     <= peak_threshold x the standard deviation of the (residual) flattened spectrum, when it is
//     <= min_peak_height, or when max_n_peaks guesses exist. Guess w from the shorter half-maximum
//     side (FWHM = 2 x distance in bins x freq_res, w = FWHM / (2 sqrt(2 ln 2))), clamp w to
//     [peak_width_min/2, peak_width_max/2], subtract the guess Gaussian and repeat. Drop guesses
//     whose centre lies within bw_std_edge x w of either end of the range, then, of adjacent guesses
//     whose c +- gauss_overlap_thresh x w intervals overlap, the lower one.
//  4. Fit all Gaussians jointly to the flattened spectrum by bounded nonlinear least squares:
//     c within +- 2 cf_bound w of its guess (and inside the frequency range), a >= 0,
//     w in [peak_width_min/2, peak_width_max/2].
//  5. Refit the aperiodic component to the log spectrum minus the fitted peaks.
//  6. (joint_refit, on by default; an addition to specparam) Refine all parameters together,
//     starting from steps 4-5, with the same bounds. Then (merge_unimodal_peaks) replace any two
//     Gaussians whose sum has a single maximum between their centres (one peak split in two by
//     step 3) by one moment-matched Gaussian and refit; the merge is kept if the Bayesian
//     information criterion does not rise (n ln(RSS_merged/RSS) <= 3 ln n). Steps 1-5 alone leave
//     the knee-mode exponent biased by up to ~0.2 when a peak sits near the knee, because the peaks
//     are fitted to a spectrum flattened by the provisional aperiodic fit; docs/spectra.md.
//     joint_refit = false reproduces fooof 1.x.
//  7. Goodness of fit: r_squared = squared Pearson correlation of the log spectrum with the model;
//     error = mean absolute (or squared / root-mean-squared) error in log10 power.
//
// Reported peaks (specparam's peak_params): frequency = c (Hz); power = model minus aperiodic
// component at the frequency bin nearest c (log10 power above the aperiodic fit); bandwidth = 2 w
// (Hz). Defaults are specparam's: peak widths 0.5-12 Hz, no peak limit, min_peak_height 0,
// peak_threshold 2, fixed mode. Frequencies <= 0 are left out (as fooof drops 0 Hz). As with
// specparam, noisy spectra need max_n_peaks and/or min_peak_height (e.g. 6 and 0.1), or noise
// bumps are fitted as peaks.
//
// Least squares: a Levenberg-Marquardt solver written here with Eigen (analytic Jacobians,
// Marquardt diagonal scaling, bounds by projection with an active set); steps leading to
// non-finite residuals (k + f^chi <= 0 in knee mode) are rejected as uphill. Without bounds it
// converges to the same minima as scipy's MINPACK curve_fit that fooof uses.
#include "lamina/models/eeg/power_spectrum.hpp"

#include <cstddef>
#include <limits>
#include <vector>

namespace lamina::models::eeg {

enum class aperiodic_mode { fixed, knee };
enum class fit_error_metric { mae, mse, rmse };

struct specparam_options {
    aperiodic_mode mode = aperiodic_mode::fixed;
    double freq_min = 0.0;                                    // fit range, Hz (inclusive)
    double freq_max = std::numeric_limits<double>::infinity();
    double peak_width_min = 0.5;                              // peak bandwidth (2 w) limits, Hz
    double peak_width_max = 12.0;
    std::size_t max_n_peaks = std::numeric_limits<std::size_t>::max();
    double min_peak_height = 0.0;                             // absolute, log10 power
    double peak_threshold = 2.0;                              // relative, SDs of the flattened spectrum
    fit_error_metric error_metric = fit_error_metric::mae;
    bool joint_refit = true;                                  // step 6 (false: fooof 1.x exactly)
    bool merge_unimodal_peaks = true;                         // step 6, with joint_refit only
    // specparam's private settings:
    double ap_percentile = 0.025;                             // percent, robust aperiodic fit
    double bw_std_edge = 1.0;                                 // edge rejection, in units of w
    double gauss_overlap_thresh = 0.75;                       // overlap rejection, in units of w
    double cf_bound = 1.5;                                    // centre bound: guess +- 2 cf_bound w
    int max_iterations = 5000;                                // per least-squares fit
};

struct spectral_peak {
    double frequency = 0.0;  // centre c, Hz
    double power = 0.0;      // height above the aperiodic fit at c, log10 power
    double bandwidth = 0.0;  // 2 w, Hz
};

struct gaussian_component {
    double centre = 0.0;  // c, Hz
    double height = 0.0;  // a, log10 power
    double sigma = 0.0;   // w, Hz
};

struct specparam_result {
    aperiodic_mode mode = aperiodic_mode::fixed;
    double offset = 0.0;    // b, log10 power
    double knee = 0.0;      // k, Hz^chi (0 in fixed mode)
    double exponent = 0.0;  // chi
    std::vector<spectral_peak> peaks;           // sorted by frequency
    std::vector<gaussian_component> gaussians;  // the same peaks as fitted Gaussians
    double r_squared = 0.0;
    double error = 0.0;     // error_metric of the log10 model, log10 power (squared for mse)
    // The fitted frequencies and, at each, log10 power, full model and aperiodic component.
    std::vector<double> freqs, log_power, model, aperiodic;

    // Knee frequency k^(1/chi), Hz (0 in fixed mode or when k <= 0).
    double knee_frequency() const;
};

// L(f) = b - log10(k + f^chi).
double aperiodic_log10(double f, double offset, double knee, double exponent);

// Fits the spectrum (linear power, > 0 inside the fit range). Throws std::invalid_argument for an
// invalid spectrum (see check_power_spectrum), zero or negative power in the range, unevenly spaced
// frequencies, fewer than 4 points in the range, or invalid options (peak_width_min <= 0,
// peak_width_max < peak_width_min, peak_threshold or min_peak_height < 0, ...).
specparam_result fit_specparam(const power_spectrum& spectrum, const specparam_options& options = {});

} // namespace lamina::models::eeg
