#include "lamina/plasticity/register.hpp"

#include "lamina/plasticity/reward_stdp.hpp"
#include "lamina/plasticity/static_weight.hpp"
#include "lamina/plasticity/stdp_pair.hpp"
#include "lamina/plasticity/stdp_triplet.hpp"
#include "lamina/plasticity/synaptic_scaling.hpp"
#include "lamina/plasticity/tsodyks_markram.hpp"
#include "lamina/plasticity/vogels_istdp.hpp"

namespace lamina::plasticity {

namespace {
template <class Rule>
void with_and_without_short_term(sim::plasticity_registry& r) {
    r.add<Rule>();
    r.add<Rule, tsodyks_markram>();
}
} // namespace

void register_builtin(sim::plasticity_registry& registry) {
    with_and_without_short_term<static_weight>(registry);
    with_and_without_short_term<stdp_pair>(registry);
    with_and_without_short_term<stdp_triplet>(registry);
    with_and_without_short_term<vogels_istdp>(registry);
    with_and_without_short_term<reward_stdp>(registry);
    with_and_without_short_term<synaptic_scaling>(registry);
}

} // namespace lamina::plasticity
