// The experiments of docs/substrate.md as tables (built as <build>/bridges/lamina_substrate_experiments).
//   lamina_substrate_experiments association [--default]   recall against N and against the number of pairs
//   lamina_substrate_experiments first-trigger [--seeds N] [--default]
//   lamina_substrate_experiments false-triggers [--idle-ms MS]
//   lamina_substrate_experiments reward [--idle-ms MS] [--presentations N] [--seeds N]
//   lamina_substrate_experiments long-idle [--idle-ms MS] [--piece-ms MS]   (a table row per piece)
// Without --default the small configuration (substrate_config::small()) is used.
#include "lamina/bridges/substrate_experiments.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace lamina::bridges;

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s association|first-trigger|false-triggers|reward|long-idle [options]\n", argv[0]);
        return 2;
    }
    const std::string what = argv[1];
    substrate_config cfg = substrate_config::small();
    std::size_t seeds = 0;          // 0: each experiment's own default
    std::size_t presentations = 0;  // 0: each experiment's own default
    double idle_ms = 3.6e6;
    double piece_ms = 3.6e6;        // long-idle: report every piece of this length
    for (int i = 2; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--default")) cfg = substrate_config{};
        else if (!std::strcmp(argv[i], "--seeds") && i + 1 < argc) seeds = std::strtoul(argv[++i], nullptr, 10);
        else if (!std::strcmp(argv[i], "--idle-ms") && i + 1 < argc) idle_ms = std::strtod(argv[++i], nullptr);
        else if (!std::strcmp(argv[i], "--piece-ms") && i + 1 < argc) piece_ms = std::strtod(argv[++i], nullptr);
        else if (!std::strcmp(argv[i], "--presentations") && i + 1 < argc) presentations = std::strtoul(argv[++i], nullptr, 10);
        else {
            std::fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }
    std::printf("# %zu neurons\n", cfg.neurons());
    if (what == "association") {
        std::printf("| pairs | presentations N | recall (top 3) | controls in top 3 | chance | wall s |\n|---|---|---|---|---|---|\n");
        for (std::size_t n : {1, 2, 3, 5}) {
            const auto r = association_recall(cfg, 10, n, 10);
            std::printf("| %zu | %zu | %.3f | %.3f | %.3f | %.1f |\n", r.pairs, n, r.recall, r.control_hits, r.chance, r.wall_seconds);
            std::fflush(stdout);
        }
        for (std::size_t p : {5, 20, 30}) {
            const std::size_t controls = std::min<std::size_t>(10, cfg.concept_layer.assemblies - 2 * p);
            const auto r = association_recall(cfg, p, 3, controls);
            std::printf("| %zu | 3 | %.3f | %.3f | %.3f | %.1f |\n", p, r.recall, r.control_hits, r.chance, r.wall_seconds);
            std::fflush(stdout);
        }
    } else if (what == "first-trigger") {
        std::printf("| seed | exchanges to first trigger | labels | names a discussed pair |\n|---|---|---|---|\n");
        for (std::uint64_t s = 1; s <= (seeds ? seeds : 10); ++s) {
            const auto r = first_trigger(cfg, s, 40);
            std::string l;
            for (const auto& x : r.labels) l += (l.empty() ? "" : ", ") + x;
            std::printf("| %lu | %zu | %s | %s |\n", (unsigned long)s, r.exchanges, l.c_str(), r.names_discussed_pair ? "yes" : "no");
            std::fflush(stdout);
        }
    } else if (what == "false-triggers") {
        for (bool learning : {false, true}) {
            const auto r = false_triggers(cfg, 20, learning, idle_ms);
            std::printf("learning %s: %zu triggers, %zu naming an unseen pair, over %.0f s idle\n", learning ? "on" : "off",
                        r.triggers, r.unseen_pair_triggers, r.idle_ms / 1000.0);
            std::fflush(stdout);
        }
    } else if (what == "reward") {
        std::printf("| seed | presentations | rewarded triggers | unrewarded triggers | ratio | rewarded strength mV | unrewarded strength mV |\n|---|---|---|---|---|---|---|\n");
        for (std::uint64_t s = 1; s <= (seeds ? seeds : 1); ++s) {
            cfg.seed = s;
            const std::size_t n = presentations ? presentations : 3;
            const auto r = reward_experiment(cfg, 5, n, idle_ms);
            std::printf("| %lu | %zu | %zu | %zu | %.2f | %.3f | %.3f |\n", (unsigned long)s, n, r.rewarded_triggers,
                        r.unrewarded_triggers, r.ratio, r.rewarded_strength, r.unrewarded_strength);
            std::fflush(stdout);
        }
    } else if (what == "long-idle") {
        std::printf("| idle h | max population rate Hz | triggers | naming learned pairs | recall (top 3) | wall s |\n|---|---|---|---|---|---|\n");
        const auto r = long_idle(cfg, 10, 5, idle_ms, piece_ms, [](const idle_piece& p) {
            std::printf("| %.2f | %.3f | %zu | %zu | %.3f | %.0f |\n", p.end_ms / 3.6e6, p.max_rate_hz, p.triggers,
                        p.triggers_naming_learned_pairs, p.recall, p.wall_seconds);
            std::fflush(stdout);
        });
        std::printf("idle %.1f h: recall %.3f -> %.3f, max population rate %.3f Hz, %zu triggers (%zu naming learned pairs), wall %.0f s\n",
                    r.idle_ms / 3.6e6, r.recall_before, r.recall_after, r.max_rate_hz, r.triggers,
                    r.triggers_naming_learned_pairs, r.wall_seconds);
    } else {
        std::fprintf(stderr, "unknown experiment %s\n", what.c_str());
        return 2;
    }
}
