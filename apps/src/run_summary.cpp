#include "lamina/app/run_summary.hpp"

#include "lamina/sim/system_memory.hpp"

#include <cmath>
#include <fmt/format.h>

namespace lamina::app {

// The update mode a population used, as the summary states it.
std::string update_used(const sim::population& p);

run_summary summarize(const sim::network& net, double sim_seconds, const std::string& output, bool interrupted) {
    run_summary s;
    const auto& st = net.statistics();
    s.neurons = st.neurons;
    s.synapses = st.synapses;
    s.model_time_s = net.current_time_ms() * 1e-3;
    s.build_s = st.build_seconds;
    s.sim_s = sim_seconds;
    s.threads = net.threads();
    s.seed = net.config().seed;
    s.peak_rss_mb = double(sim::peak_resident_bytes()) / (1024.0 * 1024.0);
    s.bytes_per_synapse = st.bytes_per_synapse();
    s.output = output;
    s.interrupted = interrupted;
    for (std::size_t q = 0; q < net.population_count(); ++q) {
        const auto ps = net.population_statistics(q);
        const auto& pop = net.population_at(q);
        s.populations.push_back({pop.name(), pop.size(), ps.spikes, ps.rate_hz, ps.mean_cv_isi, update_used(pop)});
        s.spikes += ps.spikes;
    }
    return s;
}

std::string update_used(const sim::population& p) {
    const std::int64_t ev = p.steps_event_driven, all = p.steps_event_driven + p.steps_clock_driven;
    std::string used = all == 0 ? std::string(p.event_driven() ? "event" : "clock")
                     : ev == all ? std::string("event")
                     : ev == 0   ? std::string("clock")
                                 : fmt::format("event {:.0f} %, clock {:.0f} %", 100.0 * double(ev) / double(all),
                                             100.0 * double(all - ev) / double(all));
    return p.requested_update == sim::update_mode::automatic ? "auto: " + used : used;
}

std::string json_string(const std::string& in) {
    std::string out = "\"";
    for (unsigned char c : in) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20)
                out += fmt::format("\\u{:04x}", c);
            else
                out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

std::string json_number(double v) { return std::isfinite(v) ? fmt::format("{}", v) : "null"; }

std::string to_json(const run_summary& s) {
    std::string pops;
    for (const auto& p : s.populations) {
        if (!pops.empty()) pops += ", ";
        pops += fmt::format("{}: {{\"size\": {}, \"spikes\": {}, \"rate_hz\": {}, \"cv_isi\": {}, \"update\": {}}}",
                            json_string(p.name), p.size, p.spikes, json_number(p.rate_hz), json_number(p.cv_isi),
                            json_string(p.update));
    }
    return fmt::format("{{\"neurons\": {}, \"synapses\": {}, \"spikes\": {}, \"model_time_s\": {}, \"build_s\": {}, "
                       "\"sim_s\": {}, \"real_time_factor\": {}, \"threads\": {}, \"seed\": {}, \"peak_rss_mb\": {}, "
                       "\"bytes_per_synapse\": {}, \"output\": {}, \"interrupted\": {}, \"populations\": {{{}}}}}",
                       s.neurons, s.synapses, s.spikes, json_number(s.model_time_s), json_number(s.build_s),
                       json_number(s.sim_s), json_number(s.real_time_factor()), s.threads, s.seed,
                       json_number(s.peak_rss_mb), json_number(s.bytes_per_synapse), json_string(s.output),
                       s.interrupted ? "true" : "false", pops)
        .insert(1, s.rank_sim_cpu_s.empty() ? std::string() : [&] {
            double build = 0.0, sim = 0.0;
            std::string per_rank;
            for (double c : s.rank_build_cpu_s) build += c;
            for (double c : s.rank_sim_cpu_s) {
                sim += c;
                per_rank += (per_rank.empty() ? "" : ", ") + json_number(c);
            }
            return fmt::format("\"build_cpu_s\": {}, \"sim_cpu_s\": {}, {}", json_number(build), json_number(sim),
                               s.ranks > 1 ? fmt::format("\"sim_cpu_s_per_rank\": [{}], ", per_rank) : std::string());
        }())
        .insert(1, s.ranks <= 1 ? std::string() : [&] {
            std::string peaks;
            for (double m : s.rank_peak_rss_mb) peaks += (peaks.empty() ? "" : ", ") + json_number(m);
            return fmt::format("\"ranks\": {}, \"peak_rss_mb_per_rank\": [{}], ", s.ranks, peaks);
        }())
        .insert(1, s.checkpoint.empty() && s.resumed_from_s == 0.0
                       ? std::string()
                       : fmt::format("\"resumed_from_s\": {}, \"checkpoint\": {}, \"checkpoints_written\": {}, "
                                     "\"checkpoint_s\": {}, ",
                                     json_number(s.resumed_from_s),
                                     s.checkpoint.empty() ? std::string("null") : json_string(s.checkpoint),
                                     s.checkpoints_written, json_number(s.checkpoint_s)));
}

std::string to_text(const run_summary& s) {
    std::string t;
    t += fmt::format("{} neurons, {} synapses ({:.2f} bytes/synapse), {} threads, seed {}\n", s.neurons, s.synapses,
                     s.bytes_per_synapse, s.threads, s.seed);
    t += fmt::format("model time {:.3f} s{}: build {:.3f} s, simulation {:.3f} s, real-time factor {:.3f} "
                     "(wall s per model s), peak memory {:.1f} MB\n",
                     s.model_time_s, s.interrupted ? " (INTERRUPTED)" : "", s.build_s, s.sim_s, s.real_time_factor(),
                     s.peak_rss_mb);
    if (!s.rank_sim_cpu_s.empty()) {
        double build = 0.0, sim = 0.0;
        for (double c : s.rank_build_cpu_s) build += c;
        for (double c : s.rank_sim_cpu_s) sim += c;
        t += fmt::format("CPU time: build {:.2f} s, simulation {:.2f} s{}\n", build, sim,
                         s.ranks > 1 ? " (all ranks)" : "");
    }
    if (s.ranks > 1) {
        std::string peaks;
        for (double m : s.rank_peak_rss_mb) peaks += fmt::format("{}{:.1f}", peaks.empty() ? "" : ", ", m);
        t += fmt::format("{} MPI ranks, peak memory per rank (MB): {}\n", s.ranks, peaks);
    }
    t += fmt::format("{} spikes\n", s.spikes);
    t += fmt::format("  {:<16} {:>10} {:>12} {:>10} {:>8}  {}\n", "population", "size", "spikes", "rate (Hz)", "CV ISI",
                     "update");
    for (const auto& p : s.populations)
        t += fmt::format("  {:<16} {:>10} {:>12} {:>10.3f} {:>8}  {}\n", p.name, p.size, p.spikes, p.rate_hz,
                         std::isfinite(p.cv_isi) ? fmt::format("{:.3f}", p.cv_isi) : std::string("-"), p.update);
    if (s.resumed_from_s > 0.0) t += fmt::format("resumed from a checkpoint at {:.3f} s of model time\n", s.resumed_from_s);
    if (!s.output.empty()) t += "result file: " + s.output + "\n";
    if (!s.checkpoint.empty())
        t += fmt::format("checkpoint: {} ({} written, {:.3f} s)\n", s.checkpoint, s.checkpoints_written, s.checkpoint_s);
    return t;
}

} // namespace lamina::app
