#include "lamina/bridges/retention.hpp"

#include "lamina/sim/error.hpp"
#include "lamina/sim/rng.hpp"

#include <Eigen/Eigenvalues>
#include <Eigen/QR>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace lamina::bridges {

std::vector<double> average_ranks(std::span<const double> x) {
    const std::size_t n = x.size();
    std::vector<std::size_t> idx(n);
    std::iota(idx.begin(), idx.end(), std::size_t(0));
    std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return x[a] < x[b]; });
    std::vector<double> r(n);
    std::size_t i = 0;
    while (i < n) {
        std::size_t j = i + 1;
        while (j < n && x[idx[j]] == x[idx[i]]) ++j;
        const double avg = 0.5 * (double(i + 1) + double(j));  // mean of ranks i+1 .. j
        for (std::size_t k = i; k < j; ++k) r[idx[k]] = avg;
        i = j;
    }
    return r;
}

double pearson(std::span<const double> x, std::span<const double> y) {
    if (x.size() != y.size()) throw sim::error("correlation: samples of different sizes");
    const std::size_t n = x.size();
    if (n < 2) return std::numeric_limits<double>::quiet_NaN();
    const double mx = std::accumulate(x.begin(), x.end(), 0.0) / double(n);
    const double my = std::accumulate(y.begin(), y.end(), 0.0) / double(n);
    double sxy = 0.0, sxx = 0.0, syy = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        const double a = x[i] - mx, b = y[i] - my;
        sxy += a * b;
        sxx += a * a;
        syy += b * b;
    }
    if (sxx == 0.0 || syy == 0.0) return std::numeric_limits<double>::quiet_NaN();
    return sxy / std::sqrt(sxx * syy);
}

double spearman(std::span<const double> x, std::span<const double> y) {
    if (x.size() != y.size()) throw sim::error("spearman: samples of different sizes");
    const auto rx = average_ranks(x);
    const auto ry = average_ranks(y);
    return pearson(rx, ry);
}

Eigen::MatrixXd cosine_matrix(const Eigen::MatrixXd& rows) {
    Eigen::MatrixXd u = rows;
    for (Eigen::Index i = 0; i < u.rows(); ++i) {
        const double n = u.row(i).norm();
        if (n > 0.0) u.row(i) /= n;
    }
    Eigen::MatrixXd c = u * u.transpose();
    for (Eigen::Index i = 0; i < c.rows(); ++i) c(i, i) = rows.row(i).squaredNorm() > 0.0 ? 1.0 : 0.0;
    return c;
}

std::vector<double> upper_triangle(const Eigen::MatrixXd& m) {
    const auto n = static_cast<std::size_t>(m.rows());
    std::vector<double> v;
    v.reserve(n * (n - (n > 0)) / 2);
    for (Eigen::Index i = 0; i < m.rows(); ++i)
        for (Eigen::Index j = i + 1; j < m.cols(); ++j) v.push_back(m(i, j));
    return v;
}

double similarity_retention_from_cosines(const Eigen::MatrixXd& ce, const Eigen::MatrixXd& cr) {
    if (ce.rows() != cr.rows()) throw sim::error("similarity retention: different numbers of items");
    return spearman(upper_triangle(ce), upper_triangle(cr));
}

std::vector<std::size_t> nearest_neighbours(const Eigen::MatrixXd& c, std::size_t i, std::size_t n) {
    std::vector<std::size_t> idx;
    idx.reserve(static_cast<std::size_t>(c.cols()));
    for (std::size_t j = 0; j < static_cast<std::size_t>(c.cols()); ++j)
        if (j != i) idx.push_back(j);
    n = std::min(n, idx.size());
    const auto row = static_cast<Eigen::Index>(i);
    std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(n), idx.end(), [&](std::size_t a, std::size_t b) {
        const double va = c(row, static_cast<Eigen::Index>(a)), vb = c(row, static_cast<Eigen::Index>(b));
        return va > vb || (va == vb && a < b);
    });
    idx.resize(n);
    return idx;
}

double neighbour_retention_from_cosines(const Eigen::MatrixXd& ce, const Eigen::MatrixXd& cr, std::size_t neighbours) {
    if (ce.rows() != cr.rows()) throw sim::error("neighbour retention: different numbers of items");
    const auto n = static_cast<std::size_t>(ce.rows());
    if (n < 2 || neighbours == 0) return std::numeric_limits<double>::quiet_NaN();
    const std::size_t k = std::min(neighbours, n - 1);
    double sum = 0.0;
    std::vector<std::uint8_t> mark(n);
    for (std::size_t i = 0; i < n; ++i) {
        const auto a = nearest_neighbours(ce, i, k);
        const auto b = nearest_neighbours(cr, i, k);
        for (auto j : a) mark[j] = 1;
        std::size_t common = 0;
        for (auto j : b) common += mark[j];
        for (auto j : a) mark[j] = 0;
        sum += double(common) / double(k);
    }
    return sum / double(n);
}

double similarity_retention(const Eigen::MatrixXd& embeddings, const Eigen::MatrixXd& responses) {
    return similarity_retention_from_cosines(cosine_matrix(embeddings), cosine_matrix(responses));
}

double neighbour_retention(const Eigen::MatrixXd& embeddings, const Eigen::MatrixXd& responses, std::size_t neighbours) {
    return neighbour_retention_from_cosines(cosine_matrix(embeddings), cosine_matrix(responses), neighbours);
}

Eigen::MatrixXd pca_reduce(const Eigen::MatrixXd& rows, std::size_t dimensions) {
    const auto d = static_cast<Eigen::Index>(dimensions);
    if (d > rows.cols()) throw sim::error("pca: " + std::to_string(dimensions) + " components of " +
                                          std::to_string(rows.cols()) + "-dimensional rows");
    const Eigen::RowVectorXd mean = rows.colwise().mean();
    const Eigen::MatrixXd centred = rows.rowwise() - mean;
    const Eigen::MatrixXd cov = centred.transpose() * centred / double(std::max<Eigen::Index>(1, rows.rows() - 1));
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(cov);
    if (es.info() != Eigen::Success) throw sim::error("pca: the eigen decomposition failed");
    // Eigenvalues ascend: the last d columns, largest first.
    Eigen::MatrixXd V(rows.cols(), d);
    for (Eigen::Index c = 0; c < d; ++c) {
        Eigen::VectorXd v = es.eigenvectors().col(rows.cols() - 1 - c);
        Eigen::Index arg;
        v.cwiseAbs().maxCoeff(&arg);
        if (v[arg] < 0.0) v = -v;
        V.col(c) = v;
    }
    return centred * V;
}

Eigen::MatrixXd random_orthonormal_columns(std::size_t dimensions, std::size_t d, std::uint64_t seed) {
    if (dimensions < d) throw sim::error("orthogonal embedding: cannot embed " + std::to_string(d) + " dimensions in " +
                                         std::to_string(dimensions));
    const auto D = static_cast<Eigen::Index>(dimensions), n = static_cast<Eigen::Index>(d);
    Eigen::MatrixXd G(D, n);
    for (Eigen::Index r = 0; r < D; ++r) {
        sim::random_stream rng(seed, sim::stream_purpose::user, 0x6F72, static_cast<std::uint64_t>(r));
        for (Eigen::Index c = 0; c < n; ++c) G(r, c) = rng.normal();
    }
    Eigen::HouseholderQR<Eigen::MatrixXd> qr(G);
    Eigen::MatrixXd Q = qr.householderQ() * Eigen::MatrixXd::Identity(D, n);
    // Fix signs (R's diagonal positive) so Q is unique for the seed.
    const Eigen::MatrixXd R = qr.matrixQR().topRows(n).triangularView<Eigen::Upper>();
    for (Eigen::Index c = 0; c < n; ++c)
        if (R(c, c) < 0.0) Q.col(c) = -Q.col(c);
    return Q;
}

Eigen::MatrixXd random_orthogonal_embedding(const Eigen::MatrixXd& rows, std::size_t dimensions, std::uint64_t seed) {
    const Eigen::MatrixXd Q = random_orthonormal_columns(dimensions, static_cast<std::size_t>(rows.cols()), seed);
    return rows * Q.transpose();
}

Eigen::MatrixXd at_dimensionality(const Eigen::MatrixXd& rows, std::size_t dimensions, std::uint64_t seed) {
    const auto d = static_cast<std::size_t>(rows.cols());
    if (dimensions < d) return pca_reduce(rows, dimensions);
    if (dimensions == d) return rows;
    return random_orthogonal_embedding(rows, dimensions, seed);
}

bool is_purely_alphabetic(std::string_view w) {
    if (w.empty()) return false;
    return std::all_of(w.begin(), w.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); });
}

std::vector<std::size_t> alphabetic_word_rows(const vocabulary& words, std::size_t first, std::size_t count) {
    std::vector<std::size_t> rows;
    rows.reserve(count);
    std::size_t rank = 0;
    for (std::size_t i = 0; i < words.size() && rows.size() < count; ++i) {
        if (!is_purely_alphabetic(words[i])) continue;
        if (rank >= first) rows.push_back(i);
        ++rank;
    }
    if (rows.size() < count)
        throw sim::error("word selection: only " + std::to_string(rank) + " purely alphabetic words, ranks " +
                         std::to_string(first) + ".." + std::to_string(first + count - 1) + " requested");
    return rows;
}

embedding_table load_retention_words(const std::string& wink_path, std::size_t first, std::size_t count) {
    // The selection lies within the first rows; read more until it is complete.
    std::size_t budget = std::max<std::size_t>(1024, 2 * (first + count));
    while (true) {
        const embedding_table t = load_wink_json(wink_path, {budget});
        std::size_t alpha = 0;
        for (const auto& w : t.words().words()) alpha += is_purely_alphabetic(w);
        if (alpha >= first + count || t.rows() < budget) {
            const auto rows = alphabetic_word_rows(t.words(), first, count);
            return t.select(rows);
        }
        budget *= 2;
    }
}

double discrimination_retention_from_cosines(const Eigen::MatrixXd& ce, const Eigen::MatrixXd& cr, std::size_t samples,
                                             std::uint64_t seed) {
    if (ce.rows() != cr.rows() || ce.rows() < 3) throw sim::error("discrimination retention: needs the same >= 3 items on both sides");
    const auto n = static_cast<std::uint64_t>(ce.rows());
    double kept = 0.0;
    std::size_t counted = 0;
    for (std::size_t s = 0; s < samples; ++s) {
        sim::random_stream r(seed, sim::stream_purpose::user, 0x4452, s);
        const auto i = r.below(n), j = r.below(n), k = r.below(n);
        if (i == j || i == k || j == k) continue;
        const double e = ce(i, j) - ce(i, k);
        if (e == 0.0) continue;
        const double q = cr(i, j) - cr(i, k);
        kept += q == 0.0 ? 0.5 : ((q > 0.0) == (e > 0.0) ? 1.0 : 0.0);
        ++counted;
    }
    return counted ? kept / double(counted) : std::numeric_limits<double>::quiet_NaN();
}

} // namespace lamina::bridges
