#include "lamina/sim/system_memory.hpp"

#include <fstream>
#include <string>

namespace lamina::sim {

namespace {
std::size_t read_kib_field(const char* file, const std::string& key) {
    std::ifstream in(file);
    std::string k;
    std::size_t v = 0;
    std::string unit;
    while (in >> k) {
        if (k == key) {
            in >> v >> unit;
            return v * 1024;
        }
        std::getline(in, unit);
    }
    return 0;
}
} // namespace

std::size_t available_memory_bytes() { return read_kib_field("/proc/meminfo", "MemAvailable:"); }
std::size_t peak_resident_bytes() { return read_kib_field("/proc/self/status", "VmHWM:"); }

} // namespace lamina::sim
