#pragma once
// How a projection's synapses are chosen (rules as in NEST's connect() and PyNN connectors) and
// how they are stored.
//
// Storage: synapses live with the shard (thread) that owns their target, in compressed rows
// grouped by source (CSR), one array per synaptic variable: a 32-bit word with the target index
// (low `target_bits`) and the delay offset above dmin (high bits), and a 32-bit float weight.
// That is 8 bytes per static synapse; row offsets add 4 bytes per source and shard. A projection
// whose weights are all equal (a constant weight distribution) keeps that weight once and stores
// 4 bytes per synapse (NEST's *_hom synapses, GeNN's GLOBAL weights), unless its weights must be
// individual (plasticity).
#include "lamina/sim/distribution.hpp"
#include "lamina/sim/plasticity.hpp"
#include "lamina/sim/spatial.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lamina::sim {

struct connection_rule {
    enum class kind {
        one_to_one,
        all_to_all,
        pairwise_bernoulli,
        fixed_indegree,
        fixed_outdegree,
        explicit_list,
        fixed_total_number,
        distance_dependent,
    };
    kind type = kind::all_to_all;
    double probability = 0.0;     // pairwise_bernoulli
    std::uint64_t degree = 0;     // fixed_indegree / fixed_outdegree
    std::uint64_t total = 0;      // fixed_total_number: synapses of the whole projection
    bool allow_autapses = true;   // only matters when source and target are the same population
    bool allow_multapses = true;  // fixed_indegree / fixed_outdegree / fixed_total_number
    // explicit_list: parallel arrays; weights and delays optional (empty = use the distributions).
    std::vector<std::uint32_t> sources;
    std::vector<std::uint32_t> targets;
    std::vector<float> weights;
    std::vector<double> delays_ms;
    // distance_dependent: both populations have positions (spatial.hpp); drawn per target like
    // pairwise_bernoulli, with probability kernel.probability(distance) under the source layout's
    // boundary conditions.
    spatial_kernel kernel;

    static connection_rule one_to_one() {
        connection_rule r;
        r.type = kind::one_to_one;
        return r;
    }
    static connection_rule all_to_all(bool autapses = true) {
        connection_rule r;
        r.allow_autapses = autapses;
        return r;
    }
    static connection_rule pairwise_bernoulli(double p, bool autapses = true) {
        connection_rule r;
        r.type = kind::pairwise_bernoulli;
        r.probability = p;
        r.allow_autapses = autapses;
        return r;
    }
    static connection_rule fixed_indegree(std::uint64_t k, bool autapses = true, bool multapses = true) {
        connection_rule r;
        r.type = kind::fixed_indegree;
        r.degree = k;
        r.allow_autapses = autapses;
        r.allow_multapses = multapses;
        return r;
    }
    static connection_rule fixed_outdegree(std::uint64_t k, bool autapses = true, bool multapses = true) {
        connection_rule r;
        r.type = kind::fixed_outdegree;
        r.degree = k;
        r.allow_autapses = autapses;
        r.allow_multapses = multapses;
        return r;
    }
    // Exactly n synapses, pairs drawn uniformly (NEST's fixed_total_number); drawn per target
    // shard, see fixed_total_number.hpp.
    static connection_rule fixed_total_number(std::uint64_t n, bool autapses = true, bool multapses = true) {
        connection_rule r;
        r.type = kind::fixed_total_number;
        r.total = n;
        r.allow_autapses = autapses;
        r.allow_multapses = multapses;
        return r;
    }
    // NEST's spatial pairwise_bernoulli: p0 k(d) within the mask; with kernel.velocity > 0 each
    // synapse's delay is the projection's (constant) delay + d / velocity.
    static connection_rule distance_dependent(spatial_kernel k, bool autapses = true) {
        connection_rule r;
        r.type = kind::distance_dependent;
        r.kernel = k;
        r.allow_autapses = autapses;
        return r;
    }
    static connection_rule explicit_list(std::vector<std::uint32_t> s, std::vector<std::uint32_t> t,
                                         std::vector<float> w = {}, std::vector<double> d = {}) {
        connection_rule r;
        r.type = kind::explicit_list;
        r.sources = std::move(s);
        r.targets = std::move(t);
        r.weights = std::move(w);
        r.delays_ms = std::move(d);
        return r;
    }
};

const char* rule_name(connection_rule::kind k);

struct projection_spec {
    std::string name;    // empty: "source->target"
    std::string source;  // population names
    std::string target;
    connection_rule rule;
    distribution weight = distribution::constant(1.0);   // in the port's unit (pA, nS or mV)
    distribution delay_ms = distribution::constant(0.1); // rounded to the grid; >= one step
    std::string port = "excitatory";
    // A plasticity rule (plasticity/ library) makes the projection plastic: weights are stored per
    // synapse and change through the rule's hooks. Plastic projections need a constant delay.
    // The rule here is a prototype (parameters only); the built projection owns its own instance.
    std::shared_ptr<const sim::plasticity> plasticity;
};

// The synapses of one projection that target one shard's neurons, grouped by source.
struct projection_shard {
    std::vector<std::uint32_t> row_begin;  // size n_source + 1
    std::vector<std::uint32_t> target;     // target index | (delay - dmin) << target_bits
    std::vector<float> weight;             // empty when the projection's weight is homogeneous
    std::size_t size() const noexcept { return target.size(); }
};

struct projection {
    projection_spec spec;
    std::size_t source = 0;  // population indices
    std::size_t target = 0;
    std::size_t port = 0;
    std::int64_t delay_min = 1;  // steps
    std::int64_t delay_max = 1;
    unsigned target_bits = 32;   // delay offsets live above these bits when delays vary
    bool homogeneous_weight = false;
    float weight_value = 0.0f;   // the weight of every synapse when homogeneous
    std::vector<projection_shard> shards;
    // Runtime: the projection's plasticity instance (made from spec.plasticity at build), whether
    // it is switched on, and whether its weights were written from outside (set_weights), which
    // makes checkpoints store them even for a static projection.
    std::unique_ptr<sim::plasticity> rule;
    bool plasticity_enabled = true;
    bool weights_written = false;

    bool constant_delay() const noexcept { return delay_min == delay_max; }
    std::uint64_t synapse_count() const noexcept {
        std::uint64_t n = 0;
        for (const auto& s : shards) n += s.size();
        return n;
    }
    std::size_t memory_bytes() const noexcept {
        std::size_t b = 0;
        for (const auto& s : shards)
            b += s.row_begin.capacity() * sizeof(std::uint32_t) + s.target.capacity() * sizeof(std::uint32_t) +
                 s.weight.capacity() * sizeof(float);
        return b;
    }
};

} // namespace lamina::sim
