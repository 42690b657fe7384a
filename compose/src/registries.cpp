#include "lamina/compose/registries.hpp"

#include "lamina/models/register.hpp"
#include "lamina/plasticity/register.hpp"

namespace lamina::compose {

const registries& builtin_registries() {
    static const registries r = [] {
        registries x;
        models::register_builtin(x.models);
        plasticity::register_builtin(x.plasticity);
        models::register_builtin_masses(x.masses);
        return x;
    }();
    return r;
}

} // namespace lamina::compose
