#pragma once
// Band metrics of a power spectrum used for EEG spectral slowing (reference.md 5.8) and the
// log-log slope of the aperiodic E:I proxy (Gao, Peterson & Voytek 2017; reference.md 5.5).
//
// Band power: P_band = Int_{lo}^{hi} S(f) df of the one-sided PSD S (unit^2/Hz), by the trapezoidal
// rule on the piecewise-linear interpolant of S through the spectrum's points; at band edges that
// fall between bins S is interpolated linearly. So band powers are exactly additive
// (P[1,4] + P[4,8] = P[1,8]) and exact for spectra that are linear between bins. Unit^2.
// Default bands (Hz): delta 1-4, theta 4-8, alpha 8-13, beta 13-30, gamma 30-45; relative power
// is P_band / P_total with the total over 1-45 Hz (the union of the default bands, so the five
// relative powers sum to 1; reference.md uses 1-40 Hz, set total = {1, 40} for that).
// Ratios: theta/alpha = P_theta / P_alpha; slowing ratio (delta + theta) / (alpha + beta).
//
// Alpha peak frequency, two methods:
//  - fitted_peak: the centre of the specparam peak (aperiodic_fit.hpp) with the largest power
//    above the aperiodic fit among those centred in the search range (default the alpha band);
//  - spectral_maximum: the frequency of the largest PSD value among the bins in the search range
//    (reference.md 5.8: "argmax 7-13 Hz"); it counts as a peak only if both neighbouring bins are
//    lower, i.e. the maximum is not at an end of the range.
// When no peak is found, frequency and power are NaN and found is false.
//
// Log-log slope: the line log10 S = intercept + slope log10 f over the bins with lo <= f <= hi
// (f > 0), either ordinary least squares or robust (iteratively reweighted least squares with
// Tukey's bisquare, tuning constant 4.685, leverage-adjusted residuals and a MAD scale, as MATLAB's
// robustfit that Gao et al. 2017 used for the 30-50 Hz slope).
#include "lamina/models/eeg/aperiodic_fit.hpp"
#include "lamina/models/eeg/power_spectrum.hpp"

#include <cstddef>
#include <limits>

namespace lamina::models::eeg {

struct frequency_band {
    double low = 0.0;   // Hz
    double high = 0.0;  // Hz
};

struct band_definitions {
    frequency_band delta{1.0, 4.0};
    frequency_band theta{4.0, 8.0};
    frequency_band alpha{8.0, 13.0};
    frequency_band beta{13.0, 30.0};
    frequency_band gamma{30.0, 45.0};
    frequency_band total{1.0, 45.0};  // denominator of the relative powers
};

// Int_lo^hi S(f) df as described above. Throws std::invalid_argument unless
// freqs.front() <= lo < hi <= freqs.back() (and the spectrum is valid).
double band_power(const power_spectrum& spectrum, double lo, double hi);
inline double band_power(const power_spectrum& spectrum, frequency_band band) {
    return band_power(spectrum, band.low, band.high);
}

struct band_powers {
    double delta = 0.0, theta = 0.0, alpha = 0.0, beta = 0.0, gamma = 0.0;  // absolute, unit^2
    double total = 0.0;                                                     // over bands.total
    double relative_delta = 0.0, relative_theta = 0.0, relative_alpha = 0.0, relative_beta = 0.0,
           relative_gamma = 0.0;                                            // band / total
    double theta_alpha_ratio = 0.0;                                         // theta / alpha
    double slowing_ratio = 0.0;                                             // (delta+theta)/(alpha+beta)
};

// All band powers, relative powers and ratios (a ratio with a zero denominator is +inf or NaN).
band_powers compute_band_powers(const power_spectrum& spectrum, const band_definitions& bands = {});

enum class alpha_peak_method { fitted_peak, spectral_maximum };

struct alpha_peak {
    alpha_peak_method method = alpha_peak_method::spectral_maximum;
    bool found = false;
    double frequency = std::numeric_limits<double>::quiet_NaN();  // Hz
    // fitted_peak: height above the aperiodic fit (log10 power); spectral_maximum: PSD (unit^2/Hz).
    double power = std::numeric_limits<double>::quiet_NaN();
};

// Largest fitted peak centred in [lo, hi] (inclusive).
alpha_peak alpha_peak_from_fit(const specparam_result& fit, frequency_band range = {8.0, 13.0});
// Largest PSD bin in [lo, hi] (inclusive), a peak only if it is a strict local maximum.
alpha_peak alpha_peak_from_maximum(const power_spectrum& spectrum, frequency_band range = {8.0, 13.0});

enum class slope_method { least_squares, robust_bisquare };

struct loglog_line {
    double slope = 0.0;      // d log10 S / d log10 f
    double intercept = 0.0;  // log10 S at 1 Hz
    std::size_t n_points = 0;
};

// Fits over lo <= f <= hi (f > 0, S > 0 required there). Throws std::invalid_argument for fewer
// than 3 bins in the range or S <= 0 in it.
loglog_line log_log_slope(const power_spectrum& spectrum, double lo, double hi,
                          slope_method method = slope_method::least_squares);

} // namespace lamina::models::eeg
