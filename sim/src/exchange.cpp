// The exchange phase: the shards' spikes of a window are merged in canonical order (step,
// population, neuron), which makes everything downstream independent of the shard layout; the
// communicator then makes the list every process's. Spike counts and interval statistics are
// updated from the exchanged list, so every process of a distributed run holds them for all
// neurons (the run summary and checkpoints need no further gather).
#include "precise_delivery.hpp"

namespace lamina::sim::detail {

void merge_window(const engine& e, std::int64_t t0, std::int64_t W, int published, window_spikes& out) {
    const auto& st = e.state;
    const std::size_t S = e.shards;
    const std::size_t npop = e.populations.size();
    out.clear();
    // Read positions in each shard's list (kept between windows: no allocation per window).
    static thread_local std::vector<std::size_t> offset;
    offset.assign(S, 0);
    for (std::int64_t k = 0; k < W; ++k) {
        for (std::size_t q = 0; q < npop; ++q) {
            const auto begin = static_cast<std::uint32_t>(out.neurons.size());
            for (std::size_t s = 0; s < S; ++s) {
                const auto& sc = st.scratch[s];
                const auto& counts = published < 0 ? sc.counts : sc.published[published].counts;
                const auto& spikes = published < 0 ? sc.spikes : sc.published[published].spikes;
                const std::uint32_t c = counts[static_cast<std::size_t>(k) * npop + q];
                const std::uint32_t* src = spikes.data() + offset[s];
                out.neurons.insert(out.neurons.end(), src, src + c);
                if (out.precise) {  // offsets of precise populations' spikes, 0 for the grid's
                    if (st.precise[q])
                        out.offsets.insert(out.offsets.end(), sc.offsets.data() + offset[s], sc.offsets.data() + offset[s] + c);
                    else
                        out.offsets.insert(out.offsets.end(), c, 0.0);
                }
                offset[s] += c;
            }
            const auto stop = static_cast<std::uint32_t>(out.neurons.size());
            if (stop > begin) out.segments.push_back({t0 + k, static_cast<std::uint32_t>(q), begin, stop});
        }
    }
}

void exchange_window(engine& e, std::int64_t t0, std::int64_t W, std::vector<std::uint64_t>& spike_counts,
                     int published) {
    auto& st = e.state;
    auto& out = st.spikes;
    merge_window(e, t0, W, published, out);
    st.comm->exchange(out);
    for (const auto& seg : out.segments) {
        spike_counts[seg.population] += seg.end - seg.begin;
        auto& isi = st.isi[seg.population];
        for (std::uint32_t m = seg.begin; m < seg.end; ++m) {
            const auto i = out.neurons[m];
            if (isi.last[i] >= 0) {
                const double d = double(seg.step - isi.last[i]);
                ++isi.count[i];
                isi.sum[i] += d;
                isi.sum_sq[i] += d * d;
            }
            isi.last[i] = seg.step;
        }
    }
}

} // namespace lamina::sim::detail
