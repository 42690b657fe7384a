#pragma once
// Named, unit-carrying parameter fields. A model lists its parameters once (name, unit, member,
// meaning); model files, the Python module and error messages all work from that list, so a new
// model needs no per-front-end glue (NEST's dictionaries, Arbor's typed user structs).
#include "lamina/sim/error.hpp"

#include <array>
#include <cmath>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lamina::sim {

template <class Params>
struct parameter_field {
    std::string_view name;
    std::string_view unit;
    double Params::*member;
    std::string_view meaning;
};

// Levenshtein distance, for "did you mean" suggestions on unknown names.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The closest candidate to `name`, or an empty string if none is reasonably close.
std::string nearest_name(std::string_view name, std::span<const std::string_view> candidates);
std::string nearest_name(std::string_view name, const std::vector<std::string>& candidates);

// Sets field `name` of `params`; an unknown name is a parameter_error that lists the allowed ones.
template <class Params, std::size_t N>
void set_parameter(Params& params, const std::array<parameter_field<Params>, N>& fields, std::string_view name,
                   double value, const std::string& object) {
    std::vector<std::string_view> names;
    for (const auto& f : fields) {
        if (f.name == name) {
            params.*(f.member) = value;
            return;
        }
        names.push_back(f.name);
    }
    std::string msg = "unknown parameter";
    if (auto near = nearest_name(name, names); !near.empty()) msg += " (did you mean '" + near + "'?)";
    msg += "; allowed:";
    for (auto n : names) msg += " " + std::string(n);
    throw parameter_error(object, std::string(name), msg);
}

// Small helpers for the checks every model's lower() repeats.
inline void require_positive(double v, const std::string& object, std::string_view name, std::string_view unit) {
    if (!(v > 0.0))
        throw parameter_error(object, std::string(name),
                              "must be > 0 " + std::string(unit) + ", got " + std::to_string(v));
}
inline void require_nonnegative(double v, const std::string& object, std::string_view name, std::string_view unit) {
    if (!(v >= 0.0))
        throw parameter_error(object, std::string(name),
                              "must be >= 0 " + std::string(unit) + ", got " + std::to_string(v));
}
inline void require_finite(double v, const std::string& object, std::string_view name) {
    if (!std::isfinite(v)) throw parameter_error(object, std::string(name), "must be a finite number");
}

} // namespace lamina::sim
