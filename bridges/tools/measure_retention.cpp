// Retention of the population codes on the wink vectors (docs/bridges.md):
//   lamina_bridges_retention [--wink PATH] [--dims 50,100,300,768,1536] [--simulate] [--poisson]
//                            [--window MS] [--threads N] [--first 200] [--count 2000] [--codes 0,1,2,3]
//                            [--words FILE]
// Prints one markdown table row per (code, dimensionality, responses). --words replaces the fixed
// selection (--first/--count) by the words of a list (word_list.hpp), looked up in --wink (any
// format load_embeddings reads).
#include "lamina/bridges/population_code.hpp"
#include "lamina/bridges/retention.hpp"
#include "lamina/bridges/sensory.hpp"
#include "lamina/bridges/word_list.hpp"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

using namespace lamina::bridges;

namespace {

std::vector<std::size_t> parse_list(const std::string& s) {
    std::vector<std::size_t> v;
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, ',')) v.push_back(std::stoul(item));
    return v;
}

struct code_choice {
    std::string label;
    std::unique_ptr<population_code> (*make)(std::size_t dims);
};

} // namespace

int main(int argc, char** argv) try {
    std::string wink = default_wink_path();
    std::string word_list;
    std::vector<std::size_t> dims{50, 100, 300, 768, 1536};
    bool simulate = false, poisson = false, ideal = true;
    double window = 100.0;
    int threads = 0;
    std::size_t first = 200, count = 2000;
    std::vector<std::size_t> code_indices{0, 1, 2, 3};
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const auto next = [&]() -> std::string {
            if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
            return argv[++i];
        };
        if (a == "--wink") wink = next();
        else if (a == "--dims") dims = parse_list(next());
        else if (a == "--simulate") simulate = true;
        else if (a == "--poisson") poisson = simulate = true;
        else if (a == "--no-ideal") ideal = false;
        else if (a == "--window") window = std::stod(next());
        else if (a == "--threads") threads = std::stoi(next());
        else if (a == "--first") first = std::stoul(next());
        else if (a == "--count") count = std::stoul(next());
        else if (a == "--words") word_list = next();
        else if (a == "--codes") code_indices = parse_list(next());  // 0 plain, 1 z graded, 2 projection, 3 above threshold
        else throw std::runtime_error("unknown argument " + a);
    }
    embedding_table words;
    if (word_list.empty()) {
        words = load_retention_words(wink, first, count);
    } else {
        auto picked = select_words(load_embeddings(wink), read_word_list(word_list));
        for (const auto& w : picked.missing) std::fprintf(stderr, "not in the embeddings, skipped: %s\n", w.c_str());
        words = std::move(picked.table);
        if (words.rows() < 2) throw std::runtime_error("fewer than 2 words of " + word_list + " in " + wink);
    }
    const Eigen::MatrixXd E = words.to_double();
    std::fprintf(stderr, "%zu words (%s .. %s), %zu dimensions\n", words.rows(), words.words()[0].c_str(),
                 words.words()[words.rows() - 1].c_str(), words.dimensions());

    std::vector<code_choice> all_codes{
        {"z-score top-k, binary (plain)", [](std::size_t d) -> std::unique_ptr<population_code> {
             return std::make_unique<zscore_topk_code>(d, zscore_topk_options{});
         }},
        {"z-score top-k, graded", [](std::size_t d) -> std::unique_ptr<population_code> {
             zscore_topk_options o;
             o.intensity = intensity_mode::graded;
             return std::make_unique<zscore_topk_code>(d, o);
         }},
        {"projection k-WTA, graded", [](std::size_t d) -> std::unique_ptr<population_code> {
             return std::make_unique<projection_kwta_code>(d, projection_kwta_options{});
         }},
        {"projection k-WTA, above threshold", [](std::size_t d) -> std::unique_ptr<population_code> {
             projection_kwta_options o;
             o.intensity = intensity_mode::graded_above_threshold;
             return std::make_unique<projection_kwta_code>(d, o);
         }},
    };
    std::vector<code_choice> codes;
    for (std::size_t c : code_indices) codes.push_back(std::move(all_codes.at(c)));
    sensory_options so;
    so.window.window_ms = window;
    so.threads = threads;
    so.drive = poisson ? sensory_drive::poisson : sensory_drive::current;
    std::printf("| code | D | neurons | active | responses | R_sim | R_nn | spikes/word |\n");
    std::printf("|---|---|---|---|---|---|---|---|\n");
    for (const auto& c : codes) {
        for (std::size_t D : dims) {
            const Eigen::MatrixXd X = at_dimensionality(E, D, 1);
            const auto code = c.make(D);
            for (int sim = ideal ? 0 : 1; sim <= (simulate ? 1 : 0); ++sim) {
                const auto m = measure_retention(X, *code, sim == 1, so);
                std::printf("| %s | %zu | %zu | %zu | %s | %.3f | %.3f | %.1f |\n", c.label.c_str(), D,
                            code->population_size(), code->active_neurons(),
                            sim ? (poisson ? "engine, Poisson" : "engine, current") : "ideal", m.r_sim, m.r_nn,
                            m.mean_spikes);
                std::fflush(stdout);
                std::fprintf(stderr, "  %.1f s\n", m.wall_seconds);
            }
        }
    }
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "lamina_bridges_retention: %s\n", e.what());
    return 1;
}
