#pragma once
// What `lamina run` and `lamina check` share: their options, the overrides they put over the
// file's [run], the default result file and recorders, and how model-file problems are printed.
#include "lamina/compose/model_file.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace lamina::app {

struct model_options {
    std::string model;
    std::optional<int> threads;
    std::optional<std::uint64_t> seed;
    std::optional<double> duration;
    std::string out;
    bool json = false;
    bool quiet = false;
    std::string checkpoint;                  // --checkpoint FILE
    std::optional<double> checkpoint_every;  // --checkpoint-every MS
};

compose::run_overrides overrides_of(const model_options& o);

// --out, else the file's run.output, else <model file stem>.h5.
std::string default_output(const compose::model_description& d, const model_options& o);

// Without any [[recorders]], a run records the spikes of every population.
void add_default_recorders(compose::model_description& d);

// Builds and runs a network made from `d` for duration_ms from where it stands (a restored network
// continues), streams its recorders to `output`, writes checkpoints as the options ask, and prints
// the summary (run.cpp; `lamina run` and `lamina resume`). Returns the exit status.
int run_network(const compose::model_description& d, sim::network& net, const model_options& o, double duration_ms,
                const std::string& output);

// Prints every problem and a count on stderr; returns exit_bad_input.
int report(const compose::model_file_error& e);

} // namespace lamina::app
