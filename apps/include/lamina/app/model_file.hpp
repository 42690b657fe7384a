#pragma once
// TOML model files: a description of populations, projections, stimuli, recorders and the run,
// read with toml++ and turned into a sim::network. Every problem is reported before anything is
// built, each with file, line, column, key and what is allowed (docs/model-files.md is the
// reference for every key).
#include "lamina/models/eeg/proxies.hpp"
#include "lamina/models/mass/connectivity_prior.hpp"
#include "lamina/models/mass/lattice.hpp"
#include "lamina/sim/model_registry.hpp"
#include "lamina/sim/network.hpp"
#include "lamina/sim/plasticity_registry.hpp"

#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace lamina::app {

struct source_location {
    int line = 0;
    int column = 0;
};

struct diagnostic {
    std::string file;
    source_location where;
    std::string key;  // e.g. "projections[2].probability"
    std::string message;
    std::string text() const;
};

// All problems of a model file; what() lists them one per line.
class model_file_error : public std::runtime_error {
public:
    explicit model_file_error(std::vector<diagnostic> d);
    const std::vector<diagnostic>& diagnostics() const noexcept { return diagnostics_; }

private:
    std::vector<diagnostic> diagnostics_;
};

struct run_section {
    double duration_ms = 1000.0;
    double dt_ms = 0.1;
    std::uint64_t seed = 1;
    int threads = 0;  // 0: all cores
    std::string output;
};

struct population_description {
    std::string name;
    std::string model;
    std::size_t size = 0;
    std::vector<std::pair<std::string, double>> parameters;
    std::vector<std::pair<std::string, sim::distribution>> initial;
};

// plasticity = { rule = "...", short_term = "...", <parameter> = <number>, ... } of a projection.
struct plasticity_description {
    std::size_t projection = 0;
    std::string rule;
    std::string short_term;
    std::vector<std::pair<std::string, double>> parameters;
};

// [[proxies]]: an EEG/LFP proxy of a population, recorded online by a signal recorder
// (models/eeg/proxies.hpp) and written to /signals/<name> of the result file.
struct proxy_description {
    std::string name;
    std::string type;        // mean_v | sum_abs_currents | lrws | conductance_current
    std::string population;
    double interval_ms = 1.0;
};

// [eeg]: a lead field mixing proxies into electrode traces, written to /signals/<electrode>.
struct eeg_description {
    std::vector<std::string> electrodes;  // rows
    std::vector<std::string> sources;     // columns: proxy names
    std::vector<double> lead_field;       // row-major, electrodes x sources
};

// [lattice]: a sheet of neural masses (models/mass/lattice.hpp) instead of a spiking network. Its
// spatial mean (the EEG-like signal) is recorded as /signals/<name>, chosen nodes' observables as
// /signals/<name>_node<i>.
struct lattice_description {
    std::string name = "lattice";
    std::string model;               // jansen_rit | wilson_cowan | linear_oscillator
    std::size_t rows = 1, cols = 1;
    double spacing_mm = 1.0;
    std::string boundary = "periodic";  // periodic | fixed
    double boundary_value = 0.0;
    std::string scheme = "heun";        // heun | euler_maruyama | rk4
    std::vector<std::pair<std::string, double>> parameters;
    std::string coupling = "none";      // none | laplacian | kernel | matrix
    double kappa = 0.0;                 // laplacian
    double strength = 1.0;              // kernel, matrix
    std::string shape = "gaussian";
    double length_mm = 1.0, radius_mm = 1.0, velocity = 1.0;
    bool normalise = true, diffusive = false;
    // matrix: the connections come from one of `connections` (inline), `file` (HDF5 weights and
    // delays, read and checked by the reader) or `prior` (sampled when the lattice is made, with
    // the run's seed unless the prior sets its own).
    std::string matrix_from;                               // inline | file | prior
    std::vector<models::mass::connection> connections;     // inline and file
    std::string matrix_file;                               // file: the path as resolved
    std::optional<models::mass::connectivity_prior> prior; // prior
    bool prior_seed_given = false;
    double interval_ms = 1.0;
    std::vector<std::uint32_t> nodes;   // recorded node observables
    std::vector<std::string> signal_names() const;  // name, then name_node<i> for each node
};

struct model_description {
    std::string path;
    std::string text;  // the file as read, stored in result files
    run_section run;
    std::vector<population_description> populations;
    std::vector<sim::projection_spec> projections;
    std::vector<sim::poisson_input_spec> poisson_inputs;
    std::vector<sim::spike_generator_spec> spike_generators;
    std::vector<sim::current_input_spec> current_inputs;
    std::vector<sim::spike_recorder_spec> spike_recorders;
    std::vector<sim::state_recorder_spec> state_recorders;
    std::vector<sim::rate_recorder_spec> rate_recorders;
    std::vector<sim::weight_recorder_spec> weight_recorders;
    std::vector<plasticity_description> plasticity;
    std::vector<proxy_description> proxies;
    std::optional<eeg_description> eeg;
    std::optional<lattice_description> lattice;

    // Where things were written, to point engine refusals back at the file: the engine names an
    // object ("projection 'E->I'") and a parameter ("probability").
    struct place {
        source_location where;
        std::string key;
    };
    std::map<std::string, place> objects;                            // object label -> its table
    std::map<std::pair<std::string, std::string>, place> parameters; // (object, parameter) -> key
};

// Reads and checks the syntax, keys and types of a model file; throws model_file_error listing
// every problem found.
model_description load_model_file(const std::string& path);
model_description parse_model_text(const std::string& text, const std::string& path);

struct run_overrides {
    std::optional<int> threads;
    std::optional<std::uint64_t> seed;
    std::optional<double> duration_ms;
    std::optional<std::string> output;
};

// The models and plasticity rules a model file can name.
struct registries {
    sim::model_registry models;
    sim::plasticity_registry plasticity;
};
// Every built-in model and rule (models::register_builtin, plasticity::register_builtin).
const registries& builtin_registries();

// The lead field of the model's [eeg] table (sources in column order), if it has one.
std::optional<models::eeg::lead_field> lead_field_of(const model_description& d);

// Creates the network (not yet built). Every semantic problem (unknown model or parameter, bad
// value, dangling population, unknown port, ...) is collected and thrown as one model_file_error.
// Proxies become signal recorders named after them.
std::unique_ptr<sim::network> instantiate(const model_description& d, const run_overrides& o,
                                          const registries& r = builtin_registries());

// A model file's neural-mass lattice, whatever its mass type.
class lattice_run {
public:
    virtual ~lattice_run() = default;
    virtual void step(std::uint64_t n) = 0;
    virtual std::uint64_t steps_done() const = 0;
    virtual double time_ms() const = 0;
    virtual std::size_t size() const = 0;
    // The samples recorded since the last call: times (ms), spatial mean and node traces
    // (sample-major, one column per lattice_description::nodes entry).
    virtual models::mass::recording take_recording() = 0;
    // Constant extra input per node (the mass's input unit), 0 unless set: the lattice's drive().
    virtual std::span<double> drive() = 0;
};

// The coupling instantiate_lattice() gives the lattice (a matrix prior sampled with the seed of
// the overrides or [run] unless the prior has its own).
models::mass::coupling lattice_coupling(const model_description& d, const run_overrides& o);

// Creates the lattice of a model file with [lattice] (seed and threads from the overrides or
// [run]); every problem is thrown as one model_file_error pointing at the table.
std::unique_ptr<lattice_run> instantiate_lattice(const model_description& d, const run_overrides& o);

} // namespace lamina::app
