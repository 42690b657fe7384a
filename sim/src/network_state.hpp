#pragma once
// The runtime state of a built network, separated from the schedule that advances it (Arbor's
// simulation state and epoch schedule): the shard layout, device and recorder state, plastic spikes
// in flight, the exchange buffers and per-neuron statistics. Populations and projections, which
// users reach through network's accessors, stay members of network; the phases of a window
// (delivery.cpp, update.cpp, exchange.cpp, recording.cpp) reach everything through an `engine`.
// Private to lamina::sim.
#include "lamina/sim/communicator.hpp"
#include "lamina/sim/devices.hpp"
#include "lamina/sim/network.hpp"
#include "lamina/sim/recorders.hpp"

#include "lamina/sim/thread_team.hpp"
#include "lamina/sim/width_chooser.hpp"

#include <memory>

namespace lamina::sim::detail {

constexpr std::int64_t max_window_steps = 64;

inline std::int64_t delay_steps(double delay_ms, double dt) { return std::llround(delay_ms / dt); }

std::string projection_label(const projection_spec& s, std::size_t index);
// Index of the population `name` (parameter_error naming object and parameter, with suggestions).
std::size_t resolve_population(const std::vector<std::unique_ptr<population>>& pops, const std::string& name,
                               const std::string& object, const std::string& parameter);
std::size_t resolve_port(const population& pop, const std::string& port, const std::string& object);
void check_neurons(const std::vector<std::uint32_t>& neurons, const population& pop, const std::string& object);

// Poisson counts by inversion of a tabulated CDF, compared against one raw 32-bit random word:
// thresholds[k] = P(X <= k) * 2^32, and the count is the first k whose threshold exceeds the word.
struct poisson_table {
    std::vector<std::uint64_t> thresholds;
    std::vector<std::uint32_t> levels;  // the thresholds below 2^32 (a word at or above k of them draws k)
    bool linear = true;
    void init(double lambda);
    bool empty() const noexcept { return thresholds.empty(); }
    unsigned draw(std::uint32_t word) const noexcept {
        const std::uint64_t* t = thresholds.data();
        if (linear) {
            unsigned k = 0;
            while (word >= t[k]) ++k;
            return k;
        }
        return static_cast<unsigned>(std::upper_bound(thresholds.begin(), thresholds.end(), std::uint64_t(word)) -
                                     thresholds.begin());
    }
};

// A Poisson count from one raw 32-bit word by sequential search of the CDF of mean `lambda`
// (p0 = exp(-lambda)): for per-neuron rates, where a table per neuron would cost too much memory.
// The word selects the count as in poisson_table (u = (word + 1/2) / 2^32 against P(X <= k)).
inline unsigned poisson_by_search(std::uint32_t word, double lambda, double p0) noexcept {
    const double u = (static_cast<double>(word) + 0.5) * 0x1.0p-32;
    double p = p0, cdf = p0;
    unsigned k = 0;
    while (u > cdf) {
        ++k;
        p *= lambda / static_cast<double>(k);
        cdf += p;
        if (p == 0.0 && double(k) > lambda) break;  // past the representable tail
    }
    return k;
}

// A device's targets in one shard: either a contiguous range or a list of indices.
struct target_set {
    std::size_t begin = 0, end = 0;
    std::vector<std::uint32_t> list;
    bool is_range = true;
    static std::vector<target_set> split(const std::vector<std::uint32_t>& neurons, const std::vector<std::size_t>& bounds);
};

// Stimulation devices: their specifications (the source of truth, changed by live control and
// stored in checkpoints) and the runtime made from them. Device k of a kind keeps index k for
// good, so its random stream never changes.
struct device_set {
    std::uint64_t seed = 1;  // the run's seed (per-neuron Poisson rates are drawn when made)
    std::vector<poisson_input_spec> poisson_specs;
    std::vector<spike_generator_spec> generator_specs;
    std::vector<current_input_spec> current_specs;
    std::vector<neuron_currents_spec> neuron_current_specs;
    std::vector<noise_current_spec> noise_specs;

    struct poisson_rt {
        std::size_t pop, port;
        std::uint32_t id;
        bool independent;
        double weight;
        std::int64_t start, stop;
        bool in_blocks = false;  // drawn by event_update.cpp per block of steps
        poisson_table table;
        std::vector<target_set> targets;
        // Time-varying rate (poisson_input_spec): the mean count of each step is computed when the
        // step comes and its table built in the shard's own scratch table (apply() runs shards
        // concurrently, each touching only its own).
        enum class shape : std::uint8_t { constant, series, sinusoid, per_neuron };
        shape rate_shape = shape::constant;
        double dt_ms = 0.1;
        std::vector<double> series_times_ms, series_rates_hz;
        double base_hz = 0.0, amplitude_hz = 0.0, omega_per_ms = 0.0, phase_rad = 0.0;
        std::vector<double> neuron_mean, neuron_p0;  // per neuron of the population (0 if not a target)
        mutable std::vector<poisson_table> step_tables;  // per shard
        // Expected count in step n, [n dt, (n + 1) dt), for the series and sinusoid shapes.
        double step_mean(std::int64_t n) const;
    };
    struct generator_rt {
        std::size_t pop, port;
        double weight;
        std::int64_t delay;
        std::vector<std::int64_t> steps;  // emission steps, sorted, with repeats
        std::vector<target_set> targets;
    };
    struct current_rt {
        std::size_t pop;
        std::vector<std::int64_t> steps;
        std::vector<double> amplitudes;
        std::vector<target_set> targets;
    };
    struct neuron_currents_rt {
        std::size_t pop;
        std::vector<double> amplitude;  // per neuron of the population (0 where not targeted)
    };
    std::vector<poisson_rt> poisson;
    std::vector<generator_rt> generators;
    std::vector<current_rt> currents;
    std::vector<neuron_currents_rt> neuron_currents;
    struct noise_rt {
        std::size_t pop;
        std::uint32_t id;
        double mean, sd;
        std::int64_t interval, start, stop;  // steps
        std::vector<target_set> targets;
    };
    std::vector<noise_rt> noise;
    std::vector<std::vector<std::size_t>> poisson_by_pop, generators_by_pop, currents_by_pop, neuron_currents_by_pop,
        noise_by_pop;

    // Makes the runtime of every device from its specification (after check()).
    void build(std::vector<std::unique_ptr<population>>& pops, const std::vector<std::vector<std::size_t>>& bounds,
               double dt);
    // (Re)makes the runtime of one device from its specification.
    void make_poisson(std::size_t k, std::vector<std::unique_ptr<population>>& pops,
                      const std::vector<std::vector<std::size_t>>& bounds, double dt);
    void make_generator(std::size_t k, std::vector<std::unique_ptr<population>>& pops,
                        const std::vector<std::vector<std::size_t>>& bounds, double dt);
    void make_current(std::size_t k, std::vector<std::unique_ptr<population>>& pops,
                      const std::vector<std::vector<std::size_t>>& bounds, double dt);
    void make_neuron_currents(std::size_t k, std::vector<std::unique_ptr<population>>& pops);
    void make_noise(std::size_t k, std::vector<std::unique_ptr<population>>& pops,
                    const std::vector<std::vector<std::size_t>>& bounds, double dt);
    // Adds the devices' input of step n to population q's neurons in shard s.
    void apply(population& pop, std::size_t q, std::size_t s, std::int64_t n, std::uint64_t seed,
               const std::vector<std::size_t>& bounds) const;
};

// The rate of every target of a per-neuron Poisson device (poisson_input_spec::neuron_rates_hz
// or drawn from its rate_distribution), `targets` values.
std::vector<double> resolve_neuron_rates(const poisson_input_spec& spec, std::size_t targets, std::uint64_t seed,
                                         std::uint32_t device);

// Recorders: specifications, and what each keeps between windows.
struct recorder_set {
    std::vector<spike_recorder_spec> spike_specs;
    std::vector<state_recorder_spec> state_specs;
    std::vector<rate_recorder_spec> rate_specs;
    std::vector<weight_recorder_spec> weight_specs;
    std::vector<signal_recorder_spec> signal_specs;

    struct spike_rec_rt {
        std::size_t pop;
        std::vector<std::uint8_t> selected;  // empty: all
        spike_record data;
    };
    struct state_rec_rt {
        std::size_t pop;
        std::vector<std::size_t> vars;
        std::int64_t interval;
        // Per shard: (column, neuron) pairs of the recorded neurons it owns.
        std::vector<std::vector<std::pair<std::size_t, std::uint32_t>>> columns;
        std::vector<double> window_values;  // rows of this window
        std::int64_t first_row_step = 0;    // step whose sample is row 0 of this window
        std::size_t window_rows = 0;
        state_record data;
    };
    struct rate_rec_rt {
        std::size_t pop;
        std::int64_t bin;
        std::int64_t next_bin = 0;          // first bin not yet emitted
        std::vector<std::uint64_t> counts;  // counts of bins next_bin, next_bin+1, ...
        rate_record data;
    };
    struct weight_rec_rt {
        std::size_t projection;
        std::int64_t interval;
        std::int64_t next;  // step at which the next sample is due
        weight_record data;
    };
    struct signal_rec_rt {
        std::size_t pop;
        std::int64_t interval;
        struct term {
            std::size_t a;
            std::ptrdiff_t b;  // -1: none
            double offset, coefficient;
            bool absolute;
            std::size_t delay;  // in samples
        };
        std::vector<term> terms;
        std::size_t blocks = 0;
        // partial[(row * terms + k) * blocks + block] for the rows of this window
        std::vector<double> partial;
        std::int64_t first_row_step = 0;
        std::size_t window_rows = 0;
        std::vector<std::vector<double>> history;  // per term: recent sums (for delays)
        double scale = 1.0;
        signal_record data;
    };
    std::vector<spike_rec_rt> spikes;
    std::vector<state_rec_rt> states;
    std::vector<rate_rec_rt> rates;
    std::vector<weight_rec_rt> weights;
    std::vector<signal_rec_rt> signals;
    std::vector<std::vector<std::size_t>> states_by_pop, signals_by_pop;
    std::size_t recording_bytes = 0;
    bool truncated = false;

    void build(const network& net, const std::vector<std::unique_ptr<population>>& pops,
               const std::vector<std::vector<std::size_t>>& bounds, double dt);
    // Sizes the sample buffers of the window [t0, t0 + W).
    void begin_window(std::int64_t t0, std::int64_t W);
    // Samples state and signal recorders of population q in shard s at the end of step n.
    void sample(const population& pop, std::size_t q, std::size_t s, std::int64_t n, std::size_t b, std::size_t e);
};

// Per-shard buffers of the update phase; a cache line each, so that shards run concurrently
// never write a line another reads.
struct alignas(64) shard_scratch {
    std::vector<std::uint32_t> spikes;  // local indices, in (step, population, index) order
    std::vector<std::uint32_t> counts;  // spikes per (step in window, population)
    std::vector<double> offsets;        // precise populations: offsets parallel to spikes (else unused)
    // Windows run as one team region with one barrier each (schedule.cpp): the shard's spikes of
    // a window copied where the other shards read them, double-buffered (the owner writes window
    // i + 1's while the others still merge window i's), and, on a worker, the merged list of the
    // window before (the caller delivers from network_state::spikes, which it makes meanwhile).
    struct published_spikes {
        std::vector<std::uint32_t> spikes, counts;
    } published[2];
    window_spikes merged;
    // Synaptic events delivered since the schedule last collected them (written by the shard's
    // thread every window, read once per run: a line of its own).
    alignas(64) std::uint64_t events = 0;
};

// Online inter-spike-interval statistics per neuron (steps), for summaries without recording.
struct isi_stats {
    std::vector<std::int64_t> last;
    std::vector<std::uint32_t> count;
    std::vector<double> sum, sum_sq;
};

// Per-arrival-step input lists (arrival_lists.hpp): one shard's, for one target population.
struct arrival_entry {
    std::uint32_t cell;  // port * population size + neuron
    float weight;
};
struct arrival_lists {
    bool active = false;
    std::vector<std::vector<arrival_entry>> slots;  // [arrival step % ring slots]
    double warm_sink = 0.0;  // where the pass that brings a slot into cache leaves its reads
};

struct event_population;
struct precise_population;
struct auto_choice;
struct poisson_block_state;

struct network_state {
    network_state();
    ~network_state();
    device_set devices;
    recorder_set recorders;

    // Neurons of population q in shard s: [bounds[q][s], bounds[q][s+1]). In a distributed run
    // the shards of every process form one layout of ranks x threads shards, and this process's
    // shards are its own slice of it: it owns [bounds[q].front(), bounds[q].back()).
    std::vector<std::vector<std::size_t>> bounds;
    // Neurons of population q owned by process r: [rank_bounds[q][r], rank_bounds[q][r+1]).
    std::vector<std::vector<std::size_t>> rank_bounds;
    std::vector<std::uint64_t> projection_synapses;  // per projection, over all processes
    std::vector<std::vector<std::size_t>> outgoing;  // projections by source population
    std::int64_t window = 1;
    std::size_t ring_slots = 2;

    // pending[projection][shard][arrival step % ring slots]: sources whose spikes reach the
    // synapses of a plastic projection in that step.
    std::vector<std::vector<std::vector<std::vector<std::uint32_t>>>> pending;
    std::vector<std::vector<std::size_t>> plastic_by_target;  // plastic projections by target population

    std::vector<shard_scratch> scratch;
    window_spikes spikes;  // the last window's spikes of every process, delivered next window
    std::shared_ptr<communicator> comm = std::make_shared<local_communicator>();
    std::vector<isi_stats> isi;

    // Event-driven populations (event_update.hpp): null for populations in clock mode.
    std::vector<std::unique_ptr<event_population>> events;
    std::unique_ptr<auto_choice> automatic;
    // Populations with precise spike times (precise_delivery.hpp): null for the others.
    std::vector<std::shared_ptr<precise_population>> precise;
    std::vector<std::unique_ptr<poisson_block_state>> poisson_blocks;  // per Poisson device (null: per step)
    std::vector<std::vector<arrival_lists>> arrivals;  // [shard][population] (arrival_lists.hpp)

    std::int64_t flush_interval = 1;
    std::int64_t next_flush = 0;
    // The network's threads (made at build) and the choice of how many of them run a window.
    std::unique_ptr<thread_team> team;
    width_chooser width;

    // Runs body(s) for every shard on all of the team's threads (build, flushes, live control).
    template <class Body>
    void parallel_shards(std::size_t shards, Body&& body) {
        if (shards == 1 || !team) {
            for (std::size_t s = 0; s < shards; ++s) body(s);
            return;
        }
        team->run(shards, team->size(), body);
    }
};

// What the phases of a window work on.
struct engine {
    const run_config& config;
    std::vector<std::unique_ptr<population>>& populations;
    std::vector<projection>& projections;
    network_state& state;
    std::size_t shards;
};

// The phases of one min-delay window [t0, t0 + W), in order:
// delivery.cpp: the previous window's spikes into shard s's input rings (and plastic queues);
// returns the synaptic events delivered.
std::uint64_t deliver_window(engine& e, std::size_t shard, const window_spikes& spikes);
// update.cpp: for each step and population, shard s's devices, plastic arrivals, neuron update
// and samples; its spikes go to state.scratch[s].
void update_window(engine& e, std::size_t shard, std::int64_t t0, std::int64_t W);
// exchange.cpp: merges the shards' spikes in canonical order, exchanges them through the
// communicator, and updates spike counts and interval statistics.
// `published` < 0: from the shards' own buffers; 0 or 1: from their published copies of that parity.
void exchange_window(engine& e, std::int64_t t0, std::int64_t W, std::vector<std::uint64_t>& spike_counts,
                     int published = -1);
// The merge alone (no communicator, no statistics), into `out`: what exchange_window makes on one
// process, so a worker of a one-barrier region can make its own copy of it.
void merge_window(const engine& e, std::int64_t t0, std::int64_t W, int published, window_spikes& out);
// recording.cpp: spike, state, signal, weight and rate recorders take the window's data (after
// `flush` brings deferred plastic weights up to date when a weight sample is due).
void record_window(engine& e, const network& net, recording_sink* sink, std::int64_t step_after,
                   std::size_t memory_limit, const std::function<void()>& flush);

// The canonical position of every synapse of projection k (see state_block.hpp).
synapse_order canonical_order(const projection& p, std::size_t source_size);

} // namespace lamina::sim::detail
