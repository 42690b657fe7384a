#pragma once
// Model name -> population factory. The engine defines the registry; model libraries fill it
// (models::register_builtin), never the engine, so sim/ stays free of any particular model
// (NEST's register_<name>, Arbor's catalogues).
#include "lamina/sim/population.hpp"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace lamina::sim {

class model_registry {
public:
    using factory = std::function<std::unique_ptr<population>(const std::string& name, std::size_t size)>;

    template <neuron_model M>
    void add() {
        add(std::string(M::name),
            [](const std::string& n, std::size_t s) { return std::make_unique<population_of<M>>(n, s); });
    }
    void add(std::string model, factory f) { factories_[std::move(model)] = std::move(f); }
    bool contains(const std::string& model) const { return factories_.count(model) != 0; }
    std::vector<std::string> names() const {
        std::vector<std::string> out;
        for (const auto& [k, v] : factories_) out.push_back(k);
        return out;
    }
    // Throws parameter_error(object, "model", ...) with a suggestion for an unknown model.
    std::unique_ptr<population> create(const std::string& model, const std::string& name, std::size_t size) const {
        auto it = factories_.find(model);
        if (it == factories_.end()) {
            std::string msg = "unknown model '" + model + "'";
            if (auto near = nearest_name(model, names()); !near.empty()) msg += " (did you mean '" + near + "'?)";
            msg += "; models:";
            for (auto& n : names()) msg += " " + n;
            throw parameter_error("population '" + name + "'", "model", msg);
        }
        return it->second(name, size);
    }

private:
    std::map<std::string, factory> factories_;
};

} // namespace lamina::sim
