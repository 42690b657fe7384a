// MNIST efficiency benchmark (issue 6): dense ANN inference (Eigen), spiking inference on lamina's
// engine (the converted reference MLP, analog and rate-coded input) and delta inference on the same
// test set, with accuracy, wall time, operation counts and energy side by side.
//
//   bench_mnist_efficiency [--json FILE|-] [--markdown FILE] [--test-images N] [--no-spike-input]
//                          [--energy SPEC]... [--weights FILE|DIR] [--no-cache] [--threads N] [--quiet]
//                          [--sizes 784,500,10] [--epochs N] [--steps 2,3,5,10,20,50,100,200]
//
// Prints the markdown tables of docs/bridges.md on stdout; --json writes one JSON object (to stdout
// with "-", after the tables). --energy adds an energy table ("fp32-cache", "fp32-dram",
// "int32-cache" or "name=...,mac=...,ac=...,add=...,load32=..."; the first --energy replaces the
// default pair). Data: scripts/fetch_data.sh; the trained MLP is cached under <build>/cache.
#include "lamina/bridges/mnist_study.hpp"
#include "lamina/sim/error.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

using namespace lamina::bridges;

int main(int argc, char** argv) {
    mnist_study_options o;
    o.verbose = true;
    std::string json_path, md_path;
    bool energy_given = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "bench_mnist_efficiency: %s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--json")
            json_path = next();
        else if (a == "--markdown")
            md_path = next();
        else if (a == "--test-images")
            o.test_images = std::stoul(next());
        else if (a == "--no-spike-input")
            o.spike_input = false;
        else if (a == "--weights")
            o.weights = next();
        else if (a == "--no-cache")
            o.use_cache = false;
        else if (a == "--threads")
            o.threads = std::stoi(next());
        else if (a == "--sizes" || a == "--steps") {
            std::vector<std::size_t> v;
            const std::string list = next();
            for (std::size_t p = 0; p < list.size();) {
                const std::size_t c = std::min(list.find(',', p), list.size());
                v.push_back(std::stoul(list.substr(p, c - p)));
                p = c + 1;
            }
            (a == "--sizes" ? o.training.sizes : o.steps) = v;
        } else if (a == "--epochs")
            o.training.epochs = std::stoul(next());
        else if (a == "--quiet")
            o.verbose = false;
        else if (a == "--energy") {
            if (!energy_given) o.energy.clear();
            energy_given = true;
            o.energy.push_back(parse_energy_table(next()));
        } else {
            std::fprintf(stderr, "bench_mnist_efficiency: unknown option %s\n", a.c_str());
            return 2;
        }
    }
    try {
        const auto r = run_mnist_study(o);
        const std::string md = to_markdown(r);
        std::fputs(md.c_str(), stdout);
        std::printf("\nwhole study: %.1f s\n", r.seconds);
        if (!md_path.empty()) std::ofstream(md_path) << md;
        if (!json_path.empty()) {
            const std::string js = to_json(r);
            if (json_path == "-")
                std::printf("%s\n", js.c_str());
            else
                std::ofstream(json_path) << js << "\n";
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_mnist_efficiency: %s\n", e.what());
        return 1;
    }
    return 0;
}
