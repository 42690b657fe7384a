#include "lamina/models/eeg/connectivity.hpp"

#include "lamina/models/eeg/welch.hpp"
#include "lamina/models/eeg/welch_statistics.hpp"

#include <unsupported/Eigen/FFT>

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <limits>
#include <numbers>
#include <stdexcept>

namespace lamina::models::eeg {

namespace {

double transition_of(frequency_band band, const bandpass_options& o) {
    if (o.transition_hz > 0.0) return o.transition_hz;
    return std::min(0.5 * band.low, 1.0);
}

void check_band(frequency_band band, double fs, const char* who) {
    if (!(fs > 0.0) || !std::isfinite(fs)) throw std::invalid_argument(fmt::format("{}: fs must be > 0", who));
    if (!(band.low > 0.0 && band.high > band.low && band.high < fs / 2.0))
        throw std::invalid_argument(fmt::format("{}: need 0 < low < high < fs/2 = {} Hz, got {}-{} Hz", who, fs / 2.0,
                                                band.low, band.high));
}

} // namespace

double bandpass_gain(double f, frequency_band band, const bandpass_options& o) {
    const double tw = transition_of(band, o);
    f = std::abs(f);
    if (f >= band.low && f <= band.high) return 1.0;
    const double d = f < band.low ? band.low - f : f - band.high;
    if (d >= tw) return 0.0;
    return 0.5 * (1.0 + std::cos(std::numbers::pi * d / tw));
}

std::vector<std::complex<double>> bandpass_analytic(std::span<const double> x, double fs, frequency_band band,
                                                    const bandpass_options& o) {
    check_band(band, fs, "bandpass_analytic");
    const std::size_t n = x.size();
    if (n < 4) throw std::invalid_argument("bandpass_analytic: need at least 4 samples");
    double mean = 0.0;
    for (double v : x) {
        if (!std::isfinite(v)) throw std::invalid_argument("bandpass_analytic: non-finite sample");
        mean += v;
    }
    mean /= double(n);
    // The filter's impulse response lasts about 1/transition: pad by three of those (or three
    // periods of the low edge, if longer), at most the signal's length.
    const double span_s = 3.0 / std::min(band.low, transition_of(band, o));
    const std::size_t pad = o.mirror_pad ? std::min<std::size_t>(n - 1, std::size_t(std::ceil(span_s * fs))) : 0;
    const std::size_t m = n + 2 * pad;
    std::vector<std::complex<double>> buf(m);
    // Mirror images without repeating the end samples: x[pad], ..., x[1] | x | x[n-2], ...
    for (std::size_t i = 0; i < pad; ++i) buf[i] = x[pad - i] - mean;
    for (std::size_t i = 0; i < n; ++i) buf[pad + i] = x[i] - mean;
    for (std::size_t i = 0; i < pad; ++i) buf[pad + n + i] = x[n - 2 - i] - mean;
    Eigen::FFT<double> fft;
    std::vector<std::complex<double>> spec;
    fft.fwd(spec, buf);
    for (std::size_t k = 0; k < m; ++k) {
        // Bin k is frequency k fs / m for k < m/2, negative above; Nyquist (even m) gets 0.
        if (k == 0 || 2 * k >= m) {
            spec[k] = 0.0;
            continue;
        }
        spec[k] *= 2.0 * bandpass_gain(double(k) * fs / double(m), band, o);
    }
    fft.inv(buf, spec);
    return {buf.begin() + std::ptrdiff_t(pad), buf.begin() + std::ptrdiff_t(pad + n)};
}

phase_locking phase_locking_value(std::span<const double> px, std::span<const double> py) {
    if (px.size() != py.size() || px.empty())
        throw std::invalid_argument("phase_locking_value: phase series must be non-empty and of one length");
    std::complex<double> s = 0.0;
    for (std::size_t i = 0; i < px.size(); ++i) s += std::polar(1.0, px[i] - py[i]);
    s /= double(px.size());
    return {std::abs(s), std::arg(s)};
}

phase_locking phase_locking_value(std::span<const std::complex<double>> zx, std::span<const std::complex<double>> zy) {
    if (zx.size() != zy.size() || zx.empty())
        throw std::invalid_argument("phase_locking_value: signals must be non-empty and of one length");
    std::complex<double> s = 0.0;
    for (std::size_t i = 0; i < zx.size(); ++i) {
        const auto p = zx[i] * std::conj(zy[i]);
        const double a = std::abs(p);
        if (a > 0.0) s += p / a;
    }
    s /= double(zx.size());
    return {std::abs(s), std::arg(s)};
}

double envelope_correlation(std::span<const std::complex<double>> zx, std::span<const std::complex<double>> zy) {
    if (zx.size() != zy.size() || zx.size() < 2)
        throw std::invalid_argument("envelope_correlation: signals must have one length >= 2");
    const std::size_t n = zx.size();
    double mx = 0, my = 0;
    for (std::size_t i = 0; i < n; ++i) mx += std::abs(zx[i]), my += std::abs(zy[i]);
    mx /= double(n), my /= double(n);
    double sxy = 0, sxx = 0, syy = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double a = std::abs(zx[i]) - mx, b = std::abs(zy[i]) - my;
        sxy += a * b, sxx += a * a, syy += b * b;
    }
    if (!(sxx > 0.0) || !(syy > 0.0)) return std::numeric_limits<double>::quiet_NaN();
    return sxy / std::sqrt(sxx * syy);
}

coherence_spectrum coherence(std::span<const double> x, std::span<const double> y, double fs, std::size_t nperseg,
                             std::size_t noverlap) {
    if (x.size() != y.size()) throw std::invalid_argument("coherence: signals differ in length");
    if (nperseg < 2 || nperseg > x.size() || noverlap >= nperseg)
        throw std::invalid_argument(fmt::format("coherence: need 2 <= nperseg <= {} samples and noverlap < nperseg",
                                                x.size()));
    if (!(fs > 0.0)) throw std::invalid_argument("coherence: fs must be > 0");
    const auto w = make_window(window_type::hann, nperseg);
    const std::size_t step = nperseg - noverlap;
    const std::size_t k_seg = (x.size() - noverlap) / step;
    const std::size_t bins = nperseg / 2 + 1;
    std::vector<double> pxx(bins, 0.0), pyy(bins, 0.0);
    std::vector<std::complex<double>> pxy(bins, 0.0);
    Eigen::FFT<double> fft;
    fft.SetFlag(Eigen::FFT<double>::HalfSpectrum);
    std::vector<double> a(nperseg), b(nperseg);
    std::vector<std::complex<double>> fa, fb;
    for (std::size_t s = 0; s < k_seg; ++s) {
        double ma = 0, mb = 0;
        for (std::size_t i = 0; i < nperseg; ++i) ma += x[s * step + i], mb += y[s * step + i];
        ma /= double(nperseg), mb /= double(nperseg);
        for (std::size_t i = 0; i < nperseg; ++i) {
            a[i] = (x[s * step + i] - ma) * w[i];
            b[i] = (y[s * step + i] - mb) * w[i];
        }
        fft.fwd(fa, a);
        fft.fwd(fb, b);
        for (std::size_t k = 0; k < bins; ++k) {
            pxx[k] += std::norm(fa[k]);
            pyy[k] += std::norm(fb[k]);
            pxy[k] += fa[k] * std::conj(fb[k]);
        }
    }
    coherence_spectrum c;
    c.segments = k_seg;
    c.freqs.resize(bins);
    c.msc.resize(bins);
    c.phase.resize(bins);
    for (std::size_t k = 0; k < bins; ++k) {
        c.freqs[k] = double(k) * fs / double(nperseg);
        const double d = pxx[k] * pyy[k];
        c.msc[k] = d > 0.0 ? std::min(1.0, std::norm(pxy[k]) / d) : std::numeric_limits<double>::quiet_NaN();
        c.phase[k] = std::arg(pxy[k]);
    }
    return c;
}

double band_coherence(const coherence_spectrum& c, frequency_band band) {
    double s = 0.0;
    std::size_t n = 0;
    for (std::size_t k = 0; k < c.freqs.size(); ++k)
        if (c.freqs[k] >= band.low && c.freqs[k] <= band.high && std::isfinite(c.msc[k])) s += c.msc[k], ++n;
    return n ? s / double(n) : std::numeric_limits<double>::quiet_NaN();
}

double hypergeometric_half_half_two(double z) {
    if (!(z >= 0.0 && z <= 1.0)) throw std::invalid_argument("hypergeometric_half_half_two: need 0 <= z <= 1");
    if (z == 1.0) return 4.0 / std::numbers::pi;
    // Terms t_{n+1} = t_n (n + 1/2)^2 / ((n + 2)(n + 1)) z; near z = 1 they fall like n^-3 z^n, so
    // the tail after N terms is bounded by t_N z / (1 - z) and the loop stops when that is tiny.
    double term = 1.0, sum = 1.0;
    for (int n = 0; n < 1000000; ++n) {
        term *= (n + 0.5) * (n + 0.5) / ((n + 2.0) * (n + 1.0)) * z;
        sum += term;
        if (term * z / (1.0 - z + 1e-300) < 1e-15 * sum || term < 1e-17 * sum) break;
    }
    return sum;
}

double plv_chance_squared(std::size_t n, double fs, frequency_band band, const bandpass_options& o) {
    check_band(band, fs, "plv_chance_squared");
    if (n < 2) throw std::invalid_argument("plv_chance_squared: need n >= 2");
    // r(tau) of the analytic band-passed white noise on an n-periodic grid: IDFT of G^2 on f > 0.
    std::vector<std::complex<double>> g2(n, 0.0), r;
    double total = 0.0;
    for (std::size_t k = 1; 2 * k < n; ++k) {
        const double g = bandpass_gain(double(k) * fs / double(n), band, o);
        g2[k] = g * g;
        total += g * g;
    }
    if (!(total > 0.0)) throw std::invalid_argument("plv_chance_squared: the band holds no frequency bin");
    Eigen::FFT<double> fft;
    fft.inv(r, g2);  // r[tau] = (1/n) sum_k g2[k] exp(2 pi i k tau / n)
    const double r0 = std::abs(r[0]);
    double sum = 0.0;
    for (std::size_t tau = 0; tau < n; ++tau) {
        const double a = std::min(1.0, std::abs(r[tau]) / r0);
        const double g = std::numbers::pi / 4.0 * a * hypergeometric_half_half_two(a * a);
        // Pairs (s, t) with s - t = tau on a periodic grid of n: n of them per lag.
        sum += g * g;
    }
    return sum / double(n);
}

std::string unresolved_band_reason(frequency_band band, double fs, std::size_t n, std::size_t nperseg) {
    if (!(band.high < fs / 2.0))
        return fmt::format("above the Nyquist frequency {:g} Hz of the {:g} Hz sampling", fs / 2.0, fs);
    auto has_bin = [&](std::size_t len) {
        const double df = fs / double(len);
        const double k = std::ceil(band.low / df - 1e-9);
        return k >= 1.0 && k * df <= band.high * (1.0 + 1e-12);
    };
    const double seconds = double(n) / fs, segment_s = double(nperseg) / fs;
    // A record of T s has bins at multiples of 1/T; 1/(high - low) s always puts one in the band.
    const double needed = 1.0 / (band.high - band.low);
    if (!has_bin(n))
        return fmt::format("the {:.3g} s record resolves {:.3g} Hz and has no frequency bin in the band; record at "
                           "least {:.3g} s", seconds, 1.0 / seconds, needed);
    if (!has_bin(nperseg))
        return fmt::format("Welch segments of {:.3g} s resolve {:.3g} Hz and have no frequency bin in the band; use "
                           "segments of at least {:.3g} s (--segment)", segment_s, 1.0 / segment_s,
                           needed);
    return {};
}

std::vector<named_band> default_connectivity_bands() {
    const band_definitions b{};
    return {{"delta", b.delta}, {"theta", b.theta}, {"alpha", b.alpha}, {"beta", b.beta}, {"gamma", b.gamma}};
}

connectivity_matrices connectivity(std::span<const std::vector<double>> signals, double fs,
                                   std::span<const named_band> bands, std::size_t nperseg, double overlap) {
    const std::size_t m = signals.size();
    if (m < 2) throw std::invalid_argument("connectivity: need at least two signals");
    const std::size_t n = signals[0].size();
    for (const auto& s : signals)
        if (s.size() != n) throw std::invalid_argument("connectivity: signals differ in length");
    if (!(overlap >= 0.0 && overlap < 1.0)) throw std::invalid_argument("connectivity: overlap must be in [0, 1)");
    nperseg = std::min(nperseg, n);
    const std::size_t noverlap = std::min(nperseg - 1, std::size_t(std::llround(overlap * double(nperseg))));
    connectivity_matrices out;
    out.signals = m;
    out.nperseg = nperseg;
    welch_options wo;
    wo.nperseg = nperseg;
    wo.noverlap = noverlap;
    out.segments = welch_segment_count(n, wo);
    out.coherence_chance = 1.0 / welch_effective_segments(n, wo);
    std::vector<coherence_spectrum> coh(m * m);
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = i + 1; j < m; ++j) coh[i * m + j] = coherence(signals[i], signals[j], fs, nperseg, noverlap);
    for (const auto& b : bands) {
        if (auto why = unresolved_band_reason(b.band, fs, n, nperseg); !why.empty()) {
            out.skipped.push_back({b.name, b.band, std::move(why)});
            continue;
        }
        out.bands.push_back(b.name);
        out.band_limits.push_back(b.band);
        std::vector<std::vector<std::complex<double>>> z(m);
        for (std::size_t i = 0; i < m; ++i) z[i] = bandpass_analytic(signals[i], fs, b.band);
        std::vector<double> c(m * m, 1.0), p(m * m, 1.0), l(m * m, 0.0), a(m * m, 1.0);
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t j = i + 1; j < m; ++j) {
                c[i * m + j] = c[j * m + i] = band_coherence(coh[i * m + j], b.band);
                const auto pl = phase_locking_value(z[i], z[j]);
                p[i * m + j] = p[j * m + i] = pl.plv;
                l[i * m + j] = pl.lag_rad;
                l[j * m + i] = -pl.lag_rad;
                a[i * m + j] = a[j * m + i] = envelope_correlation(z[i], z[j]);
            }
        out.coherence.push_back(std::move(c));
        out.plv.push_back(std::move(p));
        out.lag.push_back(std::move(l));
        out.aec.push_back(std::move(a));
        out.plv_chance.push_back(std::sqrt(plv_chance_squared(n, fs, b.band)));
    }
    return out;
}

} // namespace lamina::models::eeg
