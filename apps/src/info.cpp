// `lamina info FILE.h5`: summarises a result file (metadata, spikes, states, weights, rates,
// signals), or the header of a checkpoint (where it stands and what it continues), as text or one
// JSON object.
#include "commands.hpp"

#include "lamina/app/cli.hpp"
#include "lamina/app/run_summary.hpp"
#include "lamina/sim/checkpoint.hpp"
#include "lamina/sim/hdf5_file.hpp"
#include "lamina/sim/result_file.hpp"

#include <cstdio>
#include <fmt/format.h>
#include <memory>
#include <string>

namespace lamina::app {

namespace {

std::string metadata_text(const sim::metadata_value& v) {
    if (auto s = std::get_if<std::string>(&v)) return *s;
    if (auto d = std::get_if<double>(&v)) return fmt::format("{}", *d);
    return fmt::format("{}", std::get<std::int64_t>(v));
}

// A file that says it is a checkpoint (whatever else is wrong with it).
bool is_checkpoint(const std::string& path) {
    try {
        const auto f = sim::hdf5::file::open(path);
        return f.has_attribute("format") && f.string_attribute("format") == "lamina-checkpoint";
    } catch (const sim::error&) {
        return false;
    }
}

int checkpoint_info(const std::string& path, bool json) {
    try {
        const auto h = sim::read_checkpoint_header(path);
        if (json) {
            std::printf("{\"file\": %s, \"checkpoint\": {\"format_version\": %d, \"lamina_version\": %s, "
                        "\"time_ms\": %s, \"step\": %lld, \"dt_ms\": %s, \"seed\": %llu, \"threads\": %d, "
                        "\"model_path\": %s}}\n",
                        json_string(path).c_str(), h.format_version, json_string(h.lamina_version).c_str(),
                        json_number(h.time_ms()).c_str(), (long long)h.step, json_number(h.dt_ms).c_str(),
                        (unsigned long long)h.seed, h.threads, json_string(h.description_origin).c_str());
            return 0;
        }
        std::printf("%s: lamina checkpoint (format %d, written by lamina %s)\n", path.c_str(), h.format_version,
                    h.lamina_version.c_str());
        std::printf("  at %.3f ms of model time (step %lld, dt %g ms), seed %llu, written on %d threads\n",
                    h.time_ms(), (long long)h.step, h.dt_ms, (unsigned long long)h.seed, h.threads);
        std::printf("  model %s\n", h.description_origin.empty() ? "(none given)" : h.description_origin.c_str());
        std::printf("  continue it with: lamina resume %s [--duration MS] [--threads N]\n", path.c_str());
        return 0;
    } catch (const sim::error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return exit_bad_input;
    }
}

int command_info(const std::string& path, bool json) {
    if (is_checkpoint(path)) return checkpoint_info(path, json);
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

} // namespace

subcommand add_info_command(CLI::App& app) {
    struct options {
        std::string path;
        bool json = false;
    };
    auto o = std::make_shared<options>();
    auto* info = app.add_subcommand("info", "summarise a result file or a checkpoint");
    info->add_option("file", o->path, "result file or checkpoint (HDF5)")->required();
    info->add_flag("--json", o->json, "print the summary as JSON");
    return {info, [o] { return command_info(o->path, o->json); }};
}

} // namespace lamina::app
