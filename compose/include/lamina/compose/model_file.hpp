#pragma once
// TOML model files: read a description (model_description.hpp) with every problem reported before
// anything is built, each with file, line, column, key and what is allowed; then turn it into a
// sim::network (a lattice of neural masses: lattice_run.hpp).
#include "lamina/compose/model_description.hpp"
#include "lamina/compose/registries.hpp"
#include "lamina/models/eeg/proxies.hpp"
#include "lamina/sim/network.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace lamina::compose {

// Reads and checks the syntax, keys and types of a model file; throws model_file_error listing
// every problem found. The registries give the names a [lattice] may use for its mass.
model_description load_model_file(const std::string& path, const registries& r = builtin_registries());
model_description parse_model_text(const std::string& text, const std::string& path,
                                   const registries& r = builtin_registries());

// What the command line (or a caller) sets over the file's [run].
struct run_overrides {
    std::optional<int> threads;
    std::optional<std::uint64_t> seed;
    std::optional<double> duration_ms;
    std::optional<std::string> output;
    std::optional<bool> adaptive_threads;  // sim::run_config::adaptive_threads (measurements)
};

// The lead field of the model's [eeg] table (sources in column order), if it has one.
std::optional<models::eeg::lead_field> lead_field_of(const model_description& d);

// Creates the network (not yet built). Every semantic problem (unknown model or parameter, bad
// value, dangling population, unknown port, ...) is collected and thrown as one model_file_error.
// Proxies become signal recorders named after them.
std::unique_ptr<sim::network> instantiate(const model_description& d, const run_overrides& o,
                                          const registries& r = builtin_registries());

} // namespace lamina::compose
