#pragma once
// A rows x cols sheet of neural masses (reference digest 4.3, 4.4): one mass per node, node
// (row, col) at index row * cols + col, spacing h (mm), coupled through the masses' input u:
//
//   u_i(t) = drive_i + coupling_i(t)
//   laplacian:  coupling_i = kappa sum_{j in N4(i)} (x_j(t) - x_i(t))        instantaneous
//   kernel:     coupling_i = sum_{j != i, |r_ij| <= R} w(|r_ij|) x_j(t - |r_ij|/v)   [- W x_i(t)]
//   matrix:     coupling_i = sum_j w_ij x_j(t - d_ij)                         [- (sum_j w_ij) x_i(t)]
//
// where x is the mass's coupling output (jansen_rit: pyramidal rate; wilson_cowan: E; linear
// oscillator: phi) and the bracketed self terms appear when `diffusive` is set (a delayed
// Laplacian). Kernel weights: w(d) = strength exp(-d^2/(2 length^2)) | strength exp(-d/length) |
// strength, divided by their sum when `normalise` is set; W = sum of the weights. Conduction delays
// d/v are rounded to whole steps and must be at least one step (v in mm/ms = m/s).
//
// Boundaries (Laplacian and kernel): periodic (a torus) or fixed (Dirichlet): neighbours outside
// the sheet have the constant output `boundary_value` (0 by default: no input from outside, and the
// Laplacian's eigenmodes are sin(pi n i/(rows+1)) sin(pi m j/(cols+1))). A dimension of size 1 has
// no neighbours along it, so a 1 x M sheet is a chain and 1 x 1 a single mass. The matrix coupling
// (multi-region networks; connectivity_prior.hpp samples such matrices) ignores the geometry.
//
// Integration with fixed step dt (ms):
//   euler_maruyama  y += dt f(y, u(t)) + dW
//   heun            y~ = y + dt f(y, u(t)) + dW;  y += dt/2 (f(y, u(t)) + f(y~, u(t + dt))) + dW
//                   (deterministic Heun without noise; the stochastic Heun scheme of additive noise,
//                   strong order 1, with noise)
//   rk4             classical Runge-Kutta; deterministic only (a mass with noise is refused)
// dW_j = sigma_j sqrt(dt) N(0, 1) on the mass's noise targets, drawn from the engine's counter-based
// Philox stream keyed by (seed, noise_stream, node, step) (sim/rng.hpp). Delayed inputs at the
// stage times are read from a ring buffer of the outputs at past steps; RK4's midpoint stages use
// the mean of the values at t and t + dt. Before t = 0 every node's output is its initial output.
//
// Parallelism and determinism: each step is one (delayed or no coupling) or one pass per stage
// (Laplacian) over blocks of rows, run with oneTBB (static partition) in an arena of `threads`
// threads. A node's arithmetic depends only on its own row block's data, never on the partition,
// so results are bitwise identical for any thread count.
//
// Recording: after every `interval` steps, the chosen nodes' quantity (observable, coupling output
// or one state variable) and the spatial mean of the observable (the EEG-like signal) are kept in a
// buffer of at most `capacity` samples; older samples are dropped (and counted) when it is full, so
// memory stays bounded. take_recording() returns the samples in time order and empties the buffer.
//
// Invalid parameters (of the mass, the sheet, the coupling or the recording) are refused at
// construction with a sim::parameter_error naming the object and the parameter.
#include "lamina/models/mass/jansen_rit.hpp"
#include "lamina/models/mass/linear_oscillator.hpp"
#include "lamina/models/mass/neural_mass.hpp"
#include "lamina/models/mass/wilson_cowan.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace lamina::models::mass {

enum class boundary { periodic, fixed };
enum class scheme { euler_maruyama, heun, rk4 };

struct lattice_config {
    std::size_t rows = 1;
    std::size_t cols = 1;
    double dt = 0.1;                  // ms
    double spacing = 1.0;             // mm, node spacing h
    boundary edges = boundary::periodic;
    double boundary_value = 0.0;      // output unit; output of the outside nodes under fixed edges
    scheme method = scheme::heun;
    std::uint64_t seed = 1;           // noise and perturb() streams
    std::uint32_t noise_stream = 0;   // object id of the noise stream (distinct sheets, same seed)
    int threads = 1;
};

struct no_coupling {};

// Discrete Laplacian, instantaneous: u_i += kappa sum_{4 neighbours} (x_j - x_i).
// Optionally, state variables diffuse on their own (a reaction-diffusion field, e.g. a Wilson-Cowan
// E/I sheet whose E and I spread laterally with different ranges):
//   dy_v,i/dt += (D_v / h^2) sum_{4 neighbours} (y_v,j - y_v,i)
// i.e. D_v nabla^2 y_v on the lattice; `diffusion` holds D_v (mm^2/ms) per state variable in the
// order of Mass::state_names (empty, or 0 for a variable: no diffusion). The diffusion uses the
// same stage states as the coupling input, so every scheme keeps its order. Periodic edges only.
struct laplacian_coupling {
    double kappa = 0.0;              // input unit per output unit (linear oscillator: 1/ms^2)
    std::vector<double> diffusion;   // mm^2/ms per state variable
};

enum class kernel_shape { gaussian, exponential, uniform };

// Distance-dependent kernel with conduction delays.
struct kernel_coupling {
    double strength = 1.0;             // input unit per output unit (scales the weights)
    kernel_shape shape = kernel_shape::gaussian;
    double length = 1.0;               // mm, Gaussian sigma or exponential length
    double radius = 1.0;               // mm, cut-off (>= spacing)
    double conduction_velocity = 1.0;  // mm/ms (= m/s)
    bool normalise = true;             // weights sum to strength
    bool diffusive = false;            // subtract (sum of weights) x_i(t): a delayed Laplacian
};

// One weighted, delayed connection of a matrix coupling.
struct connection {
    std::size_t target = 0;
    std::size_t source = 0;
    double weight = 0.0;  // input unit per output unit (times the coupling's strength)
    double delay = 0.0;   // ms, >= dt
};

// Arbitrary sparse weighted, delayed connectivity (multi-region networks).
struct matrix_coupling {
    double strength = 1.0;  // global scale K
    std::vector<connection> connections;
    bool diffusive = false;  // subtract (sum_j K w_ij) x_i(t)
};

using coupling = std::variant<no_coupling, laplacian_coupling, kernel_coupling, matrix_coupling>;

enum class recorded_quantity { observable, output, state };

struct recording_config {
    std::vector<std::size_t> nodes;  // node indices (row * cols + col)
    std::size_t interval = 1;        // steps between samples
    bool spatial_mean = true;        // record the spatial mean of the observable
    recorded_quantity quantity = recorded_quantity::observable;
    std::size_t state_index = 0;     // with quantity == state
    std::size_t capacity = 100000;   // samples kept at most
};

struct recording {
    std::vector<double> times;   // ms
    std::vector<double> values;  // sample-major: values[s * node_count + k]
    std::vector<double> mean;    // spatial mean of the observable per sample (if recorded)
    std::size_t node_count = 0;
    std::uint64_t dropped = 0;   // samples lost to the capacity bound

    std::size_t samples() const noexcept { return times.size(); }
    double value(std::size_t sample, std::size_t k) const { return values[sample * node_count + k]; }
    std::vector<double> trace(std::size_t k) const {
        std::vector<double> t(samples());
        for (std::size_t s = 0; s < t.size(); ++s) t[s] = value(s, k);
        return t;
    }
};

// The simulator, instantiated in lattice.cpp for jansen_rit, wilson_cowan and linear_oscillator
// (a new mass adds one explicit instantiation there).
template <neural_mass Mass>
class lattice {
public:
    using mass_type = Mass;
    using parameters = typename Mass::parameters;
    using constants = typename Mass::constants;
    static constexpr std::size_t n_state = Mass::state_names.size();

    lattice(const lattice_config& config, const parameters& params = {}, const coupling& coupling = no_coupling{},
            const recording_config& recording = {}, std::string name = "lattice");
    ~lattice();
    lattice(lattice&&) noexcept;
    lattice& operator=(lattice&&) noexcept;

    void step(std::uint64_t n = 1);
    void run(double duration);  // ms, rounded to whole steps
    void set_threads(int threads);
    int threads() const noexcept;

    std::uint64_t steps_done() const noexcept;
    double time() const noexcept;  // ms
    std::size_t rows() const noexcept;
    std::size_t cols() const noexcept;
    std::size_t size() const noexcept;
    std::size_t index(std::size_t row, std::size_t col) const noexcept { return row * cols() + col; }

    // State arrays (one per variable of Mass::state_names). Writing through mutable_state() between
    // steps sets a new present state; the delay buffers keep the past.
    std::span<const double> state(std::size_t var) const;
    std::span<double> mutable_state(std::size_t var);
    // Constant extra input per node (Mass::input_unit), added to u; 0 by default.
    std::span<double> drive();
    // Adds uniform noise in [-amplitude, amplitude] to one state variable, keyed by (seed, node).
    void perturb(std::size_t var, double amplitude, std::uint64_t seed);

    std::vector<double> observable_field() const;
    std::vector<double> output_field() const;
    double spatial_mean() const;  // of the observable

    recording recorded() const;  // a copy, in time order
    recording take_recording();  // and clear the buffer

    int max_delay_steps() const noexcept;
    std::size_t kernel_taps() const noexcept;
    const constants& mass_constants() const noexcept;
    const lattice_config& config() const noexcept;
    const std::string& name() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

extern template class lattice<jansen_rit>;
extern template class lattice<wilson_cowan>;
extern template class lattice<linear_oscillator>;

} // namespace lamina::models::mass
