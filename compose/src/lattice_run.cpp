// A model description's [lattice] made into a running sheet: its configuration, coupling and
// recording from the description, its mass from the mass registry.
#include "lamina/compose/lattice_run.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <thread>

namespace lamina::compose {

models::mass::coupling lattice_coupling(const model_description& d, const run_overrides& o) {
    namespace mass = models::mass;
    if (!d.lattice) throw model_file_error({{d.path, {}, "lattice", "the model file has no [lattice] table"}});
    const auto& l = *d.lattice;
    if (l.coupling == "laplacian") return mass::laplacian_coupling{l.kappa, l.diffusion};
    if (l.coupling == "kernel") {
        mass::kernel_coupling kc;
        kc.strength = l.strength;
        kc.shape = l.shape == "exponential" ? mass::kernel_shape::exponential
                   : l.shape == "uniform"   ? mass::kernel_shape::uniform
                                            : mass::kernel_shape::gaussian;
        kc.length = l.length_mm;
        kc.radius = l.radius_mm;
        kc.conduction_velocity = l.velocity;
        kc.normalise = l.normalise;
        kc.diffusive = l.diffusive;
        return kc;
    }
    if (l.coupling == "matrix") {
        mass::matrix_coupling mc;
        mc.strength = l.strength;
        mc.diffusive = l.diffusive;
        if (l.prior) {
            auto prior = *l.prior;
            if (!l.prior_seed_given) prior.seed = o.seed.value_or(d.run.seed);
            mc.connections = mass::sample_connectivity(prior, "lattice");
        } else {
            mc.connections = l.connections;
        }
        return mc;
    }
    return mass::no_coupling{};
}

std::unique_ptr<lattice_run> instantiate_lattice(const model_description& d, const run_overrides& o,
                                                 const registries& reg) {
    namespace mass = models::mass;
    if (!d.lattice) throw model_file_error({{d.path, {}, "lattice", "the model file has no [lattice] table"}});
    const auto& l = *d.lattice;
    std::vector<diagnostic> problems;
    auto report = [&](const sim::parameter_error& e) {
        // Everything of the sheet is the table's: refusals point there whatever object they name.
        const auto p = d.place_of("lattice", e.parameter());
        problems.push_back({d.path, p.where, p.key, e.what()});
    };
    mass::lattice_config c;
    c.rows = l.rows;
    c.cols = l.cols;
    c.dt = d.run.dt_ms;
    c.spacing = l.spacing_mm;
    c.edges = l.boundary == "fixed" ? mass::boundary::fixed : mass::boundary::periodic;
    c.boundary_value = l.boundary_value;
    c.method = l.scheme == "rk4" ? mass::scheme::rk4 : l.scheme == "euler_maruyama" ? mass::scheme::euler_maruyama
                                                                                      : mass::scheme::heun;
    c.seed = o.seed.value_or(d.run.seed);
    c.threads = o.threads.value_or(d.run.threads);
    if (c.threads <= 0) c.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    mass::coupling k = mass::no_coupling{};
    try {
        k = lattice_coupling(d, o);
    } catch (const sim::parameter_error& e) {
        report(e);
    }
    mass::recording_config r;
    r.nodes.assign(l.nodes.begin(), l.nodes.end());
    const double steps = l.interval_ms / d.run.dt_ms;
    if (!(std::abs(steps - std::round(steps)) <= 1e-6 * std::max(1.0, steps)) || std::round(steps) < 1.0)
        report(sim::parameter_error("lattice", "interval",
                                    fmt::format("must be a positive multiple of dt ({} ms), got {} ms", d.run.dt_ms,
                                                l.interval_ms)));
    r.interval = static_cast<std::size_t>(std::max(1.0, std::round(steps)));
    r.spatial_mean = true;
    r.capacity = 100000;
    std::unique_ptr<lattice_run> out;
    if (problems.empty()) {
        try {
            // Parameters and the lattice's refusals name the object "lattice", as the file's table.
            out = reg.masses.create(l.model, c, l.parameters, k, r, "lattice", report);
        } catch (const sim::parameter_error& e) {
            report(e);
        }
    }
    if (!problems.empty() || !out) throw model_file_error(problems);
    return out;
}

} // namespace lamina::compose
