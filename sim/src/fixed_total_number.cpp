// In-degrees of fixed_total_number projections by binary conditional splitting (see the header).
#include "lamina/sim/fixed_total_number.hpp"

#include "lamina/sim/discrete_sampling.hpp"
#include "lamina/sim/rng.hpp"

#include <algorithm>

namespace lamina::sim {

namespace {

struct splitter {
    std::uint64_t seed;
    std::uint32_t projection;
    std::uint64_t pool;
    bool multapses;
    std::uint64_t begin, end;
    std::uint32_t* out;

    void descend(std::uint64_t lo, std::uint64_t hi, std::uint64_t count, std::uint32_t depth) const {
        if (hi <= begin || lo >= end) return;
        if (count == 0) {
            std::fill(out + (std::max(lo, begin) - begin), out + (std::min(hi, end) - begin), 0u);
            return;
        }
        if (hi - lo == 1) {
            out[lo - begin] = static_cast<std::uint32_t>(count);
            return;
        }
        const std::uint64_t mid = lo + (hi - lo) / 2;
        random_stream rng(seed, stream_purpose::connectivity, projection, lo, depth + 1);
        const std::uint64_t left =
            multapses ? draw_binomial(rng, count, double(mid - lo) / double(hi - lo))
                      : draw_hypergeometric(rng, count, pool * (mid - lo), pool * (hi - mid));
        descend(lo, mid, left, depth + 1);
        descend(mid, hi, count - left, depth + 1);
    }
};

} // namespace

void fixed_total_number_indegrees(std::uint64_t seed, std::uint32_t projection, std::uint64_t total,
                                  std::uint64_t nt, std::uint64_t pool, bool multapses, std::uint64_t begin,
                                  std::uint64_t end, std::uint32_t* out) {
    end = std::min(end, nt);
    if (begin >= end) return;
    splitter{seed, projection, pool, multapses, begin, end, out}.descend(0, nt, total, 0);
}

} // namespace lamina::sim
