#pragma once
// The experiments of docs/substrate.md on a substrate configuration: association recall, the
// first idle trigger of a scripted conversation, false triggers, reward and long idle. Tests run
// them on small configurations; examples/agent/substrate_experiments.cpp prints the tables.
// Labels and items are synthetic unless an embedder is given: pair i is ("p<i>", "q<i>"), its
// item a fixed random unit vector (seeded by the pair), so the results are pure functions of the
// configuration and the seed.
#include "lamina/bridges/substrate.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace lamina::bridges {

struct association_result {
    std::size_t pairs = 0, presentations = 0, controls = 0;
    double recall = 0.0;          // fraction of cues (both members of every pair) whose partner is in the top 3
    double control_hits = 0.0;    // the same for control labels (shown alone) and an arbitrary partner
    double chance = 0.0;          // 3 / (labels - 1): a random top 3
    double wall_seconds = 0.0;
};
// `pairs` pairs presented together `presentations` times (rounds over all pairs, 100 ms each,
// 200 ms idle between items), `controls` single labels presented alone as often.
association_result association_recall(const substrate_config& config, std::size_t pairs, std::size_t presentations,
                                      std::size_t controls);

struct first_trigger_result {
    std::uint64_t seed = 0;
    std::size_t exchanges = 0;    // exchanges until the first trigger (0: none within the limit)
    bool names_discussed_pair = false;
    std::vector<std::string> labels;  // of the first trigger
};
// A scripted conversation: each exchange is a message and a reply (100 ms each) naming one of
// `people` people and one of `topics` topics, the (person, topic) pairs of the script drawn from
// a few recurring ones; after each exchange the substrate idles `idle_ms`. Seeds vary the script
// and the substrate.
first_trigger_result first_trigger(substrate_config config, std::uint64_t seed, std::size_t max_exchanges,
                                   double idle_ms = 60000.0);

struct false_trigger_result {
    std::size_t triggers = 0;
    std::size_t unseen_pair_triggers = 0;  // triggers naming two labels never observed together
    double idle_ms = 0.0;
};
// `pairs` pairs each observed once (learning on or off), then `idle_ms` of idle time.
false_trigger_result false_triggers(const substrate_config& config, std::size_t pairs, bool learning, double idle_ms);
// Unseen-pair triggers of a substrate: a trigger whose labels include two that were never observed together.
std::size_t unseen_pair_count(const substrate& s, const std::vector<trigger_event>& events);

struct reward_result {
    std::size_t rewarded_triggers = 0, unrewarded_triggers = 0;
    double ratio = 0.0;
    double rewarded_strength = 0.0, unrewarded_strength = 0.0;  // mean association strength (mV)
};
// 2 x `pairs` pairs with equal exposure (`presentations` each); after each presentation of the
// first half reward(1). Then `idle_ms` of idle time; triggers naming each half are counted.
reward_result reward_experiment(const substrate_config& config, std::size_t pairs, std::size_t presentations,
                                double idle_ms);

// One piece (an hour, or the rest) of a long idle period.
struct idle_piece {
    double end_ms = 0.0;                   // idle time at the end of the piece
    double max_rate_hz = 0.0;              // largest population rate over the piece
    std::size_t triggers = 0, triggers_naming_learned_pairs = 0;
    double recall = 0.0;                   // pair recall (top 3) at the end of the piece
    double wall_seconds = 0.0;
};
struct long_idle_result {
    double idle_ms = 0.0;
    double recall_before = 0.0, recall_after = 0.0;
    double max_rate_hz = 0.0;              // largest population rate over the idle period
    std::size_t triggers = 0, triggers_naming_learned_pairs = 0;
    double wall_seconds = 0.0;
    std::vector<idle_piece> pieces;
};
// Trains `pairs` label pairs `presentations` times, then idles for idle_ms in pieces of at most
// piece_ms; `on_piece` (if set) sees each piece as it ends, so a run of hours reports as it goes.
// Recall is read from the weights only, so measuring it does not change the run.
long_idle_result long_idle(const substrate_config& config, std::size_t pairs, std::size_t presentations, double idle_ms,
                           double piece_ms = 3.6e6, const std::function<void(const idle_piece&)>& on_piece = {});

} // namespace lamina::bridges
