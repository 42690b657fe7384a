// Retention of the population codes on the wink vectors (docs/bridges.md):
//   lamina_bridges_retention [--wink PATH] [--dims 50,100,300,768,1536] [--simulate] [--poisson]
//                            [--window MS] [--threads N] [--first 200] [--count 2000] [--codes 0,1,2,3]
//                            [--words FILE] [--substrate-codes]
// Prints one markdown table row per (code, dimensionality, responses). --words replaces the fixed
// selection (--first/--count) by the words of a list (word_list.hpp), looked up in --wink (any
// format load_embeddings reads).
#include "lamina/bridges/population_code.hpp"
#include "lamina/bridges/retention.hpp"
#include "lamina/bridges/sensory.hpp"
#include "lamina/bridges/word_list.hpp"

#include <Eigen/SparseCore>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
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

// Cosines of the noise-free responses (intensities) of a code, through a sparse Gram matrix, so
// that codes of tens of thousands of neurons with a few percent active stay cheap.
Eigen::MatrixXd sparse_code_cosines(const population_code& code, const Eigen::MatrixXd& X) {
    std::vector<Eigen::Triplet<double>> t;
    for (Eigen::Index i = 0; i < X.rows(); ++i) {
        const Eigen::VectorXd row = X.row(i).transpose();
        const auto a = code.encode(row);
        for (std::size_t j = 0; j < a.neurons.size(); ++j) t.emplace_back(int(i), int(a.neurons[j]), a.intensity[j]);
    }
    Eigen::SparseMatrix<double, Eigen::RowMajor> R(X.rows(), Eigen::Index(code.population_size()));
    R.setFromTriplets(t.begin(), t.end());
    Eigen::MatrixXd G = Eigen::MatrixXd(R * R.transpose());
    Eigen::VectorXd norm = G.diagonal().cwiseSqrt();
    for (Eigen::Index i = 0; i < G.rows(); ++i)
        for (Eigen::Index j = 0; j < G.cols(); ++j)
            G(i, j) = (norm(i) > 0 && norm(j) > 0 && i != j) ? G(i, j) / (norm(i) * norm(j)) : 0.0;
    return G;
}

// The codes of the substrate (docs/substrate.md): ideal responses, R_sim, R_nn and the
// discrimination retention.
int substrate_codes(const Eigen::MatrixXd& E, const std::vector<std::size_t>& dims) {
    struct choice {
        std::string label;
        std::function<std::unique_ptr<population_code>(std::size_t)> make;
    };
    auto projection = [](std::size_t per_pool, double fraction) {
        return [=](std::size_t d) -> std::unique_ptr<population_code> {
            projection_kwta_options o;
            o.neurons_per_pool = per_pool;
            o.k = std::size_t(fraction * double(per_pool));
            return std::make_unique<projection_kwta_code>(d, o);
        };
    };
    auto zscore = [](std::size_t groups, std::size_t k, intensity_mode m) {
        return [=](std::size_t d) -> std::unique_ptr<population_code> {
            zscore_topk_options o;
            o.groups = groups;
            o.k = k;
            o.intensity = m;
            return std::make_unique<zscore_topk_code>(d, o);
        };
    };
    const std::vector<choice> codes{
        {"z-score top-k (EMBER), binary, 512 groups", zscore(512, 16, intensity_mode::binary)},
        {"z-score top-k (EMBER), graded, 512 groups", zscore(512, 16, intensity_mode::graded)},
        {"projection k-WTA 25 % (bridges default)", projection(2048, 0.25)},
        {"projection k-WTA 5 %, 2 x 2048", projection(2048, 0.05)},
        {"projection k-WTA 5 %, 2 x 32560 (substrate default)", projection(32560, 0.05)},
        {"projection k-WTA 2 %, 2 x 32560", projection(32560, 0.02)},
    };
    std::printf("| code | D | neurons | active | R_sim | R_nn | discrimination retention |\n|---|---|---|---|---|---|---|\n");
    for (const auto& c : codes) {
        double dr_sum = 0.0;
        for (std::size_t D : dims) {
            const Eigen::MatrixXd X = at_dimensionality(E, D, 1);
            const auto code = c.make(D);
            const Eigen::MatrixXd ce = cosine_matrix(X);
            const Eigen::MatrixXd cr = sparse_code_cosines(*code, X);
            const double rs = similarity_retention_from_cosines(ce, cr);
            const double rn = neighbour_retention_from_cosines(ce, cr, 10);
            const double dr = discrimination_retention_from_cosines(ce, cr);
            dr_sum += dr;
            std::printf("| %s | %zu | %zu | %zu | %.3f | %.3f | %.3f |\n", c.label.c_str(), D, code->population_size(),
                        code->active_neurons(), rs, rn, dr);
            std::fflush(stdout);
        }
        std::printf("| %s | mean over D | | | | | %.3f |\n", c.label.c_str(), dr_sum / double(dims.size()));
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) try {
    std::string wink = default_wink_path();
    std::string word_list;
    std::vector<std::size_t> dims{50, 100, 300, 768, 1536};
    bool simulate = false, poisson = false, ideal = true;
    bool substrate_mode = false;
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
        else if (a == "--substrate-codes") substrate_mode = true;
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

    if (substrate_mode) return substrate_codes(E, dims);
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
