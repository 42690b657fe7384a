#pragma once
// The engine side of event-driven populations (docs/engine.md, "Event-driven update"): the
// inputs of each arrival step (a list per ring slot, appended by delivery and devices), the
// calendar of predicted spikes per shard, Poisson input drawn as per-neuron event times in blocks of steps, and the
// choice between clock and event mode for populations set to `auto`. Private to lamina::sim.
#include "network_state.hpp"

namespace lamina::sim::detail {

// Poisson input to event populations: every target neuron's events of a block of
// `poisson_block_steps` steps are drawn at once from a stream keyed by (seed, device, neuron,
// block): a Poisson count for the block, then one uniform step per event. Per step this is the
// same process as a Poisson count per step (given the block total, the events are independent and
// uniform), costs a draw per event instead of per neuron and step, and, keyed by block and not by
// run or thread, it gives the same trains however runs are split and whatever the thread count.
constexpr std::int64_t poisson_block_steps = 1024;

struct poisson_block_state {
    poisson_table block_table;                                      // counts per block
    std::vector<std::int64_t> drawn;                                // per shard: block held in `buckets`
    std::vector<std::vector<std::vector<std::uint32_t>>> buckets;  // [shard][step in block]: targets
};
// Adds Poisson device k's events of step n to shard s's targets (to the input ring, or appended
// to `inputs` if not null); draws the block of n when it is not drawn yet.
void apply_poisson_blocks(engine& e, std::size_t k, std::size_t s, std::int64_t n, std::vector<event_input>* inputs);

// An event population's runtime. Input is kept per shard and arrival step as a list of
// (neuron, port, weight) in the order it was added, instead of the dense input ring (neurons x
// ports x ring slots, tens of MB for 100,000 neurons, a cache miss per input): appending is
// sequential, and the step's lists are summed into the touched neurons' records (lazy_update.hpp).
// Between runs (checkpoints, clock mode) the lists are written into the ring, which is otherwise
// left at zero.
struct event_population {
    std::vector<std::vector<std::vector<event_input>>> inputs;  // [shard][ring slot]
    std::vector<std::vector<std::uint32_t>> touched;            // per shard: this step's touched neurons
    std::vector<std::vector<std::uint32_t>> staged;             // per shard: targets of plastic arrivals
    std::vector<std::vector<std::uint32_t>> driven;             // per shard: neurons with external current
    std::vector<step_calendar> calendars;                       // per shard
    std::vector<std::uint64_t> updates;                         // per shard, since the last decision

    std::vector<event_input>& at(std::size_t s, std::int64_t step, std::size_t ring_slots) noexcept {
        return inputs[s][static_cast<std::size_t>(step) % ring_slots];
    }
};

// Automatic choice: per `auto` population, the expected fraction of neurons an event-driven step
// advances (inputs and own spikes), measured over the last decision interval.
struct auto_choice {
    std::int64_t since = 0;                        // step of the last decision
    std::vector<std::uint64_t> spikes_at_decision;  // spike counts per population then
};

// Resolves every population's update mode at build (throws parameter_error for an explicit
// `event` the population cannot run) and sets up the event populations' runtime.
void setup_event_populations(engine& e);
// Why population q cannot run event-driven now (empty: it can).
std::string event_refusal(const engine& e, std::size_t q);
// Run start: reconciles clock populations' auxiliary state and prepares event populations.
void begin_run(engine& e, std::int64_t first_step);
// Run end (and before a mode change): brings event populations' state arrays up to `last_step`.
void end_run(engine& e, std::int64_t last_step);
// Delivery of one projection's spikes of segment `seg` into an event population's input lists.
std::uint64_t deliver_to_event_population(engine& e, const projection& P, std::size_t s, const window_spikes::segment& seg);
// One step of event population q in shard s: devices, lazy update, samples.
void advance_event_population(engine& e, std::size_t q, std::size_t s, std::int64_t n, spike_sink& sink);
// For `auto` populations, at a window boundary: switches modes when the measured activity says so.
void choose_update_modes(engine& e, std::int64_t step, const std::vector<std::uint64_t>& spike_counts);

} // namespace lamina::sim::detail
