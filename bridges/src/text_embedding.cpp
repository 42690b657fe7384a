#include "lamina/bridges/text_embedding.hpp"

#include "lamina/sim/error.hpp"

#include <cctype>

namespace lamina::bridges {

std::vector<std::string> tokenize(std::string_view text) {
    std::vector<std::string> words;
    std::string w;
    auto word_char = [](unsigned char c) { return std::isalnum(c) != 0; };
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        const bool inner_apostrophe = c == '\'' && !w.empty() && i + 1 < text.size() &&
                                      word_char(static_cast<unsigned char>(text[i + 1]));
        if (c < 0x80 && (word_char(c) || inner_apostrophe)) {
            w += char(std::tolower(c));
        } else if (!w.empty()) {
            words.push_back(std::move(w));
            w.clear();
        }
    }
    if (!w.empty()) words.push_back(std::move(w));
    return words;
}

text_embedder::text_embedder(embedding_table table) : table_(std::move(table)) {
    if (!table_.has_words() || table_.dimensions() == 0)
        throw sim::error("text embedding: the word-vector table has no vocabulary");
}

std::vector<double> text_embedder::embed(std::string_view text) const {
    std::vector<double> sum(table_.dimensions(), 0.0);
    std::size_t n = 0;
    for (const auto& w : tokenize(text)) {
        auto row = table_.words().find(w);
        if (!row) continue;
        const auto v = table_.row(*row);
        for (std::size_t d = 0; d < v.size(); ++d) sum[d] += double(v[d]);
        ++n;
    }
    if (n == 0) throw sim::error("text embedding: none of the words of the text is in the word-vector table");
    for (double& x : sum) x /= double(n);
    return sum;
}

std::size_t text_embedder::known_words(std::string_view text) const {
    std::size_t n = 0;
    for (const auto& w : tokenize(text)) n += table_.words().find(w).has_value();
    return n;
}

} // namespace lamina::bridges
