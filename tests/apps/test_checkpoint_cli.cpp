// `lamina run --checkpoint` and `lamina resume` as a user runs them: a plastic network stopped
// half-way and resumed on another thread count writes bitwise the spikes and weights of the run
// that never stopped; bad checkpoint files exit 2 with a message and write nothing.
#include "cli_harness.hpp"

#include "lamina/sim/result_file.hpp"

#include <catch2/catch.hpp>

using namespace lamina;
using namespace lamina::test;

namespace {

// A small W4-like network: conductance LIF, pair STDP on E->E and inhibitory STDP on I->E.
const char* plastic_model = R"(
[run]
duration = 400.0
seed = 3

[populations.E]
model = "lif_cond_exp"
size = 400
params = { C_m = 200.0, g_L = 10.0, E_L = -60.0, V_th = -50.0, V_reset = -60.0, t_ref = 5.0, tau_syn_ex = 5.0, tau_syn_in = 10.0, I_e = 200.0 }
initial = { V_m = { dist = "normal", mean = -60.0, sd = 5.0 } }

[populations.I]
model = "lif_cond_exp"
size = 100
params = { C_m = 200.0, g_L = 10.0, E_L = -60.0, V_th = -50.0, V_reset = -60.0, t_ref = 5.0, tau_syn_ex = 5.0, tau_syn_in = 10.0, I_e = 200.0 }

[[projections]]
name = "EE"
source = "E"
target = "E"
rule = "pairwise_bernoulli"
probability = 0.05
weight = 3.0
delay = 1.0
plasticity = { rule = "stdp_pair", W_max = 10.0 }

[[projections]]
name = "IE"
source = "I"
target = "E"
rule = "pairwise_bernoulli"
probability = 0.05
weight = 30.0
delay = 0.5
port = "inhibitory"
plasticity = { rule = "vogels_istdp", eta = 0.05, rho0 = 3.0, W_max = 300.0 }

[[projections]]
source = "E"
target = "I"
rule = "pairwise_bernoulli"
probability = 0.05
weight = 3.0
delay = { dist = "uniform", low = 0.5, high = 2.0 }

[[stimuli]]
type = "poisson"
target = "E"
rate = 1500.0
weight = 2.0

[[recorders]]
type = "spikes"
population = "E"

[[recorders]]
type = "weights"
projection = "IE"
interval = 100.0
)";

// Spikes of E after `from_ms` in a result file.
std::pair<std::vector<double>, std::vector<std::uint64_t>> spikes_after(const fs::path& file, double from_ms) {
    const auto c = sim::read_result_file(file.string());
    std::pair<std::vector<double>, std::vector<std::uint64_t>> out;
    const auto& s = c.spikes.at("E");
    for (std::size_t m = 0; m < s.timestamps_ms.size(); ++m)
        if (s.timestamps_ms[m] > from_ms + 1e-9) {
            out.first.push_back(s.timestamps_ms[m]);
            out.second.push_back(s.node_ids[m]);
        }
    return out;
}

} // namespace

TEST_CASE("lamina resume continues a checkpointed plastic run bitwise on another thread count", "[cli][checkpoint]") {
    const auto model = write_text("plastic.toml", plastic_model);
    const auto whole = scratch() / "whole.h5", first = scratch() / "first.h5", second = scratch() / "second.h5";
    const auto ck = scratch() / "state.h5";
    REQUIRE(run_lamina("run " + model.string() + " --threads 1 --quiet --out " + whole.string()).status == 0);
    const auto a = run_lamina("run " + model.string() + " --threads 2 --duration 230 --json --out " + first.string() +
                              " --checkpoint " + ck.string() + " --checkpoint-every 100");
    INFO(a.err);
    REQUIRE(a.status == 0);
    CHECK(json_value(a.out, "checkpoints_written") == 3);  // at 100 and 200 ms, and at the end (230 ms)
    const auto info = run_lamina("info " + ck.string() + " --json");
    CHECK(info.status == 0);
    CHECK(json_value(info.out, "time_ms") == Approx(230.0));
    CHECK(json_value(info.out, "threads") == 2);
    const auto b = run_lamina("resume " + ck.string() + " --threads 3 --json --out " + second.string());
    INFO(b.err);
    REQUIRE(b.status == 0);
    CHECK(json_value(b.out, "resumed_from_s") == Approx(0.23));
    CHECK(json_value(b.out, "model_time_s") == Approx(0.17));  // the rest of the file's 400 ms

    const auto reference = spikes_after(whole, 230.0), resumed = spikes_after(second, 0.0);
    REQUIRE(reference.first.size() > 100);
    CHECK(reference == resumed);
    // The weights sampled at 300 and 400 ms, after the restore.
    const auto w_whole = sim::read_result_file(whole.string()).weights.at("weights_IE").data;
    const auto w_resumed = sim::read_result_file(second.string()).weights.at("weights_IE").data;
    REQUIRE(w_resumed.times_ms.size() == 2);
    const std::size_t n = w_whole.values.size() / w_whole.times_ms.size();
    const std::vector<float> tail(w_whole.values.end() - static_cast<std::ptrdiff_t>(2 * n), w_whole.values.end());
    CHECK(tail == w_resumed.values);
    CHECK(tail != std::vector<float>(tail.size(), 30.0f));  // the rule acted
}

TEST_CASE("lamina resume refuses bad checkpoint files with exit 2 and writes nothing", "[cli][checkpoint]") {
    const auto model = write_text("plastic.toml", plastic_model);
    const auto result = scratch() / "result.h5", ck = scratch() / "good.h5";
    REQUIRE(run_lamina("run " + model.string() + " --quiet --duration 20 --out " + result.string() + " --checkpoint " +
                       ck.string())
                .status == 0);
    const auto out = scratch() / "never.h5";
    auto refused = [&](const fs::path& file, const std::string& says) {
        const auto r = run_lamina("resume " + file.string() + " --out " + out.string());
        INFO(r.err);
        CHECK(r.status == 2);
        CHECK(r.err.find(says) != std::string::npos);
        CHECK_FALSE(fs::exists(out));
    };
    refused(scratch() / "missing.h5", "no such file");
    refused(result, "not a lamina checkpoint");
    refused(write_text("text.h5", "plain text"), "not a readable lamina checkpoint");
    {
        const auto cut = scratch() / "cut.h5";
        fs::copy_file(ck, cut, fs::copy_options::overwrite_existing);
        fs::resize_file(cut, fs::file_size(ck) / 3);
        refused(cut, "lamina checkpoint");
    }
    const auto done = run_lamina("resume " + ck.string() + " --out " + out.string());
    CHECK(done.status == 0);  // the good file still resumes: 20 of 400 ms are done
}
