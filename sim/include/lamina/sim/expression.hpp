#pragma once
// Arithmetic expressions of per-neuron variables, for parameters that differ between neurons
// (Izhikevich 2003: c = -65 + 15 r^2 and d = 8 - 6 r^2 share one r ~ U(0, 1) per neuron).
//
// Grammar (no assignment, no loops, no names but the declared variables and the functions below,
// so a model file cannot do anything but compute a number):
//   expr   := term (('+' | '-') term)*
//   term   := unary (('*' | '/') unary)*
//   unary  := ('-' | '+') unary | power
//   power  := atom ('^' unary)?          right-associative: 2^3^2 = 2^9; -r^2 = -(r^2)
//   atom   := number | name | name '(' expr (',' expr)* ')' | '(' expr ')'
// Functions: exp log sqrt abs sin cos tanh (one argument), min max pow (two).
// An expression compiles to a postfix program evaluated on a small stack; no allocation while
// evaluating. Parse errors throw parameter_error naming the object, the parameter and the
// character position.
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lamina::sim {

class expression {
public:
    expression() = default;
    // Parses `text`; names other than functions must be in `variables` (their index is the
    // position in the span passed to evaluate()).
    static expression parse(std::string_view text, std::span<const std::string> variables, const std::string& object,
                            const std::string& parameter);

    // The value for one neuron: values[k] is variable k's value for that neuron.
    double evaluate(std::span<const double> values) const;
    const std::string& text() const noexcept { return text_; }
    // Indices of the variables the expression reads.
    std::vector<std::size_t> variables_used() const;

private:
    enum class op : unsigned char { number, variable, neg, add, sub, mul, div, pow, exp, log, sqrt, abs, sin, cos,
                                    tanh, min, max };
    struct instruction {
        op code;
        std::size_t index;  // variable index or constant index
    };
    std::string text_;
    std::vector<instruction> program_;
    std::vector<double> constants_;
    std::size_t stack_depth_ = 0;
    friend class expression_parser;
};

} // namespace lamina::sim
