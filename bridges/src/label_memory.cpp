#include "lamina/bridges/label_memory.hpp"

#include "lamina/sim/error.hpp"

#include <algorithm>
#include <charconv>
#include <fmt/format.h>

namespace lamina::bridges {

namespace {

// Labels may hold spaces, '%' and line breaks: escape everything outside printable ASCII and
// those two characters as %XX.
std::string escape(std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
        if (c <= 0x20 || c >= 0x7F || c == '%') out += fmt::format("%{:02X}", c);
        else out += char(c);
    }
    return out;
}

std::string unescape(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out += s[i];
            continue;
        }
        unsigned v = 0;
        if (i + 2 >= s.size() || std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16).ec != std::errc())
            throw sim::error("label memory: malformed escape in label '" + std::string(s) + "'");
        out += char(v);
        i += 2;
    }
    return out;
}

std::vector<std::string_view> fields(std::string_view line) {
    std::vector<std::string_view> f;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && line[i] == ' ') ++i;
        const std::size_t b = i;
        while (i < line.size() && line[i] != ' ') ++i;
        if (i > b) f.push_back(line.substr(b, i - b));
    }
    return f;
}

std::size_t number(std::string_view s, std::string_view line) {
    std::size_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size())
        throw sim::error("label memory: '" + std::string(s) + "' is not a count in line '" + std::string(line) + "'");
    return v;
}

} // namespace

std::size_t label_memory::assign(const std::string& label) {
    if (label.empty()) throw sim::error("a label must not be empty");
    if (auto a = find(label)) return *a;
    if (labels_.size() >= capacity_)
        throw sim::error(fmt::format("label '{}': all {} concept assemblies are taken (raise concept.assemblies)",
                                     label, capacity_));
    index_.emplace(label, labels_.size());
    labels_.push_back(label);
    observations_.push_back(0);
    return labels_.size() - 1;
}

std::optional<std::size_t> label_memory::find(std::string_view label) const {
    auto it = index_.find(std::string(label));
    if (it == index_.end()) return std::nullopt;
    return it->second;
}

void label_memory::observed(const std::vector<std::size_t>& assemblies) {
    std::vector<std::size_t> a = assemblies;
    std::sort(a.begin(), a.end());
    a.erase(std::unique(a.begin(), a.end()), a.end());
    for (std::size_t x : a) ++observations_.at(x);
    for (std::size_t i = 0; i < a.size(); ++i)
        for (std::size_t j = i + 1; j < a.size(); ++j) ++pairs_[{a[i], a[j]}];
}

std::size_t label_memory::pair_observations(std::size_t a, std::size_t b) const {
    if (a > b) std::swap(a, b);
    auto it = pairs_.find({a, b});
    return it == pairs_.end() ? 0 : it->second;
}

std::string label_memory::to_text() const {
    std::string out;
    for (std::size_t i = 0; i < labels_.size(); ++i)
        out += fmt::format("#@label {} {} {}\n", i, observations_[i], escape(labels_[i]));
    for (const auto& [k, n] : pairs_) out += fmt::format("#@pair {} {} {}\n", k.first, k.second, n);
    return out;
}

label_memory label_memory::from_text(std::string_view text, std::size_t capacity) {
    label_memory m(capacity);
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        if (line.rfind("#@label ", 0) == 0) {
            auto f = fields(line.substr(8));
            if (f.size() != 3) throw sim::error("label memory: malformed line '" + std::string(line) + "'");
            const std::size_t a = number(f[0], line);
            if (a != m.labels_.size() || a >= capacity)
                throw sim::error("label memory: assembly out of order or beyond the capacity in '" + std::string(line) + "'");
            const std::size_t got = m.assign(unescape(f[2]));
            if (got != a) throw sim::error("label memory: duplicate label in '" + std::string(line) + "'");
            m.observations_[a] = number(f[1], line);
        } else if (line.rfind("#@pair ", 0) == 0) {
            auto f = fields(line.substr(7));
            if (f.size() != 3) throw sim::error("label memory: malformed line '" + std::string(line) + "'");
            const std::size_t a = number(f[0], line), b = number(f[1], line);
            if (!(a < b) || b >= m.labels_.size())
                throw sim::error("label memory: pair of unknown assemblies in '" + std::string(line) + "'");
            m.pairs_[{a, b}] = number(f[2], line);
        }
    }
    return m;
}

} // namespace lamina::bridges
