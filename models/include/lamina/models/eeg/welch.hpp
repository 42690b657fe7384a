#pragma once
// Welch's averaged, modified periodogram (P. D. Welch 1967, IEEE Trans Audio Electroacoust
// 15:70-73), with the conventions of scipy.signal.welch(..., scaling='density',
// return_onesided=True, average='mean') so that results can be compared number for number.
//
// The signal x[0..N) sampled at fs Hz is cut into K = floor((N - L_o) / (L - L_o)) segments of L
// samples (nperseg) overlapping by L_o samples (noverlap); a trailing remainder shorter than a step
// is ignored. Each segment is detrended (none; constant: minus its mean; linear: minus its
// least-squares line), multiplied by the window w, zero-padded to nfft >= L points and transformed,
//
//     X_k = sum_n w[n] x_seg[n] exp(-2 pi i k n / nfft),
//     P_k = c_k |X_k|^2 / (fs sum_n w[n]^2),          f_k = k fs / nfft,  k = 0 .. floor(nfft/2),
//
// with c_k = 1 at k = 0 and (nfft even) at the Nyquist bin, c_k = 2 otherwise (one-sided density).
// The estimate is the mean of P_k over the K segments, in signal unit^2 / Hz. With the boxcar
// window, no overlap, constant detrend and a single segment, sum_k P_k fs/nfft equals the variance
// of x exactly (Parseval); with overlapping tapered segments it equals it in expectation.
//
// Windows are the periodic ("DFT-even") forms scipy.signal.get_window returns by default:
// hann w[n] = 0.5 - 0.5 cos(2 pi n / L), hamming 0.54 - 0.46 cos(2 pi n / L), boxcar 1.
//
// Defaults follow scipy (reference.md 5.7): Hann, nperseg 256, noverlap nperseg/2, constant
// detrend. Typical resting EEG: nperseg = 2-4 s of samples. The FFT is Eigen's unsupported FFT
// module with its default kissfft backend (BSD-3-Clause), any length.
#include "lamina/models/eeg/power_spectrum.hpp"

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

namespace lamina::models::eeg {

enum class window_type { hann, hamming, boxcar };
enum class detrend_type { none, constant, linear };

struct welch_options {
    std::size_t nperseg = 256;                // samples per segment, L >= 1
    std::optional<std::size_t> noverlap;      // overlap in samples, < nperseg; default nperseg / 2
    std::size_t nfft = 0;                     // FFT length >= nperseg (zero padding); 0 means nperseg
    window_type window = window_type::hann;
    detrend_type detrend = detrend_type::constant;
};

// The periodic window of the given type and length n (see above).
std::vector<double> make_window(window_type type, std::size_t n);

// One-sided Welch PSD of x sampled at fs Hz (unit^2/Hz at f_k = k fs / nfft). Throws
// std::invalid_argument for fs <= 0, nperseg = 0 or > x.size(), noverlap >= nperseg,
// 0 < nfft < nperseg, or non-finite samples.
power_spectrum welch(std::span<const double> x, double fs, const welch_options& options = {});

// Number of segments welch() averages for a signal of n samples (0 if n < nperseg).
std::size_t welch_segment_count(std::size_t n, const welch_options& options);

} // namespace lamina::models::eeg
