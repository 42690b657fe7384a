#pragma once
// A one-sided power spectrum: frequencies (Hz, strictly increasing) and the power spectral
// density at each of them (linear units, signal unit^2 / Hz). welch() produces it; the specparam
// fit (aperiodic_fit.hpp) and the band metrics (band_metrics.hpp) consume it. Spectra from other
// sources (a model's analytic PSD, a file) can be wrapped by filling the two vectors.
#include <cstddef>
#include <vector>

namespace lamina::models::eeg {

struct power_spectrum {
    std::vector<double> freqs;  // Hz, strictly increasing
    std::vector<double> power;  // PSD, signal unit^2 / Hz (linear, not dB or log10)

    std::size_t size() const noexcept { return freqs.size(); }
};

// Throws std::invalid_argument unless freqs and power have the same length >= min_size, freqs are
// finite and strictly increasing and power is finite and >= 0. `who` prefixes the message.
void check_power_spectrum(const power_spectrum& s, const char* who, std::size_t min_size = 2);

} // namespace lamina::models::eeg
