// The one file of the Python module that uses the model-file reader (see compose.hpp).
#include "compose.hpp"

#include "lamina/compose/model_file.hpp"

namespace lamina::python {

namespace mf = lamina::compose;

namespace {

std::string describe(const mf::model_file_error& e, bool generated) {
    if (!generated) return e.what();
    std::string out;
    for (const auto& d : e.diagnostics()) {
        if (!out.empty()) out += '\n';
        out += d.key.empty() ? d.message : d.key + ": " + d.message;
    }
    return out;
}

} // namespace

std::unique_ptr<sim::network> network_from_text(const std::string& text, const std::string& origin,
                                                const network_options& options) {
    try {
        auto d = mf::parse_model_text(text, origin);
        if (d.lattice)
            throw description_error(origin + ": describes a [lattice] of neural masses; the Python module builds "
                                             "spiking networks (run lattices with `lamina run`)");
        // The rule of `lamina run` (apps/src/cli.cpp): a model without recorders records every
        // population's spikes, so a file gives the same recordings from the command line and Python.
        if (d.spike_recorders.empty() && d.state_recorders.empty() && d.rate_recorders.empty())
            for (const auto& p : d.populations) d.spike_recorders.push_back({"spikes_" + p.name, p.name, {}});
        mf::run_overrides o;
        o.threads = options.threads;
        o.seed = options.seed;
        auto net = mf::instantiate(d, o);
        net->set_description(text, origin);
        return net;
    } catch (const mf::model_file_error& e) {
        throw description_error(describe(e, options.generated));
    }
}

std::vector<model_info> builtin_models() {
    const auto& reg = mf::builtin_registries();
    std::vector<model_info> out;
    for (const auto& name : reg.models.names()) {
        auto pop = reg.models.create(name, "probe", 1);
        model_info m;
        m.name = name;
        for (auto v : pop->state_names()) m.state_variables.emplace_back(v);
        for (const auto& p : pop->ports()) m.ports.emplace_back(p.name);
        for (auto p : pop->parameter_names()) m.parameters.emplace_back(std::string(p), pop->parameter(p));
        out.push_back(std::move(m));
    }
    return out;
}

std::vector<std::string> builtin_plasticity_rules() { return mf::builtin_registries().plasticity.rules(); }
std::vector<std::string> builtin_short_term_models() { return mf::builtin_registries().plasticity.short_terms(); }

} // namespace lamina::python
