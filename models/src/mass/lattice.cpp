// Lattice of neural masses (see lattice.hpp for the equations, schemes and guarantees).
//
// Layout: every state variable, stage value and derivative is one array of rows * cols doubles
// (row-major). Work is split into blocks of whole rows; a row's computation reads only
//   - its own entries of the state/stage arrays,
//   - the coupling outputs of its neighbour rows of the *previous* pass (Laplacian), or
//   - the ring buffer of outputs at past steps (kernel, matrix), which no pass writes and reads
//     at the same slot,
// so blocks are independent and the arithmetic of every node is the same for any partition.
#include "lamina/models/mass/lattice.hpp"

#include "lattice_kernels.hpp"

#include "lamina/sim/error.hpp"
#include "lamina/sim/rng.hpp"

#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <type_traits>
#include <utility>

namespace lamina::models::mass {

namespace {

constexpr double delay_tolerance = 1e-9;  // relative, for "delay >= dt"

} // namespace

template <neural_mass Mass>
struct lattice<Mass>::impl {
    static constexpr std::size_t NS = Mass::state_names.size();
    static constexpr std::size_t NN = Mass::noise_targets.size();
    static_assert(NN <= 2, "one Philox block per node and step gives two normal numbers");
    using arr = std::vector<double>;

    enum class coupling_kind { none, laplacian, delayed };

    std::string name;
    lattice_config cfg;
    constants c{};
    std::size_t R = 1, M = 1, N = 1;

    // Coupling.
    coupling_kind kind = coupling_kind::none;
    double kappa = 0.0;
    // State diffusion (laplacian coupling): D_v / h^2 per variable, and double-buffered copies of
    // the diffusing variables' stage values (a pass overwrites rows its neighbours still read).
    std::array<double, NS> diffusion_rate{};
    bool diffusing = false;
    std::array<arr, NS> diff_cur, diff_next;
    struct tap {
        int dr, dc;
        double w;
        int d;  // steps
    };
    std::vector<tap> taps;  // kernel stencil
    bool is_matrix = false;
    std::vector<std::uint32_t> row_ptr, src;  // matrix, CSR by target
    std::vector<double> weight;
    std::vector<std::int32_t> delay;
    bool diffusive = false;
    arr self_weight;  // per node (diffusive)
    int D = 0;        // largest delay, steps
    std::size_t slots = 1;
    arr ring;         // slots x N outputs at past steps: slot of step s = s mod slots
    arr u_now, u_next;

    // State, stage values, derivatives.
    std::array<arr, NS> y, ys, k1, k2;
    std::array<arr, NN> dW;
    arr out_cur, out_next;  // Laplacian: coupling outputs of the current stage state
    arr drive;
    arr edge_row;           // boundary_value repeated (fixed edges)
    bool noisy = false;
    std::array<double, NN> noise_scale{};  // sigma_j sqrt(dt)

    // Row blocks, each with scratch rows (coupling input, outputs, RK4 midpoint input).
    std::size_t rows_per_block = 1, blocks = 1;
    static constexpr std::size_t scratch_rows = 5;
    std::size_t scratch_per_block = 0;
    arr scratch;

    // Threads.
    int threads = 1;
    std::unique_ptr<tbb::global_control> allow_threads;
    std::unique_ptr<tbb::task_arena> arena;

    // Time.
    std::uint64_t n = 0;
    bool primed = false;
    bool dirty = false;

    // Recording.
    recording_config rec;
    std::size_t rec_stride = 0;
    std::vector<double> rec_buf;
    std::size_t rec_head = 0, rec_count = 0;
    std::uint64_t rec_dropped = 0;

    // ------------------------------------------------------------------ construction, validation

    impl(const lattice_config& config, const parameters& p, const coupling& cp, const recording_config& rc,
         std::string nm)
        : name(std::move(nm)), cfg(config), rec(rc) {
        c = Mass::lower(p, name);
        if (cfg.rows < 1) throw sim::parameter_error(name, "rows", "must be >= 1");
        if (cfg.cols < 1) throw sim::parameter_error(name, "cols", "must be >= 1");
        if (cfg.rows > std::numeric_limits<std::uint32_t>::max() / cfg.cols)
            throw sim::parameter_error(name, "rows", "rows * cols must be below 2^32");
        sim::require_positive(cfg.dt, name, "dt", "ms");
        sim::require_finite(cfg.dt, name, "dt");
        sim::require_positive(cfg.spacing, name, "spacing", "mm");
        sim::require_finite(cfg.spacing, name, "spacing");
        sim::require_finite(cfg.boundary_value, name, "boundary_value");
        if (cfg.threads < 1) throw sim::parameter_error(name, "threads", "must be >= 1");
        R = cfg.rows;
        M = cfg.cols;
        N = R * M;

        for (std::size_t j = 0; j < NN; ++j) {
            const double s = Mass::noise_amplitude(c, j);
            noise_scale[j] = s * std::sqrt(cfg.dt);
            if (s > 0.0) noisy = true;
        }
        if (noisy && cfg.method == scheme::rk4)
            throw sim::parameter_error(name, "method",
                                       "rk4 is a deterministic scheme but the mass has noise; use heun "
                                       "(stochastic Heun) or euler_maruyama, or set the noise amplitude to 0");

        std::visit([&](const auto& k) { set_coupling(k); }, cp);
        set_recording();

        for (std::size_t v = 0; v < NS; ++v) {
            y[v].assign(N, Mass::initial_value(c, v));
            ys[v].assign(N, 0.0);
            k1[v].assign(N, 0.0);
            k2[v].assign(N, 0.0);
        }
        for (std::size_t j = 0; j < NN; ++j) dW[j].assign(noisy ? N : 0, 0.0);
        drive.assign(N, 0.0);
        edge_row.assign(M, cfg.boundary_value);
        if (kind == coupling_kind::laplacian) {
            out_cur.assign(N, 0.0);
            out_next.assign(N, 0.0);
            for (std::size_t v = 0; v < NS; ++v)
                if (diffusion_rate[v] != 0.0) {
                    diff_cur[v].assign(N, 0.0);
                    diff_next[v].assign(N, 0.0);
                }
        }
        if (kind == coupling_kind::delayed) {
            u_now.assign(N, 0.0);
            u_next.assign(N, 0.0);
        }

        rows_per_block = std::max<std::size_t>(1, 1024 / M);  // about 1024 nodes per block
        blocks = (R + rows_per_block - 1) / rows_per_block;
        scratch_per_block = scratch_rows * M;
        scratch.assign(blocks * scratch_per_block, 0.0);
        set_threads(cfg.threads);
    }

    void set_coupling(const no_coupling&) { kind = coupling_kind::none; }

    static std::string state_list() {
        std::string out;
        for (auto n : Mass::state_names) out += (out.empty() ? "" : ", ") + std::string(n);
        return out;
    }

    void set_coupling(const laplacian_coupling& k) {
        sim::require_finite(k.kappa, name, "kappa");
        kind = coupling_kind::laplacian;
        kappa = k.kappa;
        if (k.diffusion.size() > NS)
            throw sim::parameter_error(name, "diffusion",
                                       "has " + std::to_string(k.diffusion.size()) + " values but the mass has " +
                                           std::to_string(NS) + " state variables (" + state_list() + ")");
        for (std::size_t v = 0; v < k.diffusion.size(); ++v) {
            if (!(std::isfinite(k.diffusion[v]) && k.diffusion[v] >= 0.0))
                throw sim::parameter_error(name, "diffusion",
                                           "the diffusion of " + std::string(Mass::state_names[v]) +
                                               " must be a finite number >= 0 mm^2/ms, got " +
                                               std::to_string(k.diffusion[v]));
            diffusion_rate[v] = k.diffusion[v] / (cfg.spacing * cfg.spacing);
            if (k.diffusion[v] > 0.0) diffusing = true;
        }
        if (diffusing && cfg.edges != boundary::periodic)
            throw sim::parameter_error(name, "diffusion",
                                       "state diffusion needs periodic edges (fixed edges hold an output value, not "
                                       "a state)");
    }

    void set_coupling(const kernel_coupling& k) {
        sim::require_finite(k.strength, name, "strength");
        sim::require_positive(k.length, name, "length", "mm");
        sim::require_finite(k.length, name, "length");
        sim::require_positive(k.conduction_velocity, name, "conduction_velocity", "mm/ms");
        sim::require_finite(k.conduction_velocity, name, "conduction_velocity");
        sim::require_finite(k.radius, name, "radius");
        const double h = cfg.spacing;
        if (!(k.radius >= h * (1.0 - 1e-12)))
            throw sim::parameter_error(name, "radius",
                                       "must be >= spacing (" + std::to_string(h) + " mm), got " +
                                           std::to_string(k.radius) + " mm: the kernel would have no taps");
        const int K = static_cast<int>(std::floor(k.radius / h * (1.0 + 1e-12)));
        const bool periodic = cfg.edges == boundary::periodic;
        if (periodic && ((R > 1 && 2 * std::size_t(K) >= R) || (M > 1 && 2 * std::size_t(K) >= M)))
            throw sim::parameter_error(name, "radius",
                                       "reaches half the periodic sheet (" + std::to_string(K) +
                                           " nodes): a node would be counted twice");
        const double min_delay = h / k.conduction_velocity;
        if (min_delay < cfg.dt * (1.0 - delay_tolerance))
            throw sim::parameter_error(
                name, "conduction_velocity",
                "gives the nearest neighbour (" + std::to_string(h) + " mm) a delay of " + std::to_string(min_delay) +
                    " ms, below one step (dt = " + std::to_string(cfg.dt) +
                    " ms); lower the velocity or dt, or use laplacian_coupling for instantaneous coupling");
        const int max_dr = R > 1 ? K : 0, max_dc = M > 1 ? K : 0;
        double sum = 0.0;
        for (int dr = -max_dr; dr <= max_dr; ++dr)
            for (int dc = -max_dc; dc <= max_dc; ++dc) {
                if (dr == 0 && dc == 0) continue;
                const double dist = h * std::sqrt(double(dr * dr + dc * dc));
                if (dist > k.radius * (1.0 + 1e-12)) continue;
                double w = 1.0;
                if (k.shape == kernel_shape::gaussian) w = std::exp(-dist * dist / (2.0 * k.length * k.length));
                if (k.shape == kernel_shape::exponential) w = std::exp(-dist / k.length);
                const long d = std::lround(dist / k.conduction_velocity / cfg.dt);
                taps.push_back({dr, dc, w, static_cast<int>(std::max(1L, d))});
                sum += w;
            }
        if (taps.empty())
            throw sim::parameter_error(name, "radius", "the kernel has no taps on a 1 x 1 sheet");
        const double scale = k.normalise ? k.strength / sum : k.strength;
        double W = 0.0;
        for (auto& t : taps) {
            t.w *= scale;
            W += t.w;
            D = std::max(D, t.d);
        }
        kind = coupling_kind::delayed;
        diffusive = k.diffusive;
        if (diffusive) self_weight.assign(N, W);
        make_ring();
    }

    void set_coupling(const matrix_coupling& k) {
        sim::require_finite(k.strength, name, "strength");
        std::vector<std::uint32_t> count(N + 1, 0);
        for (const auto& e : k.connections) {
            if (e.target >= N)
                throw sim::parameter_error(name, "target",
                                           "connection target " + std::to_string(e.target) + " is not a node (the sheet has " +
                                               std::to_string(N) + ")");
            if (e.source >= N)
                throw sim::parameter_error(name, "source",
                                           "connection source " + std::to_string(e.source) + " is not a node (the sheet has " +
                                               std::to_string(N) + ")");
            sim::require_finite(e.weight, name, "weight");
            if (!std::isfinite(e.delay) || e.delay < cfg.dt * (1.0 - delay_tolerance))
                throw sim::parameter_error(name, "delay",
                                           "connection " + std::to_string(e.source) + " -> " + std::to_string(e.target) +
                                               " has delay " + std::to_string(e.delay) + " ms, below one step (dt = " +
                                               std::to_string(cfg.dt) + " ms)");
            const double steps = std::round(e.delay / cfg.dt);
            if (steps > 1e7)
                throw sim::parameter_error(name, "delay", "more than 10^7 steps: the delay buffer would not fit");
            ++count[e.target + 1];
        }
        row_ptr.assign(N + 1, 0);
        for (std::size_t i = 0; i < N; ++i) row_ptr[i + 1] = row_ptr[i] + count[i + 1];
        src.assign(k.connections.size(), 0);
        weight.assign(k.connections.size(), 0.0);
        delay.assign(k.connections.size(), 1);
        std::vector<std::uint32_t> fill(row_ptr.begin(), row_ptr.end() - 1);
        for (const auto& e : k.connections) {  // keeps the given order within a target: the sum order
            const std::uint32_t at = fill[e.target]++;
            src[at] = static_cast<std::uint32_t>(e.source);
            weight[at] = k.strength * e.weight;
            delay[at] = static_cast<std::int32_t>(std::max(1.0, std::round(e.delay / cfg.dt)));
            D = std::max<int>(D, delay[at]);
        }
        is_matrix = true;
        kind = coupling_kind::delayed;
        diffusive = k.diffusive;
        if (diffusive) {
            self_weight.assign(N, 0.0);
            for (std::size_t i = 0; i < N; ++i)
                for (std::uint32_t e = row_ptr[i]; e < row_ptr[i + 1]; ++e) self_weight[i] += weight[e];
        }
        if (k.connections.empty()) D = 1;
        make_ring();
    }

    void make_ring() {
        slots = static_cast<std::size_t>(D) + 1;
        const double bytes = double(slots) * double(N) * 8.0;
        if (bytes > 16.0 * 1024 * 1024 * 1024)
            throw sim::parameter_error(name, "delay",
                                       "the delay buffer (" + std::to_string(slots) + " steps x " + std::to_string(N) +
                                           " nodes) would exceed 16 GiB");
        ring.assign(slots * N, 0.0);
    }

    void set_recording() {
        if (rec.interval < 1) throw sim::parameter_error(name, "interval", "must be >= 1 step");
        if (rec.capacity < 1) throw sim::parameter_error(name, "capacity", "must be >= 1 sample");
        for (auto i : rec.nodes)
            if (i >= N)
                throw sim::parameter_error(name, "nodes",
                                           "recorded node " + std::to_string(i) + " is not a node (the sheet has " +
                                               std::to_string(N) + ")");
        if (rec.quantity == recorded_quantity::state && rec.state_index >= NS)
            throw sim::parameter_error(name, "state_index",
                                       "must be below " + std::to_string(NS) + " (" + std::string(Mass::name) +
                                           " has " + std::to_string(NS) + " state variables)");
        rec_stride = 1 + rec.nodes.size() + (rec.spatial_mean ? 1 : 0);
    }

    void set_threads(int t) {
        if (t < 1) throw sim::parameter_error(name, "threads", "must be >= 1");
        threads = t;
        allow_threads.reset();
        if (t > tbb::info::default_concurrency())
            allow_threads = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                                  static_cast<std::size_t>(t));
        arena = std::make_unique<tbb::task_arena>(t);
    }

    // ------------------------------------------------------------------ helpers

    template <class F>
    void for_blocks(F&& body) {
        auto run_block = [&](std::size_t b) {
            const std::size_t r0 = b * rows_per_block, r1 = std::min(R, r0 + rows_per_block);
            double* sc = scratch.data() + b * scratch_per_block;
            for (std::size_t r = r0; r < r1; ++r) body(r, sc);
        };
        if (threads == 1 || blocks == 1) {
            for (std::size_t b = 0; b < blocks; ++b) run_block(b);
            return;
        }
        arena->execute([&] {
            tbb::parallel_for(std::size_t{0}, blocks, [&](std::size_t b) { run_block(b); }, tbb::static_partitioner());
        });
    }

    template <class Arrays>
    static const_state<NS> crow(const Arrays& a, std::size_t off) {
        const_state<NS> p;
        for (std::size_t v = 0; v < NS; ++v) p[v] = a[v].data() + off;
        return p;
    }
    template <class Arrays>
    static state_out<NS> wrow(Arrays& a, std::size_t off) {
        state_out<NS> p;
        for (std::size_t v = 0; v < NS; ++v) p[v] = a[v].data() + off;
        return p;
    }

    double* slot(std::uint64_t step) { return ring.data() + (step % slots) * N; }

    // Noise increments of row r at step n: dW_j = sigma_j sqrt(dt) N(0,1), keyed by (seed, node, step).
    // `sc` has room for two rows.
    void draw_noise(std::size_t r, double* sc) {
        if constexpr (NN > 0) {
            const std::size_t off = r * M;
            normal_pairs(cfg.seed, cfg.noise_stream, off, n, M, sc, sc + M, noise_scale[0], dW[0].data() + off,
                         NN > 1 ? noise_scale[NN - 1] : 0.0, NN > 1 ? dW[NN - 1].data() + off : nullptr);
        }
    }

    // Adds the stage's noise increment to the stage value x of state variable v (row r).
    const double* noise_row(std::size_t v, std::size_t off) const {
        for (std::size_t j = 0; j < NN; ++j)
            if (Mass::noise_targets[j] == v) return dW[j].data() + off;
        return nullptr;
    }

    // u[col] = drive + kappa * sum over present neighbours (x_j - x_i), from the outputs `out`.
    void laplacian_row(std::size_t r, const double* __restrict out, double* __restrict u) const {
        const std::size_t off = r * M;
        const double* __restrict x = out + off;
        const double* __restrict dr = drive.data() + off;
        const bool periodic = cfg.edges == boundary::periodic;
        const double b = cfg.boundary_value;
        // Vertical neighbours (rows r-1, r+1), or the boundary row.
        const double* up = nullptr;
        const double* down = nullptr;
        if (R > 1) {
            if (r > 0) up = out + (r - 1) * M;
            else up = periodic ? out + (R - 1) * M : edge_row.data();
            if (r + 1 < R) down = out + (r + 1) * M;
            else down = periodic ? out : edge_row.data();
        }
        const double k = kappa;
        if (M > 1) {
            const double left0 = periodic ? x[M - 1] : b;
            const double rightL = periodic ? x[0] : b;
            // Horizontal: (x[c-1] - x[c]) + (x[c+1] - x[c])
            u[0] = (left0 - x[0]) + (x[1] - x[0]);
            for (std::size_t col = 1; col + 1 < M; ++col) u[col] = (x[col - 1] - x[col]) + (x[col + 1] - x[col]);
            u[M - 1] = (x[M - 2] - x[M - 1]) + (rightL - x[M - 1]);
        } else {
            u[0] = 0.0;
        }
        if (R > 1) {
            const double* __restrict pu = up;
            const double* __restrict pd = down;
            for (std::size_t col = 0; col < M; ++col) u[col] = u[col] + ((pu[col] - x[col]) + (pd[col] - x[col]));
        }
        for (std::size_t col = 0; col < M; ++col) u[col] = dr[col] + k * u[col];
    }

    // k[col] += rate * sum over the 4 periodic neighbours (x_j - x_i) of the field x, row r.
    void add_diffusion_row(std::size_t r, const double* __restrict x, double rate, double* __restrict k) const {
        const std::size_t off = r * M;
        const double* __restrict xr = x + off;
        double* __restrict kr = k + off;
        if (M > 1) {
            kr[0] += rate * ((xr[M - 1] - xr[0]) + (xr[1 % M] - xr[0]));
            for (std::size_t col = 1; col + 1 < M; ++col) kr[col] += rate * ((xr[col - 1] - xr[col]) + (xr[col + 1] - xr[col]));
            kr[M - 1] += rate * ((xr[M - 2] - xr[M - 1]) + (xr[0] - xr[M - 1]));
        }
        if (R > 1) {
            const double* __restrict up = x + (r > 0 ? r - 1 : R - 1) * M;
            const double* __restrict dn = x + (r + 1 < R ? r + 1 : 0) * M;
            for (std::size_t col = 0; col < M; ++col) kr[col] += rate * ((up[col] - xr[col]) + (dn[col] - xr[col]));
        }
    }
    // Adds every diffusing variable's term (from the current stage values) to the derivatives `k`.
    void add_diffusion(std::size_t r, std::array<arr, NS>& k) const {
        if (!diffusing) return;
        for (std::size_t v = 0; v < NS; ++v)
            if (diffusion_rate[v] != 0.0) add_diffusion_row(r, diff_cur[v].data(), diffusion_rate[v], k[v].data());
    }
    // The stage state's outputs (and diffusing variables) of row r for the next pass.
    void store_stage(const std::array<arr, NS>& state, std::size_t r) {
        outputs(state, out_next.data(), r);
        if (!diffusing) return;
        const std::size_t off = r * M;
        for (std::size_t v = 0; v < NS; ++v)
            if (diffusion_rate[v] != 0.0) std::copy_n(state[v].data() + off, M, diff_next[v].data() + off);
    }

    // acc[col] = sum over taps w * output at step s - d of the tap's source (kernel) or
    // sum over connections (matrix), for row r.
    void delayed_row(std::size_t r, std::uint64_t s, double* __restrict acc) {
        const std::size_t off = r * M;
        for (std::size_t col = 0; col < M; ++col) acc[col] = 0.0;
        if (is_matrix) {
            for (std::size_t col = 0; col < M; ++col) {
                const std::size_t i = off + col;
                double sum = 0.0;
                for (std::uint32_t e = row_ptr[i]; e < row_ptr[i + 1]; ++e) {
                    const std::uint64_t past = s + slots - static_cast<std::uint64_t>(delay[e]);  // s - d, no underflow
                    sum += weight[e] * ring[(past % slots) * N + src[e]];
                }
                acc[col] = sum;
            }
            return;
        }
        const bool periodic = cfg.edges == boundary::periodic;
        const double b = cfg.boundary_value;
        const long LR = static_cast<long>(R), LM = static_cast<long>(M);
        for (const auto& t : taps) {
            const std::uint64_t past = s + slots - static_cast<std::uint64_t>(t.d);
            const double* base = ring.data() + (past % slots) * N;
            long sr = static_cast<long>(r) + t.dr;
            const double w = t.w;
            if (sr < 0 || sr >= LR) {
                if (periodic) {
                    sr = (sr % LR + LR) % LR;
                } else {
                    const double wb = w * b;
                    for (std::size_t col = 0; col < M; ++col) acc[col] += wb;
                    continue;
                }
            }
            const double* __restrict row = base + static_cast<std::size_t>(sr) * M;
            // Columns col with source col + dc inside [0, M): one contiguous run.
            const long dc = t.dc;
            const long lo = std::max(0L, -dc), hi = std::min(LM, LM - dc);  // col in [lo, hi)
            for (long col = lo; col < hi; ++col) acc[col] += w * row[col + dc];
            if (periodic) {
                for (long col = 0; col < lo; ++col) acc[col] += w * row[col + dc + LM];
                for (long col = hi; col < LM; ++col) acc[col] += w * row[col + dc - LM];
            } else {
                const double wb = w * b;
                for (long col = 0; col < lo; ++col) acc[col] += wb;
                for (long col = hi; col < LM; ++col) acc[col] += wb;
            }
        }
    }

    void outputs(const std::array<arr, NS>& state, double* out, std::size_t r) const {
        Mass::output(c, crow(state, r * M), out + r * M, 0, M);
    }

    // ------------------------------------------------------------------ stepping

    void prime() {
        // Present outputs; before t = 0 (first step) the whole history is the initial output.
        if (kind == coupling_kind::laplacian) {
            for_blocks([&](std::size_t r, double*) { outputs(y, out_cur.data(), r); });
            for (std::size_t v = 0; v < NS; ++v)
                if (diffusing && diffusion_rate[v] != 0.0) diff_cur[v] = y[v];
        } else if (kind == coupling_kind::delayed) {
            double* now = slot(n);
            for_blocks([&](std::size_t r, double*) { outputs(y, now, r); });
            if (!primed) {
                for (std::size_t s = 0; s < slots; ++s)
                    if (s != n % slots) std::copy(now, now + N, ring.data() + s * N);
                for_blocks([&](std::size_t r, double*) { delayed_row(r, n, u_now.data() + r * M); });
            }
        }
        primed = true;
        dirty = false;
    }

    // Stage coupling input for row r: base (u at the stage time, may be null) + drive - self term.
    void stage_input(std::size_t r, const double* base, const std::array<arr, NS>& state, double* __restrict u,
                     double* __restrict tmp) const {
        const std::size_t off = r * M;
        const double* __restrict dr = drive.data() + off;
        if (base) {
            const double* __restrict bs = base;
            for (std::size_t col = 0; col < M; ++col) u[col] = bs[col] + dr[col];
        } else {
            for (std::size_t col = 0; col < M; ++col) u[col] = dr[col];
        }
        if (diffusive) {
            Mass::output(c, crow(state, off), tmp, 0, M);
            const double* __restrict sw = self_weight.data() + off;
            for (std::size_t col = 0; col < M; ++col) u[col] = u[col] - sw[col] * tmp[col];
        }
    }

    // One step of a sheet whose coupling is delayed or absent: every row is independent.
    void step_local() {
        const double dt = cfg.dt;
        const bool delayed = kind == coupling_kind::delayed;
        const double* un = delayed ? u_now.data() : nullptr;
        double* ux = delayed ? u_next.data() : nullptr;
        double* next_slot = delayed ? slot(n + 1) : nullptr;
        for_blocks([&](std::size_t r, double* sc) {
            const std::size_t off = r * M;
            double* u = sc;
            double* tmp = sc + M;
            double* umid = sc + 2 * M;
            if (delayed) delayed_row(r, n + 1, ux + off);
            const double* u0 = delayed ? un + off : nullptr;
            const double* u1 = delayed ? ux + off : nullptr;
            if (noisy) draw_noise(r, sc + 3 * M);
            const auto Y = wrow(y, off);
            const auto Yc = crow(y, off);
            const auto S = wrow(ys, off);
            const auto Sc = crow(ys, off);
            const auto K1 = wrow(k1, off);
            const auto K1c = crow(k1, off);
            const auto K2 = wrow(k2, off);
            const auto K2c = crow(k2, off);
            switch (cfg.method) {
            case scheme::euler_maruyama: {
                stage_input(r, u0, y, u, tmp);
                Mass::rhs(c, Yc, u, K1, 0, M);
                for (std::size_t v = 0; v < NS; ++v) {
                    if (const double* w = noisy ? noise_row(v, off) : nullptr) axpy_noise(Y[v], Yc[v], dt, K1c[v], w, M);
                    else axpy(Y[v], Yc[v], dt, K1c[v], M);
                }
                break;
            }
            case scheme::heun: {
                stage_input(r, u0, y, u, tmp);
                Mass::rhs(c, Yc, u, K1, 0, M);
                for (std::size_t v = 0; v < NS; ++v) {
                    if (const double* w = noisy ? noise_row(v, off) : nullptr) axpy_noise(S[v], Yc[v], dt, K1c[v], w, M);
                    else axpy(S[v], Yc[v], dt, K1c[v], M);
                }
                stage_input(r, u1, ys, u, tmp);
                Mass::rhs(c, Sc, u, K2, 0, M);
                for (std::size_t v = 0; v < NS; ++v) {
                    if (const double* w = noisy ? noise_row(v, off) : nullptr)
                        heun_final_noise(Y[v], 0.5 * dt, K1c[v], K2c[v], w, M);
                    else heun_final(Y[v], 0.5 * dt, K1c[v], K2c[v], M);
                }
                break;
            }
            case scheme::rk4: {
                // k1 accumulates k1 + 2 k2 + 2 k3; k2 holds the current stage's derivative.
                const double* um = nullptr;
                if (delayed) {
                    for (std::size_t col = 0; col < M; ++col) umid[col] = 0.5 * (u0[col] + u1[col]);
                    um = umid;
                }
                stage_input(r, u0, y, u, tmp);
                Mass::rhs(c, Yc, u, K1, 0, M);
                for (std::size_t v = 0; v < NS; ++v) axpy(S[v], Yc[v], 0.5 * dt, K1c[v], M);
                stage_input(r, um, ys, u, tmp);
                Mass::rhs(c, Sc, u, K2, 0, M);
                for (std::size_t v = 0; v < NS; ++v) {
                    double* __restrict a = K1[v];
                    const double* __restrict k = K2c[v];
                    for (std::size_t col = 0; col < M; ++col) a[col] = a[col] + 2.0 * k[col];
                    axpy(S[v], Yc[v], 0.5 * dt, k, M);
                }
                stage_input(r, um, ys, u, tmp);
                Mass::rhs(c, Sc, u, K2, 0, M);
                for (std::size_t v = 0; v < NS; ++v) {
                    double* __restrict a = K1[v];
                    const double* __restrict k = K2c[v];
                    for (std::size_t col = 0; col < M; ++col) a[col] = a[col] + 2.0 * k[col];
                    axpy(S[v], Yc[v], dt, k, M);
                }
                stage_input(r, u1, ys, u, tmp);
                Mass::rhs(c, Sc, u, K2, 0, M);
                for (std::size_t v = 0; v < NS; ++v) {
                    double* __restrict x = Y[v];
                    const double* __restrict a = K1c[v];
                    const double* __restrict k = K2c[v];
                    const double h6 = dt / 6.0;
                    for (std::size_t col = 0; col < M; ++col) x[col] = x[col] + h6 * (a[col] + k[col]);
                }
                break;
            }
            }
            if (delayed) outputs(y, next_slot, r);
        });
        if (delayed) std::swap(u_now, u_next);
    }

    // One step with instantaneous Laplacian coupling: one pass per stage.
    void step_laplacian() {
        const double dt = cfg.dt;
        auto pass = [&](auto&& body) {
            for_blocks([&](std::size_t r, double* sc) {
                double* u = sc;
                laplacian_row(r, out_cur.data(), u);
                body(r, r * M, u, sc + 3 * M);
            });
            std::swap(out_cur, out_next);
            if (diffusing) std::swap(diff_cur, diff_next);
        };
        switch (cfg.method) {
        case scheme::euler_maruyama:
            pass([&](std::size_t r, std::size_t off, const double* u, double* sc) {
                if (noisy) draw_noise(r, sc);
                Mass::rhs(c, crow(y, off), u, wrow(k1, off), 0, M); add_diffusion(r, k1);
                for (std::size_t v = 0; v < NS; ++v) {
                    if (const double* w = noisy ? noise_row(v, off) : nullptr)
                        axpy_noise(ys[v].data() + off, y[v].data() + off, dt, k1[v].data() + off, w, M);
                    else axpy(ys[v].data() + off, y[v].data() + off, dt, k1[v].data() + off, M);
                }
                store_stage(ys, r);
            });
            std::swap(y, ys);
            break;
        case scheme::heun:
            pass([&](std::size_t r, std::size_t off, const double* u, double* sc) {
                if (noisy) draw_noise(r, sc);
                Mass::rhs(c, crow(y, off), u, wrow(k1, off), 0, M); add_diffusion(r, k1);
                for (std::size_t v = 0; v < NS; ++v) {
                    if (const double* w = noisy ? noise_row(v, off) : nullptr)
                        axpy_noise(ys[v].data() + off, y[v].data() + off, dt, k1[v].data() + off, w, M);
                    else axpy(ys[v].data() + off, y[v].data() + off, dt, k1[v].data() + off, M);
                }
                store_stage(ys, r);
            });
            pass([&](std::size_t r, std::size_t off, const double* u, double*) {
                Mass::rhs(c, crow(ys, off), u, wrow(k2, off), 0, M); add_diffusion(r, k2);
                for (std::size_t v = 0; v < NS; ++v) {
                    if (const double* w = noisy ? noise_row(v, off) : nullptr)
                        heun_final_noise(y[v].data() + off, 0.5 * dt, k1[v].data() + off, k2[v].data() + off, w, M);
                    else heun_final(y[v].data() + off, 0.5 * dt, k1[v].data() + off, k2[v].data() + off, M);
                }
                store_stage(y, r);
            });
            break;
        case scheme::rk4: {
            pass([&](std::size_t r, std::size_t off, const double* u, double*) {
                Mass::rhs(c, crow(y, off), u, wrow(k1, off), 0, M); add_diffusion(r, k1);
                for (std::size_t v = 0; v < NS; ++v)
                    axpy(ys[v].data() + off, y[v].data() + off, 0.5 * dt, k1[v].data() + off, M);
                store_stage(ys, r);
            });
            for (int stage = 2; stage <= 3; ++stage) {
                const double h = stage == 2 ? 0.5 * dt : dt;
                pass([&](std::size_t r, std::size_t off, const double* u, double*) {
                    Mass::rhs(c, crow(ys, off), u, wrow(k2, off), 0, M); add_diffusion(r, k2);
                    for (std::size_t v = 0; v < NS; ++v) {
                        double* __restrict a = k1[v].data() + off;
                        const double* __restrict k = k2[v].data() + off;
                        for (std::size_t col = 0; col < M; ++col) a[col] = a[col] + 2.0 * k[col];
                        axpy(ys[v].data() + off, y[v].data() + off, h, k, M);
                    }
                    store_stage(ys, r);
                });
            }
            pass([&](std::size_t r, std::size_t off, const double* u, double*) {
                Mass::rhs(c, crow(ys, off), u, wrow(k2, off), 0, M); add_diffusion(r, k2);
                const double h6 = dt / 6.0;
                for (std::size_t v = 0; v < NS; ++v) {
                    double* __restrict x = y[v].data() + off;
                    const double* __restrict a = k1[v].data() + off;
                    const double* __restrict k = k2[v].data() + off;
                    for (std::size_t col = 0; col < M; ++col) x[col] = x[col] + h6 * (a[col] + k[col]);
                }
                store_stage(y, r);
            });
            break;
        }
        }
    }

    void advance(std::uint64_t count) {
        for (std::uint64_t s = 0; s < count; ++s) {
            if (!primed || dirty) prime();
            if (kind == coupling_kind::laplacian) step_laplacian();
            else step_local();
            ++n;
            if (n % rec.interval == 0 && (!rec.nodes.empty() || rec.spatial_mean)) record();
        }
    }

    // ------------------------------------------------------------------ observation

    double node_value(std::size_t i) const {
        const auto Y = crow(y, i);
        double v = 0.0;
        switch (rec.quantity) {
        case recorded_quantity::observable: Mass::observable(c, Y, &v, 0, 1); break;
        case recorded_quantity::output: Mass::output(c, Y, &v, 0, 1); break;
        case recorded_quantity::state: v = y[rec.state_index][i]; break;
        }
        return v;
    }

    // Sum in node order (deterministic); `row` has room for one row.
    double mean_observable(double* row) const {
        double sum = 0.0;
        for (std::size_t r = 0; r < R; ++r) {
            Mass::observable(c, crow(y, r * M), row, 0, M);
            for (std::size_t col = 0; col < M; ++col) sum += row[col];
        }
        return sum / static_cast<double>(N);
    }

    void record() {
        if (rec_count == rec.capacity) {
            // Full: overwrite the oldest sample.
            ++rec_dropped;
            --rec_count;
            rec_head = (rec_head + 1) % rec.capacity;
        }
        const std::size_t at = (rec_head + rec_count) % rec.capacity;
        if (rec_buf.size() < (at + 1) * rec_stride) rec_buf.resize((at + 1) * rec_stride);
        double* p = rec_buf.data() + at * rec_stride;
        p[0] = static_cast<double>(n) * cfg.dt;
        for (std::size_t k = 0; k < rec.nodes.size(); ++k) p[1 + k] = node_value(rec.nodes[k]);
        if (rec.spatial_mean) p[1 + rec.nodes.size()] = mean_observable(scratch.data());
        ++rec_count;
    }

    recording unroll() const {
        recording out;
        out.node_count = rec.nodes.size();
        out.dropped = rec_dropped;
        out.times.resize(rec_count);
        out.values.resize(rec_count * rec.nodes.size());
        if (rec.spatial_mean) out.mean.resize(rec_count);
        for (std::size_t s = 0; s < rec_count; ++s) {
            const double* p = rec_buf.data() + ((rec_head + s) % rec.capacity) * rec_stride;
            out.times[s] = p[0];
            for (std::size_t k = 0; k < rec.nodes.size(); ++k) out.values[s * rec.nodes.size() + k] = p[1 + k];
            if (rec.spatial_mean) out.mean[s] = p[1 + rec.nodes.size()];
        }
        return out;
    }
};

// ---------------------------------------------------------------------- lattice members

template <neural_mass Mass>
lattice<Mass>::lattice(const lattice_config& config, const parameters& params, const coupling& cp,
                       const recording_config& rec, std::string name)
    : impl_(std::make_unique<impl>(config, params, cp, rec, std::move(name))) {}

template <neural_mass Mass>
lattice<Mass>::~lattice() = default;
template <neural_mass Mass>
lattice<Mass>::lattice(lattice&&) noexcept = default;
template <neural_mass Mass>
lattice<Mass>& lattice<Mass>::operator=(lattice&&) noexcept = default;

template <neural_mass Mass>
void lattice<Mass>::step(std::uint64_t n) {
    impl_->advance(n);
}

template <neural_mass Mass>
void lattice<Mass>::run(double duration) {
    if (!(duration >= 0.0) || !std::isfinite(duration))
        throw sim::parameter_error(impl_->name, "duration", "must be a finite time >= 0 ms");
    impl_->advance(static_cast<std::uint64_t>(std::llround(duration / impl_->cfg.dt)));
}

template <neural_mass Mass>
void lattice<Mass>::set_threads(int threads) {
    impl_->set_threads(threads);
}
template <neural_mass Mass>
int lattice<Mass>::threads() const noexcept {
    return impl_->threads;
}
template <neural_mass Mass>
std::uint64_t lattice<Mass>::steps_done() const noexcept {
    return impl_->n;
}
template <neural_mass Mass>
double lattice<Mass>::time() const noexcept {
    return static_cast<double>(impl_->n) * impl_->cfg.dt;
}
template <neural_mass Mass>
std::size_t lattice<Mass>::rows() const noexcept {
    return impl_->R;
}
template <neural_mass Mass>
std::size_t lattice<Mass>::cols() const noexcept {
    return impl_->M;
}
template <neural_mass Mass>
std::size_t lattice<Mass>::size() const noexcept {
    return impl_->N;
}

template <neural_mass Mass>
std::span<const double> lattice<Mass>::state(std::size_t var) const {
    if (var >= n_state)
        throw sim::parameter_error(impl_->name, "var", "state variable index " + std::to_string(var) + " out of range");
    return impl_->y[var];
}
template <neural_mass Mass>
std::span<double> lattice<Mass>::mutable_state(std::size_t var) {
    if (var >= n_state)
        throw sim::parameter_error(impl_->name, "var", "state variable index " + std::to_string(var) + " out of range");
    impl_->dirty = true;
    return impl_->y[var];
}
template <neural_mass Mass>
std::span<double> lattice<Mass>::drive() {
    return impl_->drive;
}

template <neural_mass Mass>
void lattice<Mass>::perturb(std::size_t var, double amplitude, std::uint64_t seed) {
    sim::require_finite(amplitude, impl_->name, "amplitude");
    auto s = mutable_state(var);
    for (std::size_t i = 0; i < s.size(); ++i) {
        sim::random_stream rs(seed, sim::stream_purpose::initial_state, impl_->cfg.noise_stream, i,
                              static_cast<std::uint32_t>(var));
        s[i] += amplitude * (2.0 * rs.uniform() - 1.0);
    }
}

template <neural_mass Mass>
std::vector<double> lattice<Mass>::observable_field() const {
    std::vector<double> f(impl_->N);
    Mass::observable(impl_->c, impl::crow(impl_->y, 0), f.data(), 0, impl_->N);
    return f;
}
template <neural_mass Mass>
std::vector<double> lattice<Mass>::output_field() const {
    std::vector<double> f(impl_->N);
    Mass::output(impl_->c, impl::crow(impl_->y, 0), f.data(), 0, impl_->N);
    return f;
}
template <neural_mass Mass>
double lattice<Mass>::spatial_mean() const {
    std::vector<double> row(impl_->M);
    return impl_->mean_observable(row.data());
}

template <neural_mass Mass>
recording lattice<Mass>::recorded() const {
    return impl_->unroll();
}
template <neural_mass Mass>
recording lattice<Mass>::take_recording() {
    recording r = impl_->unroll();
    impl_->rec_head = 0;
    impl_->rec_count = 0;
    impl_->rec_dropped = 0;
    impl_->rec_buf.clear();
    return r;
}

template <neural_mass Mass>
int lattice<Mass>::max_delay_steps() const noexcept {
    return impl_->D;
}
template <neural_mass Mass>
std::size_t lattice<Mass>::kernel_taps() const noexcept {
    return impl_->taps.size();
}
template <neural_mass Mass>
const typename Mass::constants& lattice<Mass>::mass_constants() const noexcept {
    return impl_->c;
}
template <neural_mass Mass>
const lattice_config& lattice<Mass>::config() const noexcept {
    return impl_->cfg;
}
template <neural_mass Mass>
const std::string& lattice<Mass>::name() const noexcept {
    return impl_->name;
}

template class lattice<jansen_rit>;
template class lattice<wilson_cowan>;
template class lattice<linear_oscillator>;

} // namespace lamina::models::mass
