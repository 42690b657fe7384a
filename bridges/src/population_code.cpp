#include "lamina/bridges/population_code.hpp"

#include "lamina/sim/error.hpp"
#include "lamina/sim/rng.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

namespace lamina::bridges {

using sim::parameter_error;

namespace {

// Stream objects (with purpose `user`) of the codes' fixed random choices.
constexpr std::uint32_t zscore_assignment_object = 0x7A73;   // "zs"
constexpr std::uint32_t projection_matrix_object = 0x6B77;   // "kw"

void standardise_in_place(std::vector<double>& x) {
    const double n = static_cast<double>(x.size());
    const double m = std::accumulate(x.begin(), x.end(), 0.0) / n;
    double v = 0.0;
    for (double a : x) v += (a - m) * (a - m);
    const double s = std::sqrt(v / n);
    for (double& a : x) a = s > 0.0 ? (a - m) / s : 0.0;
}

void apply_corpus(std::vector<double>& x, const dimension_statistics& c) {
    for (std::size_t d = 0; d < x.size(); ++d) x[d] = (x[d] - c.mean[d]) / c.std[d];
}

void check_corpus(const std::optional<dimension_statistics>& c, std::size_t dims, const std::string& object) {
    if (!c) return;
    if (c->mean.size() != dims || c->std.size() != dims)
        throw parameter_error(object, "corpus", "statistics for " + std::to_string(c->mean.size()) +
                                                    " dimensions, the code has " + std::to_string(dims));
    for (double s : c->std)
        if (!(s > 0.0) || !std::isfinite(s)) throw parameter_error(object, "corpus", "standard deviations must be positive");
}

// Indices of the `count` largest values of sign * x, largest first, ties by lower index.
std::vector<std::uint32_t> top_indices(const std::vector<double>& x, double sign, std::size_t count) {
    std::vector<std::uint32_t> idx(x.size());
    std::iota(idx.begin(), idx.end(), 0u);
    const auto better = [&](std::uint32_t a, std::uint32_t b) {
        const double va = sign * x[a], vb = sign * x[b];
        return va > vb || (va == vb && a < b);
    };
    count = std::min(count, idx.size());
    std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(count), idx.end(), better);
    idx.resize(count);
    return idx;
}

population_activity sorted_activity(std::size_t size, std::vector<std::pair<std::uint32_t, double>> act) {
    std::sort(act.begin(), act.end());
    population_activity a;
    a.size = size;
    a.neurons.reserve(act.size());
    a.intensity.reserve(act.size());
    for (auto& [n, v] : act) {
        a.neurons.push_back(n);
        a.intensity.push_back(v);
    }
    return a;
}

} // namespace

// dimension_statistics ---------------------------------------------------------------------------

dimension_statistics dimension_statistics::fit(const Eigen::MatrixXd& rows) {
    if (rows.rows() == 0) throw sim::error("dimension statistics: no vectors");
    dimension_statistics s;
    const Eigen::RowVectorXd m = rows.colwise().mean();
    const Eigen::RowVectorXd v = (rows.rowwise() - m).array().square().colwise().mean();
    s.mean.assign(m.data(), m.data() + m.size());
    s.std.resize(static_cast<std::size_t>(v.size()));
    for (Eigen::Index d = 0; d < v.size(); ++d) {
        const double sd = std::sqrt(v[d]);
        s.std[static_cast<std::size_t>(d)] = sd > 0.0 ? sd : 1.0;  // constant dimension: leave its scale
    }
    return s;
}

dimension_statistics dimension_statistics::fit(const embedding_table& table) { return fit(table.to_double()); }

// population_activity / population_code --------------------------------------------------------

Eigen::VectorXd population_activity::dense() const {
    Eigen::VectorXd d = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(size));
    for (std::size_t k = 0; k < neurons.size(); ++k) d[neurons[k]] = intensity[k];
    return d;
}

population_activity population_code::encode(std::span<const float> vector) const {
    std::vector<double> v(vector.begin(), vector.end());
    return encode(std::span<const double>(v));
}

std::vector<population_activity> population_code::encode_rows(const Eigen::MatrixXd& rows) const {
    std::vector<population_activity> out;
    out.reserve(static_cast<std::size_t>(rows.rows()));
    Eigen::VectorXd r;
    for (Eigen::Index i = 0; i < rows.rows(); ++i) {
        r = rows.row(i).transpose();
        out.push_back(encode(r));
    }
    return out;
}

// zscore_topk_code -----------------------------------------------------------------------------

zscore_topk_code::zscore_topk_code(std::size_t dimensions, zscore_topk_options options)
    : dims_(dimensions), opt_(std::move(options)) {
    const std::string obj = "zscore top-k code";
    if (dims_ == 0) throw parameter_error(obj, "dimensions", "must be positive");
    if (opt_.groups == 0) throw parameter_error(obj, "groups", "must be positive");
    if (opt_.group_size == 0) throw parameter_error(obj, "group_size", "must be positive");
    if (opt_.k == 0) throw parameter_error(obj, "k", "must be positive");
    if (opt_.k > opt_.groups)
        throw parameter_error(obj, "k", std::to_string(opt_.k) + " exceeds the " + std::to_string(opt_.groups) + " groups");
    const std::size_t needed = opt_.negative_pool ? 2 * opt_.k : opt_.k;
    if (needed > dims_)
        throw parameter_error(obj, "k", std::to_string(needed) + " selected dimensions exceed the " +
                                            std::to_string(dims_) + " dimensions");
    if (opt_.intensity == intensity_mode::graded_above_threshold)
        throw parameter_error(obj, "intensity", "graded_above_threshold is for the projection code");
    check_corpus(opt_.corpus, dims_, obj);
    // Fixed seeded assignment: a permutation pi of max(D, groups) items, d -> pi(d) mod groups.
    const std::size_t L = std::max(dims_, opt_.groups);
    std::vector<std::uint32_t> perm(L);
    std::iota(perm.begin(), perm.end(), 0u);
    sim::random_stream rng(opt_.seed, sim::stream_purpose::user, zscore_assignment_object, L);
    for (std::size_t i = L - 1; i > 0; --i) std::swap(perm[i], perm[rng.below(i + 1)]);
    group_of_.resize(dims_);
    for (std::size_t d = 0; d < dims_; ++d) group_of_[d] = static_cast<std::uint32_t>(perm[d] % opt_.groups);
}

std::size_t zscore_topk_code::population_size() const {
    return (opt_.negative_pool ? 2 : 1) * opt_.groups * opt_.group_size;
}
std::size_t zscore_topk_code::active_neurons() const {
    return (opt_.negative_pool ? 2 : 1) * opt_.k * opt_.group_size;
}

std::vector<double> zscore_topk_code::standardise(std::span<const double> vector) const {
    if (vector.size() != dims_)
        throw sim::error("zscore top-k code: a " + std::to_string(vector.size()) + "-dimensional vector for a " +
                         std::to_string(dims_) + "-dimensional code");
    std::vector<double> z(vector.begin(), vector.end());
    if (opt_.corpus) apply_corpus(z, *opt_.corpus);
    standardise_in_place(z);
    return z;
}

population_activity zscore_topk_code::encode(std::span<const double> vector) const {
    const std::vector<double> z = standardise(vector);
    const std::size_t G = opt_.groups, m = opt_.group_size;
    std::vector<std::pair<std::uint32_t, double>> act;
    act.reserve(active_neurons());
    double zmax = 0.0;
    std::vector<std::uint8_t> used(G);
    const int pools = opt_.negative_pool ? 2 : 1;
    for (int pool = 0; pool < pools; ++pool) {
        const double sign = pool == 0 ? 1.0 : -1.0;
        // Dimensions by sign * z, largest first, ties by lower index; skip groups already taken.
        std::vector<std::uint32_t> order(dims_);
        std::iota(order.begin(), order.end(), 0u);
        std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return sign * z[a] > sign * z[b]; });
        std::fill(used.begin(), used.end(), 0);
        std::size_t chosen = 0;
        for (std::uint32_t d : order) {
            const std::uint32_t g = group_of_[d];
            if (used[g]) continue;
            used[g] = 1;
            const double mag = std::abs(z[d]);
            zmax = std::max(zmax, mag);
            const std::size_t first = (static_cast<std::size_t>(pool) * G + g) * m;
            for (std::size_t j = 0; j < m; ++j) act.emplace_back(static_cast<std::uint32_t>(first + j), mag);
            if (++chosen == opt_.k) break;
        }
    }
    for (auto& [n, v] : act) v = (opt_.intensity == intensity_mode::binary || zmax == 0.0) ? 1.0 : v / zmax;
    return sorted_activity(population_size(), std::move(act));
}

// projection_kwta_code -------------------------------------------------------------------------

projection_kwta_code::projection_kwta_code(std::size_t dimensions, projection_kwta_options options)
    : dims_(dimensions), opt_(std::move(options)) {
    const std::string obj = "projection k-WTA code";
    if (dims_ == 0) throw parameter_error(obj, "dimensions", "must be positive");
    if (opt_.neurons_per_pool < 2) throw parameter_error(obj, "neurons_per_pool", "must be at least 2");
    if (opt_.k == 0 || opt_.k >= opt_.neurons_per_pool)
        throw parameter_error(obj, "k", "must be between 1 and neurons_per_pool - 1");
    check_corpus(opt_.corpus, dims_, obj);
    const auto N = static_cast<Eigen::Index>(opt_.neurons_per_pool);
    const auto D = static_cast<Eigen::Index>(dims_);
    P_.resize(N, D);
    const double scale = 1.0 / std::sqrt(static_cast<double>(dims_));
    for (Eigen::Index i = 0; i < N; ++i) {
        sim::random_stream rng(opt_.seed, sim::stream_purpose::user, projection_matrix_object, static_cast<std::uint64_t>(i));
        for (Eigen::Index d = 0; d < D; ++d) P_(i, d) = scale * rng.normal();
    }
}

std::size_t projection_kwta_code::population_size() const { return (opt_.negative_pool ? 2 : 1) * opt_.neurons_per_pool; }
std::size_t projection_kwta_code::active_neurons() const { return (opt_.negative_pool ? 2 : 1) * opt_.k; }

population_activity projection_kwta_code::encode(std::span<const double> vector) const {
    if (vector.size() != dims_)
        throw sim::error("projection k-WTA code: a " + std::to_string(vector.size()) + "-dimensional vector for a " +
                         std::to_string(dims_) + "-dimensional code");
    std::vector<double> x(vector.begin(), vector.end());
    if (opt_.corpus) apply_corpus(x, *opt_.corpus);
    if (opt_.standardise) standardise_in_place(x);
    const Eigen::Map<const Eigen::VectorXd> xv(x.data(), static_cast<Eigen::Index>(dims_));
    const Eigen::VectorXd yv = P_ * xv;
    const std::vector<double> y(yv.data(), yv.data() + yv.size());
    std::vector<std::pair<std::uint32_t, double>> act;
    act.reserve(active_neurons());
    const int pools = opt_.negative_pool ? 2 : 1;
    for (int pool = 0; pool < pools; ++pool) {
        const double sign = pool == 0 ? 1.0 : -1.0;
        const auto top = top_indices(y, sign, opt_.k + 1);  // winners plus the first loser
        const double theta = sign * y[top[opt_.k]];
        const double span = sign * y[top[0]] - theta;
        const std::size_t offset = static_cast<std::size_t>(pool) * opt_.neurons_per_pool;
        const double best = sign * y[top[0]];
        for (std::size_t j = 0; j < opt_.k; ++j) {
            const double value = sign * y[top[j]];
            double v = 1.0;
            if (opt_.intensity == intensity_mode::graded)
                v = best > 0.0 ? std::max(value, 0.0) / best : 0.0;
            else if (opt_.intensity == intensity_mode::graded_above_threshold)
                v = span > 0.0 ? (value - theta) / span : 1.0;
            act.emplace_back(static_cast<std::uint32_t>(offset + top[j]), v);
        }
    }
    return sorted_activity(population_size(), std::move(act));
}

// spike trains and currents ----------------------------------------------------------------------

std::vector<std::uint32_t> spike_list::counts(std::size_t population) const {
    std::vector<std::uint32_t> c(population);
    for (auto n : neurons)
        if (n < population) ++c[n];
    return c;
}

Eigen::VectorXd ideal_counts(const population_activity& a, const presentation& p) {
    Eigen::VectorXd c = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(a.size));
    const double full = p.max_rate_hz * p.window_ms * 1e-3;
    for (std::size_t k = 0; k < a.neurons.size(); ++k) c[a.neurons[k]] = a.intensity[k] * full;
    return c;
}

namespace {
spike_list sort_spikes(std::vector<std::pair<double, std::uint32_t>> s) {
    std::sort(s.begin(), s.end());
    spike_list out;
    out.neurons.reserve(s.size());
    out.times_ms.reserve(s.size());
    for (auto& [t, n] : s) {
        out.times_ms.push_back(t);
        out.neurons.push_back(n);
    }
    return out;
}
} // namespace

spike_list rate_spikes(const population_activity& a, const presentation& p) {
    std::vector<std::pair<double, std::uint32_t>> s;
    const double full = p.max_rate_hz * p.window_ms * 1e-3;
    for (std::size_t k = 0; k < a.neurons.size(); ++k) {
        const auto n = static_cast<std::size_t>(std::llround(std::max(0.0, a.intensity[k]) * full));
        for (std::size_t j = 0; j < n; ++j)
            s.emplace_back(p.start_ms + (static_cast<double>(j) + 0.5) * p.window_ms / static_cast<double>(n), a.neurons[k]);
    }
    return sort_spikes(std::move(s));
}

spike_list poisson_spikes(const population_activity& a, const presentation& p, double dt_ms, std::uint64_t seed,
                          std::uint32_t stream) {
    if (!(dt_ms > 0.0)) throw parameter_error("poisson spikes", "dt_ms", "must be positive");
    const auto steps = static_cast<std::int64_t>(std::llround(p.window_ms / dt_ms));
    std::vector<std::pair<double, std::uint32_t>> s;
    for (std::size_t k = 0; k < a.neurons.size(); ++k) {
        const double prob = std::min(1.0, std::max(0.0, a.intensity[k]) * p.max_rate_hz * dt_ms * 1e-3);
        if (prob <= 0.0) continue;
        for (std::int64_t n = 0; n < steps; ++n) {
            const auto blk = sim::philox_block(seed, sim::stream_purpose::user, stream, a.neurons[k], static_cast<std::uint64_t>(n));
            if (sim::u32_to_unit(blk.v[0]) < prob) s.emplace_back(p.start_ms + static_cast<double>(n + 1) * dt_ms, a.neurons[k]);
        }
    }
    return sort_spikes(std::move(s));
}

spike_list latency_spikes(const population_activity& a, double start_ms, double latency_window_ms) {
    std::vector<std::pair<double, std::uint32_t>> s;
    for (std::size_t k = 0; k < a.neurons.size(); ++k) {
        const double x = std::clamp(a.intensity[k], 0.0, 1.0);
        s.emplace_back(start_ms + (1.0 - x) * latency_window_ms, a.neurons[k]);
    }
    return sort_spikes(std::move(s));
}

std::vector<sim::spike_generator_spec> to_spike_generators(const spike_list& spikes, const std::string& target,
                                                           double weight, double delay_ms, std::uint32_t offset,
                                                           const std::string& name_prefix) {
    std::map<std::uint32_t, std::vector<double>> train;
    for (std::size_t k = 0; k < spikes.size(); ++k) train[spikes.neurons[k]].push_back(spikes.times_ms[k]);
    std::map<std::vector<double>, std::vector<std::uint32_t>> by_train;
    for (auto& [n, t] : train) by_train[t].push_back(offset + n);
    std::vector<sim::spike_generator_spec> out;
    out.reserve(by_train.size());
    for (auto& [t, ns] : by_train) {
        sim::spike_generator_spec g;
        g.name = name_prefix + "_" + std::to_string(out.size());
        g.target = target;
        g.neurons = ns;
        g.times_ms = t;
        g.weight = weight;
        g.delay_ms = delay_ms;
        out.push_back(std::move(g));
    }
    return out;
}

std::vector<double> to_currents(const population_activity& a, const current_map& map) {
    std::vector<double> c(a.neurons.size());
    for (std::size_t k = 0; k < c.size(); ++k) c[k] = map(a.intensity[k]);
    return c;
}

std::vector<sim::current_input_spec> to_current_inputs(std::span<const std::uint32_t> neurons,
                                                       std::span<const double> amplitudes_pA,
                                                       const std::string& target, double start_ms, double stop_ms,
                                                       std::size_t levels, std::uint32_t offset,
                                                       const std::string& name_prefix) {
    if (neurons.size() != amplitudes_pA.size())
        throw sim::error("to_current_inputs: " + std::to_string(neurons.size()) + " neurons but " +
                         std::to_string(amplitudes_pA.size()) + " amplitudes");
    std::vector<sim::current_input_spec> out;
    if (neurons.empty()) return out;
    const auto [lo_it, hi_it] = std::minmax_element(amplitudes_pA.begin(), amplitudes_pA.end());
    const double lo = *lo_it, hi = *hi_it;
    std::map<double, std::vector<std::uint32_t>> by_amp;
    for (std::size_t k = 0; k < neurons.size(); ++k) {
        double a = amplitudes_pA[k];
        if (levels > 0 && hi > lo) {
            const double step = (hi - lo) / static_cast<double>(levels);
            a = lo + std::round((a - lo) / step) * step;
        }
        by_amp[a].push_back(offset + neurons[k]);
    }
    for (auto& [a, ns] : by_amp) {
        if (a == 0.0) continue;
        sim::current_input_spec c;
        c.name = name_prefix + "_" + std::to_string(out.size());
        c.target = target;
        c.neurons = std::move(ns);
        c.times_ms = {start_ms};
        c.amplitudes_pA = {a};
        if (std::isfinite(stop_ms)) {
            c.times_ms.push_back(stop_ms);
            c.amplitudes_pA.push_back(0.0);
        }
        out.push_back(std::move(c));
    }
    return out;
}

// nearest_embedding_decoder --------------------------------------------------------------------

nearest_embedding_decoder::nearest_embedding_decoder(const population_code& code, const Eigen::MatrixXd& embeddings)
    : population_(code.population_size()), codes_(code.encode_rows(embeddings)) {
    for (auto& c : codes_) {
        double n = 0.0;
        for (double v : c.intensity) n += v * v;
        n = std::sqrt(n);
        if (n > 0.0)
            for (double& v : c.intensity) v /= n;
    }
}

nearest_embedding_decoder::nearest_embedding_decoder(const population_code& code, const embedding_table& table)
    : nearest_embedding_decoder(code, table.to_double()) {}

std::vector<nearest_embedding_decoder::match> nearest_embedding_decoder::decode(std::span<const double> counts,
                                                                                std::size_t n) const {
    if (counts.size() != population_)
        throw sim::error("decoder: " + std::to_string(counts.size()) + " counts for a population of " +
                         std::to_string(population_));
    double norm = 0.0;
    for (double c : counts) norm += c * c;
    norm = std::sqrt(norm);
    std::vector<match> all(codes_.size());
    for (std::size_t r = 0; r < codes_.size(); ++r) {
        double dot = 0.0;
        const auto& c = codes_[r];
        for (std::size_t k = 0; k < c.neurons.size(); ++k) dot += c.intensity[k] * counts[c.neurons[k]];
        all[r] = {r, norm > 0.0 ? dot / norm : 0.0};
    }
    n = std::min(n, all.size());
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(), [](const match& a, const match& b) {
        return a.similarity > b.similarity || (a.similarity == b.similarity && a.row < b.row);
    });
    all.resize(n);
    return all;
}

} // namespace lamina::bridges
