// A model description made into a network: populations from the model registry with their
// parameters and initial values, plastic rules from the plasticity registry, then projections,
// stimuli, recorders and proxies; every refusal mapped back to its place in the file.
#include "lamina/compose/model_file.hpp"

#include <algorithm>

namespace lamina::compose {

std::unique_ptr<sim::network> instantiate(const model_description& d, const run_overrides& o,
                                          const registries& reg) {
    const auto& registry = reg.models;
    std::vector<diagnostic> problems;
    auto report = [&](const sim::parameter_error& e) {
        const auto p = d.place_of(e.object(), e.parameter());
        problems.push_back({d.path, p.where, p.key, e.what()});
    };

    sim::run_config cfg;
    cfg.dt_ms = d.run.dt_ms;
    cfg.seed = o.seed.value_or(d.run.seed);
    cfg.threads = o.threads.value_or(d.run.threads);
    cfg.adaptive_threads = o.adaptive_threads.value_or(true);
    std::unique_ptr<sim::network> net;
    try {
        net = std::make_unique<sim::network>(cfg);
    } catch (const sim::parameter_error& e) {
        problems.push_back({d.path, {}, "run." + e.parameter(), e.what()});
        throw model_file_error(problems);
    }
    for (const auto& p : d.populations) {
        try {
            auto pop = registry.create(p.model, p.name, p.size);
            for (const auto& [k, v] : p.parameters) {
                try {
                    pop->set_parameter(k, v);
                } catch (const sim::parameter_error& e) {
                    report(e);
                }
            }
            for (const auto& [k, dist] : p.variables) {
                try {
                    pop->define_variable(k, dist);
                } catch (const sim::parameter_error& e) {
                    report(e);
                }
            }
            for (const auto& [k, v] : p.per_neuron) {
                try {
                    pop->set_parameter_per_neuron(k, v);
                } catch (const sim::parameter_error& e) {
                    report(e);
                }
            }
            for (const auto& [k, dist] : p.initial) {
                try {
                    pop->set_initial(k, dist);
                } catch (const sim::parameter_error& e) {
                    report(e);
                }
            }
            pop->requested_update = p.update;
            pop->precise = p.precise;
            pop->layout = p.layout;
            net->add_population(std::move(pop));
        } catch (const sim::parameter_error& e) {
            report(e);
        }
    }
    std::vector<sim::projection_spec> projections = d.projections;
    for (const auto& pd : d.plasticity) {
        auto& spec = projections.at(pd.projection);
        const std::string object = "projection '" + spec.name + "'";
        try {
            auto rule = reg.plasticity.create(pd.rule, pd.short_term, object);
            for (const auto& [k, v] : pd.parameters) {
                try {
                    rule->set_parameter(k, v, object);
                } catch (const sim::parameter_error& e) {
                    report(e);
                }
            }
            spec.plasticity = std::move(rule);
        } catch (const sim::parameter_error& e) {
            report(e);
        }
    }
    if (!problems.empty()) throw model_file_error(problems);
    for (const auto& s : projections) net->connect(s);
    for (const auto& s : d.poisson_inputs) net->add_poisson_input(s);
    for (const auto& s : d.spike_generators) net->add_spike_generator(s);
    for (const auto& s : d.current_inputs) net->add_current_input(s);
    for (const auto& s : d.noise_currents) net->add_noise_current(s);
    for (const auto& s : d.neuron_currents) {
        try {
            net->add_neuron_currents(s);
        } catch (const sim::parameter_error& e) {
            report(e);
        }
    }
    for (const auto& s : d.spike_recorders) net->record_spikes(s);
    for (const auto& s : d.state_recorders) net->record_state(s);
    for (const auto& s : d.rate_recorders) net->record_rate(s);
    for (const auto& s : d.weight_recorders) net->record_weights(s);
    for (const auto& p : d.proxies) {
        const std::string label = "proxy '" + p.name + "'";
        const sim::population* pop = nullptr;
        std::vector<std::string> names;
        for (std::size_t q = 0; q < net->population_count(); ++q) {
            names.push_back(net->population_at(q).name());
            if (net->population_at(q).name() == p.population) pop = &net->population_at(q);
        }
        if (!pop) {
            std::string msg = "no population '" + p.population + "'";
            if (auto near = sim::nearest_name(p.population, names); !near.empty()) msg += " (did you mean '" + near + "'?)";
            report(sim::parameter_error(label, "population", msg));
            continue;
        }
        try {
            models::eeg::proxy_options po;
            po.interval_ms = p.interval_ms;
            net->record_signal(models::eeg::make_proxy(*models::eeg::parse_proxy_type(p.type), p.name, *pop, po));
        } catch (const sim::parameter_error& e) {
            report(e);
        }
    }
    for (const auto& e : net->check()) report(e);
    if (!problems.empty()) {
        std::stable_sort(problems.begin(), problems.end(),
                         [](const diagnostic& a, const diagnostic& b) { return a.where.line < b.where.line; });
        throw model_file_error(problems);
    }
    // Checkpoints of this network carry the file, so they restore without it.
    net->set_description(d.text, d.path);
    return net;
}

} // namespace lamina::compose
