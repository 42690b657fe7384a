#pragma once
// A run's recordings in one HDF5 file, streamed while the network runs, and a reader for it.
//
// Layout (SONATA spike-report layout for spikes, so bmtk, pySONATA and NEST-adjacent tools read it):
//   /                         attributes magic = 0x0A7A (uint32), version = [0, 1] (uint32, SONATA),
//                             lamina_format = "lamina-result", lamina_format_version = 1
//   /spikes/<population>      attribute sorting = "by_time" ("none" if several recorders of the
//                             population interleaved out of time order), recorders = [names]
//     timestamps              float64 [N], attribute units = "ms"
//     node_ids                uint64 [N], index of the neuron within the population
//   /states/<recorder>        attribute population
//     times                   float64 [S], attribute units = "ms"
//     values                  float64 [S, neurons * variables], neuron-major, variable-minor within
//                             a row (the state_record layout)
//     neurons                 uint32 [neurons]
//     variables               string [variables]
//   /rates/<recorder>         attributes population, bin_ms
//     bin_start               float64 [B], attribute units = "ms"
//     rate                    float64 [B], attribute units = "Hz"
//   /signals/<recorder>       attribute population (population signals: LFP and EEG proxies)
//     times                   float64 [S], attribute units = "ms"
//     values                  float64 [S]
//   /weights/<recorder>       attribute projection
//     times                   float64 [S], attribute units = "ms"
//     values                  float32 [S, synapses], canonical synapse order (by source, then target)
//   /metadata                 one attribute per key (string, float64 or int64); strings longer
//                             than 16 KiB (model file texts) are scalar string datasets instead
//
// The writer writes to "<path>.tmp-<pid>" in the same directory and only finish() renames it to
// <path>, so a file under the final name is always complete; a writer destroyed without finish()
// (an exception, a crash of the caller's logic) removes its temporary file. Every sink call
// appends straight to chunked, extendible datasets: memory does not grow with the run length.
#include "lamina/sim/recorders.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace lamina::sim {

class network;

using metadata_value = std::variant<std::string, double, std::int64_t>;

struct result_file_options {
    // Elements per chunk of each streamed dataset (a 2-D chunk holds whole rows of about this
    // many elements). Every dataset takes at least one chunk on disk; HDF5 caches up to 1 MiB of
    // chunks per dataset, so chunks should stay below that.
    std::size_t chunk_elements = 16384;
    // 1-9: compress chunks (shuffle + deflate, readable everywhere); 0: store them raw.
    int deflate_level = 0;
};

class result_file_writer final : public recording_sink {
public:
    // Metadata keys the writer and set_run_metadata() fill in.
    static constexpr const char* key_version = "lamina_version";          // set by the constructor
    static constexpr const char* key_created = "created";                 // UTC, ISO 8601; constructor
    static constexpr const char* key_model = "model";                     // model file text (caller)
    static constexpr const char* key_seed = "seed";
    static constexpr const char* key_threads = "threads";
    static constexpr const char* key_dt = "dt_ms";
    static constexpr const char* key_neurons = "neurons";
    static constexpr const char* key_synapses = "synapses";
    static constexpr const char* key_build_seconds = "build_seconds";
    static constexpr const char* key_simulation_seconds = "simulation_seconds";  // caller
    static constexpr const char* key_model_time = "model_time_ms";
    static constexpr const char* key_interrupted = "interrupted";          // set by finish(), 0/1

    // Creates the temporary file. spike_populations maps spike recorder names to the population
    // they record (/spikes/<population>); several recorders may share a population. Throws
    // lamina::sim::error (naming the path) when the file cannot be created.
    explicit result_file_writer(std::string path, const std::map<std::string, std::string>& spike_populations = {},
                                result_file_options options = {});
    // Without a successful finish(): closes and removes the temporary file. Never throws.
    ~result_file_writer() override;
    result_file_writer(const result_file_writer&) = delete;
    result_file_writer& operator=(const result_file_writer&) = delete;

    // Recorders must be registered before the run delivers their data.
    void add_spike_recorder(const std::string& recorder, const std::string& population);
    void add_state_recorder(const std::string& recorder, const std::string& population,
                            const std::vector<std::uint32_t>& neurons, const std::vector<std::string>& variables);
    void add_rate_recorder(const std::string& recorder, const std::string& population, double bin_ms);
    void add_weight_recorder(const std::string& recorder, const std::string& projection, std::size_t synapses);
    // `unit` (of the values, e.g. "mV", "pA"; empty: unknown) is the values' "units" attribute.
    void add_signal_recorder(const std::string& recorder, const std::string& population,
                             const std::string& unit = "");
    // Registers every recorder of a built network not registered yet, taking neurons, variables and
    // bin widths from it; recorder_populations maps recorder names (of any kind) to populations.
    void add_recorders(const network& net, const std::map<std::string, std::string>& recorder_populations);

    // Metadata, written by finish(); a key set twice keeps the last value.
    void set_metadata(const std::string& key, std::string_view value);
    void set_metadata(const std::string& key, const char* value) { set_metadata(key, std::string_view(value)); }
    void set_metadata(const std::string& key, const std::string& value) { set_metadata(key, std::string_view(value)); }
    template <class T>
        requires std::is_arithmetic_v<T>
    void set_metadata(const std::string& key, T value) {
        if constexpr (std::is_floating_point_v<T>)
            set_metadata_value(key, metadata_value(double(value)));
        else
            set_metadata_value(key, metadata_value(static_cast<std::int64_t>(value)));
    }
    // seed, threads, dt_ms, neurons, synapses, build_seconds and model_time_ms of `net`.
    void set_run_metadata(const network& net);

    // recording_sink: called by the engine once per window.
    void spikes(const std::string& recorder, std::span<const double> times_ms,
                std::span<const std::uint32_t> neurons) override;
    void samples(const std::string& recorder, std::span<const double> times_ms,
                 std::span<const double> values) override;
    void rates(const std::string& recorder, std::span<const double> bin_start_ms,
               std::span<const double> rate_hz) override;
    void weights(const std::string& recorder, double time_ms, std::span<const float> values) override;
    void signals(const std::string& recorder, std::span<const double> times_ms,
                 std::span<const double> values) override;

    // Writes the metadata (interrupted = 0/1), closes the file and renames it to path(). Throws
    // lamina::sim::error on failure (the temporary file is then removed by the destructor), or if a
    // sink call failed before.
    void finish(bool interrupted = false);

    bool finished() const noexcept;
    const std::string& path() const noexcept;
    const std::string& temporary_path() const noexcept;

private:
    struct impl;
    void set_metadata_value(const std::string& key, metadata_value value);
    std::unique_ptr<impl> impl_;
};

// Reading ------------------------------------------------------------------------------------------

struct result_spikes {
    std::vector<double> timestamps_ms;
    std::vector<std::uint64_t> node_ids;
    std::string sorting;  // "by_time", "by_id", "none", or empty when absent
};
struct result_states {
    std::string population;
    state_record data;
};
struct result_rates {
    std::string population;
    rate_record data;
};

struct result_weights {
    std::string projection;
    weight_record data;
};

struct result_signals {
    std::string population;
    std::string unit;  // "units" of the values; empty when the file does not say
    signal_record data;
};

struct result_file_contents {
    std::map<std::string, result_signals> signals;  // by recorder
    std::map<std::string, result_weights> weights;  // by recorder
    std::map<std::string, result_spikes> spikes;  // by population
    std::map<std::string, result_states> states;  // by recorder
    std::map<std::string, result_rates> rates;    // by recorder
    std::map<std::string, metadata_value> metadata;
};

// Everything in a result file (or the spikes of any SONATA spike file). Throws lamina::sim::error.
result_file_contents read_result_file(const std::string& path);

// Sizes and metadata only, without reading the recorded data.
struct result_file_summary {
    struct spikes_info {
        std::uint64_t count = 0;
        std::string sorting;
    };
    struct states_info {
        std::string population;
        std::uint64_t samples = 0;
        std::vector<std::uint32_t> neurons;
        std::vector<std::string> variables;
    };
    struct rates_info {
        std::string population;
        double bin_ms = 0.0;
        std::uint64_t bins = 0;
    };
    std::map<std::string, spikes_info> spikes;  // by population
    std::map<std::string, states_info> states;  // by recorder
    std::map<std::string, rates_info> rates;    // by recorder
    struct weights_info {
        std::string projection;
        std::uint64_t samples = 0;
        std::uint64_t synapses = 0;
    };
    std::map<std::string, weights_info> weights;  // by recorder
    struct signals_info {
        std::string population;
        std::string unit;  // "units" of the values; empty when the file does not say
        std::uint64_t samples = 0;
    };
    std::map<std::string, signals_info> signals;  // by recorder
    std::map<std::string, metadata_value> metadata;
};
result_file_summary read_result_summary(const std::string& path);

} // namespace lamina::sim
