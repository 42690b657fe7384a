// `lamina run MODEL.toml`: builds and runs a model file (a spiking network, or a lattice of neural
// masses) with a progress display, writes the HDF5 result file and prints the run summary. Ctrl-C
// stops cleanly: what was recorded is written and marked interrupted.
#include "commands.hpp"
#include "distributed.hpp"
#include "model_command.hpp"

#include "lamina/app/cli.hpp"
#include "lamina/app/run_summary.hpp"
#include "lamina/compose/lattice_run.hpp"
#include "lamina/models/eeg/proxies.hpp"
#include "lamina/sim/result_file.hpp"
#include "lamina/sim/system_memory.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <fmt/format.h>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <sys/resource.h>
#include <unistd.h>

namespace lamina::app {

namespace {

// CPU seconds of this process so far (user + system, every thread).
double process_cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

std::atomic<sim::network*> running_network{nullptr};

volatile std::sig_atomic_t interrupted = 0;

extern "C" void on_sigint(int) {
    interrupted = 1;
    if (sim::network* net = running_network.load()) net->request_stop();
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

// A model file with [lattice]: runs the neural-mass sheet and streams its spatial mean (and chosen
// nodes, and electrodes of a lead field) to /signals of the result file.
int command_run_lattice(const compose::model_description& d, const model_options& o) {
    std::unique_ptr<compose::lattice_run> lat;
    try {
        lat = compose::instantiate_lattice(d, overrides_of(o));
    } catch (const compose::model_file_error& e) {
        return report(e);
    }
    const auto& l = *d.lattice;
    const double duration_ms = o.duration.value_or(d.run.duration_ms);
    const std::string output = default_output(d, o);
    const bool tty = isatty(fileno(stderr)) != 0;
    try {
        sim::result_file_writer writer(output);
        const auto names = l.signal_names();
        for (const auto& n : names) writer.add_signal_recorder(n, "lattice");
        sim::recording_sink* sink = &writer;
        std::optional<models::eeg::lead_field_sink> electrodes;
        if (auto field = compose::lead_field_of(d)) {
            for (const auto& e : field->electrodes) writer.add_signal_recorder(e, "lead_field");
            electrodes.emplace(std::move(*field), writer);
            sink = &*electrodes;
        }
        auto flush = [&] {
            const auto rec = lat->take_recording();
            if (rec.dropped) throw sim::error("lattice recording overflowed (internal error)");
            if (rec.samples() == 0) return;
            sink->signals(names[0], rec.times, rec.mean);
            for (std::size_t k = 0; k < rec.node_count; ++k) {
                const auto trace = rec.trace(k);
                sink->signals(names[k + 1], rec.times, trace);
            }
        };
        if (!o.quiet)
            std::fprintf(stderr, "lamina: %s: %zu x %zu %s lattice\n", o.model.c_str(), l.rows, l.cols, l.model.c_str());
        interrupted = 0;
        auto previous = std::signal(SIGINT, on_sigint);
        const std::int64_t total = std::llround(duration_ms / d.run.dt_ms);
        // Chunks of at most 50000 samples, so the recording buffer (100000 samples) never drops any.
        const std::int64_t interval = std::max<std::int64_t>(1, std::llround(l.interval_ms / d.run.dt_ms));
        const std::int64_t chunk =
            std::clamp<std::int64_t>(total / (tty ? 200 : 10), 1, std::max<std::int64_t>(1, 50000 * interval));
        const auto t0 = std::chrono::steady_clock::now();
        std::int64_t done = 0;
        while (done < total && !interrupted) {
            const std::int64_t n = std::min(chunk, total - done);
            lat->step(static_cast<std::uint64_t>(n));
            done += n;
            flush();
            if (!o.quiet)
                print_progress(tty, lat->time_ms(), duration_ms,
                               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                               done >= total);
        }
        const double sim_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::signal(SIGINT, previous);
        const bool was_interrupted = done < total;
        if (was_interrupted && !o.quiet) std::fprintf(stderr, "\nlamina: interrupted; writing what was recorded\n");
        writer.set_metadata(sim::result_file_writer::key_model, d.text);
        writer.set_metadata("model_path", d.path);
        writer.set_metadata(sim::result_file_writer::key_seed, std::int64_t(o.seed.value_or(d.run.seed)));
        writer.set_metadata(sim::result_file_writer::key_dt, d.run.dt_ms);
        writer.set_metadata(sim::result_file_writer::key_model_time, lat->time_ms());
        writer.set_metadata(sim::result_file_writer::key_simulation_seconds, sim_s);
        writer.set_metadata("lattice_nodes", std::int64_t(lat->size()));
        writer.finish(was_interrupted);
        const double node_steps = double(lat->size()) * double(done);
        if (o.json) {
            std::printf("{\"lattice\": %s, \"model\": %s, \"nodes\": %zu, \"model_time_s\": %s, \"sim_s\": %s, "
                        "\"real_time_factor\": %s, \"node_steps_per_s\": %s, \"seed\": %llu, \"output\": %s, "
                        "\"interrupted\": %s}\n",
                        json_string(l.name).c_str(), json_string(l.model).c_str(), lat->size(),
                        json_number(lat->time_ms() * 1e-3).c_str(), json_number(sim_s).c_str(),
                        json_number(lat->time_ms() > 0 ? sim_s / (lat->time_ms() * 1e-3) : 0.0).c_str(),
                        json_number(sim_s > 0 ? node_steps / sim_s : 0.0).c_str(),
                        (unsigned long long)o.seed.value_or(d.run.seed), json_string(output).c_str(),
                        was_interrupted ? "true" : "false");
        } else if (!o.quiet) {
            std::printf("%zu x %zu %s lattice (%zu nodes), seed %llu\n", l.rows, l.cols, l.model.c_str(), lat->size(),
                        (unsigned long long)o.seed.value_or(d.run.seed));
            std::printf("model time %.3f s: simulation %.3f s, real-time factor %.3f, %.3g node-steps per second\n",
                        lat->time_ms() * 1e-3, sim_s, lat->time_ms() > 0 ? sim_s / (lat->time_ms() * 1e-3) : 0.0,
                        sim_s > 0 ? node_steps / sim_s : 0.0);
            std::printf("signals: %s", names[0].c_str());
            for (std::size_t k = 1; k < names.size(); ++k) std::printf(", %s", names[k].c_str());
            std::printf("\nresult file: %s\n", output.c_str());
        }
        return was_interrupted ? exit_interrupted : 0;
    } catch (const sim::error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return exit_failure;
    }
}

int command_run(const model_options& o) {
    compose::model_description d;
    std::unique_ptr<sim::network> net;
    try {
        d = compose::load_model_file(o.model);
        if (d.lattice) {
            if (!o.checkpoint.empty()) {
                std::fprintf(stderr, "error: %s: --checkpoint: lattices of neural masses have no checkpoints yet\n",
                             o.model.c_str());
                return exit_bad_input;
            }
            return command_run_lattice(d, o);
        }
        add_default_recorders(d);
        net = compose::instantiate(d, overrides_of(o));
        if (auto c = distributed::communicator()) net->set_communicator(std::move(c));
        net->validate();
    } catch (const compose::model_file_error& e) {
        // Every rank reads the same file and finds the same problems: rank 0 reports them.
        distributed::any_failed(true);
        return distributed::rank() == 0 ? report(e) : exit_bad_input;
    } catch (const sim::capacity_error& e) {
        distributed::any_failed(true);
        if (distributed::rank() == 0) std::fprintf(stderr, "error: %s: %s\n", o.model.c_str(), e.what());
        return exit_bad_input;
    }
    // A rank that failed above has said so; the others stop too instead of waiting in the build.
    if (distributed::any_failed(false)) return exit_bad_input;
    const double duration_ms = o.duration.value_or(d.run.duration_ms);
    if (!(duration_ms >= 0.0)) {
        std::fprintf(stderr, "error: --duration must be >= 0 ms\n");
        return exit_bad_input;
    }
    if (!o.quiet && distributed::rank() == 0)
        std::fprintf(stderr, "lamina: building %s%s\n", o.model.c_str(),
                     distributed::active() ? fmt::format(" on {} ranks", distributed::size()).c_str() : "");
    return run_network(d, *net, o, duration_ms, default_output(d, o));
}

} // namespace

int run_network(const compose::model_description& d, sim::network& net, const model_options& o, double duration_ms,
                const std::string& output) {
    const bool tty = isatty(fileno(stderr)) != 0;
    // A distributed run (net.ranks() > 1): rank 0 writes the result file and prints; every rank
    // runs the same chunks; an error on any rank stops all of them (MPI_Abort), and Ctrl-C is
    // left to the launcher, which stops the job (the result file is written atomically, so none
    // is left half-written).
    const bool distributed_run = net.ranks() > 1;
    const bool root = net.rank() == 0;
    if (!o.checkpoint.empty() && o.checkpoint == output) {
        std::fprintf(stderr, "error: --checkpoint and the result file are the same file (%s)\n", output.c_str());
        return exit_bad_input;
    }
    try {
        net.build();
        const double build_cpu_s = process_cpu_seconds();
        std::map<std::string, std::string> recorder_populations;
        for (const auto& r : d.spike_recorders) recorder_populations[r.name] = r.population;
        for (const auto& r : d.state_recorders) recorder_populations[r.name] = r.population;
        for (const auto& r : d.rate_recorders) recorder_populations[r.name] = r.population;
        for (const auto& r : d.weight_recorders) recorder_populations[r.name] = r.projection;
        std::optional<sim::result_file_writer> writer;
        std::optional<models::eeg::lead_field_sink> electrodes;
        if (root) {
            writer.emplace(output);
            writer->add_recorders(net, recorder_populations);
            // A lead field mixes proxies into electrode traces as they stream to the file.
            if (auto field = compose::lead_field_of(d)) {
                // Electrodes carry their sources' unit times the gain's (docs/model-files.md).
                std::set<std::string> units;
                for (std::size_t k = 0; k < net.signal_recorder_count(); ++k)
                    for (const auto& src : field->sources)
                        if (net.signal_recorder_name(k) == src) units.insert(net.signal_recorder_unit(k));
                const std::string unit = units.size() == 1 && !units.begin()->empty() ? *units.begin() + " x gain" : "";
                for (const auto& e : field->electrodes) writer->add_signal_recorder(e, "lead_field", unit);
                electrodes.emplace(std::move(*field), *writer);
                net.set_recording_sink(&*electrodes);
            } else {
                net.set_recording_sink(&*writer);
            }
        }

        running_network.store(&net);
        interrupted = 0;
        auto previous = distributed_run ? SIG_DFL : std::signal(SIGINT, on_sigint);
        const std::int64_t start = net.current_step();
        const std::int64_t total = std::llround(duration_ms / d.run.dt_ms);
        const std::int64_t end = start + total;
        const std::int64_t chunk = std::max<std::int64_t>(1, total / (tty ? 200 : 10));
        // Checkpoints every `every` steps of model time (on multiples of it), and at the end.
        const std::int64_t every = o.checkpoint_every ? std::max<std::int64_t>(1, std::llround(*o.checkpoint_every / d.run.dt_ms)) : 0;
        std::int64_t next_checkpoint = every ? (net.current_step() / every + 1) * every : end;
        const auto t0 = std::chrono::steady_clock::now();
        const double sim_cpu_start = process_cpu_seconds();
        double checkpoint_s = 0.0;
        std::size_t checkpoints = 0;
        auto save = [&] {
            const auto c0 = std::chrono::steady_clock::now();
            net.save_checkpoint(o.checkpoint);
            checkpoint_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - c0).count();
            ++checkpoints;
        };
        std::int64_t done = start;
        while (done < end && !interrupted) {
            std::int64_t n = std::min(chunk, end - done);
            if (!o.checkpoint.empty()) n = std::min(n, next_checkpoint - done);
            net.run_steps(n);
            done = net.current_step();
            if (net.stopped_early()) break;
            if (!o.checkpoint.empty() && every && done == next_checkpoint && done < end) {
                save();
                next_checkpoint += every;
            }
            if (!o.quiet && root)
                print_progress(tty, net.current_time_ms() - double(start) * d.run.dt_ms, duration_ms,
                               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                               done >= end);
        }
        if (!distributed_run) std::signal(SIGINT, previous);
        running_network.store(nullptr);
        // The final state, also after Ctrl-C: an interrupted run can be resumed where it stopped.
        if (!o.checkpoint.empty()) save();
        const double sim_s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() - checkpoint_s;
        const bool was_interrupted = interrupted != 0 || done < end;
        if (was_interrupted && !o.quiet) std::fprintf(stderr, "\nlamina: interrupted; writing what was recorded\n");

        const double sim_cpu_s = process_cpu_seconds() - sim_cpu_start;
        const auto rank_peaks = distributed::gather(double(sim::peak_resident_bytes()) / (1024.0 * 1024.0));
        const auto rank_build_cpu = distributed::gather(build_cpu_s);
        const auto rank_sim_cpu = distributed::gather(sim_cpu_s);
        if (!root) return was_interrupted ? exit_interrupted : 0;
        writer->set_run_metadata(net);
        writer->set_metadata(sim::result_file_writer::key_model, d.text);
        writer->set_metadata("model_path", d.path);
        writer->set_metadata(sim::result_file_writer::key_simulation_seconds, sim_s);
        if (distributed_run) writer->set_metadata("ranks", std::int64_t{net.ranks()});
        if (start > 0) writer->set_metadata("resumed_from_ms", double(start) * d.run.dt_ms);
        if (!o.checkpoint.empty()) writer->set_metadata("checkpoint", o.checkpoint);
        writer->finish(was_interrupted);

        auto summary = summarize(net, sim_s, output, was_interrupted);
        if (distributed_run) {
            summary.ranks = net.ranks();
            summary.rank_peak_rss_mb = rank_peaks;
        }
        summary.rank_build_cpu_s = rank_build_cpu;
        summary.rank_sim_cpu_s = rank_sim_cpu;
        summary.resumed_from_s = double(start) * d.run.dt_ms * 1e-3;
        summary.model_time_s -= summary.resumed_from_s;
        if (!o.checkpoint.empty()) {
            summary.checkpoint = o.checkpoint;
            summary.checkpoints_written = checkpoints;
            summary.checkpoint_s = checkpoint_s;
        }
        if (o.json)
            std::printf("%s\n", to_json(summary).c_str());
        else if (!o.quiet)
            std::printf("%s", to_text(summary).c_str());
        return was_interrupted ? exit_interrupted : 0;
    } catch (const sim::error& e) {
        running_network.store(nullptr);
        if (distributed_run) distributed::abort_all(e.what(), exit_failure);
        std::fprintf(stderr, "error: %s\n", e.what());
        return exit_failure;
    } catch (const std::exception& e) {
        if (!distributed_run) throw;
        distributed::abort_all(e.what(), exit_failure);
    }
}

subcommand add_run_command(CLI::App& app) {
    auto o = std::make_shared<model_options>();
    auto* run = app.add_subcommand("run", "build and run a TOML model file, write an HDF5 result file");
    run->add_option("model", o->model, "model file (TOML)")->required();
    run->add_option("--threads", o->threads, "threads (default: the file's run.threads, else all cores)")
        ->check(CLI::Range(1, 1024));
    run->add_option("--seed", o->seed, "random seed (overrides run.seed)");
    run->add_option("--duration", o->duration, "model time in ms (overrides run.duration)")
        ->check(CLI::Range(0.0, 1e12));
    run->add_option("--out", o->out, "result file (HDF5; overrides run.output)");
    run->add_option("--checkpoint", o->checkpoint,
                    "write the complete state to this HDF5 file at the end (and every --checkpoint-every ms); "
                    "`lamina resume` continues it");
    run->add_option("--checkpoint-every", o->checkpoint_every, "model time in ms between checkpoints")
        ->check(CLI::Range(1e-9, 1e12))
        ->needs("--checkpoint");
    run->add_flag("--json", o->json, "print the summary as one JSON object on stdout");
    run->add_flag("--quiet", o->quiet, "no progress or summary text");
    return {run, [o] { return command_run(*o); }};
}

} // namespace lamina::app
