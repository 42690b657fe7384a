#include "lamina/models/register.hpp"

#include "lamina/models/neuron/adex.hpp"
#include "lamina/models/neuron/izhikevich.hpp"
#include "lamina/models/neuron/lif_cond_exp.hpp"
#include "lamina/models/neuron/lif_psc_delta.hpp"
#include "lamina/models/neuron/lif_psc_exp.hpp"

namespace lamina::models {

void register_builtin(sim::model_registry& registry) {
    registry.add<lif_psc_delta>();
    registry.add<lif_psc_exp>();
    registry.add<lif_cond_exp>();
    registry.add<adex>();
    registry.add<izhikevich>();
}

} // namespace lamina::models
