#include "lamina/bridges/sensory.hpp"

#include "lamina/bridges/retention.hpp"
#include "lamina/sim/error.hpp"
#include "lamina/sim/network.hpp"

#include <chrono>
#include <cmath>
#include <limits>
#include <map>

namespace lamina::bridges {

using models::lif_psc_delta;

double lif_current_for_rate(const lif_psc_delta::parameters& p, double rate_hz) {
    if (!(rate_hz > 0.0)) return 0.0;
    const double isi = 1000.0 / rate_hz;
    const double t = isi - p.t_ref;  // time from reset to threshold
    if (!(t > 0.0))
        throw sim::parameter_error("sensory population", "max_rate_hz",
                                   std::to_string(rate_hz) + " Hz is not reachable with t_ref = " + std::to_string(p.t_ref) + " ms");
    const double x = std::exp(-t / p.tau_m);
    const double R = p.tau_m / p.C_m;  // GOhm: mV per pA
    // V_th = E_L + R I (1 - x) + (V_reset - E_L) x
    const double RI = (p.V_th - p.E_L - (p.V_reset - p.E_L) * x) / (1.0 - x);
    return RI / R - p.I_e;
}

double lif_rate_for_current(const lif_psc_delta::parameters& p, double current_pA) {
    const double R = p.tau_m / p.C_m;
    const double drive = R * (current_pA + p.I_e);  // mV above E_L at steady state
    if (drive <= p.V_th - p.E_L) return 0.0;
    const double t = p.tau_m * std::log((drive - (p.V_reset - p.E_L)) / (drive - (p.V_th - p.E_L)));
    return 1000.0 / (t + p.t_ref);
}

Eigen::MatrixXd ideal_count_matrix(const std::vector<population_activity>& acts, const presentation& p) {
    const std::size_t N = acts.empty() ? 0 : acts[0].size;
    Eigen::MatrixXd m(static_cast<Eigen::Index>(acts.size()), static_cast<Eigen::Index>(N));
    for (std::size_t i = 0; i < acts.size(); ++i) m.row(static_cast<Eigen::Index>(i)) = ideal_counts(acts[i], p).transpose();
    return m;
}

sensory_result simulate_sensory_responses(const std::vector<population_activity>& acts, const sensory_options& o) {
    const auto t0 = std::chrono::steady_clock::now();
    sensory_result res;
    const std::size_t V = acts.size();
    const std::size_t N = V ? acts[0].size : 0;
    for (const auto& a : acts)
        if (a.size != N) throw sim::error("sensory population: activities of different population sizes");
    res.counts = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(V), static_cast<Eigen::Index>(N));
    if (V == 0 || N == 0) return res;
    if (o.batch == 0) throw sim::parameter_error("sensory population", "batch", "must be positive");
    const double start = o.window.start_ms, stop = o.window.start_ms + o.window.window_ms;
    if (o.drive == sensory_drive::current) lif_current_for_rate(o.neuron, o.window.max_rate_hz);  // reachable?

    for (std::size_t first = 0; first < V; first += o.batch) {
        const std::size_t B = std::min(o.batch, V - first);
        sim::run_config cfg;
        cfg.dt_ms = o.dt_ms;
        cfg.seed = o.seed + first;  // Poisson drive: different trains per batch
        cfg.threads = o.threads;
        sim::network net(cfg);
        net.add_population<lif_psc_delta>("sensory", B * N, o.neuron);
        // Group the batch's neurons by input level so a few devices serve them all.
        std::map<double, std::vector<std::uint32_t>> by_level;
        const auto level = [&](double x) {
            x = std::clamp(x, 0.0, 1.0);
            return o.current_levels ? std::round(x * double(o.current_levels)) / double(o.current_levels) : x;
        };
        if (o.drive == sensory_drive::rate) {
            std::vector<std::uint32_t> all_neurons;
            std::vector<double> all_times;
            for (std::size_t b = 0; b < B; ++b) {
                const auto s = rate_spikes(acts[first + b], o.window);
                for (std::size_t k = 0; k < s.size(); ++k) {
                    all_neurons.push_back(static_cast<std::uint32_t>(b * N) + s.neurons[k]);
                    all_times.push_back(std::max(s.times_ms[k], o.dt_ms));
                }
            }
            spike_list s{std::move(all_neurons), std::move(all_times)};
            for (auto& g : to_spike_generators(s, "sensory", o.spike_weight_mV, o.dt_ms)) net.add_spike_generator(std::move(g));
        } else {
            for (std::size_t b = 0; b < B; ++b) {
                const auto& a = acts[first + b];
                for (std::size_t k = 0; k < a.neurons.size(); ++k) {
                    const double x = level(a.intensity[k]);
                    if (x > 0.0) by_level[x].push_back(static_cast<std::uint32_t>(b * N) + a.neurons[k]);
                }
            }
            std::size_t id = 0;
            for (auto& [x, ns] : by_level) {
                const double rate = x * o.window.max_rate_hz;
                if (o.drive == sensory_drive::current) {
                    sim::current_input_spec c;
                    c.name = "level_" + std::to_string(id++);
                    c.target = "sensory";
                    c.neurons = std::move(ns);
                    c.times_ms = {start, stop};
                    c.amplitudes_pA = {lif_current_for_rate(o.neuron, rate), 0.0};
                    net.add_current_input(std::move(c));
                } else {
                    sim::poisson_input_spec p;
                    p.name = "level_" + std::to_string(id++);
                    p.target = "sensory";
                    p.neurons = std::move(ns);
                    p.rate_hz = rate;
                    p.weight = o.spike_weight_mV;
                    p.start_ms = start;
                    p.stop_ms = stop;
                    net.add_poisson_input(std::move(p));
                }
            }
        }
        net.record_spikes({"sensory", "sensory", {}});
        net.run(stop + o.dt_ms);
        const auto& rec = net.spikes(0);
        for (std::size_t k = 0; k < rec.neurons.size(); ++k) {
            const std::size_t n = rec.neurons[k];
            res.counts(static_cast<Eigen::Index>(first + n / N), static_cast<Eigen::Index>(n % N)) += 1.0;
        }
        res.spikes += rec.neurons.size();
    }
    res.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return res;
}

retention_measurement measure_retention(const Eigen::MatrixXd& embeddings, const population_code& code, bool simulate,
                                        const sensory_options& options) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto acts = code.encode_rows(embeddings);
    Eigen::MatrixXd counts;
    if (simulate)
        counts = simulate_sensory_responses(acts, options).counts;
    else
        counts = ideal_count_matrix(acts, options.window);
    retention_measurement m;
    const Eigen::MatrixXd ce = cosine_matrix(embeddings), cr = cosine_matrix(counts);
    m.r_sim = similarity_retention_from_cosines(ce, cr);
    m.r_nn = neighbour_retention_from_cosines(ce, cr, 10);
    m.mean_spikes = counts.rows() ? counts.sum() / double(counts.rows()) : 0.0;
    m.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return m;
}

} // namespace lamina::bridges
