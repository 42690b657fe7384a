#pragma once
// Retention on a word list of one's own choosing (`lamina bridge retention --words FILE`): reading
// the list and picking the rows of an embedding table it names; measure_retention (sensory.hpp)
// then measures R_sim / R_nn on them.
//
// Word-list files: one word per line. Leading and trailing white space (a Windows line end
// included) is dropped, blank lines and lines whose first non-blank character is '#' are skipped,
// and a word that occurs again is ignored: a duplicate would add a pair with cosine 1 in both
// spaces, which says nothing about the code. Words are matched exactly (case-sensitive) against
// the table's vocabulary; inner spaces are kept, since text embedding files allow them.
#include "lamina/bridges/embeddings.hpp"

#include <cstddef>
#include <istream>
#include <span>
#include <string>
#include <vector>

namespace lamina::bridges {

// The words of a list in first-occurrence order. Throws lamina::sim::error when the file cannot
// be read.
std::vector<std::string> read_word_list(const std::string& path);
std::vector<std::string> parse_word_list(std::istream& in);

struct word_selection {
    embedding_table table;              // the rows of the found words, in list order, with their words
    std::vector<std::string> missing;   // words of the list the table does not have, in list order
};
// Throws lamina::sim::error when the table has no vocabulary (e.g. a bare .npy matrix).
word_selection select_words(const embedding_table& table, std::span<const std::string> words);

// The neighbours R_nn counts for a list of `words` words: the fixed 10, or words - 1 when the list
// is too short to have 10 other words (what neighbour_retention_from_cosines, and so
// measure_retention, does with neighbours = 10).
std::size_t retention_neighbours(std::size_t words);

} // namespace lamina::bridges
