#pragma once
// Registers every neuron model and every neural mass of lamina::models with their registries, for
// the composition roots (lamina::compose, which the command line and the Python module link).
#include "lamina/models/mass/mass_registry.hpp"
#include "lamina/sim/model_registry.hpp"

namespace lamina::models {

void register_builtin(sim::model_registry& registry);
// jansen_rit, wilson_cowan, linear_oscillator, in this order (the order messages list them in).
void register_builtin_masses(mass::mass_registry& registry);

} // namespace lamina::models
