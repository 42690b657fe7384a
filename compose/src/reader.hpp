#pragma once
// Private to the model-file reader: typed reads out of toml++ tables that record every problem
// with its place in the file, and the readers of the file's sections, one source file per part
// (reader.cpp: [run] and the whole file; network_section.cpp; eeg_section.cpp;
// lattice_section.cpp). Each section reader fills the description and reports, never throws, so
// that one run over the file lists all its problems.
#include "lamina/compose/model_description.hpp"
#include "lamina/compose/registries.hpp"

#include <cstdint>
#include <fmt/format.h>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <toml++/toml.h>
#include <vector>

namespace lamina::compose::detail {

source_location location_of(const toml::source_region& r);
// "a table", "a string", ...: how a wrong value is named in messages.
const char* type_name(const toml::node& n);

class reader {
public:
    reader(std::string file, model_description& d) : file_(std::move(file)), d_(d) {}

    std::vector<diagnostic> problems;

    void error(source_location where, const std::string& key, const std::string& message);
    void error(const toml::node& n, const std::string& key, const std::string& message);

    // Every key of `t` must be in `allowed`; unknown ones are errors with a suggestion.
    void check_keys(const toml::table& t, const std::string& path, std::initializer_list<std::string_view> allowed);

    static std::string join(const std::string& path, std::string_view key);
    // The value of an integer or floating-point node if it is finite; nullopt for anything else.
    static std::optional<double> finite_value(const toml::node& n);

    const toml::node* get(const toml::table& t, std::string_view key, const std::string& path, bool required,
                          source_location table_where);
    std::optional<double> number(const toml::table& t, std::string_view key, const std::string& path, bool required,
                                 source_location where);
    std::optional<std::int64_t> integer(const toml::table& t, std::string_view key, const std::string& path,
                                        bool required, source_location where, std::int64_t min_value);
    std::optional<bool> boolean(const toml::table& t, std::string_view key, const std::string& path,
                                source_location where);
    std::optional<std::string> string(const toml::table& t, std::string_view key, const std::string& path,
                                      bool required, source_location where);
    // One of `choices`, with a suggestion for a near miss.
    std::optional<std::string> choice(const toml::table& t, std::string_view key, const std::string& path,
                                      bool required, source_location where,
                                      std::initializer_list<std::string_view> choices);
    std::optional<std::string> choice(const toml::table& t, std::string_view key, const std::string& path,
                                      bool required, source_location where, const std::vector<std::string_view>& choices);
    // The array at `key`; nullptr if it is missing or not an array ("must be an array of <elements>").
    const toml::array* array(const toml::table& t, std::string_view key, const std::string& path, bool required,
                             source_location where, std::string_view elements);
    std::optional<std::vector<double>> numbers(const toml::table& t, std::string_view key, const std::string& path,
                                               bool required, source_location where);
    std::optional<std::vector<std::uint32_t>> indices(const toml::table& t, std::string_view key,
                                                      const std::string& path, bool required, source_location where);
    std::optional<std::vector<std::string>> strings(const toml::table& t, std::string_view key,
                                                    const std::string& path, bool required, source_location where);
    // A number (constant) or a table { dist = "...", ... }.
    std::optional<sim::distribution> distribution(const toml::node& n, const std::string& key);
    // A table of named numbers (params = { tau_m = 20.0, ... }) but the keys in `skip`: each finite
    // one is appended to `out`, anything else is an error; the key of each is remembered under
    // (object, name) for engine refusals.
    void named_numbers(const toml::table& t, const std::string& path, const std::string& object,
                       std::vector<std::pair<std::string, double>>& out,
                       std::initializer_list<std::string_view> skip = {});

    void remember_object(const std::string& label, source_location where, const std::string& key);
    void remember_key(const std::string& label, const std::string& parameter, const toml::table& t,
                      std::string_view key, const std::string& path);

private:
    std::string file_;
    model_description& d_;
};

const toml::table* as_table(reader& r, const toml::node* n, const std::string& key);

// The array-of-tables `key`, each element with its path "key[i]" (1-based, as a reader counts).
template <class F>
void for_each_entry(reader& r, const toml::table& root, std::string_view key, F&& f) {
    const toml::node* n = root.get(key);
    if (!n) return;
    const toml::array* a = n->as_array();
    if (!a) {
        r.error(*n, std::string(key), std::string("must be an array of tables [[") + std::string(key) + "]], got " +
                                          type_name(*n));
        return;
    }
    for (std::size_t i = 0; i < a->size(); ++i) {
        const std::string path = fmt::format("{}[{}]", key, i + 1);
        const toml::table* t = a->get(i)->as_table();
        if (!t) {
            r.error(*a->get(i), path, "must be a table");
            continue;
        }
        f(*t, path, i);
    }
}

// The sections, in the order parse_model_text reads them ([run] first: its dt is the default
// delay; [eeg] after the proxies and the lattice, its sources).
void read_run(reader& r, const toml::table& root, model_description& d);
void read_lattice(reader& r, const toml::table& root, model_description& d, const models::mass::mass_registry& masses);
void read_populations(reader& r, const toml::table& root, model_description& d);
void read_projections(reader& r, const toml::table& root, model_description& d);
void read_stimuli(reader& r, const toml::table& root, model_description& d);
void read_recorders(reader& r, const toml::table& root, model_description& d);
void read_proxies(reader& r, const toml::table& root, model_description& d);
void read_eeg(reader& r, const toml::table& root, model_description& d);

} // namespace lamina::compose::detail
