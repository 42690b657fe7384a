// Every malformed model file of the model-file tests (malformed_models.hpp), run through the
// `lamina` command as a user runs it: `lamina run` and `lamina check` exit with status 2, the
// message on stderr is located (FILE:LINE:, the file's own path) and names what is wrong (the
// same fragments as the C++ API test), and `run` writes no output file (nor a temporary one).
#include "cli_harness.hpp"
#include "malformed_models.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>
#include <string>

using namespace lamina::test;
namespace fs = std::filesystem;

TEST_CASE("every malformed model file is refused by lamina run and check: exit 2, FILE:LINE: message, no output",
          "[cli][modelfile]") {
    const auto cases = malformed_cases();
    REQUIRE(cases.size() >= 50);
    int index = 0;
    for (const auto& c : cases) {
        INFO("case " << index << ": " << c.what);
        const fs::path dir = scratch() / ("case_" + std::to_string(index++));
        fs::create_directories(dir);
        const fs::path model = dir / "model.toml", out = dir / "out.h5";
        std::ofstream(model) << c.text;
        // FILE:LINE: with the path as given on the command line, a line number and a colon.
        const std::regex located(std::regex_replace(model.string(), std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
                                 R"(:[0-9]+:)");

        const auto r = run_lamina("run " + model.string() + " --out " + out.string() + " --quiet");
        INFO("run stderr: " << r.err);
        CHECK(r.status == 2);
        CHECK(std::regex_search(r.err, located));
        for (const auto& f : c.fragments) CHECK_THAT(r.err, Catch::Contains(f));
        CHECK_FALSE(fs::exists(out));
        // Nothing but the model file in its directory: no partial or temporary result file.
        CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);

        const auto k = run_lamina("check " + model.string());
        INFO("check stderr: " << k.err);
        CHECK(k.status == 2);
        CHECK(std::regex_search(k.err, located));
        for (const auto& f : c.fragments) CHECK_THAT(k.err, Catch::Contains(f));
    }
}

TEST_CASE("the valid model the malformed cases are edits of is accepted by lamina run", "[cli][modelfile]") {
    const fs::path dir = scratch() / "valid";
    fs::create_directories(dir);
    const fs::path model = dir / "model.toml", out = dir / "out.h5";
    std::ofstream(model) << valid_model;
    const auto r = run_lamina("run " + model.string() + " --out " + out.string() + " --quiet");
    INFO(r.err);
    CHECK(r.status == 0);
    CHECK(fs::exists(out));
}
