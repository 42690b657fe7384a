#pragma once
// EEG / LFP proxies of spiking populations, computed online by the engine's signal recorders
// (sim/recorders.hpp: a population sum of terms coefficient * a_i * (b_i - offset), optional |.|,
// per-term delay, optional mean, sampled every interval), and lead fields that mix the proxies of
// several populations into electrode traces. Memory is proportional to channels x samples, never
// neurons x time, and the sums are thread-invariant. Project digest: reference.md 5.1-5.4.
//
// Proxies of a population P sampled at t = interval, 2 interval, ... (sums over the neurons i of P;
// a whole population: record a subset by giving it a population of its own):
//
//   mean_v               (1/N) sum_i V_i(t)                                         mV
//       mean membrane potential (reference.md 5.1; the Alzheimer paper's V_m proxy).
//   sum_abs_currents     sum_i |I_AMPA,i(t)| + |I_GABA,i(t)|                        pA
//       Mazzoni et al. 2008 (reference.md 5.2).
//   lrws                 sum_i |I_AMPA,i(t - tau_AMPA)| - alpha sum_i |I_GABA,i(t - tau_GABA)|   pA
//       Mazzoni, Linden et al. 2015 (reference.md 5.3): alpha = 1.65, tau_AMPA = 6 ms, tau_GABA = 0,
//       normalisation N = 1 (no min-max scaling). Delays are taken on the sampling grid: each is
//       rounded to the nearest multiple of the interval (exact for intervals dividing 6 ms, e.g.
//       0.1, 0.5, 1, 2, 3 ms); before t = delay a delayed term contributes 0.
//   conductance_current  (1/N) sum_i g_ex,i (V_i - E_ex) - g_in,i (V_i - E_in)        pA
//       the Alzheimer paper's current proxy (reference.md 5.4, EI_decay_EEG_proxy_multi_network.py),
//       conductance-based models only.
//
// Synaptic currents by model (taken from the population's parameters when the proxy is built, so
// set E_ex / E_in before):
//   conductance-based (state variables g_ex, g_in, V_m and parameters E_ex, E_in: lif_cond_exp):
//       I_AMPA = g_ex (V_m - E_ex), I_GABA = g_in (V_m - E_in)   [nS x mV = pA; the current
//       leaving the cell, the opposite sign of the current in the membrane equation]
//   current-based (state variables I_syn_ex, I_syn_in: lif_psc_exp, adex):
//       I_AMPA = I_syn_ex, I_GABA = I_syn_in                      [pA]
// Signs do not matter for sum_abs_currents and lrws (absolute values).
//
// Lead field (electrodes x sources): electrode_e(t) = sum_s G[e][s] source_s(t). Sources are signal
// recorders (proxies of populations, or lattice nodes' signals) sampled on the same times. lamina
// does not convert units: an electrode trace has the unit of its sources times the unit of G (for
// example G in uV/pA on current proxies gives uV); mixing sources of different units (mV and pA)
// is left to the user's judgement.
#include "lamina/sim/population.hpp"
#include "lamina/sim/recorders.hpp"

#include <cstddef>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lamina::models::eeg {

enum class proxy_type { mean_v, sum_abs_currents, lrws, conductance_current };

// "mean_v", "sum_abs_currents", "lrws", "conductance_current", in that order.
std::span<const std::string_view> proxy_type_names();
std::string_view proxy_type_name(proxy_type t);
std::optional<proxy_type> parse_proxy_type(std::string_view name);

struct proxy_options {
    double interval_ms = 1.0;        // sampling interval (a multiple of dt)
    double lrws_alpha = 1.65;        // GABA weight of lrws
    double lrws_ampa_delay_ms = 6.0; // tau_AMPA of lrws
    double lrws_gaba_delay_ms = 0.0; // tau_GABA of lrws
};

// How a population's synaptic currents are formed from its state (see above).
struct synaptic_current_terms {
    bool conductance_based = false;
    sim::signal_term ampa;  // a = g_ex, b = V_m, offset = E_ex (conductance) or a = I_syn_ex
    sim::signal_term gaba;  // a = g_in, b = V_m, offset = E_in (conductance) or a = I_syn_in
};
// Throws sim::parameter_error(object, "type", ...) when the model has neither form.
synaptic_current_terms synaptic_currents(const sim::population& pop, const std::string& object);

// `delay_ms` rounded to the nearest multiple of interval_ms (>= 0).
double delay_on_grid(double delay_ms, double interval_ms);

// The signal recorder computing proxy `type` of population `pop` under the recorder name `name`.
// Throws sim::parameter_error (object "proxy '<name>'") when the model lacks the needed state
// variables or parameters, or for a non-positive interval.
sim::signal_recorder_spec make_proxy(proxy_type type, const std::string& name, const sim::population& pop,
                                     const proxy_options& options = {});

// Lead field -----------------------------------------------------------------------------------------

struct lead_field {
    std::vector<std::string> electrodes;  // rows, signal names given to the electrode traces
    std::vector<std::string> sources;     // columns, names of the source signals
    std::vector<double> gain;             // row-major, electrodes.size() x sources.size()

    double at(std::size_t electrode, std::size_t source) const { return gain[electrode * sources.size() + source]; }
    // Throws std::invalid_argument for an empty matrix, a size mismatch, non-finite gains, or
    // empty or repeated names.
    void check() const;
};

// electrodes[e][t] = sum_s G[e][s] sources[s][t] (sources in the lead field's column order, all of
// one length). Throws std::invalid_argument on a size mismatch.
std::vector<std::vector<double>> apply_lead_field(const lead_field& field,
                                                  std::span<const std::vector<double>> sources);

// A recording sink that forwards everything to `inner` and, as the sources of a lead field arrive,
// also emits the electrode traces to inner->signals(electrode, ...). Sources must be sampled on
// the same times (same interval); it keeps only samples not yet seen from every source (one window).
// Register the electrodes with the inner sink (result_file_writer::add_signal_recorder) before
// the run. Throws sim::error if sources disagree on their sample times.
class lead_field_sink final : public sim::recording_sink {
public:
    lead_field_sink(lead_field field, sim::recording_sink& inner);

    void spikes(const std::string& recorder, std::span<const double> times_ms,
                std::span<const std::uint32_t> neurons) override;
    void samples(const std::string& recorder, std::span<const double> times_ms,
                 std::span<const double> values) override;
    void rates(const std::string& recorder, std::span<const double> bin_start_ms,
               std::span<const double> rate_hz) override;
    void weights(const std::string& recorder, double time_ms, std::span<const float> values) override;
    void signals(const std::string& recorder, std::span<const double> times_ms,
                 std::span<const double> values) override;

    const lead_field& field() const noexcept { return field_; }

private:
    lead_field field_;
    sim::recording_sink& inner_;
    std::map<std::string, std::size_t> column_;
    std::vector<std::vector<double>> pending_values_;  // per source
    std::vector<std::vector<double>> pending_times_;   // per source
};

} // namespace lamina::models::eeg
