#pragma once
// Neurons on a 2D sheet and connection probability falling with distance, as in NEST's spatial
// module (nest.spatial.grid / nest.spatial.free positions; pairwise_bernoulli with a distance-
// dependent probability, a circular mask and distance-dependent delays; edge_wrap for periodic
// boundaries).
//
// Positions (units are the user's, e.g. mm; kernel widths, mask radius and the conduction
// velocity use the same unit): a grid of columns x rows cells over an extent centred at `center`,
// neuron i at the centre of cell (column i % columns, row i / columns); or uniform random in the
// extent, drawn per neuron from a stream keyed by (seed, population, neuron), so positions do not
// depend on threads. With periodic boundaries the distance between two points is the shortest one
// on the torus of the extent (NEST's edge_wrap).
//
// A source i and target j at distance d connect with probability p0 * k(d) for d <= mask_radius
// and 0 beyond: k(d) = exp(-d^2 / (2 width^2)) (gaussian, width = its standard deviation),
// exp(-d / width) (exponential), or 1 (constant). With a conduction velocity v the synapse's delay
// is delay + d / v (rounded to the step).
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace lamina::sim {

struct spatial_layout {
    enum class kind { none, grid, random };
    kind type = kind::none;
    std::uint64_t columns = 0, rows = 0;  // grid: columns * rows = the population's size
    double extent_x = 1.0, extent_y = 1.0;
    double center_x = 0.0, center_y = 0.0;
    bool periodic = false;

    bool has_positions() const noexcept { return type != kind::none; }
    static spatial_layout grid(std::uint64_t columns, std::uint64_t rows, double extent_x, double extent_y,
                               bool periodic = false) {
        return {kind::grid, columns, rows, extent_x, extent_y, 0.0, 0.0, periodic};
    }
    static spatial_layout random(double extent_x, double extent_y, bool periodic = false) {
        return {kind::random, 0, 0, extent_x, extent_y, 0.0, 0.0, periodic};
    }
};

struct positions_2d {
    std::vector<double> x, y;
};

// Positions of the n neurons of population `population` laid out by `layout`.
positions_2d make_positions(const spatial_layout& layout, std::size_t n, std::uint64_t seed, std::uint32_t population);

// Distance between two points under the layout's boundary conditions.
inline double layout_distance(const spatial_layout& layout, double x1, double y1, double x2, double y2) noexcept {
    double dx = std::abs(x1 - x2), dy = std::abs(y1 - y2);
    if (layout.periodic) {
        dx = std::min(dx, layout.extent_x - dx);
        dy = std::min(dy, layout.extent_y - dy);
    }
    return std::sqrt(dx * dx + dy * dy);
}

struct spatial_kernel {
    enum class kind { constant, gaussian, exponential };
    kind type = kind::gaussian;
    double p0 = 1.0;      // probability at distance 0
    double width = 1.0;   // gaussian: standard deviation; exponential: length constant
    double mask_radius = std::numeric_limits<double>::infinity();
    // Distance-dependent delays: delay = delay of the projection + d / velocity (0: off).
    double velocity = 0.0;

    double probability(double d) const noexcept {
        if (d > mask_radius) return 0.0;
        switch (type) {
        case kind::gaussian: return p0 * std::exp(-d * d / (2.0 * width * width));
        case kind::exponential: return p0 * std::exp(-d / width);
        default: return p0;
        }
    }
    // The kernel's integral over the plane within the mask (for expected synapse counts).
    double plane_integral() const noexcept;
};

// The largest distance two neurons of a layout can have (half the diagonal when periodic).
double largest_distance(const spatial_layout& layout) noexcept;

} // namespace lamina::sim
