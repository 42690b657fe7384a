#include "lamina/models/eeg/signal_spectrum.hpp"

#include "lamina/models/eeg/welch.hpp"

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
    r.peak = alpha_peak_from_fit(r.fit, o.alpha_search);
    if (!r.peak.found) r.peak = alpha_peak_from_maximum(r.psd, o.alpha_search);
    r.dominant_peak_hz = std::numeric_limits<double>::quiet_NaN();
    double best = -std::numeric_limits<double>::infinity();
    for (const auto& p : r.fit.peaks)
        if (p.power > best) {
            best = p.power;
            r.dominant_peak_hz = p.frequency;
        }
    return r;
}

} // namespace lamina::models::eeg
