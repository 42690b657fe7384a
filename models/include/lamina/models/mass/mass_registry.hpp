#pragma once
// Neural-mass name -> factory of lattices of that mass, as sim::model_registry is for neuron models
// and sim::plasticity_registry for rules. models::register_builtin_masses (register.hpp) fills it;
// the composition roots (model files' [lattice], the Python module) look masses up by name, so a
// new mass is its header, one registry line and its explicit lattice instantiation (lattice.cpp),
// with no switch on names anywhere else.
#include "lamina/models/mass/lattice.hpp"
#include "lamina/sim/parameters.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace lamina::models::mass {

// A lattice whatever its mass: what a caller needs to run it and read its recording, behind one
// virtual call per step batch (never per node).
class any_lattice {
public:
    virtual ~any_lattice() = default;
    virtual void step(std::uint64_t n) = 0;
    virtual std::uint64_t steps_done() const = 0;
    virtual double time_ms() const = 0;
    virtual std::size_t size() const = 0;
    // The samples recorded since the last call: times (ms), spatial mean and node traces
    // (sample-major, one column per recorded node).
    virtual recording take_recording() = 0;
    // Constant extra input per node (the mass's input unit), 0 unless set: the lattice's drive().
    virtual std::span<double> drive() = 0;
};

template <neural_mass Mass>
class lattice_of final : public any_lattice {
public:
    lattice_of(const lattice_config& config, const typename Mass::parameters& params, const coupling& coupling,
               const recording_config& recording, const std::string& name)
        : lattice_(config, params, coupling, recording, name) {}
    void step(std::uint64_t n) override { lattice_.step(n); }
    std::uint64_t steps_done() const override { return lattice_.steps_done(); }
    double time_ms() const override { return lattice_.time(); }
    std::size_t size() const override { return lattice_.size(); }
    recording take_recording() override { return lattice_.take_recording(); }
    std::span<double> drive() override { return lattice_.drive(); }

private:
    lattice<Mass> lattice_;
};

class mass_registry {
public:
    using parameter_values = std::vector<std::pair<std::string, double>>;
    // Called once per refused parameter, so that a caller can report all of them at once.
    using problem_report = std::function<void(const sim::parameter_error&)>;
    // The lattice named `name`, or nullptr when `report` was called for a parameter. Refusals of
    // the sheet, coupling or recording are thrown as sim::parameter_error.
    using factory = std::function<std::unique_ptr<any_lattice>(
        const lattice_config& config, const parameter_values& parameters, const coupling& coupling,
        const recording_config& recording, const std::string& name, const problem_report& report)>;

    template <neural_mass Mass>
    void add() {
        add(std::string(Mass::name),
            [](const lattice_config& config, const parameter_values& parameters, const coupling& coupling,
               const recording_config& recording, const std::string& name,
               const problem_report& report) -> std::unique_ptr<any_lattice> {
                typename Mass::parameters p{};
                bool ok = true;
                for (const auto& [parameter, value] : parameters) {
                    try {
                        sim::set_parameter(p, Mass::parameter_fields, parameter, value, name);
                    } catch (const sim::parameter_error& e) {
                        report(e);
                        ok = false;
                    }
                }
                if (!ok) return nullptr;
                return std::make_unique<lattice_of<Mass>>(config, p, coupling, recording, name);
            });
    }
    void add(std::string mass, factory f) {
        if (std::find(names_.begin(), names_.end(), mass) == names_.end()) names_.push_back(mass);
        factories_.insert_or_assign(std::move(mass), std::move(f));
    }
    bool contains(const std::string& mass) const { return factories_.count(mass) != 0; }
    // In registration order: the order model-file messages list the allowed masses in.
    const std::vector<std::string>& names() const { return names_; }

    // Throws parameter_error(name, "model", ...) with a suggestion for an unknown mass.
    std::unique_ptr<any_lattice> create(const std::string& mass, const lattice_config& config,
                                        const parameter_values& parameters, const coupling& coupling,
                                        const recording_config& recording, const std::string& name,
                                        const problem_report& report) const {
        auto it = factories_.find(mass);
        if (it == factories_.end()) {
            std::string msg = "unknown mass '" + mass + "'";
            if (auto near = sim::nearest_name(mass, names_); !near.empty()) msg += " (did you mean '" + near + "'?)";
            msg += "; masses:";
            for (const auto& n : names_) msg += " " + n;
            throw sim::parameter_error(name, "model", msg);
        }
        return it->second(config, parameters, coupling, recording, name, report);
    }

private:
    std::map<std::string, factory> factories_;
    std::vector<std::string> names_;
};

} // namespace lamina::models::mass
