#include "lamina/sim/expression.hpp"

#include "lamina/sim/error.hpp"
#include "lamina/sim/parameters.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fmt/format.h>

namespace lamina::sim {

namespace {
constexpr std::size_t max_stack = 64;
}

// Recursive descent over the grammar of expression.hpp, emitting postfix instructions.
class expression_parser {
public:
    expression_parser(std::string_view text, std::span<const std::string> variables, const std::string& object,
                      const std::string& parameter)
        : s_(text), vars_(variables), object_(object), parameter_(parameter) {}

    expression run() {
        out_.text_ = std::string(s_);
        skip();
        if (pos_ == s_.size()) fail("is empty; expected an expression such as \"-65 + 15 * r^2\"");
        expr();
        skip();
        if (pos_ != s_.size()) fail(fmt::format("unexpected '{}'", s_[pos_]));
        out_.stack_depth_ = max_depth_;
        return std::move(out_);
    }

private:
    using op = expression::op;

    [[noreturn]] void fail(const std::string& what) const {
        throw parameter_error(object_, parameter_,
                              fmt::format("expression \"{}\", at character {}: {}", s_, pos_ + 1, what));
    }
    void skip() {
        while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    }
    bool accept(char c) {
        skip();
        if (pos_ < s_.size() && s_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    void emit(op code, std::size_t index = 0) {
        out_.program_.push_back({code, index});
        switch (code) {
        case op::number:
        case op::variable: ++depth_; break;
        case op::neg:
        case op::exp:
        case op::log:
        case op::sqrt:
        case op::abs:
        case op::sin:
        case op::cos:
        case op::tanh: break;
        default: --depth_; break;
        }
        if (depth_ > max_depth_) max_depth_ = depth_;
        if (max_depth_ > max_stack) fail(fmt::format("nested too deeply (more than {} pending values)", max_stack));
    }

    void expr() {
        term();
        for (;;) {
            if (accept('+')) {
                term();
                emit(op::add);
            } else if (accept('-')) {
                term();
                emit(op::sub);
            } else {
                return;
            }
        }
    }
    void term() {
        unary();
        for (;;) {
            if (accept('*')) {
                unary();
                emit(op::mul);
            } else if (accept('/')) {
                unary();
                emit(op::div);
            } else {
                return;
            }
        }
    }
    void unary() {
        if (accept('-')) {
            unary();
            emit(op::neg);
        } else if (accept('+')) {
            unary();
        } else {
            power();
        }
    }
    void power() {
        atom();
        if (accept('^')) {
            unary();
            emit(op::pow);
        }
    }
    void atom() {
        skip();
        if (pos_ == s_.size()) fail("ends where a number, a variable or '(' was expected");
        const char c = s_[pos_];
        if (c == '(') {
            ++pos_;
            expr();
            if (!accept(')')) fail("expected ')'");
            return;
        }
        if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
            double v = 0.0;
            const char* first = s_.data() + pos_;
            auto [end, ec] = std::from_chars(first, s_.data() + s_.size(), v);
            if (ec != std::errc() || !std::isfinite(v)) fail("malformed number");
            pos_ += static_cast<std::size_t>(end - first);
            out_.constants_.push_back(v);
            emit(op::number, out_.constants_.size() - 1);
            return;
        }
        if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
            const std::size_t start = pos_;
            while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) ++pos_;
            const std::string name(s_.substr(start, pos_ - start));
            skip();
            if (pos_ < s_.size() && s_[pos_] == '(') {
                ++pos_;
                call(name, start);
                return;
            }
            for (std::size_t k = 0; k < vars_.size(); ++k)
                if (vars_[k] == name) {
                    emit(op::variable, k);
                    return;
                }
            pos_ = start;
            std::string msg = "unknown variable '" + name + "'";
            if (auto near = nearest_name(name, std::vector<std::string>(vars_.begin(), vars_.end())); !near.empty())
                msg += " (did you mean '" + near + "'?)";
            msg += vars_.empty() ? "; the population declares no variables (variables = { r = {dist = ...} })"
                                 : "; variables:";
            for (const auto& v : vars_) msg += " " + v;
            fail(msg);
        }
        fail(fmt::format("unexpected '{}'", c));
    }
    void call(const std::string& name, std::size_t start) {
        struct fn {
            std::string_view name;
            op code;
            int arity;
        };
        static constexpr std::array<fn, 10> functions{{{"exp", op::exp, 1}, {"log", op::log, 1}, {"sqrt", op::sqrt, 1},
                                                       {"abs", op::abs, 1}, {"sin", op::sin, 1}, {"cos", op::cos, 1},
                                                       {"tanh", op::tanh, 1}, {"min", op::min, 2}, {"max", op::max, 2},
                                                       {"pow", op::pow, 2}}};
        const fn* f = nullptr;
        for (const auto& x : functions)
            if (x.name == name) f = &x;
        if (!f) {
            pos_ = start;
            fail("unknown function '" + name + "'; functions: exp log sqrt abs sin cos tanh min max pow");
        }
        int args = 0;
        if (!accept(')')) {
            do {
                expr();
                ++args;
            } while (accept(','));
            if (!accept(')')) fail("expected ',' or ')'");
        }
        if (args != f->arity) {
            pos_ = start;
            fail(fmt::format("{}() takes {} argument{}, got {}", name, f->arity, f->arity == 1 ? "" : "s", args));
        }
        emit(f->code);
    }

    std::string_view s_;
    std::span<const std::string> vars_;
    const std::string& object_;
    const std::string& parameter_;
    std::size_t pos_ = 0;
    std::size_t depth_ = 0, max_depth_ = 0;
    expression out_;
};

expression expression::parse(std::string_view text, std::span<const std::string> variables, const std::string& object,
                             const std::string& parameter) {
    return expression_parser(text, variables, object, parameter).run();
}

double expression::evaluate(std::span<const double> values) const {
    std::array<double, max_stack + 1> st;
    std::size_t n = 0;
    for (const auto& in : program_) {
        switch (in.code) {
        case op::number: st[n++] = constants_[in.index]; break;
        case op::variable: st[n++] = values[in.index]; break;
        case op::neg: st[n - 1] = -st[n - 1]; break;
        case op::add: --n; st[n - 1] += st[n]; break;
        case op::sub: --n; st[n - 1] -= st[n]; break;
        case op::mul: --n; st[n - 1] *= st[n]; break;
        case op::div: --n; st[n - 1] /= st[n]; break;
        case op::pow: --n; st[n - 1] = std::pow(st[n - 1], st[n]); break;
        case op::min: --n; st[n - 1] = std::fmin(st[n - 1], st[n]); break;
        case op::max: --n; st[n - 1] = std::fmax(st[n - 1], st[n]); break;
        case op::exp: st[n - 1] = std::exp(st[n - 1]); break;
        case op::log: st[n - 1] = std::log(st[n - 1]); break;
        case op::sqrt: st[n - 1] = std::sqrt(st[n - 1]); break;
        case op::abs: st[n - 1] = std::fabs(st[n - 1]); break;
        case op::sin: st[n - 1] = std::sin(st[n - 1]); break;
        case op::cos: st[n - 1] = std::cos(st[n - 1]); break;
        case op::tanh: st[n - 1] = std::tanh(st[n - 1]); break;
        }
    }
    return st[0];
}

std::vector<std::size_t> expression::variables_used() const {
    std::vector<std::size_t> out;
    for (const auto& in : program_)
        if (in.code == op::variable && std::find(out.begin(), out.end(), in.index) == out.end())
            out.push_back(in.index);
    return out;
}

} // namespace lamina::sim
