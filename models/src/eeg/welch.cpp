#include "lamina/models/eeg/welch.hpp"

#include <unsupported/Eigen/FFT>

#include <cmath>
#include <complex>
#include <numbers>
#include <stdexcept>
#include <string>

namespace lamina::models::eeg {

namespace {

[[noreturn]] void refuse(const std::string& what) { throw std::invalid_argument("welch: " + what); }

std::size_t overlap_of(const welch_options& o) { return o.noverlap ? *o.noverlap : o.nperseg / 2; }

// In-place detrend of seg[0..n) as scipy.signal.detrend.
void detrend(std::vector<double>& seg, detrend_type type) {
    const std::size_t n = seg.size();
    if (type == detrend_type::none || n == 0) return;
    double mean = 0.0;
    for (double v : seg) mean += v;
    mean /= static_cast<double>(n);
    if (type == detrend_type::constant || n == 1) {
        for (double& v : seg) v -= mean;
        return;
    }
    // Least-squares line a + b (t - t_mean) on t = 0 .. n-1.
    const double t_mean = 0.5 * static_cast<double>(n - 1);
    double stt = 0.0, sty = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        const double dt = static_cast<double>(i) - t_mean;
        stt += dt * dt;
        sty += dt * (seg[i] - mean);
    }
    const double slope = sty / stt;
    for (std::size_t i = 0; i < n; ++i) seg[i] -= mean + slope * (static_cast<double>(i) - t_mean);
}

} // namespace

std::vector<double> make_window(window_type type, std::size_t n) {
    std::vector<double> w(n, 1.0);
    if (type == window_type::boxcar || n <= 1) return w;
    const double a0 = type == window_type::hann ? 0.5 : 0.54;
    const double a1 = 1.0 - a0;
    for (std::size_t i = 0; i < n; ++i)
        w[i] = a0 - a1 * std::cos(2.0 * std::numbers::pi * static_cast<double>(i) / static_cast<double>(n));
    return w;
}

std::size_t welch_segment_count(std::size_t n, const welch_options& o) {
    const std::size_t overlap = overlap_of(o);
    if (o.nperseg == 0 || overlap >= o.nperseg || n < o.nperseg) return 0;
    return (n - overlap) / (o.nperseg - overlap);
}

power_spectrum welch(std::span<const double> x, double fs, const welch_options& o) {
    if (!(fs > 0.0) || !std::isfinite(fs)) refuse("sampling rate fs must be finite and > 0 Hz");
    if (o.nperseg == 0) refuse("nperseg must be >= 1");
    if (o.nperseg > x.size())
        refuse("nperseg (" + std::to_string(o.nperseg) + ") exceeds the signal length (" + std::to_string(x.size()) + ")");
    const std::size_t overlap = overlap_of(o);
    if (overlap >= o.nperseg) refuse("noverlap must be < nperseg");
    const std::size_t nfft = o.nfft == 0 ? o.nperseg : o.nfft;
    if (nfft < o.nperseg) refuse("nfft must be >= nperseg");
    for (double v : x)
        if (!std::isfinite(v)) refuse("signal contains non-finite samples");

    const std::vector<double> w = make_window(o.window, o.nperseg);
    double w2 = 0.0;
    for (double v : w) w2 += v * v;
    const double scale = 1.0 / (fs * w2);

    const std::size_t n_bins = nfft / 2 + 1;
    const std::size_t step = o.nperseg - overlap;
    const std::size_t n_seg = welch_segment_count(x.size(), o);

    power_spectrum out;
    out.freqs.resize(n_bins);
    out.power.assign(n_bins, 0.0);
    for (std::size_t k = 0; k < n_bins; ++k) out.freqs[k] = static_cast<double>(k) * fs / static_cast<double>(nfft);

    Eigen::FFT<double> fft;
    fft.SetFlag(Eigen::FFT<double>::HalfSpectrum);
    std::vector<double> seg(o.nperseg), buf(nfft, 0.0);
    std::vector<std::complex<double>> spec;
    for (std::size_t s = 0; s < n_seg; ++s) {
        const double* src = x.data() + s * step;
        seg.assign(src, src + o.nperseg);
        detrend(seg, o.detrend);
        for (std::size_t i = 0; i < o.nperseg; ++i) buf[i] = seg[i] * w[i];
        fft.fwd(spec, buf);
        for (std::size_t k = 0; k < n_bins; ++k) out.power[k] += std::norm(spec[k]);
    }
    const double norm = scale / static_cast<double>(n_seg);
    for (std::size_t k = 0; k < n_bins; ++k) {
        const bool single = k == 0 || (nfft % 2 == 0 && k == nfft / 2);
        out.power[k] *= (single ? 1.0 : 2.0) * norm;
    }
    return out;
}

} // namespace lamina::models::eeg
