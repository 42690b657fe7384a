// `lamina connectivity FILE.h5`: coherence, phase-locking value, phase lag and amplitude envelope
// correlation between the recorded signals, per EEG band (models/eeg/connectivity.hpp,
// docs/spectra.md), printed, written to /connectivity of the file and drawn as heat maps by
// scripts/plot_connectivity.py.
#include "commands.hpp"
#include "plot_script.hpp"

#include "lamina/app/cli.hpp"
#include "lamina/app/run_summary.hpp"
#include "lamina/models/eeg/connectivity.hpp"
#include "lamina/sim/hdf5_file.hpp"
#include "lamina/sim/parameters.hpp"
#include "lamina/sim/result_file.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace lamina::app {

namespace {

struct connectivity_cli {
    std::string file;
    std::vector<std::string> signals;  // empty: all signals sampled like the first
    std::string png;
    bool no_png = false, no_write = false, json = false;
    double skip_ms = 0.0;
    double segment_s = 1.0;
    double overlap = 0.5;
};

using models::eeg::connectivity_matrices;

std::string json_matrix(const std::vector<double>& m, std::size_t n) {
    std::string s = "[";
    for (std::size_t i = 0; i < n; ++i) {
        s += i ? ", [" : "[";
        for (std::size_t j = 0; j < n; ++j) s += (j ? ", " : "") + json_number(m[i * n + j]);
        s += "]";
    }
    return s + "]";
}

std::string json_names(const std::vector<std::string>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + json_string(v[i]);
    return s + "]";
}

std::string matrices_json(const std::string& file, const std::vector<std::string>& names, const connectivity_matrices& c,
                          double seconds) {
    std::string s = "{\"file\": " + json_string(file) + ", \"signals\": " + json_names(names);
    s += fmt::format(", \"seconds\": {}, \"nperseg\": {}, \"segments\": {}, \"coherence_chance\": {}", json_number(seconds),
                     c.nperseg, c.segments, json_number(c.coherence_chance));
    s += ", \"bands\": [";
    for (std::size_t b = 0; b < c.bands.size(); ++b) {
        s += fmt::format("{}{{\"name\": {}, \"low_hz\": {}, \"high_hz\": {}, \"plv_chance\": {}", b ? ", " : "",
                         json_string(c.bands[b]), json_number(c.band_limits[b].low), json_number(c.band_limits[b].high),
                         json_number(c.plv_chance[b]));
        s += ", \"coherence\": " + json_matrix(c.coherence[b], c.signals);
        s += ", \"plv\": " + json_matrix(c.plv[b], c.signals);
        s += ", \"lag_rad\": " + json_matrix(c.lag[b], c.signals);
        s += ", \"aec\": " + json_matrix(c.aec[b], c.signals) + "}";
    }
    s += "], \"skipped\": [";
    for (std::size_t b = 0; b < c.skipped.size(); ++b)
        s += fmt::format("{}{{\"name\": {}, \"low_hz\": {}, \"high_hz\": {}, \"reason\": {}}}", b ? ", " : "",
                         json_string(c.skipped[b].name), json_number(c.skipped[b].band.low),
                         json_number(c.skipped[b].band.high), json_string(c.skipped[b].reason));
    return s + "]}";
}

void write_matrices(const std::string& path, const std::vector<std::string>& names, const connectivity_matrices& c,
                    const connectivity_cli& o) {
    auto f = sim::hdf5::file::open_read_write(path);
    {
        f.remove("connectivity");
        auto g = f.create_group("connectivity");
        g.set_attribute("signals", std::span<const std::string>(names));
        g.set_attribute("skip_ms", o.skip_ms);
        g.set_attribute("nperseg", std::int64_t(c.nperseg));
        g.set_attribute("segments", std::int64_t(c.segments));
        g.set_attribute("coherence_chance", c.coherence_chance);
        g.set_attribute("layout", "per band: N x N matrices, row i column j = signals[i], signals[j]");
        if (!c.skipped.empty()) {
            std::vector<std::string> skipped;
            for (const auto& k : c.skipped) skipped.push_back(k.name + ": " + k.reason);
            g.set_attribute("skipped_bands", std::span<const std::string>(skipped));
        }
        for (std::size_t b = 0; b < c.bands.size(); ++b) {
            auto bg = g.create_group(c.bands[b]);
            bg.set_attribute("low_hz", c.band_limits[b].low);
            bg.set_attribute("high_hz", c.band_limits[b].high);
            bg.set_attribute("plv_chance", c.plv_chance[b]);
            auto put = [&](const char* name, const std::vector<double>& m, const char* meaning) {
                auto d = bg.create_appendable(name, sim::hdf5::type::float64, c.signals, c.signals * c.signals);
                d.append(m);
                d.set_attribute("meaning", meaning);
            };
            put("coherence", c.coherence[b], "mean magnitude-squared Welch coherence over the band");
            put("plv", c.plv[b], "phase-locking value of the band-passed analytic signals");
            put("lag", c.lag[b], "mean phase difference phi_i - phi_j, rad (i leads j when > 0)");
            put("aec", c.aec[b], "Pearson correlation of the band-passed amplitude envelopes");
        }
    }
    f.close();
}

int command_connectivity(const connectivity_cli& o) {
    sim::result_file_summary summary;
    try {
        summary = sim::read_result_summary(o.file);
    } catch (const sim::error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return exit_bad_input;
    }
    std::vector<std::string> all;
    for (const auto& [k, v] : summary.signals) all.push_back(k);
    std::vector<std::string> names = o.signals;
    for (const auto& n : names)
        if (!summary.signals.count(n)) {
            std::string msg = "no signal '" + n + "'";
            if (auto near = sim::nearest_name(n, all); !near.empty()) msg += " (did you mean '" + near + "'?)";
            std::fprintf(stderr, "error: %s: %s; signals: %s\n", o.file.c_str(), msg.c_str(),
                         fmt::format("{}", fmt::join(all, " ")).c_str());
            return exit_bad_input;
        }
    std::vector<std::vector<double>> values;
    std::vector<double> times;
    try {
        const auto f = sim::hdf5::file::open(o.file);
        const bool chosen = !names.empty();
        for (const auto& n : chosen ? names : all) {
            const auto g = f.open_group("signals/" + n);
            auto t = g.read<double>("times");
            if (times.empty()) times = t;
            if (t != times) {
                if (chosen) {
                    std::fprintf(stderr, "error: %s: signal '%s' is not sampled at the times of '%s'\n", o.file.c_str(),
                                 n.c_str(), names.front().c_str());
                    return exit_bad_input;
                }
                continue;  // all signals: keep those on the first one's grid
            }
            if (!chosen) names.push_back(n);
            values.push_back(g.read<double>("values"));
        }
    } catch (const sim::error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return exit_bad_input;
    }
    if (values.size() < 2) {
        std::fprintf(stderr, "error: %s: need at least two signals on one time grid, found %zu\n", o.file.c_str(),
                     values.size());
        return exit_bad_input;
    }
    std::size_t first = 0;
    while (first < times.size() && times[first] < o.skip_ms) ++first;
    const std::size_t n = times.size() - first;
    if (n < 64) {
        std::fprintf(stderr, "error: %s: %zu samples after --skip %g ms; need at least 64\n", o.file.c_str(), n, o.skip_ms);
        return exit_bad_input;
    }
    for (auto& v : values) v.erase(v.begin(), v.begin() + std::ptrdiff_t(first));
    const double dt = (times.back() - times[first]) / double(n - 1);
    const double fs = 1000.0 / dt;
    connectivity_matrices c;
    try {
        const auto bands = models::eeg::default_connectivity_bands();
        c = models::eeg::connectivity(values, fs, bands, std::size_t(std::llround(o.segment_s * fs)), o.overlap);
    } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "error: %s: %s\n", o.file.c_str(), e.what());
        return exit_bad_input;
    }
    // A band the record cannot resolve is left out and named, never an error on its own.
    for (const auto& k : c.skipped)
        std::fprintf(stderr, "%s: %s %g-%g Hz skipped: %s\n", c.bands.empty() ? "error" : "warning", k.name.c_str(),
                     k.band.low, k.band.high, k.reason.c_str());
    if (c.bands.empty()) {
        std::fprintf(stderr, "error: %s: no band can be resolved from %zu samples at %g Hz\n", o.file.c_str(), n, fs);
        return exit_bad_input;
    }
    const double seconds = double(n) / fs;
    std::string written;
    if (!o.no_write) {
        try {
            write_matrices(o.file, names, c, o);
            written = "/connectivity";
        } catch (const sim::error& e) {
            std::fprintf(stderr, "warning: the matrices were not written into the file: %s\n", e.what());
        }
    }
    std::string png;
    if (!o.no_png) {
        const auto target = !o.png.empty() ? std::filesystem::path(o.png)
                                           : std::filesystem::path(o.file).parent_path() /
                                                 (std::filesystem::path(o.file).stem().string() + "_connectivity.png");
        const std::string why = plot_with("plot_connectivity.py", "LAMINA_PLOT_CONNECTIVITY_SCRIPT",
                                          matrices_json(o.file, names, c, seconds), target.string());
        if (why.empty())
            png = target.string();
        else
            std::fprintf(stderr, "warning: no PNG written: %s\n", why.c_str());
    }
    if (o.json) {
        std::string s = matrices_json(o.file, names, c, seconds);
        s.pop_back();
        s += ", \"written\": " + (written.empty() ? std::string("null") : json_string(written));
        s += ", \"png\": " + (png.empty() ? std::string("null") : json_string(png)) + "}";
        std::printf("%s\n", s.c_str());
        return 0;
    }
    std::printf("%s: %zu signals, %.3g s at %g Hz; coherence from %zu Welch segments of %zu samples (chance %.3f)\n",
                o.file.c_str(), names.size(), seconds, fs, c.segments, c.nperseg, c.coherence_chance);
    const std::size_t m = names.size();
    for (std::size_t b = 0; b < c.bands.size(); ++b) {
        std::printf("  %s %g-%g Hz (PLV of independent noise: %.3f)\n", c.bands[b].c_str(), c.band_limits[b].low,
                    c.band_limits[b].high, c.plv_chance[b]);
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t j = i + 1; j < m; ++j)
                std::printf("    %-12s %-12s coherence %.3f  PLV %.3f  lag %+.2f rad  AEC %+.3f\n", names[i].c_str(),
                            names[j].c_str(), c.coherence[b][i * m + j], c.plv[b][i * m + j], c.lag[b][i * m + j],
                            c.aec[b][i * m + j]);
    }
    for (const auto& k : c.skipped)
        std::printf("  %s %g-%g Hz skipped: %s\n", k.name.c_str(), k.band.low, k.band.high, k.reason.c_str());
    if (!written.empty()) std::printf("  written to %s:%s\n", o.file.c_str(), written.c_str());
    if (!png.empty()) std::printf("  plot %s\n", png.c_str());
    return 0;
}

} // namespace

subcommand add_connectivity_command(CLI::App& app) {
    auto o = std::make_shared<connectivity_cli>();
    auto* c = app.add_subcommand("connectivity",
                                 "coherence, phase-locking value, phase lag and envelope correlation between recorded signals");
    c->add_option("file", o->file, "result file (HDF5)")->required();
    c->add_option("--signals", o->signals, "signal names under /signals (default: all on the first one's time grid)")
        ->delimiter(',');
    c->add_option("--skip", o->skip_ms, "leave out the first MS ms (transient; default 0)")->check(CLI::NonNegativeNumber);
    c->add_option("--segment", o->segment_s, "Welch segment length for coherence, s (default 1)")
        ->check(CLI::PositiveNumber);
    c->add_option("--overlap", o->overlap, "Welch segment overlap, fraction in [0, 1) (default 0.5)")
        ->check(CLI::Range(0.0, 0.99));
    c->add_flag("--json", o->json, "print the matrices as one JSON object");
    c->add_option("--png", o->png, "heat-map file (default: <file stem>_connectivity.png next to the file)");
    c->add_flag("--no-png", o->no_png, "do not plot");
    c->add_flag("--no-write", o->no_write, "do not write /connectivity into the result file");
    return {c, [o] { return command_connectivity(*o); }};
}

} // namespace lamina::app
