#pragma once
// Text -> embedding without a language model: the mean of the word vectors of the text's words
// (a bag-of-words average, the classic GloVe sentence baseline), so the substrate is usable on its
// own. Words are the maximal runs of ASCII letters and digits (plus inner apostrophes), lower-cased;
// words the table does not know are skipped.
#include "lamina/bridges/embeddings.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace lamina::bridges {

std::vector<std::string> tokenize(std::string_view text);

class text_embedder {
public:
    explicit text_embedder(embedding_table table);
    std::size_t dimensions() const noexcept { return table_.dimensions(); }
    const embedding_table& table() const noexcept { return table_; }
    // The mean vector of the known words; throws sim::error when the text has no known word.
    std::vector<double> embed(std::string_view text) const;
    // How many of the text's words the table knows.
    std::size_t known_words(std::string_view text) const;

private:
    embedding_table table_;
};

} // namespace lamina::bridges
