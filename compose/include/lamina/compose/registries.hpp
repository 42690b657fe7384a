#pragma once
// The names a model file (or the Python module) can use: neuron models, plasticity rules and
// neural masses, each a registry that its library fills. The composition roots pass these to the
// reader and to instantiate(); builtin_registries() holds everything lamina ships.
#include "lamina/models/mass/mass_registry.hpp"
#include "lamina/sim/model_registry.hpp"
#include "lamina/sim/plasticity_registry.hpp"

namespace lamina::compose {

struct registries {
    sim::model_registry models;
    sim::plasticity_registry plasticity;
    models::mass::mass_registry masses;
};

// Every built-in model, rule and mass (models::register_builtin, plasticity::register_builtin,
// models::register_builtin_masses), made once on first use.
const registries& builtin_registries();

} // namespace lamina::compose
