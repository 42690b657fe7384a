#pragma once
// Rule name (and short-term model) -> factory of plastic projection rules. The plasticity library
// fills it (plasticity::register_builtin); model files and Python look rules up by name.
#include "lamina/sim/plastic_rule.hpp"

#include <functional>
#include <map>
#include <set>
#include <type_traits>
#include <memory>
#include <string>
#include <vector>

namespace lamina::sim {

class plasticity_registry {
public:
    using factory = std::function<std::shared_ptr<plasticity>()>;

    // Registers Rule alone under its name, and Rule with ShortTerm under both names.
    template <class Rule, class ShortTerm = no_short_term>
    void add() {
        factories_[key(std::string(Rule::name), std::string(ShortTerm::name))] = [] {
            return std::make_shared<plastic_rule<Rule, ShortTerm>>();
        };
        rules_.insert(std::string(Rule::name));
        if constexpr (!std::is_same_v<ShortTerm, no_short_term>) short_terms_.insert(std::string(ShortTerm::name));
    }

    std::vector<std::string> rules() const { return {rules_.begin(), rules_.end()}; }
    std::vector<std::string> short_terms() const { return {short_terms_.begin(), short_terms_.end()}; }

    // short_term "" or "none": no short-term plasticity. Throws parameter_error(object, ...) with
    // a suggestion for unknown names.
    std::shared_ptr<plasticity> create(const std::string& rule, const std::string& short_term,
                                       const std::string& object) const {
        const std::string st = short_term.empty() ? "none" : short_term;
        if (!rules_.count(rule)) {
            std::string msg = "unknown plasticity rule '" + rule + "'";
            if (auto near = nearest_name(rule, rules()); !near.empty()) msg += " (did you mean '" + near + "'?)";
            msg += "; rules:";
            for (auto& r : rules_) msg += " " + r;
            throw parameter_error(object, "plasticity.rule", msg);
        }
        auto it = factories_.find(key(rule, st));
        if (it == factories_.end()) {
            std::string msg = "unknown short-term model '" + st + "' for rule '" + rule + "'; allowed: none";
            for (auto& s : short_terms_) msg += " " + s;
            throw parameter_error(object, "plasticity.short_term", msg);
        }
        return it->second();
    }

private:
    static std::string key(const std::string& r, const std::string& s) { return r + "|" + s; }
    std::map<std::string, factory> factories_;
    std::set<std::string> rules_, short_terms_;
};

} // namespace lamina::sim
