// Sampling multi-region connectivity from a log-normal prior (see connectivity_prior.hpp).
#include "lamina/models/mass/connectivity_prior.hpp"

#include "lamina/sim/error.hpp"
#include "lamina/sim/parameters.hpp"
#include "lamina/sim/rng.hpp"

#include <cmath>

namespace lamina::models::mass {

std::vector<connection> sample_connectivity(const connectivity_prior& p, const std::string& object) {
    const std::size_t n = p.regions;
    if (n < 1) throw sim::parameter_error(object, "regions", "must be >= 1");
    const std::size_t nn = n * n;
    if (p.mean.size() != nn)
        throw sim::parameter_error(object, "mean", "must have regions^2 = " + std::to_string(nn) + " entries, got " +
                                                       std::to_string(p.mean.size()));
    if (!p.log_sd.empty() && p.log_sd.size() != nn)
        throw sim::parameter_error(object, "log_sd", "must be empty or have regions^2 = " + std::to_string(nn) +
                                                         " entries, got " + std::to_string(p.log_sd.size()));
    if (p.delay.size() != nn)
        throw sim::parameter_error(object, "delay", "must have regions^2 = " + std::to_string(nn) + " entries, got " +
                                                        std::to_string(p.delay.size()));
    std::vector<connection> out;
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j) {
            const std::size_t k = i * n + j;
            sim::require_finite(p.mean[k], object, "mean");
            const double sd = p.log_sd.empty() ? 0.0 : p.log_sd[k];
            sim::require_nonnegative(sd, object, "log_sd", "");
            sim::require_finite(sd, object, "log_sd");
            if (p.mean[k] == 0.0) continue;
            sim::require_positive(p.delay[k], object, "delay", "ms");
            sim::require_finite(p.delay[k], object, "delay");
            sim::random_stream rs(p.seed, sim::stream_purpose::connectivity, 0, k);
            const double w = sd > 0.0 ? p.mean[k] * std::exp(sd * rs.normal()) : p.mean[k];
            out.push_back({i, j, w, p.delay[k]});
        }
    return out;
}

} // namespace lamina::models::mass
