#include "lamina/sim/zero_pages.hpp"

#include <new>
#include <sys/mman.h>

namespace lamina::sim {

zero_page_array::zero_page_array(std::size_t n) : size_(n) {
    if (n == 0) return;
    // Anonymous private pages read as zero and take memory only when written.
    void* p = ::mmap(nullptr, n * sizeof(double), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        size_ = 0;
        throw std::bad_alloc();
    }
    data_ = static_cast<double*>(p);
}

zero_page_array::~zero_page_array() {
    if (data_) ::munmap(data_, size_ * sizeof(double));
}

zero_page_array& zero_page_array::operator=(zero_page_array&& o) noexcept {
    if (this != &o) {
        if (data_) ::munmap(data_, size_ * sizeof(double));
        data_ = o.data_;
        size_ = o.size_;
        o.data_ = nullptr;
        o.size_ = 0;
    }
    return *this;
}

} // namespace lamina::sim
