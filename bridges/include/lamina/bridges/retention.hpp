#pragma once
// How much of an embedding space's similarity structure a population response keeps
// (definitions fixed in docs/bridges.md):
//
//   R_sim  Spearman rank correlation, over all unordered pairs (i < j), between the cosine of
//          embeddings i and j and the cosine of responses i and j (ties get average ranks; the
//          cosine with a zero vector is 0)
//   R_nn   mean over items of |N_e(i) & N_r(i)| / n, where N_e(i) and N_r(i) are the n (= 10)
//          items j != i of largest embedding cosine and largest response cosine (ties: lower
//          index first)
//
// Dimensionalities: fewer dimensions than the source by PCA (fitted on the same rows, centred),
// more by a fixed seeded random orthogonal embedding x -> Q x (Q: D x d with orthonormal columns,
// the Q of a QR factorisation of a Gaussian matrix drawn from random_stream(seed, user, 0x6F72,
// row)), which preserves every cosine exactly.
#include "lamina/bridges/embeddings.hpp"

#include <Eigen/Core>

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace lamina::bridges {

// Ranks 1..n with ties sharing their average rank.
std::vector<double> average_ranks(std::span<const double> x);
double pearson(std::span<const double> x, std::span<const double> y);
// Pearson correlation of the average ranks (NaN when either side is constant).
double spearman(std::span<const double> x, std::span<const double> y);

// Cosine similarity of every pair of rows (n x n); rows of zeros have cosine 0 with everything
// (and 0 on the diagonal).
Eigen::MatrixXd cosine_matrix(const Eigen::MatrixXd& rows);
// The strict upper triangle, row by row: (0,1), (0,2), ..., (1,2), ...
std::vector<double> upper_triangle(const Eigen::MatrixXd& m);

double similarity_retention(const Eigen::MatrixXd& embeddings, const Eigen::MatrixXd& responses);
double neighbour_retention(const Eigen::MatrixXd& embeddings, const Eigen::MatrixXd& responses,
                           std::size_t neighbours = 10);
// The same from precomputed cosine matrices.
double similarity_retention_from_cosines(const Eigen::MatrixXd& embedding_cosines, const Eigen::MatrixXd& response_cosines);
double neighbour_retention_from_cosines(const Eigen::MatrixXd& embedding_cosines, const Eigen::MatrixXd& response_cosines,
                                        std::size_t neighbours = 10);
// Discrimination retention (docs/substrate.md): the probability that the responses order two
// similarities of an item as the embeddings do. Over `samples` triplets (i, j, k) of distinct items
// drawn from random_stream(seed, user, 0x4452, sample) whose embedding cosines differ
// (cos_e(i, j) != cos_e(i, k)), the fraction with the same order of response cosines, a tie of
// response cosines counting one half. 0.5 is chance, 1 a code that keeps every such order.
double discrimination_retention_from_cosines(const Eigen::MatrixXd& embedding_cosines,
                                             const Eigen::MatrixXd& response_cosines,
                                             std::size_t samples = 1000000, std::uint64_t seed = 1);
// Indices of the n largest entries of row i other than i (ties: lower index first).
std::vector<std::size_t> nearest_neighbours(const Eigen::MatrixXd& cosines, std::size_t i, std::size_t n);

// PCA of the rows (centred on their mean), projected on the first `dimensions` components:
// (x - mean) V_d. Component signs are fixed so each component's largest-magnitude loading is positive.
Eigen::MatrixXd pca_reduce(const Eigen::MatrixXd& rows, std::size_t dimensions);
// Q (dimensions x d, orthonormal columns), dimensions >= d.
Eigen::MatrixXd random_orthonormal_columns(std::size_t dimensions, std::size_t d, std::uint64_t seed);
// rows * Q^T: each d-dimensional row mapped into `dimensions` dimensions.
Eigen::MatrixXd random_orthogonal_embedding(const Eigen::MatrixXd& rows, std::size_t dimensions, std::uint64_t seed);
// PCA below the source dimensionality, the rows themselves at it, orthogonal embedding above.
Eigen::MatrixXd at_dimensionality(const Eigen::MatrixXd& rows, std::size_t dimensions, std::uint64_t seed = 1);

// Only ASCII letters (and not empty).
bool is_purely_alphabetic(std::string_view word);
// The rows of the words ranked first .. first + count - 1 (0-based) among the purely alphabetic
// words of the vocabulary, in vocabulary order. The fixed selection: first = 200,
// count = 2000 on the wink vocabulary. Throws when there are too few such words.
std::vector<std::size_t> alphabetic_word_rows(const vocabulary& words, std::size_t first = 200, std::size_t count = 2000);
// The same selection read from the wink file (loads only as many rows as it needs).
embedding_table load_retention_words(const std::string& wink_path, std::size_t first = 200, std::size_t count = 2000);

} // namespace lamina::bridges
