#pragma once
// A model file's text with every `size = N` and `total = N` line multiplied by `scale` (at least 1):
// neuron numbers and fixed_total_number totals scaled together, so in-degrees are kept and each
// neuron keeps its synaptic, Poisson and update work (how bench_microcircuit and
// microcircuit_probe shrink the Potjans-Diesmann microcircuit).
#include <algorithm>
#include <cmath>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

namespace lamina::bench {

inline std::string scaled_model_text(const std::string& path, double scale) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str(), out;
    if (scale == 1.0) return text;
    const std::regex number_line(R"(^(size|total) = (\d+))", std::regex::multiline);
    std::size_t last = 0;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), number_line); it != std::sregex_iterator(); ++it) {
        const auto& m = *it;
        out += text.substr(last, static_cast<std::size_t>(m.position()) - last);
        const double v = std::stod(m[2].str()) * scale;
        out += m[1].str() + " = " + std::to_string(std::max<long long>(1, std::llround(v)));
        last = static_cast<std::size_t>(m.position() + m.length());
    }
    return out + text.substr(last);
}

} // namespace lamina::bench
