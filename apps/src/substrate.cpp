// `lamina substrate serve [--model FILE.toml] [--state STATE.h5]`: the agent substrate
// (bridges/substrate.hpp) behind a JSON-lines protocol on stdin/stdout, one request per line, one
// response per line (docs/substrate.md, "Protocol"). Every response carries "ok"; a malformed or
// impossible request is answered {"ok": false, "error": ...} and changes nothing, and the process
// keeps serving until stdin closes or {"op": "quit"}.
#include "commands.hpp"

#include "lamina/app/cli.hpp"
#include "lamina/bridges/embeddings.hpp"
#include "lamina/bridges/substrate.hpp"
#include "lamina/compose/substrate_file.hpp"
#include "lamina/sim/error.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

namespace lamina::app {

namespace {

using json = nlohmann::json;

struct serve_options {
    std::string model;
    std::string state;
    std::string words;            // word-vector file for text (default: the wink GloVe vectors)
    std::size_t max_words = 0;    // 0: all
};

class session {
public:
    explicit session(const serve_options& o) : opt_(o) {
        std::string text = "[substrate]\n";
        bridges::substrate_config cfg;
        if (!o.model.empty()) {
            cfg = compose::load_substrate_file(o.model);
            std::ifstream in(o.model, std::ios::binary);
            std::ostringstream ss;
            ss << in.rdbuf();
            text = ss.str();
        } else if (!o.state.empty()) {
            text = bridges::substrate::saved_model_text(o.state);
            cfg = compose::parse_substrate_text(text, o.state + " (description)");
        }
        s_ = std::make_unique<bridges::substrate>(cfg, text);
        if (!o.state.empty()) s_->load(o.state);
    }

    json handle(const std::string& line) {
        json req;
        try {
            req = json::parse(line);
        } catch (const json::exception& e) {
            return fail(std::string("not JSON: ") + e.what());
        }
        if (!req.is_object()) return fail("a request must be a JSON object");
        if (!req.contains("op") || !req["op"].is_string()) return fail("a request needs \"op\" (a string)");
        const std::string op = req["op"];
        try {
            if (op == "observe") return observe(req);
            if (op == "reward") {
                s_->reward(number(req, "value"));
                return ok();
            }
            if (op == "idle") return idle(req);
            if (op == "associations") return associations(req);
            if (op == "save") {
                s_->save(string(req, "path"));
                return ok();
            }
            if (op == "load") {
                s_->load(string(req, "path"));
                return ok();
            }
            if (op == "learning") {
                if (!req.contains("enabled") || !req["enabled"].is_boolean()) return fail("learning needs \"enabled\": true or false");
                s_->set_learning(req["enabled"].get<bool>());
                return ok();
            }
            if (op == "stats") return stats();
            if (op == "quit") {
                quit_ = true;
                return ok();
            }
            return fail("unknown op \"" + op +
                        "\"; allowed: observe, reward, idle, associations, save, load, learning, stats, quit");
        } catch (const std::exception& e) {
            return fail(e.what());
        }
    }
    bool quit() const noexcept { return quit_; }

private:
    static json ok() { return json{{"ok", true}}; }
    static json fail(const std::string& m) { return json{{"ok", false}, {"error", m}}; }

    static double number(const json& r, const char* key) {
        if (!r.contains(key) || !r[key].is_number()) throw sim::error(std::string("\"") + key + "\" must be a number");
        return r[key].get<double>();
    }
    static std::string string(const json& r, const char* key) {
        if (!r.contains(key) || !r[key].is_string()) throw sim::error(std::string("\"") + key + "\" must be a string");
        return r[key].get<std::string>();
    }
    static std::vector<double> vector(const json& r, const char* key) {
        const auto& v = r[key];
        if (!v.is_array()) throw sim::error(std::string("\"") + key + "\" must be an array of numbers");
        std::vector<double> out;
        for (const auto& x : v) {
            if (!x.is_number()) throw sim::error(std::string("\"") + key + "\" must be an array of numbers");
            out.push_back(x.get<double>());
        }
        return out;
    }

    void ensure_embedder() {
        if (s_->has_text_embedder()) return;
        const std::string path = opt_.words.empty() ? bridges::default_wink_path() : opt_.words;
        bridges::load_options lo;
        lo.max_words = opt_.max_words;
        s_->set_text_embedder(std::make_shared<bridges::text_embedder>(bridges::load_embeddings(path, lo)));
    }

    json observe(const json& r) {
        std::vector<std::string> labels;
        if (r.contains("labels")) {
            if (!r["labels"].is_array()) throw sim::error("\"labels\" must be an array of strings");
            for (const auto& l : r["labels"]) {
                if (!l.is_string()) throw sim::error("\"labels\" must be an array of strings");
                labels.push_back(l.get<std::string>());
            }
        }
        const double ms = r.contains("duration_ms") ? number(r, "duration_ms") : 100.0;
        if (r.contains("text") && r.contains("embedding")) throw sim::error("give \"text\" or \"embedding\", not both");
        if (r.contains("text")) {
            ensure_embedder();
            s_->observe_text(string(r, "text"), labels, ms);
        } else if (r.contains("embedding")) {
            s_->observe(vector(r, "embedding"), labels, ms);
        } else {
            s_->observe({}, labels, ms);
        }
        return json{{"ok", true}, {"time_ms", s_->time_ms()}};
    }

    json idle(const json& r) {
        const auto events = s_->idle(number(r, "duration_ms"));
        json t = json::array();
        for (const auto& e : events)
            t.push_back({{"time_ms", e.time_ms}, {"layer", e.layer}, {"strength", e.strength}, {"labels", e.labels},
                         {"strengths", e.strengths}});
        return json{{"ok", true}, {"triggers", t}, {"time_ms", s_->time_ms()}};
    }

    json associations(const json& r) {
        std::size_t k = 3;
        if (r.contains("k")) {
            if (!r["k"].is_number_integer() || r["k"].get<std::int64_t>() < 1) throw sim::error("\"k\" must be an integer >= 1");
            k = std::size_t(r["k"].get<std::int64_t>());
        }
        std::vector<bridges::association> a;
        if (r.contains("label")) a = s_->associations(string(r, "label"), k);
        else if (r.contains("embedding")) a = s_->associations(vector(r, "embedding"), k);
        else if (r.contains("text")) {
            ensure_embedder();
            a = s_->associations_text(string(r, "text"), k);
        } else
            throw sim::error("associations needs \"label\", \"embedding\" or \"text\"");
        json out = json::array();
        for (const auto& x : a) out.push_back({{"label", x.label}, {"strength", x.strength}});
        return json{{"ok", true}, {"associations", out}};
    }

    json stats() {
        const auto st = s_->stats();
        json rates = json::object();
        for (const auto& r : st.rates) rates[r.population] = r.rate_hz;
        return json{{"ok", true},
                    {"time_ms", st.time_ms},
                    {"neurons", st.neurons},
                    {"synapses", st.synapses},
                    {"labels", st.labels},
                    {"observations", st.observations},
                    {"rewards", st.rewards},
                    {"replays", st.replays},
                    {"triggers", st.triggers},
                    {"rates_hz", rates},
                    {"mean_lateral_mV", st.mean_lateral_mV},
                    {"max_lateral_mV", st.max_lateral_mV},
                    {"memory_bytes", st.memory_bytes},
                    {"learning", st.learning}};
    }

    serve_options opt_;
    std::unique_ptr<bridges::substrate> s_;
    bool quit_ = false;
};

int serve(const serve_options& o) {
    std::unique_ptr<session> s;
    try {
        s = std::make_unique<session>(o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return exit_bad_input;
    }
    std::cout << json{{"ok", true}, {"ready", true}}.dump() << std::endl;
    std::string line;
    while (std::getline(std::cin, line)) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        std::cout << s->handle(line).dump(-1, ' ', false, json::error_handler_t::replace) << std::endl;
        if (s->quit()) break;
    }
    return 0;
}

} // namespace

subcommand add_substrate_command(CLI::App& app) {
    auto o = std::make_shared<serve_options>();
    auto* sub = app.add_subcommand("substrate", "the agent substrate (docs/substrate.md)");
    sub->require_subcommand(1);
    auto* serve_cmd = sub->add_subcommand("serve", "serve the substrate as JSON lines on stdin/stdout");
    serve_cmd->add_option("--model", o->model, "model file with a [substrate] section (default: the 220,000-neuron substrate)");
    serve_cmd->add_option("--state", o->state, "continue a substrate saved with {\"op\": \"save\"}");
    serve_cmd->add_option("--words", o->words, "word vectors for text (default: the wink GloVe vectors)");
    serve_cmd->add_option("--max-words", o->max_words, "read only the first N word vectors (default: all)");
    return {sub, [o] { return serve(*o); }};
}

} // namespace lamina::app
