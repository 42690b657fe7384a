#include "lamina/app/cli.hpp"

#include "lamina/app/model_file.hpp"
#include "lamina/app/run_summary.hpp"
#include "lamina/sim/result_file.hpp"
#include "lamina/sim/system_memory.hpp"

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <iostream>
#include <unistd.h>

namespace lamina::app {

namespace {

std::atomic<sim::network*> running_network{nullptr};
volatile std::sig_atomic_t interrupted = 0;

extern "C" void on_sigint(int) {
    interrupted = 1;
    if (sim::network* net = running_network.load()) net->request_stop();
}

struct cli_options {
    std::string model;
    std::optional<int> threads;
    std::optional<std::uint64_t> seed;
    std::optional<double> duration;
    std::string out;
    bool json = false;
    bool quiet = false;
};

std::string default_output(const model_description& d, const cli_options& o) {
    if (!o.out.empty()) return o.out;
    if (!d.run.output.empty()) return d.run.output;
    return std::filesystem::path(d.path).stem().string() + ".h5";
}

// Without any [[recorders]], a run records the spikes of every population.
void add_default_recorders(model_description& d) {
    if (!d.spike_recorders.empty() || !d.state_recorders.empty() || !d.rate_recorders.empty()) return;
    for (const auto& p : d.populations) d.spike_recorders.push_back({"spikes_" + p.name, p.name, {}});
}

std::string format_seconds(double s) {
    if (s < 60) return fmt::format("{:.1f} s", s);
    return fmt::format("{}m{:02}s", int(s) / 60, int(s) % 60);
}

void print_progress(bool tty, double model_ms, double total_ms, double elapsed, bool final) {
    const double frac = total_ms > 0 ? model_ms / total_ms : 1.0;
    const double rtf = model_ms > 0 ? elapsed / (model_ms * 1e-3) : 0.0;
    const double eta = frac > 0 ? elapsed * (1.0 - frac) / frac : 0.0;
    if (tty) {
        constexpr int width = 30;
        const int filled = static_cast<int>(frac * width);
        std::string bar(static_cast<std::size_t>(filled), '#');
        bar.resize(width, '.');
        std::fprintf(stderr, "\r[%s] %5.1f%%  model %.1f/%.1f ms  elapsed %s  RTF %.3f  ETA %s   ", bar.c_str(),
                     100.0 * frac, model_ms, total_ms, format_seconds(elapsed).c_str(), rtf,
                     format_seconds(eta).c_str());
        if (final) std::fprintf(stderr, "\n");
    } else {
        std::fprintf(stderr, "lamina: %5.1f%% model %.1f/%.1f ms, elapsed %s, RTF %.3f, ETA %s\n", 100.0 * frac,
                     model_ms, total_ms, format_seconds(elapsed).c_str(), rtf, format_seconds(eta).c_str());
    }
    std::fflush(stderr);
}

int report(const model_file_error& e) {
    for (const auto& d : e.diagnostics()) std::fprintf(stderr, "error: %s\n", d.text().c_str());
    std::fprintf(stderr, "lamina: %zu problem%s in the model file; nothing was run\n", e.diagnostics().size(),
                 e.diagnostics().size() == 1 ? "" : "s");
    return exit_bad_input;
}

int command_check(const cli_options& o) {
    try {
        auto d = load_model_file(o.model);
        add_default_recorders(d);
        auto net = instantiate(d, {o.threads, o.seed, o.duration, std::nullopt});
        net->validate();
        const double gib = double(net->estimate_memory()) / double(1 << 30);
        std::uint64_t neurons = 0;
        for (std::size_t q = 0; q < net->population_count(); ++q) neurons += net->population_at(q).size();
        if (o.json) {
            std::printf("{\"valid\": true, \"neurons\": %llu, \"synapses_expected\": %llu, \"memory_estimate_gib\": %s, "
                        "\"memory_available_gib\": %s}\n",
                        (unsigned long long)neurons, (unsigned long long)net->expected_synapse_count(),
                        json_number(gib).c_str(),
                        json_number(double(sim::available_memory_bytes()) / double(1 << 30)).c_str());
        } else {
            std::printf("%s: valid\n", o.model.c_str());
            std::printf("  %zu populations, %llu neurons\n", net->population_count(), (unsigned long long)neurons);
            std::printf("  %zu projections, about %llu synapses\n", net->projections().size(),
                        (unsigned long long)net->expected_synapse_count());
            std::printf("  memory estimate %.3f GiB (available %.1f GiB)\n", gib,
                        double(sim::available_memory_bytes()) / double(1 << 30));
        }
        return 0;
    } catch (const model_file_error& e) {
        return report(e);
    } catch (const sim::capacity_error& e) {
        std::fprintf(stderr, "error: %s: %s\n", o.model.c_str(), e.what());
        return exit_bad_input;
    }
}

int command_run(const cli_options& o) {
    model_description d;
    std::unique_ptr<sim::network> net;
    try {
        d = load_model_file(o.model);
        add_default_recorders(d);
        net = instantiate(d, {o.threads, o.seed, o.duration, std::nullopt});
        net->validate();
    } catch (const model_file_error& e) {
        return report(e);
    } catch (const sim::capacity_error& e) {
        std::fprintf(stderr, "error: %s: %s\n", o.model.c_str(), e.what());
        return exit_bad_input;
    }
    const double duration_ms = o.duration.value_or(d.run.duration_ms);
    if (!(duration_ms >= 0.0)) {
        std::fprintf(stderr, "error: --duration must be >= 0 ms\n");
        return exit_bad_input;
    }
    const std::string output = default_output(d, o);
    const bool tty = isatty(fileno(stderr)) != 0;
    try {
        if (!o.quiet) std::fprintf(stderr, "lamina: building %s\n", o.model.c_str());
        net->build();
        std::map<std::string, std::string> recorder_populations;
        for (const auto& r : d.spike_recorders) recorder_populations[r.name] = r.population;
        for (const auto& r : d.state_recorders) recorder_populations[r.name] = r.population;
        for (const auto& r : d.rate_recorders) recorder_populations[r.name] = r.population;
        for (const auto& r : d.weight_recorders) recorder_populations[r.name] = r.projection;
        sim::result_file_writer writer(output);
        writer.add_recorders(*net, recorder_populations);
        net->set_recording_sink(&writer);

        running_network.store(net.get());
        interrupted = 0;
        auto previous = std::signal(SIGINT, on_sigint);
        const std::int64_t total = std::llround(duration_ms / d.run.dt_ms);
        const std::int64_t chunk = std::max<std::int64_t>(1, total / (tty ? 200 : 10));
        const auto t0 = std::chrono::steady_clock::now();
        std::int64_t done = 0;
        while (done < total && !interrupted) {
            const std::int64_t n = std::min(chunk, total - done);
            net->run_steps(n);
            done = net->current_step();
            if (net->stopped_early()) break;
            if (!o.quiet)
                print_progress(tty, net->current_time_ms(), duration_ms,
                               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                               done >= total);
        }
        const double sim_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::signal(SIGINT, previous);
        running_network.store(nullptr);
        const bool was_interrupted = interrupted != 0 || done < total;
        if (was_interrupted && !o.quiet) std::fprintf(stderr, "\nlamina: interrupted; writing what was recorded\n");

        writer.set_run_metadata(*net);
        writer.set_metadata(sim::result_file_writer::key_model, d.text);
        writer.set_metadata("model_path", d.path);
        writer.set_metadata(sim::result_file_writer::key_simulation_seconds, sim_s);
        writer.finish(was_interrupted);

        const auto summary = summarize(*net, sim_s, output, was_interrupted);
        if (o.json)
            std::printf("%s\n", to_json(summary).c_str());
        else if (!o.quiet)
            std::printf("%s", to_text(summary).c_str());
        return was_interrupted ? exit_interrupted : 0;
    } catch (const sim::error& e) {
        running_network.store(nullptr);
        std::fprintf(stderr, "error: %s\n", e.what());
        return exit_failure;
    }
}

std::string metadata_text(const sim::metadata_value& v) {
    if (auto s = std::get_if<std::string>(&v)) return *s;
    if (auto d = std::get_if<double>(&v)) return fmt::format("{}", *d);
    return fmt::format("{}", std::get<std::int64_t>(v));
}

int command_info(const std::string& path, bool json) {
    try {
        const auto s = sim::read_result_summary(path);
        if (json) {
            std::string out = "{\"file\": " + json_string(path) + ", \"spikes\": {";
            bool first = true;
            for (const auto& [pop, info] : s.spikes) {
                out += fmt::format("{}{}: {}", first ? "" : ", ", json_string(pop), info.count);
                first = false;
            }
            out += "}, \"metadata\": {";
            first = true;
            for (const auto& [k, v] : s.metadata) {
                if (k == sim::result_file_writer::key_model) continue;
                const std::string val = std::holds_alternative<std::string>(v) ? json_string(std::get<std::string>(v))
                                                                                 : metadata_text(v);
                out += fmt::format("{}{}: {}", first ? "" : ", ", json_string(k), val);
                first = false;
            }
            std::printf("%s}}\n", out.c_str());
            return 0;
        }
        std::printf("%s\n", path.c_str());
        for (const auto& [k, v] : s.metadata)
            if (k != sim::result_file_writer::key_model) std::printf("  %-20s %s\n", k.c_str(), metadata_text(v).c_str());
        for (const auto& [pop, info] : s.spikes)
            std::printf("  spikes of %-14s %llu (sorting %s)\n", pop.c_str(), (unsigned long long)info.count,
                        info.sorting.c_str());
        for (const auto& [rec, info] : s.states)
            std::printf("  states %-16s %llu samples of %zu neurons x %zu variables (%s)\n", rec.c_str(),
                        (unsigned long long)info.samples, info.neurons.size(), info.variables.size(),
                        info.population.c_str());
        for (const auto& [rec, info] : s.weights)
            std::printf("  weights %-15s %llu samples of %llu synapses (%s)\n", rec.c_str(),
                        (unsigned long long)info.samples, (unsigned long long)info.synapses, info.projection.c_str());
        for (const auto& [rec, info] : s.rates)
            std::printf("  rates %-17s %llu bins of %g ms (%s)\n", rec.c_str(), (unsigned long long)info.bins,
                        info.bin_ms, info.population.c_str());
        return 0;
    } catch (const sim::error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return exit_bad_input;
    }
}

} // namespace

int run_cli(int argc, char** argv) {
    CLI::App app{"lamina: spiking-network simulator"};
    app.set_version_flag("--version", std::string("lamina ") + LAMINA_VERSION);
    app.require_subcommand(1);
    cli_options o;

    auto* run = app.add_subcommand("run", "build and run a TOML model file, write an HDF5 result file");
    run->add_option("model", o.model, "model file (TOML)")->required();
    run->add_option("--threads", o.threads, "threads (default: the file's run.threads, else all cores)")
        ->check(CLI::Range(1, 1024));
    run->add_option("--seed", o.seed, "random seed (overrides run.seed)");
    run->add_option("--duration", o.duration, "model time in ms (overrides run.duration)")
        ->check(CLI::Range(0.0, 1e12));
    run->add_option("--out", o.out, "result file (HDF5; overrides run.output)");
    run->add_flag("--json", o.json, "print the summary as one JSON object on stdout");
    run->add_flag("--quiet", o.quiet, "no progress or summary text");

    auto* check = app.add_subcommand("check", "validate a model file and estimate its size; runs nothing");
    check->add_option("model", o.model, "model file (TOML)")->required();
    check->add_flag("--json", o.json, "print the result as JSON");

    std::string info_path;
    bool info_json = false;
    auto* info = app.add_subcommand("info", "summarise a result file");
    info->add_option("file", info_path, "result file (HDF5)")->required();
    info->add_flag("--json", info_json, "print the summary as JSON");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : exit_bad_input;
    }
    if (*run) return command_run(o);
    if (*check) return command_check(o);
    if (*info) return command_info(info_path, info_json);
    return exit_bad_input;
}

} // namespace lamina::app
