#include "lamina/models/register.hpp"

#include "lamina/models/mass/jansen_rit.hpp"
#include "lamina/models/mass/linear_oscillator.hpp"
#include "lamina/models/mass/wilson_cowan.hpp"
#include "lamina/models/neuron/adex.hpp"
#include "lamina/models/neuron/izhikevich.hpp"
#include "lamina/models/neuron/lif_cond_exp.hpp"
#include "lamina/models/neuron/lif_psc_delta.hpp"
#include "lamina/models/neuron/lif_psc_exp.hpp"
#include "lamina/models/neuron/lif_psc_alpha.hpp"
#include "lamina/models/neuron/hh_traub_miles.hpp"
#include "lamina/models/neuron/lif_cond_alpha.hpp"
#include "lamina/models/neuron/adex_cond_exp.hpp"
#include "lamina/models/neuron/adex_cond_alpha.hpp"

namespace lamina::models {

void register_builtin(sim::model_registry& registry) {
    registry.add<lif_psc_delta>();
    registry.add<lif_psc_exp>();
    registry.add<lif_cond_exp>();
    registry.add<adex>();
    registry.add<izhikevich>();
    registry.add<lif_psc_alpha>();
    registry.add<hh_traub_miles>();
    registry.add<lif_cond_alpha>();
    registry.add<adex_cond_exp>();
    registry.add<adex_cond_alpha>();
}

void register_builtin_masses(mass::mass_registry& registry) {
    registry.add<mass::jansen_rit>();
    registry.add<mass::wilson_cowan>();
    registry.add<mass::linear_oscillator>();
}

} // namespace lamina::models
