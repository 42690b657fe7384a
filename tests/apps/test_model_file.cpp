// Model files: a valid file becomes the right network; every kind of malformed file is refused
// before anything is built, with file, line, key and what is allowed.
#include "lamina/compose/model_file.hpp"

#include <catch2/catch.hpp>

using namespace lamina;

namespace {

const compose::registries& registry() { return compose::builtin_registries(); }

// A small valid model; malformed cases are edits of it.
const std::string valid = R"([run]
duration = 50.0
dt = 0.1
seed = 3

[populations.E]
model = "lif_psc_exp"
size = 40
params = { tau_m = 20.0, C_m = 250.0 }
initial = { V_m = { dist = "uniform", low = -70.0, high = -55.0 } }

[populations.I]
model = "lif_psc_exp"
size = 10

[[projections]]
source = "E"
target = "I"
rule = "pairwise_bernoulli"
probability = 0.2
weight = 20.0
delay = 1.0
port = "excitatory"

[[projections]]
name = "inh"
source = "I"
target = "E"
rule = "fixed_indegree"
indegree = 5
weight = { dist = "normal", mean = -30.0, sd = 5.0, max = 0.0 }
delay = { dist = "uniform", low = 0.5, high = 2.0 }
port = "inhibitory"

[[stimuli]]
type = "poisson"
target = "E"
rate = 8000.0
weight = 30.0

[[stimuli]]
type = "dc"
target = "I"
amplitude = 100.0
start = 10.0

[[recorders]]
type = "spikes"
population = "E"

[[recorders]]
type = "state"
population = "I"
neurons = [0, 1]
variables = ["V_m"]
interval = 0.5
)";

std::string replace(std::string s, const std::string& from, const std::string& to) {
    const auto pos = s.find(from);
    REQUIRE(pos != std::string::npos);
    return s.replace(pos, from.size(), to);
}

// Loads and instantiates; returns the error text (empty if the file was accepted).
std::string problems_of(const std::string& text) {
    try {
        auto d = compose::parse_model_text(text, "model.toml");
        auto net = compose::instantiate(d, {}, registry());
        return "";
    } catch (const compose::model_file_error& e) {
        return e.what();
    }
}

struct malformed {
    const char* what;
    std::string text;
    std::vector<std::string> fragments;  // each must appear in the message
};

} // namespace

TEST_CASE("a valid model file builds the described network", "[modelfile]") {
    auto d = compose::parse_model_text(valid, "model.toml");
    CHECK(d.run.duration_ms == 50.0);
    CHECK(d.run.seed == 3);
    REQUIRE(d.populations.size() == 2);
    CHECK(d.populations[0].name == "E");
    CHECK(d.projections.size() == 2);
    CHECK(d.projections[0].name == "E->I");
    CHECK(d.projections[1].name == "inh");
    CHECK(d.projections[1].rule.degree == 5);
    CHECK(d.projections[1].weight.type == sim::distribution::kind::normal);
    CHECK(d.projections[1].weight.upper == 0.0);
    auto net = compose::instantiate(d, {}, registry());
    CHECK(net->population_at(0).parameter("tau_m") == 20.0);
    CHECK(net->population_at(1).parameter("tau_m") == 10.0);  // model default
    net->run(50.0);
    CHECK(net->statistics().synapses > 0);
    CHECK(net->spikes(0).times_ms.size() > 0);
    CHECK(net->states(0).times_ms.size() == 100);
}

TEST_CASE("overrides from the command line replace the file's run settings", "[modelfile]") {
    auto d = compose::parse_model_text(valid, "model.toml");
    auto net = compose::instantiate(d, {2, 99, std::nullopt, std::nullopt}, registry());
    CHECK(net->threads() == 2);
    CHECK(net->config().seed == 99);
}

TEST_CASE("malformed model files are refused with file, line, key and what is allowed", "[modelfile]") {
    const std::vector<malformed> cases = {
        {"TOML syntax error", replace(valid, "duration = 50.0", "duration = = 50.0"),
         {"model.toml:2:", "TOML syntax error"}},
        {"unterminated string", replace(valid, "model = \"lif_psc_exp\"\nsize = 40", "model = \"lif_psc_exp\nsize = 40"),
         {"model.toml:7:", "syntax"}},
        {"unknown top-level table", valid + "\n[simulation]\nx = 1\n", {"simulation", "unknown key", "allowed"}},
        {"unknown key in run (suggestion)", replace(valid, "seed = 3", "sed = 3"),
         {"model.toml:4:", "run.sed", "did you mean 'seed'"}},
        {"unknown key in a population", replace(valid, "size = 40", "size = 40\nneurons = 4"),
         {"populations.E.neurons", "unknown key", "allowed: model size params initial"}},
        {"unknown key in a projection", replace(valid, "probability = 0.2", "probability = 0.2\nprob = 0.1"),
         {"projections[1].prob", "unknown key"}},
        {"unknown key in a stimulus", replace(valid, "rate = 8000.0", "rate = 8000.0\nfrequency = 3"),
         {"stimuli[1].frequency", "unknown key"}},
        {"unknown key in a recorder", replace(valid, "interval = 0.5", "interval = 0.5\nevery = 2"),
         {"recorders[2].every", "unknown key"}},
        {"wrong type: duration as string", replace(valid, "duration = 50.0", "duration = \"50\""),
         {"run.duration", "must be a number, got a string"}},
        {"wrong type: size as float", replace(valid, "size = 40", "size = 40.5"),
         {"populations.E.size", "must be an integer"}},
        {"wrong type: autapses as number", replace(valid, "probability = 0.2", "probability = 0.2\nautapses = 1"),
         {"projections[1].autapses", "true or false"}},
        {"wrong type: neurons not an array", replace(valid, "neurons = [0, 1]", "neurons = 3"),
         {"recorders[2].neurons", "array of neuron indices"}},
        {"wrong type: negative neuron index", replace(valid, "neurons = [0, 1]", "neurons = [0, -1]"),
         {"recorders[2].neurons[1]", "neuron index"}},
        {"missing model", replace(valid, "model = \"lif_psc_exp\"\nsize = 40", "size = 40"),
         {"populations.E.model", "missing required key"}},
        {"missing size", replace(valid, "model = \"lif_psc_exp\"\nsize = 10", "model = \"lif_psc_exp\""),
         {"populations.I.size", "missing required key"}},
        {"missing projection rule", replace(valid, "rule = \"pairwise_bernoulli\"\n", ""),
         {"projections[1].rule", "missing required key"}},
        {"missing probability", replace(valid, "probability = 0.2\n", ""),
         {"projections[1].probability", "missing required key"}},
        {"missing weight", replace(valid, "weight = 20.0\n", ""), {"projections[1].weight", "missing required key"}},
        {"missing stimulus rate", replace(valid, "rate = 8000.0\n", ""), {"stimuli[1].rate", "missing required key"}},
        {"no populations", "[run]\nduration = 1.0\n", {"populations", "at least one"}},
        {"size zero", replace(valid, "size = 40", "size = 0"), {"populations.E.size", "must be >= 1"}},
        {"dt zero", replace(valid, "dt = 0.1", "dt = 0.0"), {"run.dt", "must be > 0"}},
        {"negative duration", replace(valid, "duration = 50.0", "duration = -5.0"), {"run.duration", ">= 0"}},
        {"unknown model (suggestion)", replace(valid, "model = \"lif_psc_exp\"\nsize = 40", "model = \"lif_psc_xp\"\nsize = 40"),
         {"model.toml:7:", "unknown model 'lif_psc_xp'", "did you mean 'lif_psc_exp'"}},
        {"unknown parameter (suggestion)", replace(valid, "tau_m = 20.0", "tau_mem = 20.0"),
         {"model.toml:9:", "populations.E.params.tau_mem", "unknown parameter", "did you mean 'tau_m'"}},
        {"negative time constant", replace(valid, "tau_m = 20.0", "tau_m = -20.0"),
         {"model.toml:9:", "populations.E.params.tau_m", "must be > 0 ms"}},
        {"reset above threshold", replace(valid, "C_m = 250.0 }", "C_m = 250.0, V_reset = -40.0 }"),
         {"populations.E.params.V_reset", "below V_th"}},
        {"unknown state variable in initial", replace(valid, "initial = { V_m", "initial = { V_mem"),
         {"populations.E.initial.V_mem", "unknown state variable", "did you mean 'V_m'"}},
        {"unknown rule (suggestion)", replace(valid, "rule = \"fixed_indegree\"", "rule = \"fixed_in_degree\""),
         {"projections[2].rule", "unknown value 'fixed_in_degree'", "did you mean 'fixed_indegree'"}},
        {"dangling source population", replace(valid, "source = \"E\"", "source = \"Exc\""),
         {"model.toml:17:", "projections[1].source", "no population named 'Exc'", "did you mean 'E'"}},
        {"dangling target in a stimulus", replace(valid, "type = \"dc\"\ntarget = \"I\"", "type = \"dc\"\ntarget = \"J\""),
         {"stimuli[2].target", "no population named 'J'"}},
        {"dangling recorder population", replace(valid, "type = \"spikes\"\npopulation = \"E\"", "type = \"spikes\"\npopulation = \"X\""),
         {"recorders[1].population", "no population named 'X'"}},
        {"probability above one", replace(valid, "probability = 0.2", "probability = 1.5"),
         {"model.toml:20:", "projections[1].probability", "must be in [0, 1]"}},
        {"negative probability", replace(valid, "probability = 0.2", "probability = -0.1"),
         {"projections[1].probability", "must be in [0, 1]"}},
        {"indegree beyond the source without multapses",
         replace(valid, "indegree = 5", "indegree = 50\nmultapses = false"),
         {"projections[2].indegree", "exceeds the 10 available"}},
        {"delay below one step", replace(valid, "delay = 1.0", "delay = 0.05"),
         {"projections[1].delay", "at least one step"}},
        {"random delay without upper bound",
         replace(valid, "{ dist = \"uniform\", low = 0.5, high = 2.0 }", "{ dist = \"normal\", mean = 1.0, sd = 0.2, min = 0.1 }"),
         {"projections[2].delay", "finite upper bound"}},
        {"unknown receptor port (suggestion)", replace(valid, "port = \"inhibitory\"", "port = \"inhibitry\""),
         {"projections[2].port", "no receptor port 'inhibitry'", "did you mean 'inhibitory'"}},
        {"unknown distribution", replace(valid, "dist = \"normal\", mean = -30.0", "dist = \"gauss\", mean = -30.0"),
         {"projections[2].weight.dist", "unknown value 'gauss'", "allowed: constant uniform normal lognormal"}},
        {"distribution missing parameter", replace(valid, "low = 0.5, high = 2.0", "low = 0.5"),
         {"projections[2].delay.high", "missing required key"}},
        {"uniform with low above high", replace(valid, "low = 0.5, high = 2.0", "low = 2.5, high = 2.0"),
         {"projections[2]", "low < high"}},
        {"negative rate", replace(valid, "rate = 8000.0", "rate = -1.0"), {"stimuli[1].rate", ">= 0 Hz"}},
        {"unknown stimulus type", replace(valid, "type = \"dc\"", "type = \"ac\""),
         {"stimuli[2].type", "unknown value 'ac'", "allowed: poisson spike_generator dc step_current"}},
        {"rule-foreign key", replace(valid, "probability = 0.2", "probability = 0.2\nindegree = 3"),
         {"projections[1].indegree", "not used by rule pairwise_bernoulli"}},
        {"unknown recorded variable", replace(valid, "variables = [\"V_m\"]", "variables = [\"V\"]"),
         {"recorders[2].variables", "no state variable 'V'"}},
        {"recorder interval below dt", replace(valid, "interval = 0.5", "interval = 0.01"),
         {"recorders[2].interval", "at least one step"}},
        {"neuron index outside the population", replace(valid, "neurons = [0, 1]", "neurons = [0, 10]"),
         {"recorders[2].neurons", "index 10 is outside population 'I'"}},
        {"unknown plasticity rule (suggestion)",
         replace(valid, "port = \"excitatory\"\n", "port = \"excitatory\"\nplasticity = { rule = \"stdp_pairs\" }\n"),
         {"projections[1].plasticity.rule", "unknown plasticity rule 'stdp_pairs'", "did you mean 'stdp_pair'"}},
        {"unknown plasticity parameter (suggestion)",
         replace(valid, "port = \"excitatory\"\n", "port = \"excitatory\"\nplasticity = { rule = \"stdp_pair\", tau_pls = 3.0 }\n"),
         {"projections[1].plasticity.tau_pls", "unknown parameter", "did you mean 'tau_plus'"}},
        {"negative plasticity time constant",
         replace(valid, "port = \"excitatory\"\n", "port = \"excitatory\"\nplasticity = { rule = \"stdp_pair\", tau_minus = -3.0 }\n"),
         {"projections[1].plasticity.tau_minus", "must be > 0"}},
        {"plastic projection with random delays",
         replace(valid, "port = \"inhibitory\"", "port = \"inhibitory\"\nplasticity = { rule = \"stdp_pair\", W_max = -50.0 }"),
         {"projections[2].delay", "one constant delay"}},
        {"weight recorder of an unknown projection",
         valid + "\n[[recorders]]\ntype = \"weights\"\nprojection = \"inhb\"\n",
         {"recorders[3].projection", "no projection named 'inhb'", "did you mean 'inh'"}},
        {"projections not an array of tables", replace(valid, "[[projections]]\nname = \"inh\"", "[projections2]\nname = \"inh\""),
         {"projections2", "unknown key"}},
    };
    REQUIRE(cases.size() >= 30);
    for (const auto& c : cases) {
        INFO("case: " << c.what);
        const std::string msg = problems_of(c.text);
        INFO("message: " << msg);
        REQUIRE_FALSE(msg.empty());
        for (const auto& f : c.fragments) CHECK_THAT(msg, Catch::Contains(f));
    }
}

TEST_CASE("every problem of a file is reported at once, in line order", "[modelfile]") {
    std::string text = replace(valid, "seed = 3", "sed = 3");
    text = replace(text, "size = 40", "size = \"forty\"");
    text = replace(text, "rule = \"fixed_indegree\"", "rule = \"fixed\"");
    try {
        compose::parse_model_text(text, "model.toml");
        FAIL("accepted a malformed file");
    } catch (const compose::model_file_error& e) {
        REQUIRE(e.diagnostics().size() == 3);
        CHECK(e.diagnostics()[0].key == "run.sed");
        CHECK(e.diagnostics()[1].key == "populations.E.size");
        CHECK(e.diagnostics()[2].key == "projections[2].rule");
        CHECK(e.diagnostics()[0].where.line < e.diagnostics()[1].where.line);
    }
    // Semantic problems of several objects are collected too.
    std::string sem = replace(valid, "probability = 0.2", "probability = 2.0");
    sem = replace(sem, "port = \"inhibitory\"", "port = \"nope\"");
    sem = replace(sem, "rate = 8000.0", "rate = -3.0");
    try {
        compose::instantiate(compose::parse_model_text(sem, "model.toml"), {}, registry());
        FAIL("accepted a malformed file");
    } catch (const compose::model_file_error& e) {
        CHECK(e.diagnostics().size() == 3);
    }
}
