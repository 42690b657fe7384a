// `lamina check MODEL.toml`: validates a model file and estimates its size and memory; runs nothing.
#include "commands.hpp"
#include "distributed.hpp"
#include "model_command.hpp"

#include "lamina/app/cli.hpp"
#include "lamina/app/run_summary.hpp"
#include "lamina/compose/lattice_run.hpp"
#include "lamina/sim/system_memory.hpp"

#include <cstdio>
#include <fmt/format.h>
#include <memory>

namespace lamina::app {

namespace {

int command_check(const model_options& o) {
    try {
        auto d = compose::load_model_file(o.model);
        if (d.lattice) {
            const auto lat = compose::instantiate_lattice(d, overrides_of(o));
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
        auto net = compose::instantiate(d, overrides_of(o));
        // Under mpirun: the estimate of one rank's share (docs/distributed.md).
        if (auto c = distributed::communicator()) net->set_communicator(std::move(c));
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
            std::printf("  memory estimate %.3f GiB%s (available %.1f GiB)\n", gib,
                        distributed::active() ? fmt::format(" per rank of {}", distributed::size()).c_str() : "",
                        double(sim::available_memory_bytes()) / double(1 << 30));
        }
        return 0;
    } catch (const compose::model_file_error& e) {
        return report(e);
    } catch (const sim::capacity_error& e) {
        std::fprintf(stderr, "error: %s: %s\n", o.model.c_str(), e.what());
        return exit_bad_input;
    }
}

} // namespace

subcommand add_check_command(CLI::App& app) {
    auto o = std::make_shared<model_options>();
    auto* check = app.add_subcommand("check", "validate a model file and estimate its size; runs nothing");
    check->add_option("model", o->model, "model file (TOML)")->required();
    check->add_flag("--json", o->json, "print the result as JSON");
    return {check, [o] { return command_check(*o); }};
}

} // namespace lamina::app
