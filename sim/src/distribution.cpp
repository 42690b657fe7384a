#include "lamina/sim/distribution.hpp"

#include "lamina/sim/error.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace lamina::sim {

namespace {
double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }
} // namespace

double distribution::min_value() const {
    switch (type) {
    case kind::constant: return a;
    case kind::uniform: return std::max(a, lower);
    case kind::normal: return lower;
    case kind::lognormal: return std::max(0.0, lower);
    }
    return lower;
}

double distribution::max_value() const {
    switch (type) {
    case kind::constant: return a;
    case kind::uniform: return std::min(b, upper);
    default: return upper;
    }
}

double distribution::mass_inside_bounds() const {
    switch (type) {
    case kind::constant: return (a >= lower && a <= upper) ? 1.0 : 0.0;
    case kind::uniform: {
        const double lo = std::max(a, lower), hi = std::min(b, upper);
        return hi > lo ? (hi - lo) / (b - a) : 0.0;
    }
    case kind::normal:
        if (b == 0.0) return (a >= lower && a <= upper) ? 1.0 : 0.0;
        return normal_cdf((upper - a) / b) - normal_cdf((lower - a) / b);
    case kind::lognormal: {
        if (upper <= 0.0) return 0.0;
        const double lo = lower > 0.0 ? (std::log(lower) - a) / b : -INFINITY;
        return normal_cdf((std::log(upper) - a) / b) - normal_cdf(lo);
    }
    }
    return 0.0;
}

void distribution::validate(const std::string& object, const std::string& parameter) const {
    auto fail = [&](const std::string& what) { throw parameter_error(object, parameter, what); };
    if (!std::isfinite(a) || (type != kind::constant && !std::isfinite(b)))
        fail("distribution parameters must be finite numbers");
    if (std::isnan(lower) || std::isnan(upper) || lower > upper) fail("lower bound must not exceed upper bound");
    switch (type) {
    case kind::constant: break;
    case kind::uniform:
        if (!(a < b)) fail(fmt::format("uniform distribution needs low < high, got [{}, {})", a, b));
        break;
    case kind::normal:
    case kind::lognormal:
        if (!(b >= 0.0)) fail(fmt::format("standard deviation must be >= 0, got {}", b));
        break;
    }
    if (type == kind::constant) {
        if (!(a >= lower && a <= upper)) fail(fmt::format("value {} lies outside the bounds [{}, {}]", a, lower, upper));
    } else if (mass_inside_bounds() < 1e-4) {
        fail(fmt::format("{} leaves less than 1e-4 of its mass inside the bounds [{}, {}]", describe(*this), lower,
                         upper));
    }
}

std::string describe(const distribution& d) {
    std::string s;
    switch (d.type) {
    case distribution::kind::constant: return fmt::format("{}", d.a);
    case distribution::kind::uniform: s = fmt::format("uniform({}, {})", d.a, d.b); break;
    case distribution::kind::normal: s = fmt::format("normal(mean {}, sd {})", d.a, d.b); break;
    case distribution::kind::lognormal: s = fmt::format("lognormal(mu {}, sigma {})", d.a, d.b); break;
    }
    if (std::isfinite(d.lower) || std::isfinite(d.upper)) s += fmt::format(" in [{}, {}]", d.lower, d.upper);
    return s;
}

} // namespace lamina::sim
