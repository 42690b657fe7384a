#pragma once
// A set of named arrays: how a state holder (population, plasticity rule, device, recorder) hands
// its dynamic state to a checkpoint and takes it back, without knowing the file format. Arrays are
// in canonical order (by neuron index, or by canonical synapse order), never in shard layout.
#include "lamina/sim/checkpoint.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lamina::sim {

struct state_block {
    std::map<std::string, std::vector<double>> f64;
    std::map<std::string, std::vector<float>> f32;
    std::map<std::string, std::vector<std::int64_t>> i64;

    // The array `name`, which must exist and hold `size` elements (checkpoint_error otherwise,
    // naming `owner`). size == npos accepts any size.
    static constexpr std::size_t any_size = std::size_t(-1);
    const std::vector<double>& doubles(const std::string& owner, const std::string& name, std::size_t size) const {
        return find(f64, owner, name, size);
    }
    const std::vector<float>& floats(const std::string& owner, const std::string& name, std::size_t size) const {
        return find(f32, owner, name, size);
    }
    const std::vector<std::int64_t>& integers(const std::string& owner, const std::string& name,
                                              std::size_t size) const {
        return find(i64, owner, name, size);
    }

private:
    template <class T>
    static const std::vector<T>& find(const std::map<std::string, std::vector<T>>& m, const std::string& owner,
                                      const std::string& name, std::size_t size) {
        auto it = m.find(name);
        if (it == m.end()) throw checkpoint_error(owner + ": the checkpoint has no '" + name + "'");
        if (size != any_size && it->second.size() != size)
            throw checkpoint_error(owner + ": '" + name + "' holds " + std::to_string(it->second.size()) +
                                   " values where this network has " + std::to_string(size));
        return it->second;
    }
};

// Where each synapse of a projection sits in canonical order (by source, then target, multapses in
// drawn order): position(shard, x) for synapse x of that shard's rows. A one-shard projection
// whose rows are sorted already (every rule drawn per target on one thread) is in canonical order
// as stored: `identity`, with no index kept (8 bytes per synapse saved on every checkpoint).
struct synapse_order {
    std::vector<std::vector<std::uint64_t>> index;
    std::uint64_t total = 0;
    bool identity = false;
    std::uint64_t position(std::size_t shard, std::size_t x) const noexcept { return identity ? x : index[shard][x]; }
};

} // namespace lamina::sim
