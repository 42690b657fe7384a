// Positions on a 2D sheet and the distance kernel's integral (spatial.hpp).
#include "lamina/sim/spatial.hpp"

#include "lamina/sim/rng.hpp"

#include <algorithm>

namespace lamina::sim {

positions_2d make_positions(const spatial_layout& layout, std::size_t n, std::uint64_t seed, std::uint32_t population) {
    positions_2d p;
    p.x.resize(n);
    p.y.resize(n);
    const double x0 = layout.center_x - layout.extent_x / 2.0, y0 = layout.center_y - layout.extent_y / 2.0;
    for (std::size_t i = 0; i < n; ++i) {
        if (layout.type == spatial_layout::kind::grid) {
            const std::uint64_t c = i % layout.columns, r = i / layout.columns;
            p.x[i] = x0 + (double(c) + 0.5) * layout.extent_x / double(layout.columns);
            p.y[i] = y0 + (double(r) + 0.5) * layout.extent_y / double(layout.rows);
        } else if (layout.type == spatial_layout::kind::random) {
            // Object (1 << 22) | population: apart from the initial states (object = population).
            random_stream rng(seed, stream_purpose::initial_state, (1u << 22) | population, i);
            p.x[i] = x0 + layout.extent_x * rng.uniform();
            p.y[i] = y0 + layout.extent_y * rng.uniform();
        }
    }
    return p;
}

double spatial_kernel::plane_integral() const noexcept {
    const double r = mask_radius, w = width;
    switch (type) {
    case kind::gaussian:
        // 2 pi w^2 (1 - exp(-r^2 / 2 w^2))
        return 2.0 * M_PI * w * w * (std::isfinite(r) ? -std::expm1(-r * r / (2.0 * w * w)) : 1.0);
    case kind::exponential:
        // 2 pi w^2 (1 - exp(-r/w) (1 + r/w))
        return 2.0 * M_PI * w * w * (std::isfinite(r) ? 1.0 - std::exp(-r / w) * (1.0 + r / w) : 1.0);
    default: return M_PI * r * r;
    }
}

double largest_distance(const spatial_layout& layout) noexcept {
    const double f = layout.periodic ? 0.5 : 1.0;
    return std::hypot(f * layout.extent_x, f * layout.extent_y);
}

} // namespace lamina::sim
