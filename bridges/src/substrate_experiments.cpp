#include "lamina/bridges/substrate_experiments.hpp"

#include "lamina/sim/rng.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fmt/format.h>
#include <set>

namespace lamina::bridges {

namespace {

constexpr std::uint32_t item_stream = 0x4954;    // "IT"
constexpr std::uint32_t script_stream = 0x5343;  // "SC"

std::vector<double> item(std::size_t dims, std::uint64_t seed, std::uint64_t which) {
    sim::random_stream r(seed, sim::stream_purpose::user, item_stream, which);
    std::vector<double> v(dims);
    double n = 0.0;
    for (double& x : v) {
        x = r.normal();
        n += x * x;
    }
    for (double& x : v) x /= std::sqrt(n);
    return v;
}

std::string P(std::size_t i) { return fmt::format("p{}", i); }
std::string Q(std::size_t i) { return fmt::format("q{}", i); }

// Retrieved: in the top 3 with a strength of at least 1 % of the lateral bound. Every label pair
// shown within a few seconds of each other gets a vanishing weight from the exponential tails of
// the STDP traces (1e-14 mV after 1.5 s); ranking those would measure presentation order.
bool in_top3(const substrate& s, const std::string& cue, const std::string& partner) {
    const double floor = 0.01 * s.config().learning.lateral_W_max;
    for (const auto& a : s.associations(cue, 3))
        if (a.label == partner && a.strength >= floor) return true;
    return false;
}

double pair_recall(const substrate& s, std::size_t pairs) {
    std::size_t hits = 0;
    for (std::size_t i = 0; i < pairs; ++i) hits += in_top3(s, P(i), Q(i)) + in_top3(s, Q(i), P(i));
    return double(hits) / double(2 * pairs);
}

void train_pairs(substrate& s, std::size_t pairs, std::size_t presentations, std::size_t offset = 0) {
    for (std::size_t n = 0; n < presentations; ++n)
        for (std::size_t i = offset; i < offset + pairs; ++i) {
            s.observe(item(s.config().dimensions, s.config().seed, i), {P(i), Q(i)}, 100.0);
            s.idle(200.0);
        }
}

} // namespace

std::size_t unseen_pair_count(const substrate& s, const std::vector<trigger_event>& events) {
    std::size_t n = 0;
    for (const auto& e : events) {
        bool unseen = false;
        for (std::size_t i = 0; i < e.labels.size() && !unseen; ++i)
            for (std::size_t j = i + 1; j < e.labels.size() && !unseen; ++j) {
                const auto a = s.labels().find(e.labels[i]), b = s.labels().find(e.labels[j]);
                unseen = !a || !b || s.labels().pair_observations(*a, *b) == 0;
            }
        n += unseen;
    }
    return n;
}

association_result association_recall(const substrate_config& config, std::size_t pairs, std::size_t presentations,
                                      std::size_t controls) {
    const auto t0 = std::chrono::steady_clock::now();
    substrate s(config);
    for (std::size_t n = 0; n < presentations; ++n) {
        for (std::size_t i = 0; i < pairs; ++i) {
            s.observe(item(config.dimensions, config.seed, i), {P(i), Q(i)}, 100.0);
            s.idle(200.0);
        }
        for (std::size_t c = 0; c < controls; ++c) {
            s.observe(item(config.dimensions, config.seed, 100000 + c), {fmt::format("c{}", c)}, 100.0);
            s.idle(200.0);
        }
    }
    association_result r;
    r.pairs = pairs;
    r.presentations = presentations;
    r.controls = controls;
    r.recall = pair_recall(s, pairs);
    std::size_t ch = 0;
    for (std::size_t c = 0; c < controls; ++c)
        ch += in_top3(s, fmt::format("c{}", c), fmt::format("c{}", (c + controls / 2) % controls));
    r.control_hits = controls > 1 ? double(ch) / double(controls) : 0.0;
    r.chance = 3.0 / double(s.labels().size() - 1);
    r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

first_trigger_result first_trigger(substrate_config config, std::uint64_t seed, std::size_t max_exchanges,
                                   double idle_ms) {
    config.seed = seed;
    substrate s(config);
    static const char* people[] = {"ada", "ben", "cleo", "dev", "eve", "finn"};
    static const char* topics[] = {"cello", "chess", "hiking", "python", "baking", "poetry"};
    // The script's recurring pairs: each person has a favourite topic; a message names the
    // favourite with probability 0.7, another topic otherwise.
    first_trigger_result r;
    r.seed = seed;
    std::set<std::pair<std::string, std::string>> discussed;
    for (std::size_t x = 0; x < max_exchanges; ++x) {
        sim::random_stream g(seed, sim::stream_purpose::user, script_stream, x);
        const std::size_t who = g.below(6);
        const std::size_t what = g.uniform() < 0.7 ? who : g.below(6);
        const std::string a = people[who], b = topics[what];
        discussed.insert({a, b});
        // Message and reply: the same pair, two different items.
        s.observe(item(config.dimensions, seed, 2 * x), {a, b}, 100.0);
        s.observe(item(config.dimensions, seed, 2 * x + 1), {a, b}, 100.0);
        const auto ev = s.idle(idle_ms);
        if (!ev.empty()) {
            r.exchanges = x + 1;
            r.labels = ev.front().labels;
            const auto& L = r.labels;
            for (std::size_t i = 0; i < L.size(); ++i)
                for (std::size_t j = 0; j < L.size(); ++j)
                    if (discussed.count({L[i], L[j]})) r.names_discussed_pair = true;
            return r;
        }
    }
    return r;
}

false_trigger_result false_triggers(const substrate_config& config, std::size_t pairs, bool learning, double idle_ms) {
    substrate s(config);
    s.set_learning(learning);
    train_pairs(s, pairs, 1);
    const auto ev = s.idle(idle_ms);
    return {ev.size(), unseen_pair_count(s, ev), idle_ms};
}

reward_result reward_experiment(const substrate_config& config, std::size_t pairs, std::size_t presentations,
                                double idle_ms) {
    substrate s(config);
    for (std::size_t n = 0; n < presentations; ++n)
        for (std::size_t i = 0; i < 2 * pairs; ++i) {
            s.observe(item(config.dimensions, config.seed, i), {P(i), Q(i)}, 100.0);
            if (i < pairs) s.reward(1.0);
            s.idle(500.0);
        }
    reward_result r;
    for (std::size_t i = 0; i < 2 * pairs; ++i) {
        double st = 0.0;
        for (const auto& a : s.associations(P(i), 3))
            if (a.label == Q(i)) st = a.strength;
        (i < pairs ? r.rewarded_strength : r.unrewarded_strength) += st / double(pairs);
    }
    for (const auto& e : s.idle(idle_ms)) {
        if (e.labels.size() < 2) continue;
        const std::string& first = e.labels[0];
        const std::size_t i = std::stoul(first.substr(1));
        (i < pairs ? r.rewarded_triggers : r.unrewarded_triggers) += 1;
    }
    r.ratio = r.unrewarded_triggers ? double(r.rewarded_triggers) / double(r.unrewarded_triggers)
                                    : (r.rewarded_triggers ? INFINITY : 0.0);
    return r;
}

long_idle_result long_idle(const substrate_config& config, std::size_t pairs, std::size_t presentations, double idle_ms,
                           double piece_ms, const std::function<void(const idle_piece&)>& on_piece) {
    const auto t0 = std::chrono::steady_clock::now();
    substrate s(config);
    train_pairs(s, pairs, presentations);
    long_idle_result r;
    r.idle_ms = idle_ms;
    r.recall_before = pair_recall(s, pairs);
    double left = idle_ms;
    auto counts_before = s.network().spike_counts();
    while (left > 0.0) {
        const auto piece_start = std::chrono::steady_clock::now();
        idle_piece p;
        const double piece = std::min(left, piece_ms);
        const auto ev = s.idle(piece);
        p.triggers = ev.size();
        for (const auto& e : ev) {
            const auto a = s.labels().find(e.labels.at(0)), b = s.labels().find(e.labels.at(1));
            p.triggers_naming_learned_pairs += a && b && s.labels().pair_observations(*a, *b) > 0;
        }
        const auto counts = s.network().spike_counts();
        for (std::size_t q = 0; q < counts.size(); ++q) {
            const double n = double(s.network().population_at(q).size());
            p.max_rate_hz = std::max(p.max_rate_hz, double(counts[q] - counts_before[q]) / n / (piece * 1e-3));
        }
        counts_before = counts;
        left -= piece;
        p.end_ms = idle_ms - left;
        p.recall = pair_recall(s, pairs);
        p.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - piece_start).count();
        r.triggers += p.triggers;
        r.triggers_naming_learned_pairs += p.triggers_naming_learned_pairs;
        r.max_rate_hz = std::max(r.max_rate_hz, p.max_rate_hz);
        r.pieces.push_back(p);
        if (on_piece) on_piece(p);
    }
    r.recall_after = r.pieces.empty() ? r.recall_before : r.pieces.back().recall;
    r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

} // namespace lamina::bridges
