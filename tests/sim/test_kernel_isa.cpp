// "Results do not depend on the CPU" (docs/engine.md): the neuron kernels are compiled for the
// baseline ISA, x86-64-v3 (AVX2, FMA) and x86-64-v4 (AVX-512) and the loader picks one, so the same
// model must give the same bits with every clone. kernel_isa_probe.cpp is built once per ISA with
// that ISA forced (whatever this CPU would pick); each writes every spike and final state of a
// network of all five neuron models, and the files must be identical byte for byte. A clone this
// CPU cannot run is skipped with a warning; the baseline is always compared with the best one
// available.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;

namespace {

struct isa_clone {
    std::string name, probe;
    bool runs_here;
};

struct probe_output {
    std::vector<char> bytes;
    std::string log;
};

probe_output run_probe(const isa_clone& c) {
    const auto dir = fs::temp_directory_path() / ("lamina_isa_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const auto bin = dir / (c.name + ".bin"), log = dir / (c.name + ".txt");
    const std::string cmd = c.probe + " " + bin.string() + " >" + log.string() + " 2>&1";
    const int rc = std::system(cmd.c_str());
    probe_output o;
    std::ifstream in(bin, std::ios::binary);
    o.bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    std::stringstream text;
    text << std::ifstream(log).rdbuf();
    o.log = text.str();
    std::error_code ec;
    fs::remove_all(dir, ec);
    INFO(c.name << " probe: " << cmd << "\n" << o.log);
    REQUIRE(rc == 0);
    return o;
}

} // namespace

TEST_CASE("neuron kernels compiled for baseline, x86-64-v3 and x86-64-v4 give bitwise identical results",
          "[sim][isa][reproducibility]") {
    const std::vector<isa_clone> clones = {
        {"baseline", KERNEL_PROBE_BASELINE, true},
        {"x86-64-v3", KERNEL_PROBE_V3, __builtin_cpu_supports("x86-64-v3") != 0},
        {"x86-64-v4", KERNEL_PROBE_V4, __builtin_cpu_supports("x86-64-v4") != 0},
    };
    const auto base = run_probe(clones[0]);
    // Every population of the probe fired (10 recorders, none with 0 spikes) and wrote its state.
    INFO(base.log);
    CHECK(base.log.find(": 0 spikes") == std::string::npos);
    REQUIRE(base.bytes.size() > 100000);
    int compared = 0;
    for (std::size_t i = 1; i < clones.size(); ++i) {
        const auto& c = clones[i];
        if (!c.runs_here) {
            WARN("this CPU cannot run the " << c.name << " clone: not compared");
            continue;
        }
        const auto other = run_probe(c);
        std::size_t first = 0;
        while (first < base.bytes.size() && first < other.bytes.size() && base.bytes[first] == other.bytes[first]) ++first;
        INFO(c.name << " vs baseline: " << other.bytes.size() << " bytes against " << base.bytes.size()
                    << "; first difference at byte " << first);
        CHECK(other.bytes.size() == base.bytes.size());
        CHECK(first == base.bytes.size());
        ++compared;
    }
    if (compared == 0) WARN("this CPU runs only the baseline clone: nothing to compare it with");
}
