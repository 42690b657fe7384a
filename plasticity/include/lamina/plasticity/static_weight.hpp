#pragma once
// A rule that never changes the weight: combined with short-term plasticity it gives a projection
// with per-synapse weights and dynamic efficacy but no learning.
#include "lamina/sim/plasticity.hpp"

#include <array>

namespace lamina::plasticity {

struct static_weight {
    static constexpr std::string_view name = "static";
    struct parameters {};
    static constexpr std::array<sim::parameter_field<parameters>, 0> parameter_fields{};
    static constexpr std::array<std::string_view, 0> synapse_vars{};
    struct constants {};
    static constants lower(const parameters&, double, const std::string&) { return {}; }
    static std::array<sim::trace_spec, 0> pre_traces(const constants&) { return {}; }
    static std::array<sim::trace_spec, 0> post_traces(const constants&) { return {}; }
    static double on_pre(const constants&, double w, const std::array<float*, 0>&, const std::array<double, 0>&,
                         const std::array<double, 0>&) {
        return w;
    }
    static double on_post(const constants&, double w, const std::array<float*, 0>&, const std::array<double, 0>&,
                          const std::array<double, 0>&) {
        return w;
    }
};

} // namespace lamina::plasticity
