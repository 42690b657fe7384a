#!/usr/bin/env python3
"""Writes examples/potjans_diesmann_2014.toml and potjans_diesmann_2014_dc.toml: the cortical
microcircuit of Potjans & Diesmann (2014), "The cell-type specific cortical microcircuit: relating
structure and activity in a full-scale spiking network model", Cereb Cortex 24(3):785-806,
doi:10.1093/cercor/bhs358, with the parameters of NEST's PyNEST example (Potjans_2014/
network_params.py, network.py, helpers.py), at full scale.

Derived numbers, computed as NEST's example does:
- synapses per population pair: K = log(1 - p) / log(1 - 1 / (N_pre N_post)), rounded (the total
  whose multapse-allowing uniform placement gives each pair the connection probability p);
- PSC amplitude of a 0.15 mV PSP for iaf_psc_exp (C_m 250 pF, tau_m 10 ms, tau_syn 0.5 ms):
  1 / (pre (frac^tau_m - frac^tau_s)), sub = 1 / (tau_s - tau_m), pre = tau_m tau_s sub / C_m,
  frac = (tau_m / tau_s)^sub, giving 87.81 pA;
- DC variant: each neuron gets the mean current of its Poisson drive, bg_rate K_ext PSC tau_syn
  (NEST's dc_input_compensating_poisson), instead of the Poisson input.
- downscaled variants (options --n-scaling, --k-scaling; for tests and quick looks, as NEST's
  N_scaling and K_scaling): neuron numbers times n, synapse totals times n k (in-degrees times k),
  weights divided by sqrt(k), and the mean input the missing synapses carried at NEST's full-scale
  rates, (1 - sqrt(k)) tau_syn sum(PSC K rate), added as DC (NEST's
  adjust_weights_and_input_to_synapse_scaling): mean and variance of every neuron's input stay
  those of the full model.
Run: python3 examples/potjans_diesmann_2014.py (writes both full-scale files next to this script).
"""
import argparse
import math
import pathlib

POPS = ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]
SIZES = [20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948]
# p[target][source]
P = [[0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
     [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
     [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
     [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
     [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
     [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
     [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
     [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443]]
K_EXT = [1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100]
V0_MEAN = [-68.28, -63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43]
V0_SD = [5.36, 4.57, 4.74, 4.94, 4.94, 4.55, 5.46, 4.48]
# NEST's full-scale rates for this parameter set ('full_mean_rates' of the present example, run
# "without MPI, local_num_threads 4"), and those of the example of 2016 (NEST 2.x, V_m(0) ~
# N(-58, 10)); tests/python/microcircuit_rates.py compares against both. The downscaled variants'
# DC compensation uses the 2016 rates, as lamina's downscaled check was set up with them: with the
# present rates the 0.1 x 0.1 network's L2/3E falls to half its full-scale rate (downscaling keeps
# mean and variance of the input, not the network's state; van Albada et al. 2015).
FULL_MEAN_RATES = [0.903, 2.965, 4.414, 5.876, 7.569, 8.633, 1.105, 7.829]
FULL_MEAN_RATES_2016 = [0.971, 2.868, 4.746, 5.396, 8.142, 9.078, 0.991, 7.523]
C_M, TAU_M, TAU_SYN = 250.0, 10.0, 0.5
PSP_MEAN, G, BG_RATE = 0.15, -4.0, 8.0
DELAY_E, DELAY_I, DELAY_REL_SD, WEIGHT_REL_SD = 1.5, 0.75, 0.5, 0.1
DT = 0.1


def psc_per_psp(c_m, tau_m, tau_s):
    sub = 1.0 / (tau_s - tau_m)
    pre = tau_m * tau_s / c_m * sub
    frac = (tau_m / tau_s) ** sub
    return 1.0 / (pre * (frac ** tau_m - frac ** tau_s))


def synapse_count(p, n_pre, n_post):
    prod = float(n_pre) * float(n_post)
    return int(round(math.log(1.0 - p) / math.log((prod - 1.0) / prod)))


def weight_mean(w, source, target):
    exc = source % 2 == 0
    return w * (2.0 if (POPS[source], POPS[target]) == ("L4E", "L23E") else 1.0) * (1.0 if exc else G)


def scaling_dc(w, k_scaling, poisson):
    """pA per population: the mean input removed by scaling the in-degrees by k_scaling."""
    dc = []
    for t in range(8):
        rec = sum(weight_mean(w, s, t) * synapse_count(P[t][s], SIZES[s], SIZES[t]) / SIZES[t] * FULL_MEAN_RATES_2016[s]
                  for s in range(8))
        ext = w * K_EXT[t] * BG_RATE if poisson else 0.0
        dc.append(1e-3 * TAU_SYN * (1.0 - math.sqrt(k_scaling)) * (rec + ext))
    return dc


def write(path, dc, n_scaling=1.0, k_scaling=1.0):
    w_full = PSP_MEAN * psc_per_psp(C_M, TAU_M, TAU_SYN)
    w = w_full / math.sqrt(k_scaling)
    scaled = n_scaling != 1.0 or k_scaling != 1.0
    extra_dc = scaling_dc(w_full, k_scaling, not dc) if k_scaling != 1.0 else [0.0] * 8
    sizes = [max(1, round(n * n_scaling)) for n in SIZES]
    out = []
    add = out.append
    add("# Potjans & Diesmann (2014) cortical microcircuit, full scale: 77,169 neurons, 298,880,968")
    add("# synapses. Potjans TC, Diesmann M, \"The cell-type specific cortical microcircuit: relating")
    add("# structure and activity in a full-scale spiking network model\", Cereb Cortex 24(3):785-806")
    add("# (2014), doi:10.1093/cercor/bhs358. Parameters as in NEST's PyNEST example Potjans_2014")
    add("# (network_params.py); derived numbers in examples/potjans_diesmann_2014.py, which wrote this file.")
    add("# - lif_psc_exp (NEST iaf_psc_exp): C_m 250 pF, tau_m 10 ms, tau_syn 0.5 ms, t_ref 2 ms,")
    add("#   E_L = V_reset = -65 mV, V_th = -50 mV; V_m(0) ~ N(mean, sd) per population (\"optimized\").")
    add("# - fixed_total_number connectivity (multapses and autapses allowed), K = log(1-p)/log(1-1/(N_pre N_post)).")
    add(f"# - weights: 0.15 mV PSP = {w:.4f} pA, L4E->L23E doubled, inhibitory g = -4; relative sd 0.1,")
    add("#   redrawn to keep the sign. Delays: normal, E 1.5 ms, I 0.75 ms, sd 50 %, redrawn below dt")
    add("#   (and above mean + 8 sd, which lamina needs as a bound; that tail holds 6e-16 of the mass).")
    if dc:
        add("# - background: a DC current per neuron equal to the mean of the Poisson drive of the other")
        add("#   file (8 Hz x K_ext x PSC x tau_syn), the benchmark protocol NEST recommends.")
    else:
        add("# - background: K_ext Poisson inputs at 8 Hz per neuron as one train of 8 K_ext Hz, weight")
        add(f"#   {w:.4f} pA (NEST's delay of 1.5 ms does not change a stationary Poisson drive).")
    if scaled:
        add(f"# DOWNSCALED: neurons x {n_scaling}, in-degrees x {k_scaling}, weights / sqrt({k_scaling}), and a DC")
        add("#   compensating the mean input of the missing synapses (NEST's N_scaling/K_scaling).")
    add("# NEST's full-scale mean rates (Hz) for this parameter set: " + ", ".join(f"{p} {r}" for p, r in zip(POPS, FULL_MEAN_RATES))
        + ";")
    add("#   the 2016 example (NEST 2.x, V_m(0) ~ N(-58, 10)): " + ", ".join(f"{p} {r}" for p, r in zip(POPS, FULL_MEAN_RATES_2016))
        + ".")
    add("")
    add("[run]")
    add("duration = 1500.0   # ms" if not dc else "duration = 10000.0  # ms: NEST's benchmark protocol, >= 10 s")
    add(f"dt = {DT}")
    add("seed = 55")
    add("")
    for q, name in enumerate(POPS):
        add(f"[populations.{name}]")
        add("model = \"lif_psc_exp\"")
        add(f"size = {sizes[q]}")
        params = (f"C_m = {C_M}, tau_m = {TAU_M}, tau_syn_ex = {TAU_SYN}, tau_syn_in = {TAU_SYN}, t_ref = 2.0, "
                  f"E_L = -65.0, V_reset = -65.0, V_th = -50.0")
        i_e = (BG_RATE * K_EXT[q] * w_full * TAU_SYN * 1e-3 if dc else 0.0) + extra_dc[q]
        if i_e != 0.0:
            params += f", I_e = {i_e:.4f}"
        add(f"params = {{ {params} }}")
        add(f"initial = {{ V_m = {{ dist = \"normal\", mean = {V0_MEAN[q]}, sd = {V0_SD[q]} }} }}")
        add("")
    for t, tname in enumerate(POPS):
        for s, sname in enumerate(POPS):
            n = round(synapse_count(P[t][s], SIZES[s], SIZES[t]) * n_scaling * k_scaling)
            if n == 0:
                continue
            exc = s % 2 == 0
            mean = weight_mean(w, s, t)
            d = DELAY_E if exc else DELAY_I
            sd = abs(mean) * WEIGHT_REL_SD
            bound = "min = 0.0" if exc else "max = 0.0"
            add("[[projections]]")
            add(f"source = \"{sname}\"")
            add(f"target = \"{tname}\"")
            add("rule = \"fixed_total_number\"")
            add(f"total = {n}   # p = {P[t][s]}")
            add(f"weight = {{ dist = \"normal\", mean = {mean:.4f}, sd = {sd:.4f}, {bound} }}")
            add(f"delay = {{ dist = \"normal\", mean = {d}, sd = {d * DELAY_REL_SD}, min = {DT}, "
                f"max = {d * (1 + 8 * DELAY_REL_SD)} }}")
            add(f"port = \"{'excitatory' if exc else 'inhibitory'}\"")
            add("")
    if not dc:
        for q, name in enumerate(POPS):
            add("[[stimuli]]")
            add("type = \"poisson\"")
            add(f"target = \"{name}\"")
            k_ext = round(K_EXT[q] * k_scaling)
            add(f"rate = {BG_RATE * k_ext}   # 8 Hz x K_ext = {k_ext}")
            add(f"weight = {w:.4f}")
            add("port = \"excitatory\"")
            add("")
    for name in POPS:
        add("[[recorders]]")
        if dc:
            add("type = \"rate\"   # cheap; the run summary gives rates and ISI CVs")
            add(f"population = \"{name}\"")
            add("bin = 100.0")
        else:
            add("type = \"spikes\"")
            add(f"population = \"{name}\"")
        add("")
    path.write_text("\n".join(out).rstrip() + "\n")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n-scaling", type=float, default=1.0)
    ap.add_argument("--k-scaling", type=float, default=1.0)
    ap.add_argument("--dc", action="store_true", help="DC background instead of Poisson (with --out)")
    ap.add_argument("--out", help="write one file here instead of the two full-scale examples")
    a = ap.parse_args()
    if a.out:
        write(pathlib.Path(a.out), a.dc, a.n_scaling, a.k_scaling)
    else:
        here = pathlib.Path(__file__).resolve().parent
        write(here / "potjans_diesmann_2014.toml", dc=False)
        write(here / "potjans_diesmann_2014_dc.toml", dc=True)
