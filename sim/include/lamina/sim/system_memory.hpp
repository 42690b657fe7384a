#pragma once
// What the machine can give: memory available now and the peak resident size of this process.
#include <cstddef>

namespace lamina::sim {

// MemAvailable from /proc/meminfo in bytes, or 0 if unknown.
std::size_t available_memory_bytes();
// Peak resident set size of this process (VmHWM) in bytes, or 0 if unknown.
std::size_t peak_resident_bytes();

} // namespace lamina::sim
