#pragma once
// A model file's [lattice]: the sheet of neural masses it describes, made through the mass
// registry (whatever its mass) and driven batch by batch by the command line or a script.
#include "lamina/compose/model_file.hpp"
#include "lamina/models/mass/mass_registry.hpp"

#include <memory>

namespace lamina::compose {

// step(), time, size, take_recording() and drive() of the lattice, whatever its mass type.
using lattice_run = models::mass::any_lattice;

// The coupling instantiate_lattice() gives the lattice (a matrix prior sampled with the seed of
// the overrides or [run] unless the prior has its own).
models::mass::coupling lattice_coupling(const model_description& d, const run_overrides& o);

// Creates the lattice of a model file with [lattice] (seed and threads from the overrides or
// [run]); every problem is thrown as one model_file_error pointing at the table.
std::unique_ptr<lattice_run> instantiate_lattice(const model_description& d, const run_overrides& o,
                                                 const registries& r = builtin_registries());

} // namespace lamina::compose
