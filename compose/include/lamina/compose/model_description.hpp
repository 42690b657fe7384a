#pragma once
// What a model file says, as plain structs: the run, populations, projections (with plasticity),
// stimuli, recorders, EEG proxies and lead field, or a lattice of neural masses; and the
// diagnostics that point a refusal at file, line, column and key. The reader (model_file.hpp)
// fills these; instantiate() and instantiate_lattice() turn them into engine objects.
// docs/model-files.md is the reference for every key.
#include "lamina/models/mass/connectivity_prior.hpp"
#include "lamina/models/mass/lattice.hpp"
#include "lamina/sim/network.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace lamina::compose {

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
    sim::update_mode update = sim::update_mode::clock;  // update = "clock" | "event" | "auto"
    bool precise = false;  // precise = true (beside update, or in params): off-grid spike times
    sim::spatial_layout layout;                          // positions = { layout = ..., ... }
    // Heterogeneous parameters: named per-neuron random variables, and parameters given as a
    // distribution, an array (inline or from a file, already read) or an expression.
    std::vector<std::pair<std::string, sim::distribution>> variables;
    std::vector<std::pair<std::string, sim::per_neuron_value>> per_neuron;
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
    std::string model;               // a mass of the mass registry: jansen_rit | wilson_cowan | linear_oscillator
    std::size_t rows = 1, cols = 1;
    double spacing_mm = 1.0;
    std::string boundary = "periodic";  // periodic | fixed
    double boundary_value = 0.0;
    std::string scheme = "heun";        // heun | euler_maruyama | rk4
    std::vector<std::pair<std::string, double>> parameters;
    std::string coupling = "none";      // none | laplacian | kernel | matrix
    double kappa = 0.0;                 // laplacian
    std::vector<double> diffusion;      // laplacian: D per state variable, mm^2/ms
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
    std::vector<sim::neuron_currents_spec> neuron_currents;
    std::vector<sim::noise_current_spec> noise_currents;
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

    // Where a refusal of `parameter` of `object` points: the parameter's key, else the object's
    // table, else nowhere (line 0).
    place place_of(const std::string& object, const std::string& parameter) const;
};

} // namespace lamina::compose
