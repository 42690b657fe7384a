#pragma once
// The network: populations, projections, devices and recorders, and the loop that advances them.
//
// Phase order of one min-delay window of W steps (W = the smallest delay in the network, so no
// spike emitted inside a window is due inside it; the same window a distributed run exchanges
// spikes over, as NEST's min_delay slices and Arbor's epochs):
//   in parallel, per shard (a contiguous slice of every population, owned by one task):
//     1. deliver the previous window's spikes into the input rings of the shard's own neurons
//     2. for each step, for each population: devices add input, the model advances, the input
//        slot is cleared, state recorders sample
//   serially:
//     3. exchange: merge the shards' spikes into one list in canonical order (step, population,
//        neuron), which is what a communicator gathers across processes
//     4. spike and rate recorders read the merged list; data is flushed to sinks
// Every floating-point sum therefore happens in an order that does not depend on the number of
// shards, and with counter-based random streams the spike trains are bitwise identical for any
// thread count.
#include "lamina/sim/connection.hpp"
#include "lamina/sim/devices.hpp"
#include "lamina/sim/population.hpp"
#include "lamina/sim/recorders.hpp"

#include <span>
#include <string_view>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace lamina::sim {

class communicator;
namespace detail {
struct network_state;
}

struct run_config {
    double dt_ms = 0.1;
    std::uint64_t seed = 1;
    int threads = 0;  // 0: all cores
    // Threads are a maximum: a window runs on one thread when that measures faster (small
    // networks, a loaded machine). false: every window uses all of them (for measurements).
    bool adaptive_threads = true;
    // In-memory recording budget, summed over recorders; beyond it recording stops and
    // `recording_truncated()` says so. Irrelevant for recorders with a sink.
    std::size_t recording_memory_limit = std::size_t(2) << 30;
};

struct build_statistics {
    double build_seconds = 0.0;
    std::uint64_t neurons = 0;
    std::uint64_t synapses = 0;
    std::size_t synapse_bytes = 0;      // connectivity storage, all indexing included
    std::size_t state_bytes = 0;        // neuron state and input rings
    std::size_t plasticity_bytes = 0;   // reverse indices, synapse variables and traces of plastic projections
    std::size_t rank_synapse_bytes = 0;  // connectivity storage of this process (of a distributed run)
    std::int64_t min_delay_steps = 0;
    std::int64_t max_delay_steps = 0;
    double bytes_per_synapse() const { return synapses ? double(synapse_bytes) / double(synapses) : 0.0; }
};

// Spike count, rate and irregularity of a population since the start of the run.
struct spike_statistics {
    std::uint64_t spikes = 0;
    double rate_hz = 0.0;
    double mean_cv_isi = 0.0;    // mean over neurons with at least two intervals; NaN if none
    std::size_t cv_neurons = 0;  // neurons that entered the mean
};

class network {
public:
    explicit network(run_config config = {});
    ~network();
    network(const network&) = delete;
    network& operator=(const network&) = delete;

    const run_config& config() const noexcept { return config_; }

    // Construction -------------------------------------------------------------------------------
    template <neuron_model M>
    population_of<M>& add_population(const std::string& name, std::size_t size, typename M::parameters params = {}) {
        check_new_population(name, size);
        auto p = std::make_unique<population_of<M>>(name, size, params);
        p->bind(config_.seed, static_cast<std::uint32_t>(populations_.size()));
        auto& ref = *p;
        populations_.push_back(std::move(p));
        return ref;
    }
    // For registries: adds an already constructed population.
    population& add_population(std::unique_ptr<population> p);

    std::size_t connect(projection_spec spec);
    std::size_t add_poisson_input(poisson_input_spec spec);
    std::size_t add_spike_generator(spike_generator_spec spec);
    std::size_t add_current_input(current_input_spec spec);
    std::size_t add_noise_current(noise_current_spec spec);
    std::size_t record_spikes(spike_recorder_spec spec);
    std::size_t record_state(state_recorder_spec spec);
    std::size_t record_rate(rate_recorder_spec spec);
    std::size_t record_weights(weight_recorder_spec spec);
    std::size_t record_signal(signal_recorder_spec spec);
    // Streams every recorder's data to `sink` instead of keeping it in memory.
    void set_recording_sink(recording_sink* sink) { sink_ = sink; }

    // Checks every object (parameters, names, ports, delays, probabilities) without building and
    // returns all refusals, each naming its object and parameter.
    std::vector<parameter_error> check() const;
    // check() plus the memory estimate; throws the first refusal (parameter_error) or a
    // capacity_error when the estimate exceeds the available memory.
    void validate() const;
    // Estimated bytes for state, rings and synapses, from the rules' expected synapse counts.
    std::size_t estimate_memory() const;
    // Expected number of synapses from the rules (exact for all but pairwise_bernoulli).
    std::uint64_t expected_synapse_count() const;
    // Validates, builds connectivity and initial state. run() calls it when needed.
    void build();
    bool built() const noexcept { return built_; }

    // Simulation ---------------------------------------------------------------------------------
    // Advances the network by `duration_ms` (rounded to whole steps). Runs can be chained: any
    // sequence of runs gives bitwise the spikes, states, weights and signals of one run of the
    // summed duration, whatever the thread count (the window schedule restarts where it stopped).
    void run(double duration_ms);
    void run_steps(std::int64_t steps);
    // Asks a running run() to stop at the next window boundary (safe from a signal handler); the
    // network stays consistent and can run on.
    void request_stop() noexcept { stop_requested_ = 1; }
    bool stopped_early() const noexcept { return stopped_early_; }

    std::int64_t current_step() const noexcept { return step_; }
    double current_time_ms() const noexcept { return double(step_) * config_.dt_ms; }
    int threads() const noexcept { return threads_; }
    std::size_t shard_count() const noexcept { return shards_; }
    // How the windows ran so far: the team's threads (at most the cores), and how many windows ran
    // on all of them and on one (see run_config::adaptive_threads). Zero before build.
    struct thread_usage {
        int team_threads = 0;
        std::uint64_t windows_on_all = 0, windows_on_one = 0, switches = 0;
    };
    thread_usage thread_statistics() const noexcept;

    // Live control: between runs ---------------------------------------------------------------
    // Everything here takes effect from the current step on. What the built structure fixes
    // (populations, projections, delays, recorders) cannot change; asking is an error.
    //
    // A model parameter of a whole population, checked like at build time: a refused value
    // (parameter_error naming population and parameter) leaves the old one in place.
    void set_parameter(std::size_t population, std::string_view name, double value);
    // A state variable of every neuron of a population, in place (writable; valid as long as the
    // network lives). Builds the network if needed.
    std::span<double> state_values(std::size_t population, std::string_view variable);
    // Sets a state variable of the neurons listed (all if empty) to `values` (one value for all,
    // or one per listed neuron).
    void set_state(std::size_t population, std::string_view variable, std::span<const std::uint32_t> neurons,
                   std::span<const double> values);
    // Stimuli. add_poisson_input, add_spike_generator, add_current_input and add_neuron_currents
    // may also be called after build; the device acts from the current step on.
    // Rate of Poisson input k from now on (0 stops it).
    void set_poisson_rate(std::size_t poisson_input, double rate_hz);
    // Amplitude of current input k from now on, replacing the rest of its schedule (0 stops it).
    void set_current_amplitude(std::size_t current_input, double amplitude_pA);
    // Mean and standard deviation (pA) of noise current k from now on.
    void set_noise(std::size_t noise_current, double mean_pA, double sd_pA);
    // More spikes for spike generator k, at times (ms) after the current time.
    void inject_spikes(std::size_t spike_generator, std::span<const double> times_ms);
    // A constant current per neuron (e.g. a population code), changed with set_neuron_currents.
    std::size_t add_neuron_currents(neuron_currents_spec spec);
    void set_neuron_currents(std::size_t neuron_currents, std::span<const double> amplitudes_pA);
    // Delivers a neuromodulatory signal (e.g. dopamine) to plastic projection k now.
    void modulate(std::size_t projection, double amount);
    // Plasticity of projection k off and on. While off the projection transmits its current weights
    // unchanged, and spikes emitted while it is off enter neither weights nor traces; spikes in
    // flight when it is switched keep the state they were emitted in.
    void set_plasticity_enabled(std::size_t projection, bool enabled);
    bool plasticity_enabled(std::size_t projection) const;
    // Writes the weights of projection k in canonical order (as weights() returns them); a
    // projection with one shared weight becomes one with a weight per synapse.
    void set_weights(std::size_t projection, std::span<const float> weights);
    // The spikes recorder r kept since the previous take (or the start); its memory is released.
    spike_record take_spikes(std::size_t recorder);

    // Checkpoints ------------------------------------------------------------------------------
    // The description the network was made from (a model file's text and where it came from);
    // stored in checkpoints so that they can be restored without the original file.
    void set_description(std::string text, std::string origin);
    const std::string& description() const noexcept { return description_; }
    const std::string& description_origin() const noexcept { return description_origin_; }
    // Writes the complete dynamic state (checkpoint.hpp describes the file) atomically: the file
    // appears under `path` only when complete. Builds the network if needed.
    void save_checkpoint(const std::string& path);
    // Loads a checkpoint into a network made from the same description (any thread count); throws
    // checkpoint_error when the file is not a lamina checkpoint, is damaged, has another format
    // version or belongs to another network. Continuing gives bitwise the results of never
    // having stopped. The whole file is read and every array checked before the network changes,
    // so a refused file leaves the network as it was.
    void load_checkpoint(const std::string& path);

    // Access -------------------------------------------------------------------------------------
    std::size_t population_count() const noexcept { return populations_.size(); }
    population& population_at(std::size_t i) { return *populations_.at(i); }
    const population& population_at(std::size_t i) const { return *populations_.at(i); }
    population& find_population(const std::string& name);
    const std::vector<projection>& projections() const noexcept { return projections_; }
    // The plasticity state of projection k: its rule's instance, created at build from the
    // specification's prototype (throws sim::error before build or for a static projection).
    const sim::plasticity& plasticity_of(std::size_t projection) const;
    const build_statistics& statistics() const noexcept { return stats_; }
    // Total spikes per population since the start.
    const std::vector<std::uint64_t>& spike_counts() const noexcept { return spike_counts_; }
    // Synaptic events delivered so far: counted when delivered, so the spikes of a run's last
    // window are counted when the next run starts.
    std::uint64_t synaptic_events() const noexcept { return synaptic_events_; }
    // Rate and ISI irregularity from online per-neuron statistics (no recorder needed).
    spike_statistics population_statistics(std::size_t population) const;

    const spike_record& spikes(std::size_t recorder) const;
    const state_record& states(std::size_t recorder) const;
    const rate_record& rates(std::size_t recorder) const;
    const weight_record& weight_samples(std::size_t recorder) const;
    const signal_record& signal(std::size_t recorder) const;
    const std::string& signal_recorder_name(std::size_t recorder) const;
    const std::string& signal_recorder_population(std::size_t recorder) const;
    const std::string& signal_recorder_unit(std::size_t recorder) const;
    std::size_t signal_recorder_count() const;
    const std::string& weight_recorder_name(std::size_t recorder) const;
    std::size_t weight_recorder_count() const;
    // Index of the projection named `name` (throws sim::error if there is none).
    std::size_t projection_index(const std::string& name) const;
    // Weights of projection k in canonical order (by source, then target).
    std::vector<float> weights(std::size_t projection) const;
    const std::string& spike_recorder_name(std::size_t recorder) const;
    const std::string& state_recorder_name(std::size_t recorder) const;
    const std::string& rate_recorder_name(std::size_t recorder) const;
    std::size_t spike_recorder_count() const;
    std::size_t state_recorder_count() const;
    std::size_t rate_recorder_count() const;
    std::size_t recording_memory_bytes() const;
    bool recording_truncated() const noexcept;

    // Weights of a projection in canonical order (by source, then target), with their sources and
    // targets: for inspection, export and tests.
    struct synapse_table {
        std::vector<std::uint32_t> source, target;
        std::vector<float> weight;
        std::vector<double> delay_ms;
    };
    synapse_table synapses(std::size_t projection) const;

    // The exchange goes through `c` (a distributed run's communicator); set before build.
    void set_communicator(std::shared_ptr<communicator> c);
    // This process's rank and the number of processes of the run (0 and 1 unless distributed).
    int rank() const noexcept;
    int ranks() const noexcept;
    // Synapses of projection k in the whole network (a distributed run's processes each hold
    // their own targets' synapses: projections()[k].synapse_count() counts this process's).
    std::uint64_t projection_synapse_count(std::size_t projection) const;

private:
    std::pair<std::uint64_t, std::uint64_t> endpoint_sizes(const projection_spec& s) const;
    const spatial_layout* source_layout(const projection_spec& s) const;
    void check_new_population(const std::string& name, std::size_t size) const;

    run_config config_;
    int threads_ = 1;
    std::size_t shards_ = 1;
    std::vector<std::unique_ptr<population>> populations_;
    std::vector<projection> projections_;
    std::unique_ptr<detail::network_state> state_;
    build_statistics stats_;
    std::vector<std::uint64_t> spike_counts_;
    std::uint64_t synaptic_events_ = 0;
    std::int64_t step_ = 0;
    bool built_ = false;
    bool stopped_early_ = false;
    volatile int stop_requested_ = 0;
    recording_sink* sink_ = nullptr;
    std::string description_;
    std::string description_origin_;
    // Set while load_checkpoint changes the network, cleared when it succeeds: a network a failed
    // load left half-changed refuses to run or save instead of computing garbage.
    bool load_failed_ = false;
    // Runtime state as at step 0 on the built connectivity (network_build.cpp).
    void make_runtime_state();
    static const char* const half_loaded_message;
    void check_loaded_state(const std::string& path, const std::vector<state_block>& populations,
                            const std::vector<state_block>& projections, const state_block& recorders,
                            const state_block& exchange) const;
    // modulate() before build: applied to the rule instances when they are made.
    std::vector<std::pair<std::size_t, double>> pending_modulation_;
    // Brings deferred plastic weights up to date (every shard), at the current step. Const because
    // it changes no result: a deferred rule gives the same weights whenever it is flushed, so
    // readers of weights flush first instead of every run flushing at its end.
    void flush_plasticity() const;
    // A device added after build: checked like every object (rollback() undoes the addition and
    // the first refusal is thrown), then its runtime is made.
    void admit_device(const std::function<void()>& rollback, const std::function<void()>& make);
    // Spike times for a generator of a built network: after the current time, within its rings.
    void check_live_generator(const spike_generator_spec& spec, std::span<const double> times_ms) const;
};

} // namespace lamina::sim
