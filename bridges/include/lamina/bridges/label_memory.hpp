#pragma once
// The substrate's label memory: which concept assembly stands for which label (a person, topic or
// object the agent named), allocated in order of first appearance, and how often each label and
// each pair of labels was observed. It is what turns assembly activity back into words.
//
// Text form (kept in a checkpoint's description as TOML comment lines, so the description stays a
// valid model file):
//   #@label <assembly> <observations> <label, percent-escaped>
//   #@pair <assembly a> <assembly b> <observations>        (a < b)
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace lamina::bridges {

class label_memory {
public:
    explicit label_memory(std::size_t capacity = 0) : capacity_(capacity) {}

    std::size_t capacity() const noexcept { return capacity_; }
    std::size_t size() const noexcept { return labels_.size(); }
    // The assembly of a label, allocating the next free one for a new label; throws sim::error
    // naming the capacity when every assembly is taken, and for an empty label.
    std::size_t assign(const std::string& label);
    std::optional<std::size_t> find(std::string_view label) const;
    const std::string& label_of(std::size_t assembly) const { return labels_.at(assembly); }
    std::size_t observations(std::size_t assembly) const { return observations_.at(assembly); }
    // Counts one observation of each label and of each pair among them.
    void observed(const std::vector<std::size_t>& assemblies);
    std::size_t pair_observations(std::size_t a, std::size_t b) const;

    std::string to_text() const;
    // Reads what to_text wrote (other lines are ignored); throws sim::error on a malformed line.
    static label_memory from_text(std::string_view text, std::size_t capacity);

    bool operator==(const label_memory&) const = default;

private:
    std::size_t capacity_;
    std::vector<std::string> labels_;           // by assembly
    std::vector<std::size_t> observations_;     // by assembly
    std::unordered_map<std::string, std::size_t> index_;
    std::map<std::pair<std::size_t, std::size_t>, std::size_t> pairs_;
};

} // namespace lamina::bridges
