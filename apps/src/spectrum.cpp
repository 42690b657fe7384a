// `lamina spectrum FILE.h5`: the Welch PSD, specparam fit, alpha peak and band ratios of a recorded
// signal (docs/spectra.md), printed, written to /spectra/<signal> of the file and plotted to PNG by
// scripts/plot_spectrum.py.
#include "commands.hpp"
#include "plot_script.hpp"

#include "lamina/app/cli.hpp"
#include "lamina/app/run_summary.hpp"
#include "lamina/models/eeg/signal_spectrum.hpp"
#include "lamina/sim/hdf5_file.hpp"
#include "lamina/sim/parameters.hpp"
#include "lamina/sim/result_file.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <memory>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace lamina::app {

namespace {

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

std::string unit_squared(const std::string& unit);

// /spectra/<signal> of the result file: the PSD, the fit and the metrics (docs/spectra.md).
void write_spectrum(const std::string& path, const std::string& signal, const std::string& unit,
                    const models::eeg::signal_spectrum& r, const models::eeg::signal_spectrum_options& o) {
    const std::string u2 = unit_squared(unit) + "/Hz";
    auto f = sim::hdf5::file::open_read_write(path);
    {
        auto root = f.require_group("spectra");
        root.remove(signal);
        auto g = root.create_group(signal);
        g.set_attribute("signal", signal);
        g.write("freqs", r.psd.freqs).set_attribute("units", "Hz");
        g.write("power", r.psd.power).set_attribute("units", u2);
        g.write("fit_freqs", r.fit.freqs).set_attribute("units", "Hz");
        g.write("fit_log_power", r.fit.log_power).set_attribute("units", "log10(" + u2 + ")");
        g.write("fit_model", r.fit.model).set_attribute("units", "log10(" + u2 + ")");
        g.write("fit_aperiodic", r.fit.aperiodic).set_attribute("units", "log10(" + u2 + ")");
        std::vector<double> pf, pp, pb;
        for (const auto& p : r.fit.peaks) {
            pf.push_back(p.frequency);
            pp.push_back(p.power);
            pb.push_back(p.bandwidth);
        }
        g.write("peak_frequency", pf).set_attribute("units", "Hz");
        g.write("peak_power", pp).set_attribute("units", "log10 power above the aperiodic fit");
        g.write("peak_bandwidth", pb).set_attribute("units", "Hz");
        std::vector<std::int64_t> sig(r.significant.begin(), r.significant.end());
        g.write("peak_significant", sig).set_attribute("meaning", "1: height >= noise_peak_height (not noise)");
        g.set_attribute("signal_units", unit.empty() ? std::string("unknown") : unit);
        g.set_attribute("resolution_hz", r.resolution_hz);
        g.set_attribute("effective_segments", r.effective_segments);
        g.set_attribute("log10_scatter", r.log10_scatter);
        g.set_attribute("noise_peak_height", r.noise_peak_height);
        g.set_attribute("alpha_band_maximum_hz", r.alpha_band_maximum.frequency);
        if (!r.warnings.empty()) g.set_attribute("warnings", std::span<const std::string>(r.warnings));
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

// "pA" -> "pA^2", "pA x gain" -> "(pA x gain)^2", "" -> "unit^2" (the file does not say).
std::string unit_squared(const std::string& unit) {
    if (unit.empty()) return "unit^2";
    if (unit.find(' ') != std::string::npos) return "(" + unit + ")^2";
    return unit + "^2";
}

std::string json_array(const std::vector<double>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + json_number(v[i]);
    return s + "]";
}

// What scripts/plot_spectrum.py reads.
std::string spectrum_plot_data(const std::string& file, const std::string& signal, const std::string& unit,
                               const models::eeg::signal_spectrum& r) {
    std::vector<double> pf, noise;
    for (std::size_t k = 0; k < r.fit.peaks.size(); ++k)
        (r.significant[k] ? pf : noise).push_back(r.fit.peaks[k].frequency);
    std::string s = "{\"file\": " + json_string(file) + ", \"signal\": " + json_string(signal);
    s += ", \"freqs\": " + json_array(r.psd.freqs) + ", \"power\": " + json_array(r.psd.power);
    s += ", \"fit_freqs\": " + json_array(r.fit.freqs) + ", \"fit_model\": " + json_array(r.fit.model);
    s += ", \"fit_aperiodic\": " + json_array(r.fit.aperiodic);
    s += ", \"exponent\": " + json_number(r.fit.exponent) + ", \"r_squared\": " + json_number(r.fit.r_squared);
    s += ", \"peak_hz\": " + json_number(r.peak.frequency) + ", \"peaks\": " + json_array(pf);
    s += ", \"noise_peaks\": " + json_array(noise) + ", \"unit\": " + json_string(unit_squared(unit) + "/Hz");
    s += fmt::format(", \"segments\": {}, \"effective_segments\": {}, \"resolution_hz\": {}", r.segments,
                     json_number(r.effective_segments), json_number(r.resolution_hz));
    s += ", \"warning\": " + json_string(r.warnings.empty() ? "" : "too little data or no clear peak") + "}";
    return s;
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
    const std::string unit = summary.signals.at(name).unit;
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
            write_spectrum(o.file, name, unit, r, o.analysis);
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
        const std::string why =
            plot_with("plot_spectrum.py", "LAMINA_PLOT_SCRIPT", spectrum_plot_data(o.file, name, unit, r), target.string());
        if (why.empty())
            png = target.string();
        else
            std::fprintf(stderr, "warning: no PNG written: %s\n", why.c_str());
    }

    const auto& b = r.bands;
    if (o.json) {
        std::string s = "{\"file\": " + json_string(o.file) + ", \"signal\": " + json_string(name);
        s += fmt::format(", \"fs_hz\": {}, \"samples\": {}, \"nperseg\": {}, \"segments\": {}, \"resolution_hz\": {}",
                         json_number(r.fs_hz), r.samples, r.nperseg, r.segments, json_number(r.resolution_hz));
        s += ", \"signal_units\": " + (unit.empty() ? std::string("null") : json_string(unit));
        s += ", \"psd_units\": " + json_string(unit_squared(unit) + "/Hz");
        s += fmt::format(", \"effective_segments\": {}, \"log10_scatter\": {}, \"noise_peak_height\": {}",
                         json_number(r.effective_segments), json_number(r.log10_scatter),
                         json_number(r.noise_peak_height));
        s += ", \"alpha_band_maximum_hz\": " + json_number(r.alpha_band_maximum.frequency);
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
            s += fmt::format("{}{{\"frequency\": {}, \"power\": {}, \"bandwidth\": {}, \"significant\": {}}}",
                             i ? ", " : "", json_number(r.fit.peaks[i].frequency), json_number(r.fit.peaks[i].power),
                             json_number(r.fit.peaks[i].bandwidth), r.significant[i] ? "true" : "false");
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
        s += ", \"warnings\": [";
        for (std::size_t i = 0; i < r.warnings.size(); ++i) s += (i ? ", " : "") + json_string(r.warnings[i]);
        s += "]";
        s += ", \"written\": " + (written.empty() ? std::string("null") : json_string(written));
        s += ", \"png\": " + (png.empty() ? std::string("null") : json_string(png)) + "}";
        std::printf("%s\n", s.c_str());
        return 0;
    }
    std::printf("%s: signal %s (%s)\n", o.file.c_str(), name.c_str(), unit.empty() ? "unit not recorded" : unit.c_str());
    std::printf("  %zu samples at %g Hz (%.3g s); Welch: %zu segment%s of %zu samples (%.1f effective), %.3g Hz "
                "resolution; PSD in %s/Hz\n",
                r.samples, r.fs_hz, double(r.samples) / r.fs_hz, r.segments, r.segments == 1 ? "" : "s", r.nperseg,
                r.effective_segments,
                r.resolution_hz, unit_squared(unit).c_str());
    std::printf("  noise level          bins scatter by %.2f log10 (1 SD); noise peaks reach %.2f log10 (5 %%)\n",
                r.log10_scatter, r.noise_peak_height);
    if (r.peak.found)
        std::printf("  alpha peak           %.2f Hz (fitted peak, %.2f log10 above the aperiodic fit)\n", r.peak.frequency,
                    r.peak.power);
    else
        std::printf("  alpha peak           none above the noise level in %g-%g Hz%s\n", o.analysis.alpha_search.low,
                    o.analysis.alpha_search.high,
                    r.alpha_band_maximum.found
                        ? fmt::format(" (largest bin at {:.2f} Hz, not a peak)", r.alpha_band_maximum.frequency).c_str()
                        : "");
    if (std::isfinite(r.dominant_peak_hz)) std::printf("  dominant peak        %.2f Hz\n", r.dominant_peak_hz);
    std::printf("  fitted peaks         %zu, of which %zu above the noise level\n", r.fit.peaks.size(), r.significant_peaks);
    std::printf("  aperiodic exponent   %.3f (fixed, %g-%g Hz, R^2 %.3f)\n", r.fit.exponent, o.analysis.fmin,
                o.analysis.fmax, r.fit.r_squared);
    if (r.knee_fit)
        std::printf("  knee fit             exponent %.3f, knee frequency %.2f Hz (R^2 %.3f)\n", r.knee_fit->exponent,
                    r.knee_fit->knee_frequency(), r.knee_fit->r_squared);
    std::printf("  relative power       delta %.3f  theta %.3f  alpha %.3f  beta %.3f  gamma %.3f\n", b.relative_delta,
                b.relative_theta, b.relative_alpha, b.relative_beta, b.relative_gamma);
    std::printf("  theta/alpha          %.3f\n", b.theta_alpha_ratio);
    std::printf("  (delta+theta)/(alpha+beta) %.3f\n", b.slowing_ratio);
    for (const auto& w : r.warnings) std::printf("  warning: %s\n", w.c_str());
    if (!written.empty()) std::printf("  written to %s:%s\n", o.file.c_str(), written.c_str());
    if (!png.empty()) std::printf("  plot %s\n", png.c_str());
    return 0;
}

} // namespace

subcommand add_spectrum_command(CLI::App& app) {
    auto sp = std::make_shared<spectrum_cli>();
    auto* spectrum = app.add_subcommand(
        "spectrum", "Welch PSD, aperiodic exponent, alpha peak and band ratios of a recorded signal (EEG/LFP proxy)");
    spectrum->add_option("file", sp->file, "result file (HDF5)")->required();
    spectrum->add_option("--signal", sp->signal, "signal (recorder) name under /signals (default: the first by name)");
    spectrum->add_flag("--json", sp->json, "print the results as one JSON object");
    spectrum->add_option("--png", sp->png, "plot file (default: <file stem>_<signal>_spectrum.png next to the file)");
    spectrum->add_flag("--no-png", sp->no_png, "do not plot");
    spectrum->add_flag("--no-write", sp->no_write, "do not write /spectra/<signal> into the result file");
    spectrum->add_option("--fmin", sp->analysis.fmin, "lower end of the aperiodic fit, Hz (default 2)")
        ->check(CLI::PositiveNumber);
    spectrum->add_option("--fmax", sp->analysis.fmax, "upper end of the aperiodic fit, Hz (default 40)")
        ->check(CLI::PositiveNumber);
    spectrum->add_flag("--knee", sp->analysis.knee, "also fit the aperiodic component with a knee");
    spectrum->add_option("--skip", sp->analysis.skip_ms, "leave out the first MS ms (transient; default 0)")
        ->check(CLI::NonNegativeNumber);
    spectrum->add_option("--segment", sp->analysis.segment_s,
                         "Welch segment length in s (default: a quarter of the signal, kept in 1-2 s)")
        ->check(CLI::PositiveNumber);
    spectrum->add_option("--nperseg", sp->analysis.nperseg, "Welch segment length in samples (overrides --segment)");
    spectrum->add_option("--overlap", sp->analysis.overlap, "Welch segment overlap, fraction in [0, 1) (default 0.5)")
        ->check(CLI::Range(0.0, 0.99));
    spectrum->add_option("--max-peaks", sp->analysis.max_n_peaks, "most peaks specparam fits (default 6)");
    spectrum->add_option("--min-peak-height", sp->analysis.min_peak_height,
                         "smallest peak height above the aperiodic fit, log10 power (default 0.1)")
        ->check(CLI::NonNegativeNumber);
    return {spectrum, [sp] { return command_spectrum(*sp); }};
}

} // namespace lamina::app
