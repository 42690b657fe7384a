#pragma once
// The [substrate] section of a model file: the agent substrate's configuration
// (bridges/substrate_config.hpp). Every key is optional (the default is the 220,000-neuron
// substrate of docs/substrate.md); an unknown key, a value of the wrong type or an impossible value
// is refused with file, line, column and key, all problems at once (model_file_error).
//
//   [substrate]                  dimensions, code, sensory_per_pool, sensory_active_fraction,
//                                zscore_groups, zscore_group_size, zscore_k, sensory_rate_hz,
//                                sensory_to_concept_indegree, sensory_to_concept_mV, lateral_indegree,
//                                forward_indegree, forward_mV, feedback_indegree, feedback_mV, delay_ms,
//                                label_rate_hz, background_rate_hz, background_mV, replay_rate_hz,
//                                replay_ms, replay_window_ms, replay_rate_at_pulse_hz,
//                                trigger_fraction, learn_while_idle, dt_ms, seed, preset ("default" | "small")
//   [substrate.concept] / [substrate.category] / [substrate.meta]
//                                assemblies, excitatory, inhibitory, excitation_to_pool_mV,
//                                inhibition_mV, inhibition_probability, recurrent_mV, recurrent_probability
//   [substrate.learning]         tau_plus, tau_minus, A_plus, A_minus, tau_c, tau_d, baseline,
//                                reward_gain, lateral_W_max, forward_W_max, istdp_rho0, istdp_eta, istdp_W_max,
//                                update_interval_ms
//   [substrate.neuron]           tau_m, C_m, E_L, V_th, V_reset, t_ref (lif_psc_delta)
// `preset` picks the base the other keys change.
#include "lamina/bridges/substrate_config.hpp"
#include "lamina/compose/model_description.hpp"

#include <string>

namespace lamina::compose {

bridges::substrate_config parse_substrate_text(const std::string& text, const std::string& path);
bridges::substrate_config load_substrate_file(const std::string& path);

} // namespace lamina::compose
