#include "lamina/bridges/ann_to_snn.hpp"

#include "lamina/bridges/if_neuron.hpp"
#include "lamina/sim/error.hpp"
#include "lamina/sim/network.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

namespace lamina::bridges {

using sim::error;
using sim::parameter_error;

const char* balancing_name(threshold_balancing b) noexcept {
    switch (b) {
    case threshold_balancing::none: return "none";
    case threshold_balancing::max: return "max";
    default: return "percentile";
    }
}

double positive_percentile(std::vector<float> v, double p) {
    if (!(p >= 0.0 && p <= 100.0)) throw parameter_error("threshold balancing", "percentile", "must be in [0, 100]");
    v.erase(std::remove_if(v.begin(), v.end(), [](float x) { return !(x > 0.0f); }), v.end());
    if (v.empty()) return 0.0;
    const double h = p / 100.0 * double(v.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(h));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(lo), v.end());
    const double a = v[lo];
    if (lo + 1 >= v.size()) return a;
    const double b = *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(lo) + 1, v.end());
    return a + (h - double(lo)) * (b - a);
}

double positive_percentile(const Eigen::MatrixXf& m, double p) {
    return positive_percentile(std::vector<float>(m.data(), m.data() + m.size()), p);
}

std::vector<std::size_t> converted_mlp::sizes() const {
    std::vector<std::size_t> s;
    if (weights.empty()) return s;
    s.push_back(static_cast<std::size_t>(weights[0].cols()));
    for (const auto& w : weights) s.push_back(static_cast<std::size_t>(w.rows()));
    return s;
}

converted_mlp convert_mlp(const mlp& net, const row_matrix& norm, const conversion_options& o) {
    const std::string obj = "ANN->SNN conversion";
    if (net.layers() == 0) throw parameter_error(obj, "network", "no layers");
    if (o.balancing == threshold_balancing::percentile && !(o.percentile > 0.0 && o.percentile <= 100.0))
        throw parameter_error(obj, "percentile", "must be in (0, 100]");
    if (!(o.initial_potential >= 0.0 && o.initial_potential < 1.0))
        throw parameter_error(obj, "initial_potential", "must be in [0, 1)");
    converted_mlp c;
    c.options = o;
    const std::size_t L = net.layers();
    c.lambda.assign(L + 1, 1.0);
    if (o.balancing != threshold_balancing::none) {
        if (norm.rows() == 0) throw parameter_error(obj, "normalisation", "no normalisation images");
        const double in_max = norm.maxCoeff();
        c.lambda[0] = in_max > 0.0 ? in_max : 1.0;
        const auto acts = net.layer_outputs(norm);
        for (std::size_t l = 0; l < L; ++l) {
            double lam = 0.0;
            if (o.balancing == threshold_balancing::max)
                lam = acts[l].maxCoeff();
            else
                lam = positive_percentile(acts[l], o.percentile);
            c.lambda[l + 1] = lam > 0.0 ? lam : 1.0;
        }
    }
    for (std::size_t l = 0; l < L; ++l) {
        c.weights.push_back(net.weights[l] * static_cast<float>(c.lambda[l] / c.lambda[l + 1]));
        c.biases.push_back(net.biases[l] / static_cast<float>(c.lambda[l + 1]));
    }
    return c;
}

namespace {

double pearson_of(const Eigen::ArrayXd& x, const Eigen::ArrayXd& y) {
    if (x.size() < 2) return 0.0;
    const Eigen::ArrayXd a = x - x.mean(), b = y - y.mean();
    const double d = std::sqrt((a * a).sum() * (b * b).sum());
    return d > 0.0 ? (a * b).sum() / d : 0.0;
}

} // namespace

snn_result run_snn(const converted_mlp& net, const row_matrix& images, const std::vector<std::uint8_t>& labels,
                   const snn_options& o) {
    const auto t_start = std::chrono::steady_clock::now();
    const std::string obj = "SNN run";
    if (net.layers() == 0) throw parameter_error(obj, "network", "no layers");
    if (o.steps.empty()) throw parameter_error(obj, "steps", "no time budget");
    for (std::size_t k = 0; k < o.steps.size(); ++k)
        if (o.steps[k] == 0 || (k && o.steps[k] <= o.steps[k - 1]))
            throw parameter_error(obj, "steps", "budgets must be positive and ascending");
    if (o.batch == 0) throw parameter_error(obj, "batch", "must be positive");
    if (labels.size() != static_cast<std::size_t>(images.rows()))
        throw parameter_error(obj, "labels", "as many labels as images expected");
    const auto sizes = net.sizes();
    if (static_cast<std::size_t>(images.cols()) != sizes[0])
        throw parameter_error(obj, "images", "the network expects " + std::to_string(sizes[0]) + " inputs");

    const std::size_t L = net.layers();
    const bool spike_in = o.input == snn_input::spikes;
    const std::size_t N = labels.size();
    const std::size_t npop = L + (spike_in ? 1 : 0);
    // Population p has layer index layer_of[p] (0 = input) and size n.
    std::vector<std::size_t> layer_of(npop), pop_size(npop);
    snn_result res;
    res.images = N;
    res.sizes = sizes;
    res.input = o.input;
    for (std::size_t p = 0; p < npop; ++p) {
        layer_of[p] = spike_in ? p : p + 1;
        pop_size[p] = sizes[layer_of[p]];
        res.populations.push_back(layer_of[p] == 0 ? "input" : layer_of[p] == L ? "out" : "h" + std::to_string(layer_of[p]));
    }
    const std::size_t nb = o.steps.size(), T_max = o.steps.back();
    res.budgets.resize(nb);
    for (std::size_t k = 0; k < nb; ++k) {
        auto& b = res.budgets[k];
        b.steps = o.steps[k];
        b.predictions.assign(N, 0);
        b.spikes.assign(npop, 0);
        b.synaptic_events.assign(npop - 1, 0);
        b.neuron_updates.assign(npop, 0);
    }

    // Normalised ANN activations of the converted network (a_l / lambda_l), for the analog input
    // currents and the correlations.
    const float in_scale = static_cast<float>(1.0 / net.lambda[0]);
    const row_matrix x = images * in_scale;
    std::vector<Eigen::MatrixXf> z(L), act(L);  // pre- and post-activation, images x n_l
    for (std::size_t l = 0; l < L; ++l) {
        z[l].noalias() = (l == 0 ? Eigen::MatrixXf(x) : act[l - 1]) * net.weights[l].transpose();
        z[l].rowwise() += net.biases[l].transpose();
        act[l] = l + 1 < L ? Eigen::MatrixXf(z[l].cwiseMax(0.0f)) : z[l];
    }
    if (!spike_in) res.analog_macs = std::uint64_t(N) * sizes[0] * sizes[1];
    // Spike counts at T_max per population: images x n.
    std::vector<Eigen::MatrixXd> counts(npop);
    for (std::size_t p = 0; p < npop; ++p) counts[p] = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(N), static_cast<Eigen::Index>(pop_size[p]));
    Eigen::MatrixXd out_charge = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(N), static_cast<Eigen::Index>(sizes[L]));

    if_neuron::parameters np;
    np.V_th = 1.0;
    np.V_init = net.options.initial_potential;
    np.reset_subtract = net.options.reset_by_subtraction ? 1.0 : 0.0;
    np.V_reset = 0.0;

    // Copies per engine network: o.batch, fewer when a copy has many synapses.
    std::uint64_t per_copy = 0;
    for (std::size_t p = 0; p + 1 < npop; ++p) {
        std::uint64_t sources = pop_size[p];
        if (layer_of[p] == 0 && N)  // only non-zero pixels get synapses: their mean count
            sources = (static_cast<std::uint64_t>((x.array() > 0.0f).count()) + N - 1) / N;
        per_copy += sources * pop_size[p + 1];
    }
    const std::size_t batch =
        std::max<std::size_t>(1, std::min<std::uint64_t>(o.batch, std::max<std::uint64_t>(1, o.max_synapses_per_batch / std::max<std::uint64_t>(1, per_copy))));
    for (std::size_t first = 0; first < N; first += batch) {
        const auto t_build = std::chrono::steady_clock::now();
        const std::size_t B = std::min(batch, N - first);
        sim::run_config cfg;
        cfg.dt_ms = 1.0;
        cfg.seed = o.seed;
        cfg.threads = o.threads;
        sim::network nw(cfg);
        std::vector<sim::population*> pops;
        for (std::size_t p = 0; p < npop; ++p) pops.push_back(&nw.add_population<if_neuron>(res.populations[p], B * pop_size[p], np));
        for (std::size_t p = 0; p + 1 < npop; ++p) {
            const std::size_t l = layer_of[p + 1];  // target layer: weights[l - 1]
            const Eigen::MatrixXf& W = net.weights[l - 1];
            const std::size_t nin = pop_size[p], nout = pop_size[p + 1];
            std::vector<std::uint32_t> src, tgt;
            std::vector<float> w;
            const std::size_t reserve = B * nin * nout;
            src.reserve(reserve);
            tgt.reserve(reserve);
            w.reserve(reserve);
            for (std::size_t b = 0; b < B; ++b) {
                for (std::size_t i = 0; i < nin; ++i) {
                    if (layer_of[p] == 0 && !(x(static_cast<Eigen::Index>(first + b), static_cast<Eigen::Index>(i)) > 0.0f))
                        continue;  // a pixel of 0 never fires
                    for (std::size_t j = 0; j < nout; ++j) {
                        src.push_back(static_cast<std::uint32_t>(b * nin + i));
                        tgt.push_back(static_cast<std::uint32_t>(b * nout + j));
                        w.push_back(W(static_cast<Eigen::Index>(j), static_cast<Eigen::Index>(i)));
                    }
                }
            }
            sim::projection_spec ps;
            ps.name = res.populations[p] + "->" + res.populations[p + 1];
            ps.source = res.populations[p];
            ps.target = res.populations[p + 1];
            ps.rule = sim::connection_rule::explicit_list(std::move(src), std::move(tgt), std::move(w));
            ps.delay_ms = sim::distribution::constant(1.0);
            nw.connect(std::move(ps));
        }
        for (std::size_t p = 0; p < npop; ++p) nw.record_spikes({res.populations[p], res.populations[p], {}});
        nw.build();
        // Constant input currents.
        for (std::size_t p = 0; p < npop; ++p) {
            double* I = pops[p]->state(1);
            const std::size_t n = pop_size[p], l = layer_of[p];
            for (std::size_t b = 0; b < B; ++b) {
                const auto img = static_cast<Eigen::Index>(first + b);
                for (std::size_t j = 0; j < n; ++j) {
                    const auto J = static_cast<Eigen::Index>(j);
                    double v;
                    if (l == 0)
                        v = x(img, J);
                    else if (l == 1 && !spike_in)
                        v = z[0](img, J);  // W'_1 x + b'_1
                    else
                        v = net.biases[l - 1](J);
                    I[b * n + j] = v;
                }
            }
        }
        const auto t_sim = std::chrono::steady_clock::now();
        const double build_secs = std::chrono::duration<double>(t_sim - t_build).count();
        res.build_seconds += build_secs;
        double seg_seconds = 0.0;

        std::vector<std::size_t> read(npop, 0);  // spike records consumed per population
        std::vector<Eigen::MatrixXd> batch_counts(npop);
        for (std::size_t p = 0; p < npop; ++p)
            batch_counts[p] = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(B), static_cast<Eigen::Index>(pop_size[p]));
        for (std::size_t k = 0; k < nb; ++k) {
            auto& bud = res.budgets[k];
            const auto T = static_cast<std::int64_t>(bud.steps);
            const auto t_seg = std::chrono::steady_clock::now();
            if (T - 1 > nw.current_step()) nw.run_steps(T - 1 - nw.current_step());
            const std::vector<std::uint64_t> before = nw.spike_counts();  // spikes of steps [0, T-1)
            nw.run_steps(T - nw.current_step());
            seg_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t_seg).count();
            bud.seconds += build_secs + seg_seconds;
            const std::vector<std::uint64_t>& after = nw.spike_counts();
            std::uint64_t ours = 0;
            for (std::size_t p = 0; p < npop; ++p) {
                bud.spikes[p] += after[p];
                bud.neuron_updates[p] += std::uint64_t(B) * pop_size[p] * bud.steps;
                if (p + 1 < npop) {
                    const std::uint64_t e = before[p] * pop_size[p + 1];
                    bud.synaptic_events[p] += e;
                    ours += e;
                }
            }
            bud.engine_synaptic_events += nw.synaptic_events();
            if (ours != nw.synaptic_events())
                throw sim::internal_error("SNN run: synaptic events counted from spikes (" + std::to_string(ours) +
                                          ") differ from the engine's (" + std::to_string(nw.synaptic_events()) + ")");
            // Per-neuron counts so far.
            for (std::size_t p = 0; p < npop; ++p) {
                const auto& rec = nw.spikes(p);
                const std::size_t n = pop_size[p];
                for (; read[p] < rec.neurons.size(); ++read[p]) {
                    const std::uint32_t i = rec.neurons[read[p]];
                    batch_counts[p](static_cast<Eigen::Index>(i / n), static_cast<Eigen::Index>(i % n)) += 1.0;
                }
            }
            const std::size_t po = npop - 1, nout = pop_size[po];
            const double* V = pops[po]->state(0);
            for (std::size_t b = 0; b < B; ++b) {
                std::size_t best = 0;
                double best_q = -std::numeric_limits<double>::infinity();
                for (std::size_t j = 0; j < nout; ++j) {
                    const double q = batch_counts[po](static_cast<Eigen::Index>(b), static_cast<Eigen::Index>(j)) * np.V_th +
                                     V[b * nout + j] - np.V_init;
                    if (q > best_q) {
                        best_q = q;
                        best = j;
                    }
                    if (k + 1 == nb) out_charge(static_cast<Eigen::Index>(first + b), static_cast<Eigen::Index>(j)) = q;
                }
                bud.predictions[first + b] = static_cast<std::uint8_t>(best);
            }
        }
        for (std::size_t p = 0; p < npop; ++p) counts[p].middleRows(static_cast<Eigen::Index>(first), static_cast<Eigen::Index>(B)) = batch_counts[p];
        res.simulate_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t_sim).count();
    }

    for (auto& b : res.budgets) {
        std::size_t ok = 0;
        for (std::size_t i = 0; i < N; ++i) ok += b.predictions[i] == labels[i];
        b.accuracy = N ? double(ok) / double(N) : 0.0;
    }
    // Correlations at T_max, per layer (hidden layers and output).
    for (std::size_t p = 0; p < npop; ++p) {
        const std::size_t l = layer_of[p];
        if (l == 0) continue;
        layer_correlation c;
        c.layer = res.populations[p];
        c.neurons = pop_size[p];
        c.lambda = net.lambda[l];
        const Eigen::ArrayXXd a = act[l - 1].cast<double>().array();
        const Eigen::ArrayXXd r = (counts[p] / double(T_max)).array();
        c.mean_activation = a.cwiseMax(0.0).mean();
        c.mean_rate = r.mean();
        c.pearson = pearson_of(a.cwiseMax(0.0).reshaped(), r.reshaped());
        c.max_abs_error = (a.cwiseMax(0.0).cwiseMin(1.0) - r).abs().maxCoeff();
        res.correlations.push_back(c);
    }
    res.output_charge_pearson =
        pearson_of(act[L - 1].cast<double>().array().reshaped(), (out_charge / double(T_max)).array().reshaped());
    res.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    return res;
}

} // namespace lamina::bridges
