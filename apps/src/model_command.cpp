#include "model_command.hpp"

#include "lamina/app/cli.hpp"

#include <cstdio>
#include <filesystem>

namespace lamina::app {

compose::run_overrides overrides_of(const model_options& o) { return {o.threads, o.seed, o.duration, std::nullopt}; }

std::string default_output(const compose::model_description& d, const model_options& o) {
    if (!o.out.empty()) return o.out;
    if (!d.run.output.empty()) return d.run.output;
    return std::filesystem::path(d.path).stem().string() + ".h5";
}

void add_default_recorders(compose::model_description& d) {
    if (!d.spike_recorders.empty() || !d.state_recorders.empty() || !d.rate_recorders.empty()) return;
    for (const auto& p : d.populations) d.spike_recorders.push_back({"spikes_" + p.name, p.name, {}});
}

int report(const compose::model_file_error& e) {
    for (const auto& d : e.diagnostics()) std::fprintf(stderr, "error: %s\n", d.text().c_str());
    std::fprintf(stderr, "lamina: %zu problem%s in the model file; nothing was run\n", e.diagnostics().size(),
                 e.diagnostics().size() == 1 ? "" : "s");
    return exit_bad_input;
}

} // namespace lamina::app
