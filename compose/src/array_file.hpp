#pragma once
// One-dimensional numeric arrays from files, for per-neuron values of a model file: NumPy .npy
// (little-endian float64, float32, int32 or int64, C order, shape (n,)) or a dataset of an HDF5
// file. Throws std::runtime_error saying what is wrong with the file.
#include <string>
#include <vector>

namespace lamina::compose::detail {

std::vector<double> read_npy(const std::string& path);
std::vector<double> read_hdf5_array(const std::string& path, const std::string& dataset);

} // namespace lamina::compose::detail
