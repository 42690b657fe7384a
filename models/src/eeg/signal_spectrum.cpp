#include "lamina/models/eeg/signal_spectrum.hpp"

#include "lamina/models/eeg/welch.hpp"
#include "lamina/models/eeg/welch_statistics.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <limits>
#include <stdexcept>

namespace lamina::models::eeg {

signal_spectrum analyse_signal(std::span<const double> times_ms, std::span<const double> values,
                               const signal_spectrum_options& o) {
    if (times_ms.size() != values.size())
        throw std::invalid_argument(fmt::format("analyse_signal: {} times for {} values", times_ms.size(), values.size()));
    if (!(o.overlap >= 0.0 && o.overlap < 1.0))
        throw std::invalid_argument(fmt::format("analyse_signal: overlap must be in [0, 1), got {}", o.overlap));
    if (!(o.segment_s >= 0.0)) throw std::invalid_argument("analyse_signal: segment_s must be >= 0");
    if (!(o.fmin > 0.0 && o.fmax > o.fmin))
        throw std::invalid_argument(fmt::format("analyse_signal: need 0 < fmin < fmax, got {} and {} Hz", o.fmin, o.fmax));
    std::size_t first = 0;
    while (first < times_ms.size() && times_ms[first] < o.skip_ms) ++first;
    const auto t = times_ms.subspan(first);
    const auto x = values.subspan(first);
    const std::size_t n = x.size();
    if (n < 16)
        throw std::invalid_argument(fmt::format("analyse_signal: {} samples after skipping {} ms; need at least 16", n,
                                                o.skip_ms));
    const double dt = (t.back() - t.front()) / double(n - 1);
    if (!(dt > 0.0)) throw std::invalid_argument("analyse_signal: sample times must increase");
    for (std::size_t i = 1; i < n; ++i)
        if (std::abs((t[i] - t[i - 1]) - dt) > 1e-6 * dt)
            throw std::invalid_argument(fmt::format("analyse_signal: samples are not evenly spaced ({} ms to {} ms, "
                                                    "mean spacing {} ms)", t[i - 1], t[i], dt));
    signal_spectrum r;
    r.fs_hz = 1000.0 / dt;
    r.samples = n;
    if (r.fs_hz < 2.0 * std::max(o.bands.total.high, o.fmax))
        throw std::invalid_argument(fmt::format("analyse_signal: sampling rate {} Hz is too low for bands and fit up to "
                                                "{} Hz", r.fs_hz, std::max(o.bands.total.high, o.fmax)));
    welch_options w;
    if (o.nperseg > 0)
        w.nperseg = o.nperseg;
    else if (o.segment_s > 0.0)
        w.nperseg = static_cast<std::size_t>(std::llround(o.segment_s * r.fs_hz));
    else
        w.nperseg = static_cast<std::size_t>(std::clamp(double(n / 4), std::round(r.fs_hz), std::round(2.0 * r.fs_hz)));
    w.nperseg = std::clamp<std::size_t>(w.nperseg, 1, n);
    w.noverlap = std::min(w.nperseg - 1, static_cast<std::size_t>(std::llround(o.overlap * double(w.nperseg))));
    w.window = window_type::hann;
    w.detrend = detrend_type::constant;
    r.nperseg = w.nperseg;
    r.noverlap = *w.noverlap;
    r.segments = welch_segment_count(n, w);
    r.psd = welch(x, r.fs_hz, w);

    specparam_options so;
    so.freq_min = o.fmin;
    so.freq_max = o.fmax;
    so.max_n_peaks = o.max_n_peaks;
    so.min_peak_height = o.min_peak_height;
    so.peak_threshold = o.peak_threshold;
    so.mode = aperiodic_mode::fixed;
    r.fit = fit_specparam(r.psd, so);
    if (o.knee) {
        so.mode = aperiodic_mode::knee;
        r.knee_fit = fit_specparam(r.psd, so);
    }
    r.bands = compute_band_powers(r.psd, o.bands);
    r.resolution_hz = r.fs_hz / double(r.nperseg);
    r.effective_segments = welch_effective_segments(n, w);
    r.log10_scatter = welch_log10_scatter(r.effective_segments);
    r.noise_peak_height = noise_peak_height(r.effective_segments, std::max<std::size_t>(r.fit.freqs.size(), 1),
                                            o.peak_false_alarm);
    const double threshold = std::max(r.noise_peak_height, o.min_peak_height);
    // The aperiodic fit of a short, noisy spectrum does not sit at the mean log power (it bends
    // under the largest bumps): measure peaks from the level the residuals' median implies.
    {
        std::vector<double> residual(r.fit.freqs.size());
        for (std::size_t b = 0; b < residual.size(); ++b) residual[b] = r.fit.log_power[b] - r.fit.aperiodic[b];
        if (!residual.empty()) {
            std::nth_element(residual.begin(), residual.begin() + std::ptrdiff_t(residual.size() / 2), residual.end());
            r.reference_offset = residual[residual.size() / 2] - welch_log10_median_offset(r.effective_segments);
        }
    }
    const bool enough = r.effective_segments >= 2.0;
    r.significant.assign(r.fit.peaks.size(), false);
    specparam_result significant_only = r.fit;
    significant_only.peaks.clear();
    std::vector<double> noise_peaks;
    for (std::size_t k = 0; k < r.fit.peaks.size(); ++k) {
        if (enough && r.fit.peaks[k].power - r.reference_offset >= threshold) {
            r.significant[k] = true;
            ++r.significant_peaks;
            significant_only.peaks.push_back(r.fit.peaks[k]);
        } else {
            noise_peaks.push_back(r.fit.peaks[k].frequency);
        }
    }
    r.peak = alpha_peak_from_fit(significant_only, o.alpha_search);
    r.alpha_band_maximum = alpha_peak_from_maximum(r.psd, o.alpha_search);
    r.dominant_peak_hz = std::numeric_limits<double>::quiet_NaN();
    double best = -std::numeric_limits<double>::infinity();
    for (const auto& p : significant_only.peaks)
        if (p.power > best) {
            best = p.power;
            r.dominant_peak_hz = p.frequency;
        }
    const double seconds = double(n) / r.fs_hz;
    if (r.effective_segments < 8.0) {
        // Length for 8 effective segments at this resolution with the same overlap.
        const std::size_t step = r.nperseg - r.noverlap;
        std::size_t needed = r.nperseg;
        while (welch_effective_segments(needed, w) < 8.0) needed += step;
        const double needed_s = double(needed) / r.fs_hz;
        r.warnings.push_back(fmt::format(
            "{:.3g} s of signal gives {} Welch segment{} ({:.1f} effective) at {:.3g} Hz resolution: each bin scatters "
            "by a factor of {:.2g} (1 SD), so bumps of up to {:.2f} log10 units are noise; record at least {:.0f} s",
            seconds, r.segments, r.segments == 1 ? "" : "s", r.effective_segments, r.resolution_hz,
            std::pow(10.0, r.log10_scatter), r.noise_peak_height, std::ceil(needed_s)));
    }
    if (!noise_peaks.empty() && !enough) {
        r.warnings.push_back("one Welch segment cannot tell peaks from noise: no fitted peak counts as a peak");
    } else if (!noise_peaks.empty()) {
        std::string list;
        for (double f : noise_peaks) list += fmt::format("{}{:.1f}", list.empty() ? "" : ", ", f);
        r.warnings.push_back(fmt::format(
            "fitted peak{} at {} Hz {} below the noise peak height {:.2f} log10 ({:.1f} effective segments, {} bins, "
            "{:g} % false-alarm level): not told from noise",
            noise_peaks.size() == 1 ? "" : "s", list, noise_peaks.size() == 1 ? "is" : "are", threshold,
            r.effective_segments, r.fit.freqs.size(), 100.0 * o.peak_false_alarm));
    }
    if (r.fit.r_squared < 0.5)
        r.warnings.push_back(fmt::format("the aperiodic fit explains little of the spectrum (R^2 {:.2f}): the exponent is "
                                         "not a reliable summary",
                                         r.fit.r_squared));
    return r;
}

} // namespace lamina::models::eeg
