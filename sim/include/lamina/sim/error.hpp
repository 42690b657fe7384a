#pragma once
// lamina's exception tree. User-facing errors carry the object (population, projection, device)
// and the parameter they are about, so front ends (the CLI, model files, Python) can point at the
// offending key. internal_error marks a bug in lamina, never bad input.
#include <stdexcept>
#include <string>
#include <utility>

namespace lamina::sim {

class error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// An impossible or unknown parameter of a named object, refused before anything is built.
class parameter_error : public error {
public:
    parameter_error(std::string object, std::string parameter, const std::string& what)
        : error(object + ": parameter '" + parameter + "': " + what),
          object_(std::move(object)), parameter_(std::move(parameter)) {}
    const std::string& object() const noexcept { return object_; }
    const std::string& parameter() const noexcept { return parameter_; }

private:
    std::string object_;
    std::string parameter_;
};

// The network does not fit: estimated memory exceeds what the machine has.
class capacity_error : public error {
public:
    using error::error;
};

class internal_error : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

} // namespace lamina::sim
