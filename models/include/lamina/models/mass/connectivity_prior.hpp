#pragma once
// Connectivity of a multi-region network of neural masses drawn from a prior, for
// lattice<Mass> with a matrix_coupling (regions are the nodes of an n x 1 or 1 x n sheet).
//
// Log-normal scaling of prior means, as dynamic causal modelling parameterises extrinsic
// connections (Friston, Harrison & Penny 2003, NeuroImage 19:1273: A_ij = mean_ij exp(theta_ij),
// theta_ij ~ N(0, sd_ij^2)):
//
//   w_ij = mean_ij exp(log_sd_ij z_ij),   z_ij ~ N(0, 1)      (connection j -> i; none if mean_ij = 0)
//   d_ij = delay_ij                                            (ms, >= the lattice's dt)
//
// Matrices are regions x regions, row-major, row = target i, column = source j. z_ij comes from
// the counter-based stream (seed, connectivity, i * regions + j) (sim/rng.hpp), so a prior and a
// seed give the same matrix everywhere. Self-connections (i = j) are allowed if their mean is
// non-zero. Invalid shapes or values are refused with a sim::parameter_error.
#include "lamina/models/mass/lattice.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lamina::models::mass {

struct connectivity_prior {
    std::size_t regions = 0;
    std::vector<double> mean;    // regions^2, input unit per output unit; 0 = no connection
    std::vector<double> log_sd;  // regions^2 (1, standard deviation of log w), or empty: all 0
    std::vector<double> delay;   // regions^2, ms
    std::uint64_t seed = 1;
};

std::vector<connection> sample_connectivity(const connectivity_prior& prior,
                                            const std::string& object = "connectivity_prior");

} // namespace lamina::models::mass
