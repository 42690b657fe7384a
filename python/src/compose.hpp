#pragma once
// What the Python module needs from the model-file reader: a network from a model file's text, and
// the names and defaults of the built-in models and rules. Only compose.cpp includes the reader,
// so moving the reader to another library changes that one file.
#include "lamina/sim/network.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace lamina::python {

// A refused model description: every problem, one per line (ValueError in Python).
class description_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct network_options {
    std::optional<int> threads;
    std::optional<std::uint64_t> seed;
    // True for text generated from Python calls: problems are reported by key ("projections[2].weight")
    // without line numbers, which would point into text the user never wrote.
    bool generated = false;
};

// Reads `text` with the model-file reader and creates its network (not yet built), with the
// text as its description so that checkpoints can rebuild it. Like `lamina run`, a description
// without spike, state or rate recorders records the spikes of every population.
std::unique_ptr<sim::network> network_from_text(const std::string& text, const std::string& origin,
                                                const network_options& options);

struct model_info {
    std::string name;
    std::vector<std::string> state_variables;
    std::vector<std::string> ports;
    std::vector<std::pair<std::string, double>> parameters;  // name, default
};
std::vector<model_info> builtin_models();
std::vector<std::string> builtin_plasticity_rules();
std::vector<std::string> builtin_short_term_models();

} // namespace lamina::python
