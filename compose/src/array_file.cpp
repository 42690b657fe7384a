#include "array_file.hpp"

#include "lamina/sim/hdf5_file.hpp"

#include <cstdint>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <regex>
#include <stdexcept>

namespace lamina::compose::detail {

namespace {
template <class T>
std::vector<double> convert(const std::string& bytes, std::size_t n) {
    std::vector<double> out(n);
    for (std::size_t i = 0; i < n; ++i) {
        T x;
        std::memcpy(&x, bytes.data() + i * sizeof(T), sizeof(T));
        out[i] = static_cast<double>(x);
    }
    return out;
}
} // namespace

// The .npy format (NumPy NEP 1): magic "\x93NUMPY", version, header length, a Python-literal
// dict {'descr': ..., 'fortran_order': ..., 'shape': (...)}, then the raw data.
std::vector<double> read_npy(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open '" + path + "'");
    char magic[8];
    if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0)
        throw std::runtime_error("'" + path + "' is not a NumPy .npy file");
    std::uint32_t header_len = 0;
    if (magic[6] == 1) {
        unsigned char b[2];
        in.read(reinterpret_cast<char*>(b), 2);
        header_len = b[0] | (b[1] << 8);
    } else {
        unsigned char b[4];
        in.read(reinterpret_cast<char*>(b), 4);
        header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (std::uint32_t(b[3]) << 24);
    }
    if (!in || header_len > 65536) throw std::runtime_error("'" + path + "': damaged .npy header");
    std::string header(header_len, '\0');
    if (!in.read(header.data(), header_len)) throw std::runtime_error("'" + path + "': damaged .npy header");
    std::smatch m;
    if (!std::regex_search(header, m, std::regex(R"('descr'\s*:\s*'([^']*)')")))
        throw std::runtime_error("'" + path + "': the .npy header has no 'descr'");
    const std::string descr = m[1];
    if (std::regex_search(header, std::regex(R"('fortran_order'\s*:\s*True)")))
        throw std::runtime_error("'" + path + "': Fortran-ordered arrays are not read; save a C-ordered array");
    if (!std::regex_search(header, m, std::regex(R"('shape'\s*:\s*\(([^)]*)\))")))
        throw std::runtime_error("'" + path + "': the .npy header has no 'shape'");
    const std::string shape = m[1];
    std::smatch dims;
    if (!std::regex_match(shape, dims, std::regex(R"(\s*(\d+)\s*,\s*)")))
        throw std::runtime_error("'" + path + "': shape (" + shape + "): expected a one-dimensional array (n,)");
    const std::size_t n = std::stoull(dims[1]);
    std::size_t width = 0;
    if (descr == "<f8" || descr == "<i8") width = 8;
    else if (descr == "<f4" || descr == "<i4") width = 4;
    else
        throw std::runtime_error("'" + path + "': element type '" + descr +
                                 "' is not read; use little-endian float64, float32, int64 or int32");
    std::string bytes(n * width, '\0');
    if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size())))
        throw std::runtime_error(fmt::format("'{}': the file ends before its {} elements", path, n));
    if (descr == "<f8") return convert<double>(bytes, n);
    if (descr == "<f4") return convert<float>(bytes, n);
    if (descr == "<i8") return convert<std::int64_t>(bytes, n);
    return convert<std::int32_t>(bytes, n);
}

std::vector<double> read_hdf5_array(const std::string& path, const std::string& dataset) {
    const auto f = sim::hdf5::file::open(path);
    if (!f.is_dataset(dataset)) throw std::runtime_error("'" + path + "' has no dataset '" + dataset + "'");
    const auto ds = f.open_dataset(dataset);
    if (ds.columns() != 1)
        throw std::runtime_error("'" + path + "': dataset '" + dataset + "' must be one-dimensional");
    return ds.read<double>();
}

} // namespace lamina::compose::detail
