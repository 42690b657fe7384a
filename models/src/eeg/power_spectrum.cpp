#include "lamina/models/eeg/power_spectrum.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace lamina::models::eeg {

void check_power_spectrum(const power_spectrum& s, const char* who, std::size_t min_size) {
    const auto fail = [who](const std::string& what) { throw std::invalid_argument(std::string(who) + ": " + what); };
    if (s.freqs.size() != s.power.size())
        fail("freqs and power differ in length (" + std::to_string(s.freqs.size()) + " vs " +
             std::to_string(s.power.size()) + ")");
    if (s.freqs.size() < min_size) fail("needs at least " + std::to_string(min_size) + " frequencies");
    for (std::size_t i = 0; i < s.freqs.size(); ++i) {
        if (!std::isfinite(s.freqs[i])) fail("non-finite frequency at index " + std::to_string(i));
        if (i > 0 && !(s.freqs[i] > s.freqs[i - 1])) fail("frequencies must be strictly increasing");
        if (!std::isfinite(s.power[i]) || s.power[i] < 0.0)
            fail("power must be finite and >= 0 (index " + std::to_string(i) + ")");
    }
}

} // namespace lamina::models::eeg
