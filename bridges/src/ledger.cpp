#include "lamina/bridges/ledger.hpp"

#include "lamina/sim/error.hpp"

#include <charconv>
#include <cmath>

namespace lamina::bridges {

using sim::parameter_error;

energy_table horowitz_45nm_fp32_cache() {
    return {"fp32-cache", 4.6, 0.9, 0.9, 5.0,
            "Horowitz ISSCC 2014, 45 nm: fp32 mult 3.7 + add 0.9 pJ; 8 kB cache 10 pJ per 64-bit access"};
}
energy_table horowitz_45nm_fp32_dram() {
    return {"fp32-dram", 4.6, 0.9, 0.9, 650.0,
            "Horowitz ISSCC 2014, 45 nm: fp32 mult 3.7 + add 0.9 pJ; DRAM 1.3 nJ per 64-bit access"};
}
energy_table horowitz_45nm_int32_cache() {
    return {"int32-cache", 3.2, 0.1, 0.1, 5.0,
            "Horowitz ISSCC 2014, 45 nm: int32 mult 3.1 + add 0.1 pJ; 8 kB cache 10 pJ per 64-bit access"};
}

energy_table parse_energy_table(std::string_view spec) {
    const std::string obj = "energy table";
    if (spec == "fp32-cache") return horowitz_45nm_fp32_cache();
    if (spec == "fp32-dram") return horowitz_45nm_fp32_dram();
    if (spec == "int32-cache") return horowitz_45nm_int32_cache();
    energy_table t = horowitz_45nm_fp32_cache();
    t.name = "custom";
    t.source = "user table";
    while (!spec.empty()) {
        const std::size_t comma = spec.find(',');
        std::string_view item = spec.substr(0, comma);
        spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
        if (item.empty()) continue;
        const std::size_t eq = item.find('=');
        if (eq == std::string_view::npos) throw parameter_error(obj, std::string(item), "key=value expected");
        const std::string key(item.substr(0, eq));
        const std::string_view val = item.substr(eq + 1);
        if (key == "name") {
            t.name = std::string(val);
            continue;
        }
        double v = 0.0;
        const auto r = std::from_chars(val.data(), val.data() + val.size(), v);
        if (r.ec != std::errc() || r.ptr != val.data() + val.size() || !(v >= 0.0) || !std::isfinite(v))
            throw parameter_error(obj, key, "a non-negative number of pJ expected, got '" + std::string(val) + "'");
        if (key == "mac")
            t.mac_pJ = v;
        else if (key == "ac")
            t.accumulate_pJ = v;
        else if (key == "add")
            t.add_pJ = v;
        else if (key == "load32")
            t.load32_pJ = v;
        else
            throw parameter_error(obj, key, "unknown key; allowed: name mac ac add load32");
    }
    return t;
}

layer_ops& layer_ops::operator+=(const layer_ops& o) {
    dense_macs += o.dense_macs;
    macs += o.macs;
    accumulates += o.accumulates;
    skipped_macs += o.skipped_macs;
    adds += o.adds;
    input_events += o.input_events;
    output_spikes += o.output_spikes;
    weight_bytes += o.weight_bytes;
    return *this;
}

double layer_ops::compute_pJ(const energy_table& t) const {
    return double(macs) * t.mac_pJ + double(accumulates) * t.accumulate_pJ + double(adds) * t.add_pJ;
}
double layer_ops::memory_pJ(const energy_table& t) const { return double(weight_bytes) / 4.0 * t.load32_pJ; }

layer_ops ledger::total() const {
    layer_ops s;
    s.name = "total";
    for (const auto& l : layers) s += l;
    return s;
}

double ledger::energy_pJ(const energy_table& t, bool with_memory) const {
    const auto s = total();
    return s.compute_pJ(t) + (with_memory ? s.memory_pJ(t) : 0.0);
}

double ledger::energy_per_image_pJ(const energy_table& t, bool with_memory) const {
    return images ? energy_pJ(t, with_memory) / double(images) : 0.0;
}

namespace {
std::string layer_name(std::size_t a, std::size_t b) { return std::to_string(a) + "->" + std::to_string(b); }
} // namespace

ledger dense_ledger(const std::vector<std::size_t>& sizes, std::size_t images) {
    ledger g;
    g.mode = "dense ANN";
    g.images = images;
    const std::uint64_t I = images;
    for (std::size_t l = 1; l < sizes.size(); ++l) {
        layer_ops o;
        o.name = layer_name(sizes[l - 1], sizes[l]);
        o.dense_macs = o.macs = I * sizes[l - 1] * sizes[l];
        o.adds = I * sizes[l];
        o.input_events = I * sizes[l - 1];
        o.weight_bytes = 4 * I * (sizes[l - 1] * sizes[l] + sizes[l]);
        g.layers.push_back(o);
    }
    return g;
}

ledger zero_skipping_ledger(const mlp& net, const row_matrix& x) {
    ledger g;
    g.mode = "ANN, zero skipping";
    g.images = static_cast<std::size_t>(x.rows());
    const auto outs = net.layer_outputs(x);
    const auto sizes = net.sizes();
    const std::uint64_t I = g.images;
    for (std::size_t l = 1; l < sizes.size(); ++l) {
        layer_ops o;
        o.name = layer_name(sizes[l - 1], sizes[l]);
        const std::uint64_t nnz = l == 1 ? static_cast<std::uint64_t>((x.array() != 0.0f).count())
                                         : static_cast<std::uint64_t>((outs[l - 2].array() != 0.0f).count());
        o.dense_macs = I * sizes[l - 1] * sizes[l];
        o.macs = nnz * sizes[l];
        o.skipped_macs = o.dense_macs - o.macs;
        o.adds = I * sizes[l];
        o.input_events = nnz;
        o.weight_bytes = 4 * (o.macs + I * sizes[l]);
        g.layers.push_back(o);
    }
    return g;
}

ledger snn_ledger(const snn_result& run, std::size_t k) {
    if (k >= run.budgets.size()) throw parameter_error("SNN ledger", "budget", "no budget " + std::to_string(k));
    const auto& b = run.budgets[k];
    ledger g;
    g.mode = "SNN T=" + std::to_string(b.steps);
    g.images = run.images;
    g.accuracy = b.accuracy;
    const std::uint64_t I = run.images;
    const auto& s = run.sizes;
    const bool spike_in = run.input == snn_input::spikes;
    for (std::size_t l = 1; l < s.size(); ++l) {
        layer_ops o;
        o.name = layer_name(s[l - 1], s[l]);
        o.dense_macs = I * s[l - 1] * s[l];
        const std::size_t p_target = spike_in ? l : l - 1;  // population of layer l
        o.output_spikes = b.spikes[p_target];
        o.adds = b.neuron_updates[p_target];
        if (l == 1 && spike_in) o.adds += b.neuron_updates[0];  // the input (rate-coding) neurons
        if (l == 1 && !spike_in) {
            o.macs = run.analog_macs;
            o.input_events = I * s[0];
            o.weight_bytes = 4 * (o.macs + I * s[1]);
        } else {
            const std::size_t proj = p_target - 1;  // projection into population p_target
            o.accumulates = b.synaptic_events[proj];
            o.input_events = b.synaptic_events[proj] / s[l];
            o.weight_bytes = 4 * (o.accumulates + I * s[l]);
        }
        g.layers.push_back(o);
    }
    return g;
}

ledger delta_ledger(const std::vector<delta_inference_result>& layers) {
    ledger g;
    g.mode = "delta";
    for (std::size_t l = 0; l < layers.size(); ++l) {
        const auto& r = layers[l];
        const auto frames = static_cast<std::uint64_t>(r.outputs.rows());
        const auto nout = static_cast<std::uint64_t>(r.outputs.cols());
        const std::uint64_t nin = frames && nout ? r.dense_macs / (frames * nout) : 0;
        if (l == 0) g.images = static_cast<std::size_t>(frames);
        layer_ops o;
        o.name = layer_name(nin, nout);
        o.dense_macs = r.dense_macs;
        o.macs = r.performed_macs;
        o.skipped_macs = r.skipped_macs;
        o.adds = frames * nin;
        o.input_events = r.input_events;
        o.weight_bytes = 4 * (r.performed_macs + nout);
        g.layers.push_back(o);
    }
    return g;
}

mlp_delta_result mlp_delta_inference(const mlp& net, const row_matrix& frames, double threshold, delta_rule rule) {
    mlp_delta_result res;
    Eigen::MatrixXd x = frames.cast<double>();
    for (std::size_t l = 0; l < net.layers(); ++l) {
        const Eigen::MatrixXd W = net.weights[l].cast<double>();
        const Eigen::VectorXd b = net.biases[l].cast<double>();
        res.layers.push_back(delta_inference(W, b, x, threshold, rule));
        x = res.layers.back().outputs;
        if (l + 1 < net.layers()) x = x.cwiseMax(0.0);
    }
    res.logits = x;
    res.predictions.resize(static_cast<std::size_t>(x.rows()));
    for (Eigen::Index r = 0; r < x.rows(); ++r) {
        Eigen::Index best = 0;
        for (Eigen::Index c = 1; c < x.cols(); ++c)
            if (x(r, c) > x(r, best)) best = c;
        res.predictions[static_cast<std::size_t>(r)] = static_cast<std::uint8_t>(best);
    }
    const Eigen::MatrixXf dense = net.logits(frames);
    res.max_logit_error = x.rows() ? (x - dense.cast<double>()).cwiseAbs().maxCoeff() : 0.0;
    return res;
}

} // namespace lamina::bridges
