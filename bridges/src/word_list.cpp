#include "lamina/bridges/word_list.hpp"

#include "lamina/sim/error.hpp"

#include <algorithm>
#include <fstream>
#include <unordered_set>

namespace lamina::bridges {

namespace {

std::string trimmed(const std::string& line) {
    constexpr const char* blanks = " \t\r\n\f\v";
    const auto first = line.find_first_not_of(blanks);
    if (first == std::string::npos) return {};
    const auto last = line.find_last_not_of(blanks);
    return line.substr(first, last - first + 1);
}

} // namespace

std::vector<std::string> parse_word_list(std::istream& in) {
    std::vector<std::string> words;
    std::unordered_set<std::string> seen;
    std::string line;
    while (std::getline(in, line)) {
        std::string word = trimmed(line);
        if (word.empty() || word.front() == '#') continue;
        if (seen.insert(word).second) words.push_back(std::move(word));
    }
    return words;
}

std::vector<std::string> read_word_list(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw sim::error("word list " + path + ": cannot be read");
    auto words = parse_word_list(in);
    if (in.bad()) throw sim::error("word list " + path + ": read error");
    return words;
}

word_selection select_words(const embedding_table& table, std::span<const std::string> words) {
    if (!table.has_words())
        throw sim::error("the embedding table has no words to look up (a .npy matrix carries none; use a text "
                         "file or an HDF5 file with a 'words' dataset)");
    word_selection s;
    std::vector<std::size_t> rows;
    rows.reserve(words.size());
    for (const auto& w : words) {
        if (const auto r = table.words().find(w))
            rows.push_back(*r);
        else
            s.missing.push_back(w);
    }
    s.table = table.select(rows);
    return s;
}

std::size_t retention_neighbours(std::size_t words) {
    return std::min<std::size_t>(10, words > 0 ? words - 1 : 0);
}

} // namespace lamina::bridges
