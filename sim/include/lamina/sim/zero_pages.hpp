#pragma once
// An array of doubles on anonymous zero pages (mmap): a page becomes resident only when first
// written. A process of a distributed run writes only its own neurons' part of a population's
// input rings, so it holds only that part in memory, while every index of the population stays
// valid (the engine indexes neurons by their place in the whole population).
#include <cstddef>

namespace lamina::sim {

class zero_page_array {
public:
    zero_page_array() = default;
    // n zeros (std::bad_alloc when the address space cannot be reserved).
    explicit zero_page_array(std::size_t n);
    ~zero_page_array();
    zero_page_array(zero_page_array&& o) noexcept : data_(o.data_), size_(o.size_) {
        o.data_ = nullptr;
        o.size_ = 0;
    }
    zero_page_array& operator=(zero_page_array&& o) noexcept;
    zero_page_array(const zero_page_array&) = delete;
    zero_page_array& operator=(const zero_page_array&) = delete;

    double* data() noexcept { return data_; }
    const double* data() const noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }

private:
    double* data_ = nullptr;
    std::size_t size_ = 0;
};

} // namespace lamina::sim
