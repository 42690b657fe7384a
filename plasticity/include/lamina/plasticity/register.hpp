#pragma once
// Registers every plasticity rule of lamina::plasticity, alone and combined with short-term
// plasticity, for the composition roots (the lamina command, the Python module).
#include "lamina/sim/plasticity_registry.hpp"

namespace lamina::plasticity {

void register_builtin(sim::plasticity_registry& registry);

} // namespace lamina::plasticity
