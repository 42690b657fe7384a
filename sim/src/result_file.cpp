#include "lamina/sim/result_file.hpp"

#include "lamina/sim/error.hpp"
#include "lamina/sim/hdf5_file.hpp"
#include "lamina/sim/network.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <limits>

#ifndef LAMINA_VERSION_STRING
#define LAMINA_VERSION_STRING "unknown"
#endif

namespace lamina::sim {

namespace {

constexpr std::size_t long_string = 16384;                // metadata strings beyond: datasets
constexpr std::uint32_t sonata_magic = 0x0A7A;
constexpr std::uint32_t sonata_version[2] = {0, 1};
constexpr const char* format_name = "lamina-result";
constexpr std::int64_t format_version = 1;

// Recorder and population names become HDF5 link names.
void check_name(const std::string& what, const std::string& name) {
    if (name.empty()) throw error("result file: " + what + " name must not be empty");
    if (name.find('/') != std::string::npos || name == "." || name == "..")
        throw error("result file: " + what + " name '" + name + "' cannot be an HDF5 group name (contains '/')");
}

std::string utc_now() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

} // namespace

// Collects appends in memory and writes them in blocks of about `limit` elements: the engine
// delivers data once per min-delay window (every step for 0.1 ms delays), and one HDF5 append per
// window would dominate a run. Memory stays bounded by the block size.
template <class T>
struct buffered_append {
    std::vector<T> pending;
    void add(std::span<const T> v) { pending.insert(pending.end(), v.begin(), v.end()); }
    bool full(std::size_t limit) const { return pending.size() >= limit; }
    void write(hdf5::dataset& ds) {
        if (pending.empty()) return;
        ds.append(std::span<const T>(pending));
        pending.clear();
    }
};

struct result_file_writer::impl {
    struct population_out {
        hdf5::group group;
        hdf5::dataset timestamps, node_ids;
        buffered_append<double> timestamps_pending;
        buffered_append<std::uint32_t> node_ids_pending;
        void write_pending() {
            timestamps_pending.write(timestamps);
            node_ids_pending.write(node_ids);
        }
        std::vector<std::string> recorders;
        double last_time = -std::numeric_limits<double>::infinity();
        bool sorted = true;
    };
    struct states_out {
        hdf5::group group;
        hdf5::dataset times, values;
        buffered_append<double> times_pending, values_pending;
        void write_pending() {
            times_pending.write(times);
            values_pending.write(values);
        }
        std::size_t width = 0;
    };
    struct rates_out {
        hdf5::group group;
        hdf5::dataset bin_start, rate;
    };
    struct signals_out {
        hdf5::group group;
        hdf5::dataset times, values;
        buffered_append<double> times_pending, values_pending;
        void write_pending() {
            times_pending.write(times);
            values_pending.write(values);
        }
    };
    std::map<std::string, signals_out> signal_outs;
    hdf5::group signals_root;
    struct weights_out {
        hdf5::group group;
        hdf5::dataset times, values;
        std::size_t width = 0;
    };

    std::string path, tmp;
    result_file_options options;
    // Declared first, destroyed last: HDF5 objects close before their file.
    hdf5::file file;
    hdf5::group spikes_root, states_root, rates_root, weights_root, metadata_root;
    std::map<std::string, weights_out> weights;
    std::map<std::string, population_out> populations;
    std::map<std::string, std::string> spike_recorders;  // recorder -> population
    std::map<std::string, states_out> states;
    std::map<std::string, rates_out> rates;
    std::map<std::string, metadata_value> metadata;
    bool finished = false;
    bool broken = false;  // a write failed: the file is incomplete and finish() refuses

    hdf5::dataset appendable(hdf5::group& g, const std::string& name, hdf5::type t, std::size_t columns) {
        return g.create_appendable(name, t, columns, options.chunk_elements, options.deflate_level);
    }

    [[noreturn]] void fail(const std::string& what) const { throw error("result file '" + path + "': " + what); }

    void close_objects() {
        populations.clear();
        states.clear();
        rates.clear();
        weights.clear();
        weights_root = {};
        signal_outs.clear();
        signals_root = {};
        spikes_root = {};
        states_root = {};
        rates_root = {};
        metadata_root = {};
    }

    // Runs a write, marking the file broken when it throws.
    template <class F>
    void guarded(F&& f) {
        if (finished) fail("written to after finish()");
        if (broken) fail("an earlier write failed");
        try {
            f();
        } catch (...) {
            broken = true;
            throw;
        }
    }
};

result_file_writer::result_file_writer(std::string path, const std::map<std::string, std::string>& spike_populations,
                                       result_file_options options)
    : impl_(std::make_unique<impl>()) {
    auto& I = *impl_;
    if (path.empty()) throw error("result file: the path is empty");
    if (options.chunk_elements == 0) throw error("result file: chunk_elements must be >= 1");
    if (options.deflate_level < 0 || options.deflate_level > 9) throw error("result file: deflate_level must be 0-9");
    I.options = options;
    I.path = std::move(path);
    I.tmp = I.path + ".tmp-" + std::to_string(static_cast<long>(::getpid()));
    for (const auto& [recorder, population] : spike_populations) {
        check_name("spike recorder", recorder);
        check_name("population", population);
    }
    try {
        I.file = hdf5::file::create(I.tmp);
    } catch (const error& e) {
        I.fail(std::string("cannot create the temporary file: ") + e.what());
    }
    try {
        I.file.set_attribute("magic", sonata_magic);
        I.file.set_attribute("version", std::span<const std::uint32_t>(sonata_version));
        I.file.set_attribute("lamina_format", format_name);
        I.file.set_attribute("lamina_format_version", format_version);
        I.spikes_root = I.file.create_group("spikes");
        I.states_root = I.file.create_group("states");
        I.rates_root = I.file.create_group("rates");
        I.weights_root = I.file.create_group("weights");
        I.signals_root = I.file.create_group("signals");
        I.metadata_root = I.file.create_group("metadata");
        I.metadata[key_version] = std::string(LAMINA_VERSION_STRING);
        I.metadata[key_created] = utc_now();
        for (const auto& [recorder, population] : spike_populations) add_spike_recorder(recorder, population);
    } catch (...) {
        // The destructor does not run for a constructor that throws.
        I.close_objects();
        I.file = {};
        std::remove(I.tmp.c_str());
        throw;
    }
}

result_file_writer::~result_file_writer() {
    if (!impl_ || impl_->finished) return;
    try {
        impl_->close_objects();
        impl_->file = {};
    } catch (...) {
    }
    std::remove(impl_->tmp.c_str());
}

bool result_file_writer::finished() const noexcept { return impl_->finished; }
const std::string& result_file_writer::path() const noexcept { return impl_->path; }
const std::string& result_file_writer::temporary_path() const noexcept { return impl_->tmp; }

void result_file_writer::add_spike_recorder(const std::string& recorder, const std::string& population) {
    auto& I = *impl_;
    check_name("spike recorder", recorder);
    check_name("population", population);
    if (I.spike_recorders.count(recorder)) I.fail("spike recorder '" + recorder + "' is registered twice");
    I.guarded([&] {
        auto it = I.populations.find(population);
        if (it == I.populations.end()) {
            impl::population_out p;
            p.group = I.spikes_root.create_group(population);
            p.group.set_attribute("sorting", "by_time");
            p.timestamps = I.appendable(p.group, "timestamps", hdf5::type::float64, 0);
            p.timestamps.set_attribute("units", "ms");
            p.node_ids = I.appendable(p.group, "node_ids", hdf5::type::uint64, 0);
            it = I.populations.emplace(population, std::move(p)).first;
        }
        it->second.recorders.push_back(recorder);
        it->second.group.set_attribute("recorders", std::span<const std::string>(it->second.recorders));
        I.spike_recorders[recorder] = population;
    });
}

void result_file_writer::add_state_recorder(const std::string& recorder, const std::string& population,
                                            const std::vector<std::uint32_t>& neurons,
                                            const std::vector<std::string>& variables) {
    auto& I = *impl_;
    check_name("state recorder", recorder);
    check_name("population", population);
    if (I.states.count(recorder)) I.fail("state recorder '" + recorder + "' is registered twice");
    const std::size_t width = neurons.size() * variables.size();
    if (width == 0) I.fail("state recorder '" + recorder + "' records no values (no neurons or no variables)");
    I.guarded([&] {
        impl::states_out s;
        s.width = width;
        s.group = I.states_root.create_group(recorder);
        s.group.set_attribute("population", population);
        s.times = I.appendable(s.group, "times", hdf5::type::float64, 0);
        s.times.set_attribute("units", "ms");
        s.values = I.appendable(s.group, "values", hdf5::type::float64, width);
        s.group.write("neurons", neurons);
        s.group.write("variables", variables);
        I.states.emplace(recorder, std::move(s));
    });
}

void result_file_writer::add_rate_recorder(const std::string& recorder, const std::string& population,
                                           double bin_ms) {
    auto& I = *impl_;
    check_name("rate recorder", recorder);
    check_name("population", population);
    if (I.rates.count(recorder)) I.fail("rate recorder '" + recorder + "' is registered twice");
    I.guarded([&] {
        impl::rates_out r;
        r.group = I.rates_root.create_group(recorder);
        r.group.set_attribute("population", population);
        r.group.set_attribute("bin_ms", bin_ms);
        r.bin_start = I.appendable(r.group, "bin_start", hdf5::type::float64, 0);
        r.bin_start.set_attribute("units", "ms");
        r.rate = I.appendable(r.group, "rate", hdf5::type::float64, 0);
        r.rate.set_attribute("units", "Hz");
        I.rates.emplace(recorder, std::move(r));
    });
}

void result_file_writer::add_weight_recorder(const std::string& recorder, const std::string& projection,
                                             std::size_t synapses) {
    auto& I = *impl_;
    check_name("weight recorder", recorder);
    if (I.weights.count(recorder)) I.fail("weight recorder '" + recorder + "' is registered twice");
    if (synapses == 0) I.fail("weight recorder '" + recorder + "': the projection has no synapses");
    I.guarded([&] {
        impl::weights_out w;
        w.width = synapses;
        w.group = I.weights_root.create_group(recorder);
        w.group.set_attribute("projection", projection);
        w.times = I.appendable(w.group, "times", hdf5::type::float64, 0);
        w.times.set_attribute("units", "ms");
        w.values = I.appendable(w.group, "values", hdf5::type::float32, synapses);
        I.weights.emplace(recorder, std::move(w));
    });
}

void result_file_writer::add_signal_recorder(const std::string& recorder, const std::string& population) {
    auto& I = *impl_;
    check_name("signal recorder", recorder);
    if (I.signal_outs.count(recorder)) I.fail("signal recorder '" + recorder + "' is registered twice");
    I.guarded([&] {
        impl::signals_out o;
        o.group = I.signals_root.create_group(recorder);
        o.group.set_attribute("population", population);
        o.times = I.appendable(o.group, "times", hdf5::type::float64, 0);
        o.times.set_attribute("units", "ms");
        o.values = I.appendable(o.group, "values", hdf5::type::float64, 0);
        I.signal_outs.emplace(recorder, std::move(o));
    });
}

void result_file_writer::signals(const std::string& recorder, std::span<const double> times_ms,
                                 std::span<const double> values) {
    auto& I = *impl_;
    if (I.finished) I.fail("recording data arrived after finish()");
    auto it = I.signal_outs.find(recorder);
    if (it == I.signal_outs.end()) I.fail("signal of unregistered signal recorder '" + recorder + "'");
    if (times_ms.size() != values.size()) I.fail("signal recorder '" + recorder + "': times and values differ in length");
    if (times_ms.empty()) return;
    I.guarded([&] {
        auto& o = it->second;
        o.times_pending.add(times_ms);
        o.values_pending.add(values);
        if (o.times_pending.full(I.options.chunk_elements)) o.write_pending();
    });
}

void result_file_writer::weights(const std::string& recorder, double time_ms, std::span<const float> values) {
    auto& I = *impl_;
    if (I.finished) I.fail("recording data arrived after finish()");
    auto it = I.weights.find(recorder);
    if (it == I.weights.end()) I.fail("weights of unregistered weight recorder '" + recorder + "'");
    auto& W = it->second;
    if (values.size() != W.width)
        I.fail("weight recorder '" + recorder + "': " + std::to_string(values.size()) + " weights, expected " +
               std::to_string(W.width));
    I.guarded([&] {
        const double t[1] = {time_ms};
        W.times.append(std::span<const double>(t));
        W.values.append(values);
    });
}

void result_file_writer::add_recorders(const network& net, const std::map<std::string, std::string>& recorder_populations) {
    auto& I = *impl_;
    if (!net.built()) I.fail("add_recorders(): the network is not built yet");
    auto population_of = [&](const std::string& kind, const std::string& recorder) -> const std::string& {
        auto it = recorder_populations.find(recorder);
        if (it == recorder_populations.end()) I.fail(kind + " recorder '" + recorder + "': no population given");
        return it->second;
    };
    for (std::size_t r = 0; r < net.spike_recorder_count(); ++r) {
        const auto& name = net.spike_recorder_name(r);
        if (!I.spike_recorders.count(name)) add_spike_recorder(name, population_of("spike", name));
    }
    for (std::size_t r = 0; r < net.state_recorder_count(); ++r) {
        const auto& name = net.state_recorder_name(r);
        if (I.states.count(name)) continue;
        const auto& rec = net.states(r);
        add_state_recorder(name, population_of("state", name), rec.neurons, rec.variables);
    }
    for (std::size_t r = 0; r < net.signal_recorder_count(); ++r) {
        const auto& name = net.signal_recorder_name(r);
        if (!I.signal_outs.count(name)) add_signal_recorder(name, net.signal_recorder_population(r));
    }
    for (std::size_t r = 0; r < net.weight_recorder_count(); ++r) {
        const auto& name = net.weight_recorder_name(r);
        if (I.weights.count(name)) continue;
        const auto& proj = population_of("weight", name);
        add_weight_recorder(name, proj, net.projection_synapse_count(net.projection_index(proj)));
    }
    for (std::size_t r = 0; r < net.rate_recorder_count(); ++r) {
        const auto& name = net.rate_recorder_name(r);
        if (I.rates.count(name)) continue;
        add_rate_recorder(name, population_of("rate", name), net.rates(r).bin_ms);
    }
}

void result_file_writer::set_metadata(const std::string& key, std::string_view value) {
    set_metadata_value(key, metadata_value(std::string(value)));
}

void result_file_writer::set_metadata_value(const std::string& key, metadata_value value) {
    auto& I = *impl_;
    if (I.finished) I.fail("set_metadata('" + key + "') after finish()");
    check_name("metadata key", key);
    I.metadata[key] = std::move(value);
}

void result_file_writer::set_run_metadata(const network& net) {
    const auto seed = net.config().seed;
    if (seed <= std::uint64_t(std::numeric_limits<std::int64_t>::max()))
        set_metadata(key_seed, static_cast<std::int64_t>(seed));
    else
        set_metadata(key_seed, std::to_string(seed));
    set_metadata(key_threads, net.threads());
    set_metadata(key_dt, net.config().dt_ms);
    set_metadata(key_neurons, net.statistics().neurons);
    set_metadata(key_synapses, net.statistics().synapses);
    set_metadata(key_build_seconds, net.statistics().build_seconds);
    set_metadata(key_model_time, net.current_time_ms());
}

void result_file_writer::spikes(const std::string& recorder, std::span<const double> times_ms,
                                std::span<const std::uint32_t> neurons) {
    auto& I = *impl_;
    if (I.finished) I.fail("recording data arrived after finish()");
    auto it = I.spike_recorders.find(recorder);
    if (it == I.spike_recorders.end()) I.fail("spikes of unregistered spike recorder '" + recorder + "'");
    if (times_ms.size() != neurons.size())
        I.fail("spike recorder '" + recorder + "': " + std::to_string(times_ms.size()) + " times but " +
               std::to_string(neurons.size()) + " neurons");
    if (times_ms.empty()) return;
    auto& P = I.populations.at(it->second);
    I.guarded([&] {
        // by_time holds as long as every chunk continues where the last one ended.
        double last = P.last_time;
        for (double t : times_ms) {
            if (t < last) P.sorted = false;
            last = t;
        }
        P.last_time = std::max(P.last_time, last);
        P.timestamps_pending.add(times_ms);
        P.node_ids_pending.add(neurons);
        if (P.timestamps_pending.full(I.options.chunk_elements)) P.write_pending();
    });
}

void result_file_writer::samples(const std::string& recorder, std::span<const double> times_ms,
                                 std::span<const double> values) {
    auto& I = *impl_;
    if (I.finished) I.fail("recording data arrived after finish()");
    auto it = I.states.find(recorder);
    if (it == I.states.end()) I.fail("samples of unregistered state recorder '" + recorder + "'");
    auto& S = it->second;
    if (values.size() != times_ms.size() * S.width)
        I.fail("state recorder '" + recorder + "': " + std::to_string(values.size()) + " values for " +
               std::to_string(times_ms.size()) + " samples of " + std::to_string(S.width));
    if (times_ms.empty()) return;
    I.guarded([&] {
        S.times_pending.add(times_ms);
        S.values_pending.add(values);
        if (S.values_pending.full(I.options.chunk_elements)) S.write_pending();
    });
}

void result_file_writer::rates(const std::string& recorder, std::span<const double> bin_start_ms,
                               std::span<const double> rate_hz) {
    auto& I = *impl_;
    if (I.finished) I.fail("recording data arrived after finish()");
    auto it = I.rates.find(recorder);
    if (it == I.rates.end()) I.fail("rates of unregistered rate recorder '" + recorder + "'");
    if (bin_start_ms.size() != rate_hz.size())
        I.fail("rate recorder '" + recorder + "': " + std::to_string(bin_start_ms.size()) + " bins but " +
               std::to_string(rate_hz.size()) + " rates");
    if (bin_start_ms.empty()) return;
    auto& R = it->second;
    I.guarded([&] {
        R.bin_start.append(bin_start_ms);
        R.rate.append(rate_hz);
    });
}

void result_file_writer::finish(bool interrupted) {
    auto& I = *impl_;
    if (I.finished) I.fail("finish() called twice");
    if (I.broken) I.fail("an earlier write failed; the result file was not written");
    I.metadata[key_interrupted] = std::int64_t(interrupted ? 1 : 0);
    I.guarded([&] {
        for (auto& [name, P] : I.populations) P.write_pending();
        for (auto& [name, S] : I.states) S.write_pending();
        for (auto& [name, O] : I.signal_outs) O.write_pending();
        for (auto& [name, P] : I.populations) P.group.set_attribute("sorting", P.sorted ? "by_time" : "none");
        for (const auto& [key, value] : I.metadata) {
            if (auto* s = std::get_if<std::string>(&value)) {
                if (s->size() > long_string)
                    I.metadata_root.write_string(key, *s);
                else
                    I.metadata_root.set_attribute(key, *s);
            } else if (auto* d = std::get_if<double>(&value)) {
                I.metadata_root.set_attribute(key, *d);
            } else {
                I.metadata_root.set_attribute(key, std::get<std::int64_t>(value));
            }
        }
        I.close_objects();
        I.file.close();
    });
    if (std::rename(I.tmp.c_str(), I.path.c_str()) != 0) {
        const int e = errno;
        I.broken = true;
        I.fail("cannot rename '" + I.tmp + "' to the final name: " + std::strerror(e));
    }
    I.finished = true;
}

// Reading ------------------------------------------------------------------------------------------

namespace {

std::string optional_string_attribute(const hdf5::object& o, const std::string& name) {
    if (!o.has_attribute(name)) return {};
    auto v = o.attribute(name);
    if (auto* s = std::get_if<std::string>(&v)) return *s;
    return {};
}

std::map<std::string, metadata_value> read_metadata(const hdf5::file& f) {
    std::map<std::string, metadata_value> out;
    if (!f.is_group("metadata")) return out;
    const auto g = f.open_group("metadata");
    for (const auto& name : g.attribute_names()) out[name] = g.attribute(name);
    for (const auto& name : g.members()) {
        if (!g.is_dataset(name)) continue;
        auto d = g.open_dataset(name);
        if (d.element_type() == hdf5::type::string) {
            auto v = d.read_strings();
            if (v.size() == 1) out[name] = v[0];
        }
    }
    return out;
}

std::string spikes_sorting(const hdf5::group& g) {
    std::string s = optional_string_attribute(g, "sorting");
    // Some SONATA writers put it on node_ids (bmtk reads it there first).
    if (s.empty() && g.is_dataset("node_ids")) s = optional_string_attribute(g.open_dataset("node_ids"), "sorting");
    return s;
}

} // namespace

// Calls fn(name, group) for every subgroup of the top-level group `root_name`, if it exists.
template <class F>
void for_each_group(const hdf5::file& f, const char* root_name, F&& fn) {
    if (!f.is_group(root_name)) return;
    const auto root = f.open_group(root_name);
    for (const auto& name : root.members())
        if (root.is_group(name)) fn(name, root.open_group(name));
}

result_file_contents read_result_file(const std::string& path) {
    result_file_contents out;
    const auto f = hdf5::file::open(path);
    for_each_group(f, "spikes", [&](const std::string& pop, const hdf5::group& g) {
        if (!g.is_dataset("timestamps") || !g.is_dataset("node_ids")) return;
        auto& s = out.spikes[pop];
        s.timestamps_ms = g.read<double>("timestamps");
        s.node_ids = g.read<std::uint64_t>("node_ids");
        s.sorting = spikes_sorting(g);
        if (s.timestamps_ms.size() != s.node_ids.size())
            throw error("result file '" + path + "': /spikes/" + pop + ": timestamps and node_ids differ in length");
    });
    for_each_group(f, "states", [&](const std::string& name, const hdf5::group& g) {
        auto& s = out.states[name];
        s.population = optional_string_attribute(g, "population");
        s.data.times_ms = g.read<double>("times");
        s.data.neurons = g.read<std::uint32_t>("neurons");
        s.data.variables = g.read_strings("variables");
        s.data.values = g.read<double>("values");
    });
    for_each_group(f, "rates", [&](const std::string& name, const hdf5::group& g) {
        auto& r = out.rates[name];
        r.population = optional_string_attribute(g, "population");
        r.data.bin_ms = g.has_attribute("bin_ms") ? g.number_attribute("bin_ms") : 0.0;
        r.data.bin_start_ms = g.read<double>("bin_start");
        r.data.rate_hz = g.read<double>("rate");
    });
    for_each_group(f, "signals", [&](const std::string& name, const hdf5::group& g) {
        auto& x = out.signals[name];
        x.population = optional_string_attribute(g, "population");
        x.data.times_ms = g.read<double>("times");
        x.data.values = g.read<double>("values");
    });
    for_each_group(f, "weights", [&](const std::string& name, const hdf5::group& g) {
        auto& w = out.weights[name];
        w.projection = optional_string_attribute(g, "projection");
        w.data.times_ms = g.read<double>("times");
        const auto values = g.open_dataset("values");
        w.data.synapses = values.columns();
        w.data.values = values.read<float>();
    });
    out.metadata = read_metadata(f);
    return out;
}

result_file_summary read_result_summary(const std::string& path) {
    result_file_summary out;
    const auto f = hdf5::file::open(path);
    for_each_group(f, "spikes", [&](const std::string& pop, const hdf5::group& g) {
        if (!g.is_dataset("timestamps")) return;
        auto& s = out.spikes[pop];
        s.count = g.open_dataset("timestamps").size();
        s.sorting = spikes_sorting(g);
    });
    for_each_group(f, "states", [&](const std::string& name, const hdf5::group& g) {
        auto& s = out.states[name];
        s.population = optional_string_attribute(g, "population");
        s.samples = g.open_dataset("times").size();
        s.neurons = g.read<std::uint32_t>("neurons");
        s.variables = g.read_strings("variables");
    });
    for_each_group(f, "rates", [&](const std::string& name, const hdf5::group& g) {
        auto& r = out.rates[name];
        r.population = optional_string_attribute(g, "population");
        r.bin_ms = g.has_attribute("bin_ms") ? g.number_attribute("bin_ms") : 0.0;
        r.bins = g.open_dataset("bin_start").size();
    });
    for_each_group(f, "weights", [&](const std::string& name, const hdf5::group& g) {
        auto& w = out.weights[name];
        w.projection = optional_string_attribute(g, "projection");
        const auto values = g.open_dataset("values");
        w.samples = values.rows();
        w.synapses = values.columns();
    });
    for_each_group(f, "signals", [&](const std::string& name, const hdf5::group& g) {
        auto& x = out.signals[name];
        x.population = optional_string_attribute(g, "population");
        x.samples = g.open_dataset("times").size();
    });
    out.metadata = read_metadata(f);
    return out;
}

} // namespace lamina::sim
