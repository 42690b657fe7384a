// Stimulation devices at run time: made from their specifications, applied per step and shard.
#include "network_state.hpp"
#include "poisson_counts.hpp"

#include "lamina/sim/rng.hpp"

#include <cmath>

namespace lamina::sim::detail {

void poisson_table::init(double lambda) {
    thresholds.clear();
    if (lambda <= 0.0) return;
    const double kmax = lambda + 14.0 * std::sqrt(lambda) + 30.0;
    double acc = 0.0;
    for (int k = 0; k <= kmax; ++k) {
        acc += std::exp(-lambda + k * std::log(lambda) - std::lgamma(k + 1.0));
        thresholds.push_back(static_cast<std::uint64_t>(std::min(acc, 1.0) * 0x1.0p32));
        if (1.0 - acc < 1e-17 && k > lambda) break;
    }
    thresholds.back() = std::uint64_t(1) << 32;  // every word stops here
    linear = lambda < 16.0;
    levels.clear();
    for (auto t : thresholds)
        if (t < (std::uint64_t(1) << 32)) levels.push_back(static_cast<std::uint32_t>(t));
}

double device_set::poisson_rt::step_mean(std::int64_t n) const {
    const double t0 = double(n) * dt_ms, t1 = double(n + 1) * dt_ms;
    double hz_ms = 0.0;  // the integral of the rate over the step, in Hz ms
    if (rate_shape == shape::series) {
        const auto& T = series_times_ms;
        // Segment k holds [T[k], T[k+1]); before T[0] the rate is 0.
        std::ptrdiff_t k = std::upper_bound(T.begin(), T.end(), t0) - T.begin() - 1;
        double t = t0;
        while (t < t1) {
            const double next = std::size_t(k + 1) < T.size() ? T[static_cast<std::size_t>(k + 1)] : t1;
            const double end = std::min(t1, next);
            if (k >= 0) hz_ms += series_rates_hz[static_cast<std::size_t>(k)] * (end - t);
            t = end;
            ++k;
        }
    } else if (omega_per_ms > 0.0) {
        // The integral of r0 + r1 sin(omega t + phi) over [t0, t1).
        hz_ms = base_hz * (t1 - t0) +
                amplitude_hz / omega_per_ms * (std::cos(omega_per_ms * t0 + phase_rad) - std::cos(omega_per_ms * t1 + phase_rad));
    } else {
        hz_ms = (base_hz + amplitude_hz * std::sin(phase_rad)) * (t1 - t0);
    }
    return std::max(0.0, hz_ms * 1e-3);
}

// Per-neuron rate draws use object numbers (1 << 22) | device, apart from the per-step draws
// (object = device) and from the noise devices and block draws (object >= 1 << 23).
constexpr std::uint32_t neuron_rate_object_base = 0x400000u;

std::vector<double> resolve_neuron_rates(const poisson_input_spec& spec, std::size_t targets, std::uint64_t seed,
                                         std::uint32_t device) {
    if (!spec.rate_distribution) return spec.neuron_rates_hz;
    std::vector<double> out(targets);
    for (std::size_t m = 0; m < targets; ++m) {
        const std::uint64_t neuron = spec.neurons.empty() ? m : spec.neurons[m];
        random_stream rng(seed, stream_purpose::device, neuron_rate_object_base | device, neuron);
        out[m] = spec.rate_distribution->draw(rng);
    }
    return out;
}

std::vector<target_set> target_set::split(const std::vector<std::uint32_t>& neurons,
                                          const std::vector<std::size_t>& b) {
    std::vector<target_set> out(b.size() - 1);
    for (std::size_t s = 0; s + 1 < b.size(); ++s) {
        if (neurons.empty()) {
            out[s].begin = b[s];
            out[s].end = b[s + 1];
            continue;
        }
        out[s].is_range = false;
        for (auto i : neurons)
            if (i >= b[s] && i < b[s + 1]) out[s].list.push_back(i);
    }
    return out;
}

namespace {
// Device k acts on population `pop` (listed once, also when its runtime is made again).
void add_index(std::vector<std::vector<std::size_t>>& by_pop, std::size_t npop, std::size_t pop, std::size_t k) {
    by_pop.resize(npop);
    auto& v = by_pop[pop];
    if (std::find(v.begin(), v.end(), k) == v.end()) v.push_back(k);
}
} // namespace

void device_set::make_poisson(std::size_t k, std::vector<std::unique_ptr<population>>& pops,
                              const std::vector<std::vector<std::size_t>>& bounds, double dt) {
    const auto& d = poisson_specs[k];
    poisson_rt rt;
    rt.pop = resolve_population(pops, d.target, "", "");
    rt.port = *pops[rt.pop]->port_index(d.port);
    rt.id = static_cast<std::uint32_t>(k);
    rt.independent = d.independent;
    rt.weight = d.weight;
    rt.start = std::llround(d.start_ms / dt);
    rt.stop = std::isfinite(d.stop_ms) ? std::llround(d.stop_ms / dt) : INT64_MAX;
    rt.dt_ms = dt;
    using shape = poisson_rt::shape;
    if (d.per_neuron()) {
        rt.rate_shape = shape::per_neuron;
        const std::size_t n = pops[rt.pop]->size();
        const auto rates = resolve_neuron_rates(d, d.neurons.empty() ? n : d.neurons.size(), seed, rt.id);
        rt.neuron_mean.assign(n, 0.0);
        for (std::size_t m = 0; m < rates.size(); ++m) rt.neuron_mean[d.neurons.empty() ? m : d.neurons[m]] += rates[m] * dt * 1e-3;
        rt.neuron_p0.resize(n);
        for (std::size_t i = 0; i < n; ++i) rt.neuron_p0[i] = std::exp(-rt.neuron_mean[i]);
    } else if (d.time_series()) {
        rt.rate_shape = shape::series;
        rt.series_times_ms = d.rate_times_ms;
        rt.series_rates_hz = d.rate_values_hz;
    } else if (d.sinusoidal()) {
        rt.rate_shape = shape::sinusoid;
        rt.base_hz = d.rate_hz;
        rt.amplitude_hz = d.amplitude_hz;
        rt.omega_per_ms = 2.0 * M_PI * d.frequency_hz * 1e-3;
        rt.phase_rad = d.phase_deg * M_PI / 180.0;
    } else {
        rt.table.init(d.rate_hz * dt * 1e-3);
    }
    rt.step_tables.assign(bounds[rt.pop].size() - 1, poisson_table{});
    // Only a constant rate shared by all targets can be drawn per block (event_update.cpp).
    rt.in_blocks = rt.rate_shape == shape::constant &&
                   (d.draw_in_blocks || pops[rt.pop]->requested_update != update_mode::clock);
    rt.targets = target_set::split(d.neurons, bounds[rt.pop]);
    if (poisson.size() <= k) poisson.resize(k + 1);
    poisson[k] = std::move(rt);
    add_index(poisson_by_pop, pops.size(), poisson[k].pop, k);
}

void device_set::make_generator(std::size_t k, std::vector<std::unique_ptr<population>>& pops,
                                const std::vector<std::vector<std::size_t>>& bounds, double dt) {
    const auto& d = generator_specs[k];
    generator_rt rt;
    rt.pop = resolve_population(pops, d.target, "", "");
    rt.port = *pops[rt.pop]->port_index(d.port);
    rt.weight = d.weight;
    rt.delay = delay_steps(d.delay_ms, dt);
    for (double t : d.times_ms) rt.steps.push_back(std::llround(t / dt) - 1);
    std::sort(rt.steps.begin(), rt.steps.end());
    rt.targets = target_set::split(d.neurons, bounds[rt.pop]);
    if (generators.size() <= k) generators.resize(k + 1);
    generators[k] = std::move(rt);
    add_index(generators_by_pop, pops.size(), generators[k].pop, k);
}

void device_set::make_current(std::size_t k, std::vector<std::unique_ptr<population>>& pops,
                              const std::vector<std::vector<std::size_t>>& bounds, double dt) {
    const auto& d = current_specs[k];
    current_rt rt;
    rt.pop = resolve_population(pops, d.target, "", "");
    for (double t : d.times_ms) rt.steps.push_back(std::llround(t / dt));
    rt.amplitudes = d.amplitudes_pA;
    rt.targets = target_set::split(d.neurons, bounds[rt.pop]);
    pops[rt.pop]->uses_external_current = true;
    if (currents.size() <= k) currents.resize(k + 1);
    currents[k] = std::move(rt);
    add_index(currents_by_pop, pops.size(), currents[k].pop, k);
}

void device_set::make_neuron_currents(std::size_t k, std::vector<std::unique_ptr<population>>& pops) {
    const auto& d = neuron_current_specs[k];
    neuron_currents_rt rt;
    rt.pop = resolve_population(pops, d.target, "", "");
    rt.amplitude.assign(pops[rt.pop]->size(), 0.0);
    if (d.neurons.empty())
        std::copy(d.amplitudes_pA.begin(), d.amplitudes_pA.end(), rt.amplitude.begin());
    else
        for (std::size_t m = 0; m < d.neurons.size(); ++m) rt.amplitude[d.neurons[m]] += d.amplitudes_pA[m];
    pops[rt.pop]->uses_external_current = true;
    if (neuron_currents.size() <= k) neuron_currents.resize(k + 1);
    neuron_currents[k] = std::move(rt);
    add_index(neuron_currents_by_pop, pops.size(), neuron_currents[k].pop, k);
}

// Noise devices use object numbers above those of Poisson devices (both draw purpose `device`).
constexpr std::uint32_t noise_object_base = 0x800000u;

void device_set::make_noise(std::size_t k, std::vector<std::unique_ptr<population>>& pops,
                            const std::vector<std::vector<std::size_t>>& bounds, double dt) {
    const auto& d = noise_specs[k];
    noise_rt rt;
    rt.pop = resolve_population(pops, d.target, "", "");
    rt.id = noise_object_base + static_cast<std::uint32_t>(k);
    rt.mean = d.mean_pA;
    rt.sd = d.sd_pA;
    rt.interval = d.interval_ms > 0.0 ? std::max<std::int64_t>(1, std::llround(d.interval_ms / dt)) : 1;
    rt.start = std::llround(d.start_ms / dt);
    rt.stop = std::isfinite(d.stop_ms) ? std::llround(d.stop_ms / dt) : INT64_MAX;
    rt.targets = target_set::split(d.neurons, bounds[rt.pop]);
    pops[rt.pop]->uses_external_current = true;
    if (noise.size() <= k) noise.resize(k + 1);
    noise[k] = std::move(rt);
    add_index(noise_by_pop, pops.size(), noise[k].pop, k);
}

void device_set::build(std::vector<std::unique_ptr<population>>& pops,
                       const std::vector<std::vector<std::size_t>>& bounds, double dt) {
    const std::size_t npop = pops.size();
    poisson.clear();
    generators.clear();
    currents.clear();
    neuron_currents.clear();
    poisson_by_pop.assign(npop, {});
    generators_by_pop.assign(npop, {});
    currents_by_pop.assign(npop, {});
    neuron_currents_by_pop.assign(npop, {});
    noise.clear();
    noise_by_pop.assign(npop, {});
    for (std::size_t k = 0; k < poisson_specs.size(); ++k) make_poisson(k, pops, bounds, dt);
    for (std::size_t k = 0; k < generator_specs.size(); ++k) make_generator(k, pops, bounds, dt);
    for (std::size_t k = 0; k < current_specs.size(); ++k) make_current(k, pops, bounds, dt);
    for (std::size_t k = 0; k < neuron_current_specs.size(); ++k) make_neuron_currents(k, pops);
    for (std::size_t k = 0; k < noise_specs.size(); ++k) make_noise(k, pops, bounds, dt);
}

namespace {

// Independent Poisson trains: the random word of target neuron i at step n is word i & 3 of the
// Philox block (device, i / 4, n), so one block serves four consecutive neurons and a neuron's
// word does not depend on the shard that owns it.
template <class Targets, class Use>
void for_each_train_word(const Targets& T, std::uint64_t seed, std::uint32_t device, std::int64_t n, Use&& use) {
    if (T.is_range) {
        std::size_t i = T.begin;
        while (i < T.end) {
            const std::size_t group = i >> 2;
            const auto blk = philox_block(seed, stream_purpose::device, device, static_cast<std::uint32_t>(group),
                                          static_cast<std::uint64_t>(n));
            const std::size_t stop = std::min(T.end, (group + 1) << 2);
            for (; i < stop; ++i) use(i, blk.v[i & 3]);
        }
    } else {
        for (auto i : T.list) {
            const auto blk = philox_block(seed, stream_purpose::device, device, i >> 2, static_cast<std::uint64_t>(n));
            use(std::size_t(i), blk.v[i & 3]);
        }
    }
}

} // namespace

void device_set::apply(population& pop, std::size_t q, std::size_t s, std::int64_t n, std::uint64_t seed,
                       const std::vector<std::size_t>& bounds) const {
    for (std::size_t d : poisson_by_pop[q]) {
        const auto& D = poisson[d];
        if (n < D.start || n >= D.stop || (D.in_blocks && D.independent)) continue;
        if (D.rate_shape == poisson_rt::shape::constant && D.table.empty()) continue;  // rate 0
        double* in = pop.input(n, D.port);
        const auto& T = D.targets[s];
        using shape = poisson_rt::shape;
        if (D.rate_shape == shape::per_neuron) {
            // Independent trains with a mean per neuron; the words as in the constant case.
            auto count = [&](std::size_t i, std::uint32_t word) {
                return D.neuron_mean[i] > 0.0 ? poisson_by_search(word, D.neuron_mean[i], D.neuron_p0[i]) : 0u;
            };
            for_each_train_word(T, seed, D.id, n, [&](std::size_t i, std::uint32_t word) { in[i] += D.weight * count(i, word); });
            continue;
        }
        const poisson_table* table = &D.table;
        if (D.rate_shape != shape::constant) {
            const double mean = D.step_mean(n);
            if (mean <= 0.0) continue;
            auto& t = D.step_tables[s];
            t.init(mean);
            table = &t;
        }
        if (!D.independent) {
            const auto blk = philox_block(seed, stream_purpose::device, D.id, 0xFFFFFFFFu, static_cast<std::uint64_t>(n));
            const double add = D.weight * table->draw(blk.v[0]);
            if (add == 0.0) continue;
            if (T.is_range)
                for (std::size_t i = T.begin; i < T.end; ++i) in[i] += add;
            else
                for (auto i : T.list) in[i] += add;
            continue;
        }
        if (T.is_range && table->linear && T.begin % 4 == 0) {
            // The same words and counts, 64 neurons at a time in vector lanes (poisson_counts.hpp).
            const philox_train_key key{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32),
                                       (static_cast<std::uint32_t>(stream_purpose::device) << 24) ^ D.id,
                                       static_cast<std::uint64_t>(n)};
            constexpr std::size_t chunk = 1024;
            std::uint32_t counts[chunk];
            for (std::size_t c0 = T.begin; c0 < T.end; c0 += chunk) {
                const std::size_t c1 = std::min(T.end, c0 + chunk);
                poisson_counts(key, c0, c1, table->levels.data(), table->levels.size(), counts);
                for (std::size_t i = c0; i < c1; ++i) in[i] += D.weight * counts[i - c0];
            }
            continue;
        }
        for_each_train_word(T, seed, D.id, n, [&](std::size_t i, std::uint32_t word) { in[i] += D.weight * table->draw(word); });
    }
    for (std::size_t g : generators_by_pop[q]) {
        const auto& G = generators[g];
        auto [lo, hi] = std::equal_range(G.steps.begin(), G.steps.end(), n);
        if (lo == hi) continue;
        const double add = G.weight * double(hi - lo);
        double* in = pop.input(n + G.delay, G.port);
        const auto& T = G.targets[s];
        if (T.is_range)
            for (std::size_t i = T.begin; i < T.end; ++i) in[i] += add;
        else
            for (auto i : T.list) in[i] += add;
    }
    if (pop.uses_external_current) {
        double* cur = pop.external_current();
        std::fill(cur + bounds[s], cur + bounds[s + 1], 0.0);
        for (std::size_t c : currents_by_pop[q]) {
            const auto& C = currents[c];
            auto it = std::upper_bound(C.steps.begin(), C.steps.end(), n);
            if (it == C.steps.begin()) continue;
            const double amp = C.amplitudes[static_cast<std::size_t>(it - C.steps.begin() - 1)];
            if (amp == 0.0) continue;
            const auto& T = C.targets[s];
            if (T.is_range)
                for (std::size_t i = T.begin; i < T.end; ++i) cur[i] += amp;
            else
                for (auto i : T.list) cur[i] += amp;
        }
        for (std::size_t c : neuron_currents_by_pop[q]) {
            const double* amp = neuron_currents[c].amplitude.data();
            for (std::size_t i = bounds[s]; i < bounds[s + 1]; ++i) cur[i] += amp[i];
        }
        for (std::size_t c : noise_by_pop[q]) {
            const auto& N = noise[c];
            if (n < N.start || n >= N.stop) continue;
            // The draw of interval m for neuron i: one Philox block, two 53-bit uniforms, Box-Muller.
            const auto m = static_cast<std::uint64_t>((n - N.start) / N.interval);
            auto draw = [&](std::size_t i) {
                const auto blk = philox_block(seed, stream_purpose::device, N.id, static_cast<std::uint32_t>(i), m);
                const double u1 = (static_cast<double>(((std::uint64_t(blk.v[0]) << 32) | blk.v[1]) >> 11) + 0.5) * 0x1.0p-53;
                const double u2 = (static_cast<double>(((std::uint64_t(blk.v[2]) << 32) | blk.v[3]) >> 11) + 0.5) * 0x1.0p-53;
                return N.mean + N.sd * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
            };
            const auto& T = N.targets[s];
            if (T.is_range)
                for (std::size_t i = T.begin; i < T.end; ++i) cur[i] += draw(i);
            else
                for (auto i : T.list) cur[i] += draw(i);
        }
    }
}

} // namespace lamina::sim::detail
