#pragma once
// Registers every neuron model of lamina::models with a registry, for the composition roots
// (the lamina command, the Python module).
#include "lamina/sim/model_registry.hpp"

namespace lamina::models {

void register_builtin(sim::model_registry& registry);

} // namespace lamina::models
