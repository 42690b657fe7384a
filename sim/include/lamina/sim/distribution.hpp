#pragma once
// Constant or random values for weights, delays and initial states.
//
// Clipping rule: a drawn value outside [lower, upper] is redrawn, so the result follows the
// distribution truncated to the bounds (not piled up at the bounds, unlike NEST's *_clipped
// variants). A distribution whose mass inside the bounds is below 1e-4 is refused, so redrawing
// always ends quickly.
#include "lamina/sim/rng.hpp"

#include <limits>
#include <string>

namespace lamina::sim {

struct distribution {
    enum class kind { constant, uniform, normal, lognormal };
    kind type = kind::constant;
    // constant: a; uniform: [a, b); normal: mean a, standard deviation b;
    // lognormal: exp(N(a, b)), a and b are the mean and standard deviation of the logarithm.
    double a = 0.0;
    double b = 0.0;
    double lower = -std::numeric_limits<double>::infinity();
    double upper = std::numeric_limits<double>::infinity();

    static distribution constant(double v) { return {kind::constant, v, 0.0}; }
    static distribution uniform(double lo, double hi) { return {kind::uniform, lo, hi}; }
    static distribution normal(double mean, double sd) { return {kind::normal, mean, sd}; }
    static distribution lognormal(double mu, double sigma) { return {kind::lognormal, mu, sigma}; }
    distribution bounded(double lo, double hi) const {
        distribution d = *this;
        d.lower = lo;
        d.upper = hi;
        return d;
    }

    bool is_constant() const { return type == kind::constant; }
    // Smallest and largest value a draw can return.
    double min_value() const;
    double max_value() const;
    // Probability that one raw draw falls inside [lower, upper].
    double mass_inside_bounds() const;
    // Throws parameter_error(object, parameter, ...) for impossible settings.
    void validate(const std::string& object, const std::string& parameter) const;

    double draw(random_stream& rng) const {
        if (type == kind::constant) return a;
        for (;;) {
            double v;
            switch (type) {
            case kind::uniform: v = rng.uniform(a, b); break;
            case kind::normal: v = a + b * rng.normal(); break;
            default: v = std::exp(a + b * rng.normal()); break;
            }
            if (v >= lower && v <= upper) return v;
        }
    }
};

std::string describe(const distribution& d);

} // namespace lamina::sim
