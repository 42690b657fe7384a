#pragma once
// The malformed model files of the model-file tests: a small valid model, and edits of it that
// must each be refused with the given fragments in the message (file:line, key, what is allowed).
// Shared by the C++ API test (test_model_file.cpp) and the command-line test
// (test_malformed_cli.cpp), so every case is checked both ways. The file is called model.toml.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace lamina::test {

// A small valid model; malformed cases are edits of it.
inline const std::string valid_model = R"([run]
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

// s with the first occurrence of `from` replaced by `to` (which must occur).
inline std::string replace_once(std::string s, const std::string& from, const std::string& to) {
    const auto pos = s.find(from);
    REQUIRE(pos != std::string::npos);
    return s.replace(pos, from.size(), to);
}

struct malformed_case {
    const char* what;
    std::string text;
    std::vector<std::string> fragments;  // each must appear in the message
};

// Every malformed case: parse errors and errors found while instantiating (dangling names,
// impossible parameters, rule-specific checks).
inline std::vector<malformed_case> malformed_cases() {
    const std::string& valid = valid_model;
    return {
        {"TOML syntax error", replace_once(valid, "duration = 50.0", "duration = = 50.0"),
         {"model.toml:2:", "TOML syntax error"}},
        {"unterminated string", replace_once(valid, "model = \"lif_psc_exp\"\nsize = 40", "model = \"lif_psc_exp\nsize = 40"),
         {"model.toml:7:", "syntax"}},
        {"unknown top-level table", valid + "\n[simulation]\nx = 1\n", {"simulation", "unknown key", "allowed"}},
        {"unknown key in run (suggestion)", replace_once(valid, "seed = 3", "sed = 3"),
         {"model.toml:4:", "run.sed", "did you mean 'seed'"}},
        {"unknown key in a population", replace_once(valid, "size = 40", "size = 40\nneurons = 4"),
         {"populations.E.neurons", "unknown key", "allowed: model size params initial"}},
        {"unknown key in a projection", replace_once(valid, "probability = 0.2", "probability = 0.2\nprob = 0.1"),
         {"projections[1].prob", "unknown key"}},
        {"unknown key in a stimulus", replace_once(valid, "rate = 8000.0", "rate = 8000.0\nfrequency = 3"),
         {"stimuli[1].frequency", "unknown key"}},
        {"unknown key in a recorder", replace_once(valid, "interval = 0.5", "interval = 0.5\nevery = 2"),
         {"recorders[2].every", "unknown key"}},
        {"wrong type: duration as string", replace_once(valid, "duration = 50.0", "duration = \"50\""),
         {"run.duration", "must be a number, got a string"}},
        {"wrong type: size as float", replace_once(valid, "size = 40", "size = 40.5"),
         {"populations.E.size", "must be an integer"}},
        {"wrong type: autapses as number", replace_once(valid, "probability = 0.2", "probability = 0.2\nautapses = 1"),
         {"projections[1].autapses", "true or false"}},
        {"wrong type: neurons not an array", replace_once(valid, "neurons = [0, 1]", "neurons = 3"),
         {"recorders[2].neurons", "array of neuron indices"}},
        {"wrong type: negative neuron index", replace_once(valid, "neurons = [0, 1]", "neurons = [0, -1]"),
         {"recorders[2].neurons[1]", "neuron index"}},
        {"missing model", replace_once(valid, "model = \"lif_psc_exp\"\nsize = 40", "size = 40"),
         {"populations.E.model", "missing required key"}},
        {"missing size", replace_once(valid, "model = \"lif_psc_exp\"\nsize = 10", "model = \"lif_psc_exp\""),
         {"populations.I.size", "missing required key"}},
        {"missing projection rule", replace_once(valid, "rule = \"pairwise_bernoulli\"\n", ""),
         {"projections[1].rule", "missing required key"}},
        {"missing probability", replace_once(valid, "probability = 0.2\n", ""),
         {"projections[1].probability", "missing required key"}},
        {"missing weight", replace_once(valid, "weight = 20.0\n", ""), {"projections[1].weight", "missing required key"}},
        {"missing stimulus rate", replace_once(valid, "rate = 8000.0\n", ""), {"stimuli[1].rate", "missing required key"}},
        {"no populations", "[run]\nduration = 1.0\n", {"populations", "at least one"}},
        {"size zero", replace_once(valid, "size = 40", "size = 0"), {"populations.E.size", "must be >= 1"}},
        {"dt zero", replace_once(valid, "dt = 0.1", "dt = 0.0"), {"run.dt", "must be > 0"}},
        {"negative duration", replace_once(valid, "duration = 50.0", "duration = -5.0"), {"run.duration", ">= 0"}},
        {"unknown model (suggestion)", replace_once(valid, "model = \"lif_psc_exp\"\nsize = 40", "model = \"lif_psc_xp\"\nsize = 40"),
         {"model.toml:7:", "unknown model 'lif_psc_xp'", "did you mean 'lif_psc_exp'"}},
        {"unknown parameter (suggestion)", replace_once(valid, "tau_m = 20.0", "tau_mem = 20.0"),
         {"model.toml:9:", "populations.E.params.tau_mem", "unknown parameter", "did you mean 'tau_m'"}},
        {"negative time constant", replace_once(valid, "tau_m = 20.0", "tau_m = -20.0"),
         {"model.toml:9:", "populations.E.params.tau_m", "must be > 0 ms"}},
        {"reset above threshold", replace_once(valid, "C_m = 250.0 }", "C_m = 250.0, V_reset = -40.0 }"),
         {"populations.E.params.V_reset", "below V_th"}},
        {"unknown state variable in initial", replace_once(valid, "initial = { V_m", "initial = { V_mem"),
         {"populations.E.initial.V_mem", "unknown state variable", "did you mean 'V_m'"}},
        {"unknown rule (suggestion)", replace_once(valid, "rule = \"fixed_indegree\"", "rule = \"fixed_in_degree\""),
         {"projections[2].rule", "unknown value 'fixed_in_degree'", "did you mean 'fixed_indegree'"}},
        {"dangling source population", replace_once(valid, "source = \"E\"", "source = \"Exc\""),
         {"model.toml:17:", "projections[1].source", "no population named 'Exc'", "did you mean 'E'"}},
        {"dangling target in a stimulus", replace_once(valid, "type = \"dc\"\ntarget = \"I\"", "type = \"dc\"\ntarget = \"J\""),
         {"stimuli[2].target", "no population named 'J'"}},
        {"dangling recorder population", replace_once(valid, "type = \"spikes\"\npopulation = \"E\"", "type = \"spikes\"\npopulation = \"X\""),
         {"recorders[1].population", "no population named 'X'"}},
        {"probability above one", replace_once(valid, "probability = 0.2", "probability = 1.5"),
         {"model.toml:20:", "projections[1].probability", "must be in [0, 1]"}},
        {"negative probability", replace_once(valid, "probability = 0.2", "probability = -0.1"),
         {"projections[1].probability", "must be in [0, 1]"}},
        {"indegree beyond the source without multapses",
         replace_once(valid, "indegree = 5", "indegree = 50\nmultapses = false"),
         {"projections[2].indegree", "exceeds the 10 available"}},
        {"total number beyond the pairs without multapses",
         replace_once(valid, "rule = \"fixed_indegree\"\nindegree = 5", "rule = \"fixed_total_number\"\ntotal = 401\nmultapses = false"),
         {"model.toml:", "projections[2].total", "exceeds the 400 available (source, target) pairs"}},
        {"total number missing", replace_once(valid, "rule = \"fixed_indegree\"\nindegree = 5", "rule = \"fixed_total_number\""),
         {"projections[2].total", "missing required key"}},
        {"indegree on a total-number projection",
         replace_once(valid, "rule = \"fixed_indegree\"\nindegree = 5", "rule = \"fixed_total_number\"\ntotal = 5\nindegree = 5"),
         {"projections[2].indegree", "not used by rule fixed_total_number"}},
        {"delay below one step", replace_once(valid, "delay = 1.0", "delay = 0.05"),
         {"projections[1].delay", "at least one step"}},
        {"random delay without upper bound",
         replace_once(valid, "{ dist = \"uniform\", low = 0.5, high = 2.0 }", "{ dist = \"normal\", mean = 1.0, sd = 0.2, min = 0.1 }"),
         {"projections[2].delay", "finite upper bound"}},
        {"unknown receptor port (suggestion)", replace_once(valid, "port = \"inhibitory\"", "port = \"inhibitry\""),
         {"projections[2].port", "no receptor port 'inhibitry'", "did you mean 'inhibitory'"}},
        {"unknown distribution", replace_once(valid, "dist = \"normal\", mean = -30.0", "dist = \"gauss\", mean = -30.0"),
         {"projections[2].weight.dist", "unknown value 'gauss'", "allowed: constant uniform normal lognormal"}},
        {"distribution missing parameter", replace_once(valid, "low = 0.5, high = 2.0", "low = 0.5"),
         {"projections[2].delay.high", "missing required key"}},
        {"uniform with low above high", replace_once(valid, "low = 0.5, high = 2.0", "low = 2.5, high = 2.0"),
         {"projections[2]", "low < high"}},
        {"negative rate", replace_once(valid, "rate = 8000.0", "rate = -1.0"), {"stimuli[1].rate", ">= 0 Hz"}},
        {"unknown stimulus type", replace_once(valid, "type = \"dc\"", "type = \"ac\""),
         {"stimuli[2].type", "unknown value 'ac'", "allowed: poisson spike_generator dc step_current neuron_currents"}},
        {"neuron currents without one amplitude per neuron",
         valid + "\n[[stimuli]]\ntype = \"neuron_currents\"\ntarget = \"I\"\nneurons = [0, 1]\namplitudes = [1.0]\n",
         {"stimuli[3].amplitudes", "one amplitude per neuron (2)"}},
        {"rule-foreign key", replace_once(valid, "probability = 0.2", "probability = 0.2\nindegree = 3"),
         {"projections[1].indegree", "not used by rule pairwise_bernoulli"}},
        {"unknown recorded variable", replace_once(valid, "variables = [\"V_m\"]", "variables = [\"V\"]"),
         {"recorders[2].variables", "no state variable 'V'"}},
        {"recorder interval below dt", replace_once(valid, "interval = 0.5", "interval = 0.01"),
         {"recorders[2].interval", "at least one step"}},
        {"neuron index outside the population", replace_once(valid, "neurons = [0, 1]", "neurons = [0, 10]"),
         {"recorders[2].neurons", "index 10 is outside population 'I'"}},
        {"unknown plasticity rule (suggestion)",
         replace_once(valid, "port = \"excitatory\"\n", "port = \"excitatory\"\nplasticity = { rule = \"stdp_pairs\" }\n"),
         {"projections[1].plasticity.rule", "unknown plasticity rule 'stdp_pairs'", "did you mean 'stdp_pair'"}},
        {"unknown plasticity parameter (suggestion)",
         replace_once(valid, "port = \"excitatory\"\n", "port = \"excitatory\"\nplasticity = { rule = \"stdp_pair\", tau_pls = 3.0 }\n"),
         {"projections[1].plasticity.tau_pls", "unknown parameter", "did you mean 'tau_plus'"}},
        {"negative plasticity time constant",
         replace_once(valid, "port = \"excitatory\"\n", "port = \"excitatory\"\nplasticity = { rule = \"stdp_pair\", tau_minus = -3.0 }\n"),
         {"projections[1].plasticity.tau_minus", "must be > 0"}},
        {"plastic projection with random delays",
         replace_once(valid, "port = \"inhibitory\"", "port = \"inhibitory\"\nplasticity = { rule = \"stdp_pair\", W_max = -50.0 }"),
         {"projections[2].delay", "one constant delay"}},
        {"weight recorder of an unknown projection",
         valid + "\n[[recorders]]\ntype = \"weights\"\nprojection = \"inhb\"\n",
         {"recorders[3].projection", "no projection named 'inhb'", "did you mean 'inh'"}},
        {"projections not an array of tables", replace_once(valid, "[[projections]]\nname = \"inh\"", "[projections2]\nname = \"inh\""),
         {"projections2", "unknown key"}},
    };
}

} // namespace lamina::test
