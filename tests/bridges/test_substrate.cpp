#include "lamina/bridges/substrate.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <fmt/format.h>

using namespace lamina;
using bridges::substrate;
using bridges::substrate_config;

TEST_CASE("explore association", "[tool]") {
    auto cfg = substrate_config::small();
    substrate s(cfg);
    std::printf("neurons %zu synapses %lu\n", cfg.neurons(), (unsigned long)s.network().statistics().synapses);
    std::vector<double> e(cfg.dimensions);
    for (int rep = 0; rep < 8; ++rep) {
        for (int p = 0; p < 10; ++p) {
            for (std::size_t d = 0; d < e.size(); ++d) e[d] = std::sin(double(d * (p + 1)) + rep);
            s.observe(e, {fmt::format("a{}", p), fmt::format("b{}", p)}, 100.0);
            s.idle(200.0);
        }
        int hits = 0;
        for (int p = 0; p < 10; ++p) {
            auto as = s.associations(fmt::format("a{}", p), 3);
            for (auto& a : as) hits += a.label == fmt::format("b{}", p);
        }
        auto st = s.stats();
        std::printf("rep %d hits %d mean lateral %.4f max %.3f t %.0f rates:", rep + 1, hits, st.mean_lateral_mV, st.max_lateral_mV, st.time_ms);
        for (auto& r : st.rates) std::printf(" %s %.2f", r.population.c_str(), r.rate_hz);
        auto a0 = s.associations("a0", 3);
        std::printf("\n   a0 -> %s %.3f, %s %.3f\n", a0[0].label.c_str(), a0[0].strength, a0[1].label.c_str(), a0[1].strength);
        auto tr = s.idle(20000.0);
        int good = 0;
        for (auto& t : tr) good += t.labels.size() >= 2 && t.labels[0].substr(1) == t.labels[1].substr(1);
        std::printf("   idle 20 s: %zu triggers, %d name a pair\n", tr.size(), good);
    }
}
