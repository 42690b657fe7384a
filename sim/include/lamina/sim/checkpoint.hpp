#pragma once
// Checkpoint files: the complete dynamic state of a network, to continue a run later (or on
// another thread count) with bitwise the results of never having stopped.
//
// A checkpoint is an HDF5 file with the attributes
//   format = "lamina-checkpoint", format_version (checkpoint_format_version), lamina_version,
//   step, dt_ms, seed, threads (of the run that wrote it), description (the model text) and
//   description_origin (where it came from),
// and one group per state holder: populations (state variables, refractory counters, input rings),
// projections (weights of plastic or rewritten projections, synapse variables, traces, pending
// plastic arrivals), devices (their current specifications), recorders (partial bins, delay lines)
// and the exchange (the spikes of the last window, delivered when the run continues). Everything is
// stored in canonical order (neuron index, canonical synapse order), never in the layout of the
// shards that wrote it. Connectivity is not stored: a network made from the description with the
// same seed draws the same synapses (counter-based random streams), and a fingerprint (sizes,
// models, synapse counts) refuses a checkpoint of another network.
#include "lamina/sim/error.hpp"

#include <cstdint>
#include <string>

namespace lamina::sim {

inline constexpr int checkpoint_format_version = 1;

// A file that is not a readable lamina checkpoint of this format, or of another network.
class checkpoint_error : public error {
public:
    using error::error;
};

struct checkpoint_header {
    int format_version = 0;
    std::string lamina_version;
    std::int64_t step = 0;
    double dt_ms = 0.0;
    std::uint64_t seed = 0;
    int threads = 0;
    std::string description;
    std::string description_origin;
    double time_ms() const noexcept { return double(step) * dt_ms; }
};

// Reads and checks the header of a checkpoint (throws checkpoint_error saying what is wrong).
checkpoint_header read_checkpoint_header(const std::string& path);

} // namespace lamina::sim
