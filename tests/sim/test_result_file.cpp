// HDF5 result files: the RAII HDF5 layer, the streaming result_file_writer (SONATA spikes, states,
// rates, metadata; temporary name until finish()) and its reader.
#include "test_models.hpp"

#include "lamina/sim/hdf5_file.hpp"
#include "lamina/sim/result_file.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>

using namespace lamina::sim;
using lamina::sim::test::probe;
namespace fs = std::filesystem;

namespace {

constexpr double dt = 0.1;

// A fresh directory per test case, removed afterwards.
struct temp_dir {
    fs::path path;
    temp_dir() {
        static int counter = 0;
        path = fs::temp_directory_path() /
               ("lamina-test-h5-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~temp_dir() {
        std::error_code ec;
        fs::permissions(path, fs::perms::owner_all, ec);
        fs::remove_all(path, ec);
    }
    std::string operator/(const std::string& name) const { return (path / name).string(); }
    std::size_t entries() const {
        return static_cast<std::size_t>(std::distance(fs::directory_iterator(path), fs::directory_iterator()));
    }
};

// Two probe populations: "exc" fires irregularly from Poisson drive through its leaky accumulator,
// "inh" periodically and on strong input; projections with 1.5 and 2 ms delays give 15-step windows.
std::unique_ptr<network> make_network(int threads = 2) {
    run_config cfg;
    cfg.dt_ms = dt;
    cfg.threads = threads;
    cfg.seed = 12345;
    auto net = std::make_unique<network>(cfg);
    probe::parameters pe;
    pe.tau = 5.0;
    pe.v_th = 3.0;
    net->add_population<probe>("exc", 40, pe);
    probe::parameters pi;
    pi.spike_every = 37;
    pi.spike_phase = 5;
    pi.input_threshold = 2.0;
    net->add_population<probe>("inh", 10, pi);

    poisson_input_spec drive;
    drive.name = "drive";
    drive.target = "exc";
    drive.rate_hz = 3000.0;
    drive.weight = 1.0;
    net->add_poisson_input(drive);

    projection_spec ei;
    ei.source = "exc";
    ei.target = "inh";
    ei.rule = connection_rule::fixed_indegree(8);
    ei.delay_ms = distribution::constant(1.5);
    net->connect(ei);
    projection_spec ee;
    ee.source = "exc";
    ee.target = "exc";
    ee.rule = connection_rule::pairwise_bernoulli(0.1);
    ee.weight = distribution::constant(0.5);
    ee.delay_ms = distribution::uniform(2.0, 4.0);
    net->connect(ee);

    net->record_spikes({"spikes_exc", "exc", {}});
    net->record_spikes({"spikes_inh", "inh", {1, 2, 5}});
    state_recorder_spec s1;
    s1.name = "v_exc";
    s1.population = "exc";
    s1.variables = {"v", "total"};
    s1.neurons = {0, 3, 7};
    s1.interval_ms = 0.5;
    net->record_state(s1);
    state_recorder_spec s2;
    s2.name = "ex_inh";
    s2.population = "inh";
    s2.variables = {"ex"};
    s2.interval_ms = dt;
    net->record_state(s2);
    net->record_rate({"rate_exc", "exc", 5.0});
    net->record_rate({"rate_inh", "inh", 2.0});
    return net;
}

const std::map<std::string, std::string> recorder_populations{
    {"spikes_exc", "exc"}, {"spikes_inh", "inh"}, {"v_exc", "exc"},
    {"ex_inh", "inh"},     {"rate_exc", "exc"},   {"rate_inh", "inh"},
};

std::vector<std::uint64_t> widen(const std::vector<std::uint32_t>& v) { return {v.begin(), v.end()}; }

template <class T>
T get(const std::map<std::string, metadata_value>& m, const std::string& key) {
    INFO("metadata key " << key);
    REQUIRE(m.count(key) == 1);
    REQUIRE(std::holds_alternative<T>(m.at(key)));
    return std::get<T>(m.at(key));
}

} // namespace

TEST_CASE("hdf5: attributes, whole and appendable datasets round-trip", "[hdf5]") {
    temp_dir dir;
    const auto name = dir / "t.h5";
    {
        auto f = hdf5::file::create(name);
        f.set_attribute("title", "hello");
        f.set_attribute("pi", 3.25);
        f.set_attribute("n", std::int64_t(-7));
        f.set_attribute("small", 5);  // int32
        const std::vector<std::uint32_t> pair{0, 1};
        f.set_attribute("pair", std::span<const std::uint32_t>(pair));
        f.set_attribute("title", "replaced");
        auto g = f.create_group("a/b/c");
        CHECK(g.path() == "/a/b/c");
        CHECK(f.is_group("a/b"));
        CHECK_THROWS_AS(f.create_group("a/b/c"), error);
        CHECK(f.require_group("a/b/c").path() == "/a/b/c");
        g.write("f64", std::vector<double>{1.5, -2.0});
        g.write("f32", std::vector<float>{0.25f});
        g.write("u32", std::vector<std::uint32_t>{4000000000u, 1});
        g.write("i64", std::vector<std::int64_t>{-5, 1LL << 40});
        g.write("u64", std::vector<std::uint64_t>{1ULL << 63});
        g.write("empty", std::vector<double>{});
        g.write("names", std::vector<std::string>{"alpha", "", "gamma delta"});
        g.write_string("text", "a scalar string");
        auto one = g.create_appendable("one", hdf5::type::float64, 0, 4);
        for (int k = 0; k < 5; ++k) one.append(std::vector<double>{double(k), double(k) + 0.5});
        one.append(std::vector<double>{});
        auto two = g.create_appendable("two", hdf5::type::int64, 3, 6);
        two.append(std::vector<std::int64_t>{1, 2, 3});
        two.append(std::vector<std::int32_t>{4, 5, 6, 7, 8, 9});  // converted to int64
        CHECK_THROWS_AS(two.append(std::vector<std::int64_t>{1, 2}), error);
        CHECK(two.shape() == std::vector<std::size_t>{3, 3});
        f.flush();
    }
    const auto f = hdf5::file::open(name);
    CHECK(f.string_attribute("title") == "replaced");
    CHECK(f.number_attribute("pi") == 3.25);
    CHECK(f.integer_attribute("n") == -7);
    CHECK(f.integer_attribute("small") == 5);
    CHECK(f.number_attribute("small") == 5.0);
    CHECK(f.array_attribute<std::uint32_t>("pair") == std::vector<std::uint32_t>{0, 1});
    CHECK_THROWS_AS(f.integer_attribute("pi"), error);
    CHECK_FALSE(f.has_attribute("missing"));
    CHECK(f.attribute_names() == std::vector<std::string>{"n", "pair", "pi", "small", "title"});
    const auto g = f.open_group("/a/b/c");
    CHECK(g.members() == std::vector<std::string>{"empty", "f32", "f64", "i64", "names", "one", "text", "two", "u32", "u64"});
    CHECK(g.read<double>("f64") == std::vector<double>{1.5, -2.0});
    CHECK(g.read<float>("f32") == std::vector<float>{0.25f});
    CHECK(g.read<std::uint32_t>("u32") == std::vector<std::uint32_t>{4000000000u, 1});
    CHECK(g.read<std::int64_t>("i64") == std::vector<std::int64_t>{-5, 1LL << 40});
    CHECK(g.read<std::uint64_t>("u64") == std::vector<std::uint64_t>{1ULL << 63});
    CHECK(g.read<double>("empty").empty());
    CHECK(g.read_strings("names") == std::vector<std::string>{"alpha", "", "gamma delta"});
    CHECK(g.read_strings("text") == std::vector<std::string>{"a scalar string"});
    CHECK(g.open_dataset("names").element_type() == hdf5::type::string);
    CHECK(g.open_dataset("u64").element_type() == hdf5::type::uint64);
    const auto one = g.open_dataset("one");
    CHECK(one.read<double>() == std::vector<double>{0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5});
    CHECK(one.read_rows<double>(3, 2) == std::vector<double>{1.5, 2});
    CHECK_THROWS_AS(one.read_rows<double>(9, 2), error);
    const auto two = g.open_dataset("two");
    CHECK(two.rows() == 3);
    CHECK(two.columns() == 3);
    CHECK(two.read<std::int64_t>() == std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9});
    CHECK(two.read_rows<double>(1, 1) == std::vector<double>{4, 5, 6});
    CHECK_THROWS_AS(g.read_strings("f64"), error);
    CHECK_THROWS_AS(g.read<double>("names"), error);
}

TEST_CASE("hdf5: errors name the file and the object", "[hdf5]") {
    temp_dir dir;
    const auto missing = dir / "missing.h5";
    try {
        (void)hdf5::file::open(missing);
        FAIL("no exception");
    } catch (const error& e) {
        CHECK_THAT(e.what(), Catch::Contains(missing));
    }
    const auto text = dir / "text.h5";
    std::ofstream(text) << "not hdf5\n";
    CHECK_THROWS_WITH(hdf5::file::open(text), Catch::Contains("not an HDF5 file"));
    try {
        (void)hdf5::file::create(dir / "no/such/dir/x.h5");
        FAIL("no exception");
    } catch (const error& e) {
        CHECK_THAT(e.what(), Catch::Contains("no/such/dir/x.h5") && Catch::Contains("cannot create"));
    }
    const auto name = dir / "ok.h5";
    auto f = hdf5::file::create(name);
    f.create_group("g");
    try {
        (void)f.open_dataset("g/nothing");
        FAIL("no exception");
    } catch (const error& e) {
        CHECK_THAT(e.what(), Catch::Contains(name) && Catch::Contains("/g/nothing"));
    }
    CHECK_FALSE(f.exists("g/nothing/deeper"));
    CHECK_FALSE(f.is_dataset("g"));
    CHECK(f.is_group("g"));
}

TEST_CASE("result file: streamed recordings equal the in-memory ones; atomic rename", "[hdf5]") {
    temp_dir dir;
    const auto path = dir / "run.h5";

    auto ref = make_network();
    ref->run(200.0);

    auto net = make_network();
    net->build();
    const std::string model_text = "# model file\npopulations:\n  exc: {size: 40}\n";
    {
        result_file_writer writer(path);
        writer.add_recorders(*net, recorder_populations);
        net->set_recording_sink(&writer);
        CHECK(fs::exists(writer.temporary_path()));
        CHECK(fs::path(writer.temporary_path()).parent_path() == fs::path(path).parent_path());
        net->run(120.0);
        net->run(80.0);
        CHECK_FALSE(fs::exists(path));
        CHECK(net->spikes(0).times_ms.empty());  // nothing kept in memory

        writer.set_run_metadata(*net);
        writer.set_metadata(result_file_writer::key_model, model_text);
        writer.set_metadata(result_file_writer::key_simulation_seconds, 0.25);
        writer.set_metadata("note", "custom");
        writer.set_metadata("answer", 42);
        CHECK_FALSE(fs::exists(path));
        writer.finish();
        CHECK(writer.finished());
        CHECK(fs::exists(path));
        CHECK_FALSE(fs::exists(writer.temporary_path()));
        CHECK_THROWS_AS(writer.finish(), error);
        CHECK_THROWS_AS(writer.spikes("spikes_exc", std::vector<double>{1.0}, std::vector<std::uint32_t>{0}), error);
    }
    CHECK(dir.entries() == 1);  // only the final file

    const auto r = read_result_file(path);
    REQUIRE(r.spikes.size() == 2);
    const auto& exc = r.spikes.at("exc");
    const auto& inh = r.spikes.at("inh");
    CHECK(exc.timestamps_ms.size() > 500);
    CHECK(inh.timestamps_ms.size() > 50);
    CHECK(exc.timestamps_ms == ref->spikes(0).times_ms);
    CHECK(exc.node_ids == widen(ref->spikes(0).neurons));
    CHECK(inh.timestamps_ms == ref->spikes(1).times_ms);
    CHECK(inh.node_ids == widen(ref->spikes(1).neurons));
    CHECK(exc.timestamps_ms.size() == net->spike_counts()[0]);
    CHECK(exc.sorting == "by_time");
    CHECK(inh.sorting == "by_time");

    REQUIRE(r.states.size() == 2);
    for (std::size_t k = 0; k < 2; ++k) {
        const auto& name = ref->state_recorder_name(k);
        INFO("state recorder " << name);
        const auto& got = r.states.at(name);
        const auto& want = ref->states(k);
        CHECK(got.population == recorder_populations.at(name));
        CHECK(got.data.times_ms == want.times_ms);
        CHECK(got.data.neurons == want.neurons);
        CHECK(got.data.variables == want.variables);
        CHECK(got.data.values == want.values);
        CHECK(got.data.times_ms.size() > 100);
    }
    REQUIRE(r.rates.size() == 2);
    for (std::size_t k = 0; k < 2; ++k) {
        const auto& name = ref->rate_recorder_name(k);
        INFO("rate recorder " << name);
        const auto& got = r.rates.at(name);
        const auto& want = ref->rates(k);
        CHECK(got.population == recorder_populations.at(name));
        CHECK(got.data.bin_ms == want.bin_ms);
        CHECK(got.data.bin_start_ms == want.bin_start_ms);
        CHECK(got.data.rate_hz == want.rate_hz);
        CHECK_FALSE(got.data.rate_hz.empty());
    }

    const auto& m = r.metadata;
    CHECK_FALSE(get<std::string>(m, "lamina_version").empty());
    CHECK(get<std::string>(m, "created").size() == 20);
    CHECK(get<std::string>(m, "model") == model_text);
    CHECK(get<std::int64_t>(m, "seed") == 12345);
    CHECK(get<std::int64_t>(m, "threads") == 2);
    CHECK(get<double>(m, "dt_ms") == dt);
    CHECK(get<std::int64_t>(m, "neurons") == 50);
    CHECK(get<std::int64_t>(m, "synapses") == std::int64_t(net->statistics().synapses));
    CHECK(get<double>(m, "build_seconds") >= 0.0);
    CHECK(get<double>(m, "simulation_seconds") == 0.25);
    CHECK(get<double>(m, "model_time_ms") == Approx(200.0));
    CHECK(get<std::int64_t>(m, "interrupted") == 0);
    CHECK(get<std::string>(m, "note") == "custom");
    CHECK(get<std::int64_t>(m, "answer") == 42);

    const auto s = read_result_summary(path);
    CHECK(s.spikes.at("exc").count == exc.timestamps_ms.size());
    CHECK(s.spikes.at("exc").sorting == "by_time");
    CHECK(s.states.at("v_exc").samples == r.states.at("v_exc").data.times_ms.size());
    CHECK(s.states.at("v_exc").variables == std::vector<std::string>{"v", "total"});
    CHECK(s.states.at("v_exc").neurons == std::vector<std::uint32_t>{0, 3, 7});
    CHECK(s.rates.at("rate_inh").bins == r.rates.at("rate_inh").data.rate_hz.size());
    CHECK(s.rates.at("rate_inh").bin_ms == Approx(2.0));
    CHECK(s.metadata == m);

    // The SONATA details other readers rely on.
    const auto f = hdf5::file::open(path);
    CHECK(f.integer_attribute("magic") == 0x0A7A);
    CHECK(f.array_attribute<std::uint32_t>("version") == std::vector<std::uint32_t>{0, 1});
    CHECK(f.open_group("spikes/exc").string_attribute("sorting") == "by_time");
    CHECK(f.open_dataset("spikes/exc/timestamps").string_attribute("units") == "ms");
    CHECK(f.open_dataset("spikes/exc/timestamps").element_type() == hdf5::type::float64);
    CHECK(f.open_dataset("spikes/exc/node_ids").element_type() == hdf5::type::uint64);
    CHECK(f.open_dataset("states/v_exc/values").shape() ==
          std::vector<std::size_t>{r.states.at("v_exc").data.times_ms.size(), 6});
}

TEST_CASE("result file: interrupted runs, long model texts, several recorders per population", "[hdf5]") {
    temp_dir dir;
    const auto path = dir / "out.h5";
    const std::string long_text(100000, 'x');
    {
        run_config cfg;
        cfg.dt_ms = dt;
        cfg.threads = 1;
        network net(cfg);
        probe::parameters p;
        p.spike_every = 3;
        net.add_population<probe>("P", 4, p);
        projection_spec pp;
        pp.source = "P";
        pp.target = "P";
        pp.rule = connection_rule::one_to_one();
        pp.weight = distribution::constant(0.0);
        pp.delay_ms = distribution::constant(1.5);
        net.connect(pp);
        net.record_spikes({"low", "P", {0, 1}});
        net.record_spikes({"high", "P", {2, 3}});
        // Tiny compressed chunks: many chunk boundaries inside one window's data.
        result_file_options options;
        options.chunk_elements = 7;
        options.deflate_level = 3;
        result_file_writer writer(path, {{"low", "P"}, {"high", "P"}}, options);
        net.set_recording_sink(&writer);
        net.run(30.0);
        writer.set_metadata("model", long_text);
        writer.finish(true);
    }
    const auto r = read_result_file(path);
    const auto& s = r.spikes.at("P");
    // Both recorders' spikes are in one population; within a window "high" follows "low", so the
    // file is no longer sorted by time and says so.
    CHECK(s.timestamps_ms.size() == 4 * 100);
    CHECK(s.sorting == "none");
    std::map<std::uint64_t, std::vector<double>> by_neuron;
    for (std::size_t k = 0; k < s.node_ids.size(); ++k) by_neuron[s.node_ids[k]].push_back(s.timestamps_ms[k]);
    REQUIRE(by_neuron.size() == 4);
    for (const auto& [id, times] : by_neuron) {
        REQUIRE(times.size() == 100);
        for (std::size_t k = 0; k < times.size(); ++k) CHECK(times[k] == Approx(0.1 + 0.3 * double(k)));
    }
    CHECK(get<std::int64_t>(r.metadata, "interrupted") == 1);
    CHECK(get<std::string>(r.metadata, "model") == long_text);
    CHECK(hdf5::file::open(path).is_dataset("metadata/model"));
}

TEST_CASE("result file: no file without finish(); clean errors", "[hdf5]") {
    temp_dir dir;
    SECTION("destroyed without finish()") {
        auto net = make_network(1);
        net->build();
        {
            result_file_writer writer(dir / "never.h5");
            writer.add_recorders(*net, recorder_populations);
            net->set_recording_sink(&writer);
            net->run(20.0);
            net->set_recording_sink(nullptr);
            CHECK(fs::exists(writer.temporary_path()));
        }
        CHECK(dir.entries() == 0);
    }
    SECTION("an unregistered recorder stops the run, and finish() refuses") {
        auto net = make_network(1);
        {
            result_file_writer writer(dir / "partial.h5", {{"spikes_exc", "exc"}});
            net->set_recording_sink(&writer);
            CHECK_THROWS_WITH(net->run(20.0), Catch::Contains("unregistered"));
            net->set_recording_sink(nullptr);
        }
        CHECK(dir.entries() == 0);
    }
    SECTION("add_recorders needs every recorder's population") {
        auto net = make_network(1);
        CHECK_THROWS_WITH(result_file_writer(dir / "a.h5").add_recorders(*net, recorder_populations),
                          Catch::Contains("not built"));
        net->build();
        auto partial = recorder_populations;
        partial.erase("rate_inh");
        CHECK_THROWS_WITH(result_file_writer(dir / "b.h5").add_recorders(*net, partial),
                          Catch::Contains("rate_inh"));
        CHECK(dir.entries() == 0);
    }
    SECTION("a directory that does not exist") {
        const auto path = dir / "missing/sub/run.h5";
        try {
            result_file_writer writer(path);
            FAIL("no exception");
        } catch (const error& e) {
            CHECK_THAT(e.what(), Catch::Contains(path) && Catch::Contains("cannot create"));
        }
    }
    SECTION("a directory that is a file") {
        std::ofstream(dir / "plain") << "x";
        CHECK_THROWS_WITH(result_file_writer(dir / "plain/run.h5"), Catch::Contains("plain/run.h5"));
    }
    SECTION("a read-only directory") {
        // Root ignores directory permissions, and the test suite runs as root: the attempt runs in
        // a child process that first drops to an unprivileged user (nobody), so the check runs the
        // same way for every user. Child exit status: 0 refused with lamina's error naming the
        // path, 1 accepted, 2 another exception, 3 privileges could not be dropped.
        const fs::path ro = dir.path / "ro";
        fs::create_directories(ro);
        const auto read_only = fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                               fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec;
        fs::permissions(ro, read_only);
        fs::permissions(dir.path, read_only);  // the parent as well: nobody must reach ro only
        const std::string target = (ro / "run.h5").string();
        std::cout.flush();
        std::fflush(nullptr);
        const pid_t child = ::fork();
        if (child == 0) {  // no Catch2 macros in the child
            if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(3);
            int status = 1;
            try {
                result_file_writer writer(target);
            } catch (const error& e) {
                status = std::string(e.what()).find(target) != std::string::npos ? 0 : 2;
            } catch (...) {
                status = 2;
            }
            ::_exit(status);
        }
        REQUIRE(child > 0);
        int status = -1;
        REQUIRE(::waitpid(child, &status, 0) == child);
        fs::permissions(dir.path, fs::perms::owner_all);
        fs::permissions(ro, fs::perms::owner_all);
        REQUIRE(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
        CHECK(dir.entries() == 1);  // only ro, and ro is empty
        CHECK(fs::is_empty(ro));
    }
    SECTION("names that cannot be groups") {
        CHECK_THROWS_WITH(result_file_writer(dir / "c.h5", {{"s", "a/b"}}), Catch::Contains("a/b"));
        CHECK(dir.entries() == 0);
    }
}
