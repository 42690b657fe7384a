#pragma once
// From a recorded signal (an EEG/LFP proxy, an electrode trace, a lattice's mean) to the spectral
// features of the EEG literature in one call: Welch PSD, specparam fit (fixed mode, optionally
// knee mode too), band powers and ratios and the alpha peak frequency. This is what
// `lamina spectrum` computes; the steps and their conventions are in docs/spectra.md.
//
// Steps:
//  1. Samples with t < skip_ms are dropped (the transient from the initial state). The sampling
//     rate is fs = 1000 / dt Hz with dt the mean spacing of the times (ms); the spacing must be
//     uniform to 1e-6 relative.
//  2. Welch PSD: Hann window, constant detrend, nperseg = `nperseg` if given, else
//     round(segment_s fs), else (segment_s = 0, the default) a quarter of the signal kept between
//     1 s and 2 s (the Alzheimer study's min(4096, n/4) at 1 kHz, with at least 1 Hz resolution);
//     capped at the number of samples; overlap = round(overlap nperseg).
//  3. specparam in [fmin, fmax] (fixed mode; also knee mode when `knee`), with max_n_peaks,
//     min_peak_height and peak_threshold as given (noisy simulated spectra need the limits).
//  4. Band powers (band_metrics.hpp: delta 1-4, theta 4-8, alpha 8-13, beta 13-30, gamma 30-45 Hz,
//     relative to 1-45 Hz), theta/alpha and (delta+theta)/(alpha+beta).
//  5. Reliability (welch_statistics.hpp): the effective number of segments K_eff, the per-bin
//     scatter of log10 power and the noise peak height h: the height above the aperiodic fit that
//     the largest of the fit range's bins reaches in pure noise with probability
//     `peak_false_alarm` (5 %). A fitted peak is `significant` when at least 2 effective segments
//     were averaged and its height above the noise level is at least max(h, min_peak_height); the
//     noise level is the aperiodic fit plus `reference_offset`, the median of the fit-range
//     residuals minus the median a noise spectrum's residuals have (welch_log10_median_offset),
//     because on short spectra the aperiodic fit bends away from the mean log power. `warnings` says in words when the estimate is too short (fewer
//     than 8 effective segments), when fitted peaks cannot be told from noise, and when the
//     aperiodic fit explains little (R^2 < 0.5).
//  6. Alpha peak: the significant fitted peak with the largest height centred in alpha_search
//     (default 7-13 Hz, reference.md 5.8), else none (NaN): no "alpha peak" from noise. The
//     largest PSD bin there is reported separately (alpha_band_maximum, a strict local maximum
//     or NaN) and is not a peak. The dominant peak is the significant fitted peak with the
//     largest height in [fmin, fmax] (NaN if none).
#include "lamina/models/eeg/aperiodic_fit.hpp"
#include "lamina/models/eeg/band_metrics.hpp"
#include "lamina/models/eeg/power_spectrum.hpp"

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace lamina::models::eeg {

struct signal_spectrum_options {
    double skip_ms = 0.0;        // leading time left out, ms
    double segment_s = 0.0;      // Welch segment length, s; 0: n/4 kept in [1 s, 2 s]
    std::size_t nperseg = 0;     // samples per segment; 0: from segment_s
    double overlap = 0.5;        // fraction of a segment, in [0, 1)
    double fmin = 2.0;           // specparam fit range, Hz
    double fmax = 40.0;
    bool knee = false;           // also fit the knee mode
    std::size_t max_n_peaks = 6;
    double min_peak_height = 0.1;  // log10 power
    double peak_threshold = 2.0;   // SDs of the flattened spectrum
    double peak_false_alarm = 0.05;  // level of the noise peak height (step 5)
    frequency_band alpha_search{7.0, 13.0};
    band_definitions bands{};
};

struct signal_spectrum {
    double fs_hz = 0.0;
    std::size_t samples = 0;     // after skip_ms
    std::size_t nperseg = 0, noverlap = 0, segments = 0;
    power_spectrum psd;
    specparam_result fit;                    // fixed mode
    std::optional<specparam_result> knee_fit;
    double resolution_hz = 0.0;               // fs / nperseg
    double effective_segments = 0.0;          // K_eff
    double log10_scatter = 0.0;               // SD of log10 power per bin
    double noise_peak_height = 0.0;           // h, log10 power above the aperiodic fit
    double reference_offset = 0.0;            // noise level minus aperiodic fit (median of residuals), log10
    std::vector<bool> significant;            // per fit.peaks: height >= max(h, min_peak_height)
    std::size_t significant_peaks = 0;
    alpha_peak peak;                          // significant fitted peak in alpha_search, or none
    alpha_peak alpha_band_maximum;            // largest PSD bin in alpha_search (not a peak)
    double dominant_peak_hz = 0.0;            // NaN if no significant peak
    band_powers bands;
    std::vector<std::string> warnings;        // why the spectrum should not be over-read
};

// Throws std::invalid_argument for fewer than 16 samples after skip_ms, non-uniform or
// non-increasing times, a sampling rate too low for the bands (fs < 2 x bands.total.high),
// or a signal whose spectrum cannot be fitted (e.g. constant).
signal_spectrum analyse_signal(std::span<const double> times_ms, std::span<const double> values,
                               const signal_spectrum_options& options = {});

} // namespace lamina::models::eeg
