#pragma once
// Counter-based random streams (Philox4x32-10, Salmon et al. 2011, via Random123).
//
// Every random number lamina draws is a pure function of (seed, purpose, object, index, counter):
// connectivity of projection p for target j, the initial state of neuron i of population q, the
// Poisson count of device d for neuron i at step n. No generator state is shared between threads,
// so results do not depend on how neurons are split over threads (or, later, MPI ranks), the
// approach of Arbor's cbrng and unlike NEST's per-virtual-process streams.
#include <Random123/philox.h>

#include <cmath>
#include <cstdint>

namespace lamina::sim {

enum class stream_purpose : std::uint32_t {
    connectivity = 1,
    synapse_weight = 2,
    synapse_delay = 3,
    initial_state = 4,
    device = 5,
    user = 6,
    neuron_parameter = 7,
};

// A sequence of 32-bit random words identified by (seed, purpose, object, index). The words are
// drawn from consecutive Philox counters, four per counter.
class random_stream {
public:
    random_stream(std::uint64_t seed, stream_purpose purpose, std::uint32_t object, std::uint64_t index,
                  std::uint32_t sub = 0) noexcept {
        key_ = {{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}};
        ctr_ = {{(static_cast<std::uint32_t>(purpose) << 24) ^ object, static_cast<std::uint32_t>(index),
                 static_cast<std::uint32_t>(index >> 32) ^ (sub << 16), 0u}};
    }

    std::uint32_t next_u32() noexcept {
        if (used_ == 4) refill();
        return block_.v[used_++];
    }
    // Uniform on (0, 1): never exactly 0 or 1, so log() and inverse CDFs are safe.
    double uniform() noexcept {
        const std::uint64_t hi = next_u32();
        const std::uint64_t lo = next_u32();
        const std::uint64_t bits = ((hi << 32) | lo) >> 11; // 53 bits
        return (static_cast<double>(bits) + 0.5) * 0x1.0p-53;
    }
    double uniform(double lo, double hi) noexcept { return lo + (hi - lo) * uniform(); }
    // Standard normal by the Box-Muller transform; the second value is cached.
    double normal() noexcept {
        if (has_spare_) {
            has_spare_ = false;
            return spare_;
        }
        const double u1 = uniform();
        const double u2 = uniform();
        const double r = std::sqrt(-2.0 * std::log(u1));
        spare_ = r * std::sin(2.0 * M_PI * u2);
        has_spare_ = true;
        return r * std::cos(2.0 * M_PI * u2);
    }
    // Uniform integer in [0, n), without modulo bias (Lemire 2019).
    std::uint64_t below(std::uint64_t n) noexcept {
        if (n <= 0xFFFFFFFFull) {
            std::uint64_t m = std::uint64_t(next_u32()) * n;
            auto low = static_cast<std::uint32_t>(m);
            if (low < n) {
                const auto threshold = static_cast<std::uint32_t>((0x100000000ull - n) % n);
                while (low < threshold) {
                    m = std::uint64_t(next_u32()) * n;
                    low = static_cast<std::uint32_t>(m);
                }
            }
            return m >> 32;
        }
        const double u = uniform();
        auto k = static_cast<std::uint64_t>(u * static_cast<double>(n));
        return k < n ? k : n - 1;
    }

private:
    void refill() noexcept {
        block_ = r123::Philox4x32()(ctr_, key_);
        ++ctr_.v[3];
        used_ = 0;
    }
    r123::Philox4x32::ctr_type ctr_{};
    r123::Philox4x32::key_type key_{};
    r123::Philox4x32::ctr_type block_{};
    unsigned used_ = 4;
    bool has_spare_ = false;
    double spare_ = 0.0;
};

// One Philox block (four 32-bit words) for a (seed, object, index, step) tuple: the hot-path form
// used by Poisson devices, which need a handful of words per neuron and step.
inline r123::Philox4x32::ctr_type philox_block(std::uint64_t seed, stream_purpose purpose, std::uint32_t object,
                                               std::uint32_t index, std::uint64_t step) noexcept {
    const r123::Philox4x32::key_type key = {{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}};
    const r123::Philox4x32::ctr_type ctr = {{(static_cast<std::uint32_t>(purpose) << 24) ^ object, index,
                                             static_cast<std::uint32_t>(step), static_cast<std::uint32_t>(step >> 32)}};
    return r123::Philox4x32()(ctr, key);
}

inline double u32_to_unit(std::uint32_t w) noexcept { return (static_cast<double>(w) + 0.5) * 0x1.0p-32; }

} // namespace lamina::sim
