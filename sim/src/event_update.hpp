#pragma once
// The engine side of event-driven populations (docs/engine.md, "Event-driven update"): which
// neurons input reached in each arrival step (a bitmap per ring slot, set by delivery and
// devices), the lazy bookkeeping per neuron (anchor, predicted spike), the calendar of predicted
// spikes per shard, Poisson input drawn as per-neuron event times in blocks of steps, and the
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
// Adds Poisson device k's events of step n to shard s's targets (marking them in `touched` if
// not null); draws the block of n when it is not drawn yet.
void apply_poisson_blocks(engine& e, std::size_t k, std::size_t s, std::int64_t n, std::uint64_t* touched);

struct event_population {
    std::size_t words = 0;                   // 64-neuron words per bitmap
    std::vector<std::uint64_t> touched;      // ring slots x words
    std::vector<std::int64_t> anchor, due;   // per neuron
    std::vector<step_calendar> calendars;    // per shard
    std::vector<std::uint64_t> updates;      // per shard, since the last decision

    std::uint64_t* slot(std::int64_t step, std::size_t ring_slots) noexcept {
        return touched.data() + (static_cast<std::size_t>(step) % ring_slots) * words;
    }
    static void mark(std::uint64_t* bits, std::size_t i) noexcept { bits[i >> 6] |= std::uint64_t(1) << (i & 63); }
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
// Delivery of one projection's spikes of segment `seg` into an event population, marking targets.
std::uint64_t deliver_to_event_population(engine& e, const projection& P, std::size_t s, const window_spikes::segment& seg);
// One step of event population q in shard s: devices, lazy update, samples.
void advance_event_population(engine& e, std::size_t q, std::size_t s, std::int64_t n, spike_sink& sink);
// For `auto` populations, at a window boundary: switches modes when the measured activity says so.
void choose_update_modes(engine& e, std::int64_t step, const std::vector<std::uint64_t>& spike_counts);

} // namespace lamina::sim::detail
