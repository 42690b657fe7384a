#pragma once
// Restoring a checkpoint without the model file it came from: the checkpoint carries the model's
// text (sim/checkpoint.hpp), which is read again, instantiated with the checkpoint's seed and the
// caller's thread count, built, and given the saved state. `lamina resume`, the Python module's
// lamina.restore and C++ callers all restore this way.
#include "lamina/compose/model_file.hpp"
#include "lamina/sim/checkpoint.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace lamina::compose {

struct restored_network {
    sim::checkpoint_header header;
    model_description description;
    std::unique_ptr<sim::network> network;
};

// Throws sim::checkpoint_error for a file that is not a usable checkpoint (what is wrong, exit 2 on
// the command line) and model_file_error if its description no longer reads. `adjust` may change
// the description before instantiation the way the original caller did (e.g. the command line's
// default recorders).
// `comm` makes the network one process of a distributed run (every process restores the same
// file and keeps its own part; sim/checkpoint.hpp).
restored_network restore_checkpoint(const std::string& path, std::optional<int> threads = std::nullopt,
                                    const std::function<void(model_description&)>& adjust = {},
                                    const registries& r = builtin_registries(),
                                    std::shared_ptr<sim::communicator> comm = nullptr);

} // namespace lamina::compose
