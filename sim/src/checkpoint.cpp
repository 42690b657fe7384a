// Checkpoints: writing and reading the complete dynamic state of a network (checkpoint.hpp has the
// layout). Written to a temporary name and renamed when complete, so that a crash while writing
// leaves the previous checkpoint intact; read with every array's size checked against the network.
#include "arrival_lists.hpp"
#include "checkpoint_state.hpp"
#include "precise_delivery.hpp"

#include "lamina/sim/checkpoint.hpp"
#include "lamina/sim/hdf5_file.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <unistd.h>

#ifndef LAMINA_VERSION_STRING
#define LAMINA_VERSION_STRING "unknown"
#endif

namespace lamina::sim {

namespace {

constexpr const char* format_name = "lamina-checkpoint";

} // namespace

const char* const network::half_loaded_message =
    "a checkpoint load failed part-way and left this network incomplete; make the network again";

namespace {

// Large arrays that are mostly zeros are written compressed: the weights, eligibility traces and
// catch-up references of synapses learned from zero (an agent substrate's lateral synapses) are
// zero until their neurons meet, and writing them raw would make the file the disk's bottleneck.
// Anything else is written raw: deflate costs more than it saves on dense data.
template <class T>
void write_array(hdf5::group& g, const std::string& name, const std::vector<T>& v) {
    constexpr std::size_t large = std::size_t(1) << 16;
    if (v.size() >= large &&
        std::size_t(std::count(v.begin(), v.end(), T{})) * 2 >= v.size())
        g.write_compressed(name, std::span<const T>(v));
    else
        g.write(name, v);
}

void write_block(hdf5::group g, const state_block& b) {
    for (const auto& [name, v] : b.f64) write_array(g, name, v);
    for (const auto& [name, v] : b.f32) write_array(g, name, v);
    for (const auto& [name, v] : b.i64) write_array(g, name, v);
}

state_block read_block(const hdf5::group& g) {
    state_block b;
    for (const auto& name : g.members()) {
        if (!g.is_dataset(name)) continue;
        const auto d = g.open_dataset(name);
        switch (d.element_type()) {
        case hdf5::type::float64: b.f64[name] = d.read<double>(); break;
        case hdf5::type::float32: b.f32[name] = d.read<float>(); break;
        case hdf5::type::int64:
        case hdf5::type::int32:
        case hdf5::type::uint32:
        case hdf5::type::uint64: b.i64[name] = d.read<std::int64_t>(); break;
        case hdf5::type::string: break;
        }
    }
    return b;
}

// Variable-length lists (neurons, spike times of each device) as one array and offsets.
template <class T, class Get>
void write_lists(hdf5::group& g, const std::string& name, std::size_t n, Get get) {
    std::vector<T> all;
    std::vector<std::uint64_t> offsets{0};
    for (std::size_t k = 0; k < n; ++k) {
        const auto& v = get(k);
        all.insert(all.end(), v.begin(), v.end());
        offsets.push_back(all.size());
    }
    g.write(name, all);
    g.write(name + "_offsets", offsets);
}

template <class T>
std::vector<std::vector<T>> read_lists(const hdf5::group& g, const std::string& name, std::size_t n) {
    const auto all = g.open_dataset(name).read<T>();
    const auto offsets = g.open_dataset(name + "_offsets").read<std::uint64_t>();
    if (offsets.size() != n + 1 || offsets.back() != all.size())
        throw checkpoint_error(g.file_name() + ": " + g.path() + "/" + name + ": inconsistent list offsets");
    std::vector<std::vector<T>> out(n);
    for (std::size_t k = 0; k < n; ++k) {
        if (offsets[k] > offsets[k + 1]) throw checkpoint_error(g.file_name() + ": " + name + ": offsets decrease");
        out[k].assign(all.begin() + static_cast<std::ptrdiff_t>(offsets[k]), all.begin() + static_cast<std::ptrdiff_t>(offsets[k + 1]));
    }
    return out;
}

template <class Spec, class F>
std::vector<std::string> field_strings(const std::vector<Spec>& v, F f) {
    std::vector<std::string> out;
    for (const auto& s : v) out.push_back(f(s));
    return out;
}
template <class T, class Spec, class F>
std::vector<T> field_values(const std::vector<Spec>& v, F f) {
    std::vector<T> out;
    for (const auto& s : v) out.push_back(static_cast<T>(f(s)));
    return out;
}

void write_devices(hdf5::group g, const detail::device_set& D) {
    {
        auto p = g.create_group("poisson");
        const auto& v = D.poisson_specs;
        p.write("name", field_strings(v, [](auto& s) { return s.name; }));
        p.write("target", field_strings(v, [](auto& s) { return s.target; }));
        p.write("port", field_strings(v, [](auto& s) { return s.port; }));
        p.write("rate_hz", field_values<double>(v, [](auto& s) { return s.rate_hz; }));
        p.write("weight", field_values<double>(v, [](auto& s) { return s.weight; }));
        p.write("independent", field_values<std::int64_t>(v, [](auto& s) { return s.independent ? 1 : 0; }));
        p.write("start_ms", field_values<double>(v, [](auto& s) { return s.start_ms; }));
        p.write("stop_ms", field_values<double>(v, [](auto& s) { return s.stop_ms; }));
        write_lists<std::uint32_t>(p, "neurons", v.size(), [&](std::size_t k) -> const auto& { return v[k].neurons; });
        // Rate shapes (absent in checkpoints of earlier versions: constant rates).
        write_lists<double>(p, "rate_times_ms", v.size(), [&](std::size_t k) -> const auto& { return v[k].rate_times_ms; });
        write_lists<double>(p, "rate_values_hz", v.size(), [&](std::size_t k) -> const auto& { return v[k].rate_values_hz; });
        write_lists<double>(p, "neuron_rates_hz", v.size(), [&](std::size_t k) -> const auto& { return v[k].neuron_rates_hz; });
        p.write("amplitude_hz", field_values<double>(v, [](auto& s) { return s.amplitude_hz; }));
        p.write("frequency_hz", field_values<double>(v, [](auto& s) { return s.frequency_hz; }));
        p.write("phase_deg", field_values<double>(v, [](auto& s) { return s.phase_deg; }));
        // The rate distribution: kind (-1 none), a, b, lower, upper.
        p.write("rate_distribution_kind", field_values<std::int64_t>(v, [](auto& s) {
                    return s.rate_distribution ? static_cast<std::int64_t>(s.rate_distribution->type) : -1;
                }));
        const distribution none;
        auto dist = [&](auto member) {
            return field_values<double>(v, [&](auto& s) { return (s.rate_distribution ? *s.rate_distribution : none).*member; });
        };
        p.write("rate_distribution_a", dist(&distribution::a));
        p.write("rate_distribution_b", dist(&distribution::b));
        p.write("rate_distribution_lower", dist(&distribution::lower));
        p.write("rate_distribution_upper", dist(&distribution::upper));
    }
    {
        auto p = g.create_group("spike_generators");
        const auto& v = D.generator_specs;
        p.write("name", field_strings(v, [](auto& s) { return s.name; }));
        p.write("target", field_strings(v, [](auto& s) { return s.target; }));
        p.write("port", field_strings(v, [](auto& s) { return s.port; }));
        p.write("weight", field_values<double>(v, [](auto& s) { return s.weight; }));
        p.write("delay_ms", field_values<double>(v, [](auto& s) { return s.delay_ms; }));
        write_lists<std::uint32_t>(p, "neurons", v.size(), [&](std::size_t k) -> const auto& { return v[k].neurons; });
        write_lists<double>(p, "times_ms", v.size(), [&](std::size_t k) -> const auto& { return v[k].times_ms; });
    }
    {
        auto p = g.create_group("currents");
        const auto& v = D.current_specs;
        p.write("name", field_strings(v, [](auto& s) { return s.name; }));
        p.write("target", field_strings(v, [](auto& s) { return s.target; }));
        write_lists<std::uint32_t>(p, "neurons", v.size(), [&](std::size_t k) -> const auto& { return v[k].neurons; });
        write_lists<double>(p, "times_ms", v.size(), [&](std::size_t k) -> const auto& { return v[k].times_ms; });
        write_lists<double>(p, "amplitudes_pA", v.size(), [&](std::size_t k) -> const auto& { return v[k].amplitudes_pA; });
    }
    {
        auto p = g.create_group("neuron_currents");
        const auto& v = D.neuron_current_specs;
        p.write("name", field_strings(v, [](auto& s) { return s.name; }));
        p.write("target", field_strings(v, [](auto& s) { return s.target; }));
        write_lists<std::uint32_t>(p, "neurons", v.size(), [&](std::size_t k) -> const auto& { return v[k].neurons; });
        write_lists<double>(p, "amplitudes_pA", v.size(), [&](std::size_t k) -> const auto& { return v[k].amplitudes_pA; });
    }
    {
        auto p = g.create_group("noise_currents");
        const auto& v = D.noise_specs;
        p.write("name", field_strings(v, [](auto& s) { return s.name; }));
        p.write("target", field_strings(v, [](auto& s) { return s.target; }));
        p.write("mean_pA", field_values<double>(v, [](auto& s) { return s.mean_pA; }));
        p.write("sd_pA", field_values<double>(v, [](auto& s) { return s.sd_pA; }));
        p.write("interval_ms", field_values<double>(v, [](auto& s) { return s.interval_ms; }));
        p.write("start_ms", field_values<double>(v, [](auto& s) { return s.start_ms; }));
        p.write("stop_ms", field_values<double>(v, [](auto& s) { return s.stop_ms; }));
        write_lists<std::uint32_t>(p, "neurons", v.size(), [&](std::size_t k) -> const auto& { return v[k].neurons; });
    }
}

void read_devices(const hdf5::group& g, detail::device_set& D) {
    {
        auto p = g.open_group("poisson");
        const auto names = p.open_dataset("name").read_strings();
        const std::size_t n = names.size();
        const auto target = p.open_dataset("target").read_strings();
        const auto port = p.open_dataset("port").read_strings();
        const auto rate = p.open_dataset("rate_hz").read<double>();
        const auto weight = p.open_dataset("weight").read<double>();
        const auto independent = p.open_dataset("independent").read<std::int64_t>();
        const auto start = p.open_dataset("start_ms").read<double>();
        const auto stop = p.open_dataset("stop_ms").read<double>();
        const auto neurons = read_lists<std::uint32_t>(p, "neurons", n);
        for (auto sz : {target.size(), port.size(), rate.size(), weight.size(), independent.size(), start.size(), stop.size()})
            if (sz != n) throw checkpoint_error(g.file_name() + ": devices/poisson: fields of different lengths");
        D.poisson_specs.clear();
        for (std::size_t k = 0; k < n; ++k) {
            poisson_input_spec s;
            s.name = names[k];
            s.target = target[k];
            s.neurons = neurons[k];
            s.rate_hz = rate[k];
            s.weight = weight[k];
            s.port = port[k];
            s.independent = independent[k] != 0;
            s.start_ms = start[k];
            s.stop_ms = stop[k];
            D.poisson_specs.push_back(std::move(s));
        }
        if (p.exists("rate_times_ms")) {
            const auto times = read_lists<double>(p, "rate_times_ms", n);
            const auto values = read_lists<double>(p, "rate_values_hz", n);
            const auto per_neuron = read_lists<double>(p, "neuron_rates_hz", n);
            const auto amplitude = p.open_dataset("amplitude_hz").read<double>();
            const auto frequency = p.open_dataset("frequency_hz").read<double>();
            const auto phase = p.open_dataset("phase_deg").read<double>();
            const auto kind = p.open_dataset("rate_distribution_kind").read<std::int64_t>();
            const auto da = p.open_dataset("rate_distribution_a").read<double>();
            const auto db = p.open_dataset("rate_distribution_b").read<double>();
            const auto dlo = p.open_dataset("rate_distribution_lower").read<double>();
            const auto dhi = p.open_dataset("rate_distribution_upper").read<double>();
            for (auto sz : {amplitude.size(), frequency.size(), phase.size(), kind.size(), da.size(), db.size(), dlo.size(),
                            dhi.size()})
                if (sz != n) throw checkpoint_error(g.file_name() + ": devices/poisson: fields of different lengths");
            for (std::size_t k = 0; k < n; ++k) {
                auto& s = D.poisson_specs[k];
                s.rate_times_ms = times[k];
                s.rate_values_hz = values[k];
                s.neuron_rates_hz = per_neuron[k];
                s.amplitude_hz = amplitude[k];
                s.frequency_hz = frequency[k];
                s.phase_deg = phase[k];
                if (kind[k] > static_cast<std::int64_t>(distribution::kind::lognormal) || kind[k] < -1)
                    throw checkpoint_error(g.file_name() + ": devices/poisson: unknown rate distribution kind");
                if (kind[k] >= 0)
                    s.rate_distribution = distribution{static_cast<distribution::kind>(kind[k]), da[k], db[k], dlo[k], dhi[k]};
            }
        }
    }
    {
        auto p = g.open_group("spike_generators");
        const auto names = p.open_dataset("name").read_strings();
        const std::size_t n = names.size();
        const auto target = p.open_dataset("target").read_strings();
        const auto port = p.open_dataset("port").read_strings();
        const auto weight = p.open_dataset("weight").read<double>();
        const auto delay = p.open_dataset("delay_ms").read<double>();
        const auto neurons = read_lists<std::uint32_t>(p, "neurons", n);
        const auto times = read_lists<double>(p, "times_ms", n);
        for (auto sz : {target.size(), port.size(), weight.size(), delay.size()})
            if (sz != n) throw checkpoint_error(g.file_name() + ": devices/spike_generators: fields of different lengths");
        D.generator_specs.clear();
        for (std::size_t k = 0; k < n; ++k)
            D.generator_specs.push_back({names[k], target[k], neurons[k], times[k], weight[k], delay[k], port[k]});
    }
    {
        auto p = g.open_group("currents");
        const auto names = p.open_dataset("name").read_strings();
        const std::size_t n = names.size();
        const auto target = p.open_dataset("target").read_strings();
        const auto neurons = read_lists<std::uint32_t>(p, "neurons", n);
        const auto times = read_lists<double>(p, "times_ms", n);
        const auto amplitudes = read_lists<double>(p, "amplitudes_pA", n);
        if (target.size() != n) throw checkpoint_error(g.file_name() + ": devices/currents: fields of different lengths");
        D.current_specs.clear();
        for (std::size_t k = 0; k < n; ++k)
            D.current_specs.push_back({names[k], target[k], neurons[k], times[k], amplitudes[k]});
    }
    {
        auto p = g.open_group("neuron_currents");
        const auto names = p.open_dataset("name").read_strings();
        const std::size_t n = names.size();
        const auto target = p.open_dataset("target").read_strings();
        const auto neurons = read_lists<std::uint32_t>(p, "neurons", n);
        const auto amplitudes = read_lists<double>(p, "amplitudes_pA", n);
        if (target.size() != n) throw checkpoint_error(g.file_name() + ": devices/neuron_currents: fields of different lengths");
        D.neuron_current_specs.clear();
        for (std::size_t k = 0; k < n; ++k) D.neuron_current_specs.push_back({names[k], target[k], neurons[k], amplitudes[k]});
    }
    D.noise_specs.clear();
    if (g.exists("noise_currents")) {  // absent from checkpoints written before noise currents
        auto p = g.open_group("noise_currents");
        const auto names = p.open_dataset("name").read_strings();
        const std::size_t n = names.size();
        const auto target = p.open_dataset("target").read_strings();
        const auto mean = p.open_dataset("mean_pA").read<double>();
        const auto sd = p.open_dataset("sd_pA").read<double>();
        const auto interval = p.open_dataset("interval_ms").read<double>();
        const auto start = p.open_dataset("start_ms").read<double>();
        const auto stop = p.open_dataset("stop_ms").read<double>();
        const auto neurons = read_lists<std::uint32_t>(p, "neurons", n);
        for (auto sz : {target.size(), mean.size(), sd.size(), interval.size(), start.size(), stop.size()})
            if (sz != n) throw checkpoint_error(g.file_name() + ": devices/noise_currents: fields of different lengths");
        for (std::size_t k = 0; k < n; ++k)
            D.noise_specs.push_back({names[k], target[k], neurons[k], mean[k], sd[k], interval[k], start[k], stop[k]});
    }
}

// What identifies a network: populations (name, model, size) and projections (name, synapses).
// Synapse counts are the whole network's (a distributed run's processes each hold a part).
std::vector<std::string> fingerprint(const std::vector<std::unique_ptr<population>>& pops,
                                     const std::vector<projection>& projections, const detail::network_state& I) {
    std::vector<std::string> out;
    // " precise" only where set, so that other networks keep the fingerprints of earlier files.
    for (const auto& p : pops)
        out.push_back(fmt::format("population {} {} {}{}", p->name(), p->model_name(), p->size(), p->precise ? " precise" : ""));
    for (std::size_t k = 0; k < projections.size(); ++k) {
        const auto& P = projections[k];
        out.push_back(fmt::format("projection {} {} synapses{}", P.spec.name, I.projection_synapses.at(k),
                                  P.spec.plasticity ? " plastic " + std::string(P.spec.plasticity->rule_name()) : ""));
    }
    out.push_back(fmt::format("ring slots {}", I.ring_slots));
    return out;
}

} // namespace

checkpoint_header read_checkpoint_header(const std::string& path) {
    if (!std::filesystem::exists(path)) throw checkpoint_error(path + ": no such file");
    try {
        const auto f = hdf5::file::open(path);
        if (!f.has_attribute("format") || f.string_attribute("format") != format_name)
            throw checkpoint_error(path + ": not a lamina checkpoint (an HDF5 file without format = \"" +
                                   std::string(format_name) + "\"; result files are restored from their checkpoint, not themselves)");
        checkpoint_header h;
        h.format_version = static_cast<int>(f.integer_attribute("format_version"));
        if (h.format_version != checkpoint_format_version)
            throw checkpoint_error(fmt::format("{}: checkpoint format version {}; this lamina reads version {}", path,
                                               h.format_version, checkpoint_format_version));
        if (!f.has_attribute("complete") || f.integer_attribute("complete") != 1)
            throw checkpoint_error(path + ": incomplete checkpoint (its writer stopped before finishing it)");
        h.lamina_version = f.string_attribute("lamina_version");
        h.step = f.integer_attribute("step");
        h.dt_ms = f.number_attribute("dt_ms");
        h.seed = static_cast<std::uint64_t>(f.integer_attribute("seed"));
        h.threads = static_cast<int>(f.integer_attribute("threads"));
        h.description = f.string_attribute("description");
        h.description_origin = f.string_attribute("description_origin");
        return h;
    } catch (const checkpoint_error&) {
        throw;
    } catch (const error& e) {
        throw checkpoint_error(path + ": not a readable lamina checkpoint (" + e.what() + ")");
    }
}

void network::save_checkpoint(const std::string& path) {
    if (load_failed_) throw error(path + ": " + half_loaded_message);
    if (!built_) build();
    detail::refuse_distributed_precise_checkpoint(populations_, path, state_->comm->size());
    auto& I = *state_;
    // Deferred plastic updates are applied, so the spike histories are empty and the state of
    // every synapse is its own (no per-shard history needs storing).
    flush_plasticity();
    detail::engine eng{config_, populations_, projections_, I, shards_};
    // Events waiting in per-arrival-step lists go into their ring slots (arrival_lists.hpp), so
    // the rings are complete, as the file stores them.
    detail::complete_rings(eng);
    // Collective in a distributed run: the complete state arrives at rank 0, which writes it.
    auto blocks = detail::collect_checkpoint(eng, spike_counts_, synaptic_events_);
    // Precise spike times (one process): inputs in flight with their times, refractory ends inside
    // a step, and the offsets of the last window's spikes.
    for (std::size_t q = 0; q < populations_.size(); ++q)
        if (I.precise[q]) detail::save_precise_state(eng, q, step_, blocks.populations[q]);
    if (I.spikes.precise) blocks.exchange.f64["spike_offsets"] = I.spikes.offsets;
    std::string failure;
    if (I.comm->rank() == 0) {
        namespace fs = std::filesystem;
        const std::string tmp = path + fmt::format(".tmp{}", ::getpid());
        try {
            auto f = hdf5::file::create(tmp);
            f.set_attribute("format", format_name);
            f.set_attribute("format_version", std::int64_t{checkpoint_format_version});
            f.set_attribute("lamina_version", LAMINA_VERSION_STRING);
            f.set_attribute("step", std::int64_t{step_});
            f.set_attribute("dt_ms", config_.dt_ms);
            f.set_attribute("seed", static_cast<std::int64_t>(config_.seed));
            f.set_attribute("threads", std::int64_t{threads_});
            f.set_attribute("ranks", std::int64_t{I.comm->size()});
            f.set_attribute("description", description_);
            f.set_attribute("description_origin", description_origin_);
            f.write("fingerprint", fingerprint(populations_, projections_, I));
            auto pops = f.create_group("populations");
            for (std::size_t q = 0; q < blocks.populations.size(); ++q)
                write_block(pops.create_group(std::to_string(q)), blocks.populations[q]);
            auto projs = f.create_group("projections");
            for (std::size_t k = 0; k < blocks.projections.size(); ++k)
                write_block(projs.create_group(std::to_string(k)), blocks.projections[k]);
            write_devices(f.create_group("devices"), I.devices);
            write_block(f.create_group("recorders"), blocks.recorders);
            write_block(f.create_group("exchange"), blocks.exchange);
            // Written last: a file without it was not finished.
            f.set_attribute("complete", std::int64_t{1});
            f.close();
            fs::rename(tmp, path);
        } catch (const std::exception& e) {
            std::error_code ec;
            fs::remove(tmp, ec);
            failure = path + ": cannot write the checkpoint: " + e.what();
        }
    }
    // Every process returns, or throws rank 0's error: none is left behind in a later collective.
    if (I.comm->size() > 1) {
        std::vector<char> message(failure.begin(), failure.end());
        I.comm->broadcast(message);
        failure.assign(message.begin(), message.end());
    }
    if (!failure.empty()) throw error(failure);
}

// Every array a load will read, checked for presence, size and range before anything changes.
void network::check_loaded_state(const std::string& path, const std::vector<state_block>& pops,
                                 const std::vector<state_block>& projs, const state_block& recs,
                                 const state_block& ex) const {
    const auto& I = *state_;
    for (std::size_t q = 0; q < populations_.size(); ++q) {
        const auto& b = pops[q];
        const std::string o = path + ": population '" + populations_[q]->name() + "'";
        const std::size_t n = populations_[q]->size();
        populations_[q]->check_state(b);
        b.integers(o, "isi_last", n);
        b.integers(o, "isi_count", n);
        b.doubles(o, "isi_sum", n);
        b.doubles(o, "isi_sum_sq", n);
        b.integers(o, "spike_count", 1);
    }
    for (std::size_t k = 0; k < projections_.size(); ++k) {
        const auto& P = projections_[k];
        const auto& b = projs[k];
        const std::string o = path + ": projection '" + P.spec.name + "'";
        b.integers(o, "plasticity_enabled", 1);
        const bool has_weights = b.f32.count("weights") != 0;
        if (has_weights) b.floats(o, "weights", I.projection_synapses[k]);
        if (!P.rule) continue;
        if (!has_weights) throw checkpoint_error(o + ": the checkpoint has no weights for this plastic projection");
        synapse_order sizes;  // only the total matters for checking
        sizes.total = I.projection_synapses[k];
        P.rule->check_state(b, sizes, o);
        const auto& sources = b.integers(o, "in_flight_sources", state_block::any_size);
        const auto& offsets = b.integers(o, "in_flight_offsets", I.ring_slots + 1);
        for (std::size_t r = 0; r < I.ring_slots; ++r)
            if (offsets[r] < 0 || offsets[r] > offsets[r + 1] || std::size_t(offsets[r + 1]) > sources.size())
                throw checkpoint_error(o + ": damaged offsets of the spikes in flight");
        for (auto src : sources)
            if (src < 0 || std::size_t(src) >= populations_[P.source]->size())
                throw checkpoint_error(o + ": a spike in flight from a neuron outside the population");
    }
    for (std::size_t r = 0; r < I.recorders.rates.size(); ++r) {
        recs.integers(path, fmt::format("rate{}.next_bin", r), 1);
        recs.integers(path, fmt::format("rate{}.counts", r), state_block::any_size);
    }
    for (std::size_t r = 0; r < I.recorders.weights.size(); ++r) recs.integers(path, fmt::format("weights{}.next", r), 1);
    for (std::size_t r = 0; r < I.recorders.signals.size(); ++r)
        for (std::size_t t = 0; t < I.recorders.signals[r].history.size(); ++t)
            recs.doubles(path, fmt::format("signal{}.term{}.history", r, t), state_block::any_size);
    const auto& neurons = ex.integers(path, "spike_neurons", state_block::any_size);
    const auto& seg = ex.integers(path, "spike_segments", state_block::any_size);
    if (seg.size() % 4 != 0) throw checkpoint_error(path + ": exchange: damaged spike segments");
    for (std::size_t m = 0; m + 3 < seg.size(); m += 4) {
        if (seg[m + 1] < 0 || std::size_t(seg[m + 1]) >= populations_.size() || seg[m + 2] < 0 ||
            seg[m + 2] > seg[m + 3] || std::size_t(seg[m + 3]) > neurons.size())
            throw checkpoint_error(path + ": exchange: damaged spike segments");
        for (auto i = seg[m + 2]; i < seg[m + 3]; ++i)
            if (neurons[std::size_t(i)] < 0 || std::size_t(neurons[std::size_t(i)]) >= populations_[std::size_t(seg[m + 1])]->size())
                throw checkpoint_error(path + ": exchange: a spike from a neuron outside its population");
    }
    ex.integers(path, "synaptic_events", 1);
    ex.integers(path, "next_flush", 1);
}

void network::load_checkpoint(const std::string& path) {
    detail::refuse_distributed_precise_checkpoint(populations_, path, state_->comm->size());
    // A distributed run: every process reads the whole file (it must be at the same path on every
    // node, like the model file) and keeps its own part. The processes agree on whether the file
    // was usable before any of them changes, so an error on one stops all of them the same way.
    const bool distributed = state_->comm->size() > 1;
    if (distributed && !built_) build();
    std::string failure;
    checkpoint_header h;
    std::vector<state_block> pop_blocks, proj_blocks;
    detail::device_set devices;
    state_block recs, ex;
    try {
        h = read_checkpoint_header(path);
        if (!built_) build();
        if (h.dt_ms != config_.dt_ms)
            throw checkpoint_error(fmt::format("{}: written with dt = {} ms, this network has {} ms", path, h.dt_ms, config_.dt_ms));
        if (h.seed != config_.seed)
            throw checkpoint_error(fmt::format("{}: written with seed {}, this network has seed {} (its synapses differ)",
                                               path, h.seed, config_.seed));
        try {
            const auto f = hdf5::file::open(path);
            const auto theirs = f.open_dataset("fingerprint").read_strings();
            const auto ours = fingerprint(populations_, projections_, *state_);
            if (theirs != ours) {
                std::string diff;
                for (std::size_t i = 0; i < std::max(theirs.size(), ours.size()); ++i)
                    if (i >= theirs.size() || i >= ours.size() || theirs[i] != ours[i]) {
                        diff = fmt::format("the checkpoint has '{}' where this network has '{}'",
                                           i < theirs.size() ? theirs[i] : "nothing", i < ours.size() ? ours[i] : "nothing");
                        break;
                    }
                throw checkpoint_error(path + ": belongs to another network: " + diff);
            }
            // Everything is read and checked before the network changes.
            for (std::size_t q = 0; q < populations_.size(); ++q)
                pop_blocks.push_back(read_block(f.open_group("populations/" + std::to_string(q))));
            for (std::size_t k = 0; k < projections_.size(); ++k)
                proj_blocks.push_back(read_block(f.open_group("projections/" + std::to_string(k))));
            read_devices(f.open_group("devices"), devices);
            recs = read_block(f.open_group("recorders"));
            ex = read_block(f.open_group("exchange"));
            check_loaded_state(path, pop_blocks, proj_blocks, recs, ex);
            {
                detail::engine check{config_, populations_, projections_, *state_, shards_};
                for (std::size_t q = 0; q < populations_.size(); ++q)
                    if (populations_[q]->precise)
                        detail::check_precise_state(check, q, pop_blocks[q], h.step,
                                                    path + ": population '" + populations_[q]->name() + "'");
                if (state_->spikes.precise) {
                    const auto& offsets = ex.doubles(path + ": exchange", "spike_offsets",
                                                     ex.integers(path, "spike_neurons", state_block::any_size).size());
                    for (double o : offsets)
                        if (!(o >= 0.0 && o <= config_.dt_ms))
                            throw checkpoint_error(path + ": exchange: a spike offset outside [0, dt]");
                }
            }
            // A network that ran is remade as built before loading; weights set by set_weights()
            // are not part of that, so they must be in the file.
            for (std::size_t k = 0; k < projections_.size(); ++k)
                if (projections_[k].weights_written && !proj_blocks[k].f32.count("weights"))
                    throw checkpoint_error(path + ": projection '" + projections_[k].spec.name +
                                           "' has weights set after this checkpoint was written, which it cannot "
                                           "restore; load it into a new network");
        } catch (const checkpoint_error&) {
            throw;
        } catch (const error& e) {
            throw checkpoint_error(path + ": damaged checkpoint (" + e.what() + ")");
        }
    } catch (const checkpoint_error& e) {
        if (!distributed) throw;
        failure = e.what();
    }
    if (distributed) {
        std::uint64_t failed = failure.empty() ? 0 : 1;
        state_->comm->sum(std::span<std::uint64_t>(&failed, 1));
        if (failed != 0)
            throw checkpoint_error(failure.empty() ? path + ": another process of the run could not load the checkpoint"
                                                   : failure);
    }
    auto& I = *state_;
    // A network that has run (or failed to load) is first made as at step 0 on its connectivity.
    if (step_ != 0 || load_failed_) {
        load_failed_ = true;
        make_runtime_state();
        load_failed_ = false;
    }
    detail::engine eng{config_, populations_, projections_, I, shards_};
    // Canonical positions of this process's synapses in the whole network (collective).
    std::vector<synapse_order> orders(projections_.size());
    for (std::size_t k = 0; k < projections_.size(); ++k)
        if (proj_blocks[k].f32.count("weights")) orders[k] = detail::network_canonical_order(eng, projections_[k]);
    try {
        const std::string owner = path;
        load_failed_ = true;

        for (std::size_t q = 0; q < populations_.size(); ++q) {
            const auto& b = pop_blocks[q];
            const std::string o = path + ": population '" + populations_[q]->name() + "'";
            const std::size_t n = populations_[q]->size();
            populations_[q]->load_state(b, config_.dt_ms);
            auto& st = I.isi[q];
            st.last = b.integers(o, "isi_last", n);
            const auto& count = b.integers(o, "isi_count", n);
            st.count.assign(count.begin(), count.end());
            st.sum = b.doubles(o, "isi_sum", n);
            st.sum_sq = b.doubles(o, "isi_sum_sq", n);
            spike_counts_[q] = static_cast<std::uint64_t>(b.integers(o, "spike_count", 1)[0]);
            if (I.precise[q]) detail::load_precise_state(eng, q, b, o);
        }
        for (std::size_t k = 0; k < projections_.size(); ++k) {
            auto& P = projections_[k];
            const auto& b = proj_blocks[k];
            const std::string o = path + ": projection '" + P.spec.name + "'";
            P.plasticity_enabled = b.integers(o, "plasticity_enabled", 1)[0] != 0;
            if (b.f32.count("weights")) {
                const auto& order = orders[k];
                const auto& w = b.floats(o, "weights", order.total);
                for (std::size_t s = 0; s < P.shards.size(); ++s) {
                    auto& sh = P.shards[s];
                    if (P.homogeneous_weight) sh.weight.assign(sh.size(), P.weight_value);
                    for (std::size_t x = 0; x < sh.size(); ++x) sh.weight[x] = w[order.position(s, x)];
                }
                if (!P.rule) P.weights_written = true;
                P.homogeneous_weight = false;
                if (P.rule) P.rule->load_state(b, order, h.step, o);
            }
            if (P.rule) {
                const auto& sources = b.integers(o, "in_flight_sources", state_block::any_size);
                const auto& offsets = b.integers(o, "in_flight_offsets", I.ring_slots + 1);
                for (std::size_t s = 0; s < shards_; ++s) {
                    const auto& sh = P.shards[s];
                    for (std::size_t r = 0; r < I.ring_slots; ++r) {
                        auto& queue = I.pending[k][s][r];
                        queue.clear();
                        // Offsets and sources were checked by check_loaded_state.
                        for (auto m = offsets[r]; m < offsets[r + 1]; ++m) {
                            const auto src = static_cast<std::uint32_t>(sources[static_cast<std::size_t>(m)]);
                            if (sh.row_begin[src + 1] > sh.row_begin[src]) queue.push_back(src);
                        }
                    }
                }
            }
        }
        I.devices.poisson_specs = std::move(devices.poisson_specs);
        I.devices.generator_specs = std::move(devices.generator_specs);
        I.devices.current_specs = std::move(devices.current_specs);
        I.devices.neuron_current_specs = std::move(devices.neuron_current_specs);
        I.devices.noise_specs = std::move(devices.noise_specs);
        I.devices.build(populations_, I.bounds, config_.dt_ms);

        for (std::size_t r = 0; r < I.recorders.rates.size(); ++r) {
            auto& R = I.recorders.rates[r];
            R.next_bin = recs.integers(owner, fmt::format("rate{}.next_bin", r), 1)[0];
            const auto& c = recs.integers(owner, fmt::format("rate{}.counts", r), state_block::any_size);
            R.counts.assign(c.begin(), c.end());
        }
        for (std::size_t r = 0; r < I.recorders.weights.size(); ++r)
            I.recorders.weights[r].next = recs.integers(owner, fmt::format("weights{}.next", r), 1)[0];
        for (std::size_t r = 0; r < I.recorders.signals.size(); ++r)
            for (std::size_t t = 0; t < I.recorders.signals[r].history.size(); ++t)
                I.recorders.signals[r].history[t] =
                    recs.doubles(owner, fmt::format("signal{}.term{}.history", r, t), state_block::any_size);

        // Segments and neuron indices were checked by check_loaded_state.
        const auto& neurons = ex.integers(owner, "spike_neurons", state_block::any_size);
        const auto& seg = ex.integers(owner, "spike_segments", state_block::any_size);
        I.spikes.clear();
        detail::clear_arrival_lists(I);  // the loaded rings are complete
        I.spikes.neurons.assign(neurons.begin(), neurons.end());
        if (I.spikes.precise) I.spikes.offsets = ex.doubles(owner, "spike_offsets", neurons.size());
        for (std::size_t m = 0; m + 3 < seg.size(); m += 4) {
            I.spikes.segments.push_back({seg[m], static_cast<std::uint32_t>(seg[m + 1]),
                                         static_cast<std::uint32_t>(seg[m + 2]), static_cast<std::uint32_t>(seg[m + 3])});
        }
        // Each process counts the events it delivers; the saved count is their sum.
        synaptic_events_ = I.comm->rank() == 0 ? static_cast<std::uint64_t>(ex.integers(owner, "synaptic_events", 1)[0]) : 0;
        I.next_flush = ex.integers(owner, "next_flush", 1)[0];
        step_ = h.step;
        load_failed_ = false;
    } catch (const checkpoint_error&) {
        throw;
    } catch (const error& e) {
        throw checkpoint_error(path + ": damaged checkpoint (" + e.what() + ")");
    }
}

} // namespace lamina::sim
