#!/usr/bin/env python3
"""A Brunel (2000) network built in Python: excitatory and inhibitory LIF populations with delays,
driven by Poisson input, with the parameters of NEST's brunel_delta example (g = 5,
nu_ext = 2 nu_thr: irregular firing, ISI CV about 0.5, with fast population oscillations).
Writes a raster of 50 neurons per population and the population rates as a PNG.

    python3 examples/python/brunel.py [--scale 0.2] [--duration 1000] [--threads 1] [--out brunel.png]
"""
import argparse
import time

import matplotlib

matplotlib.use("Agg")  # files only, no display needed
import matplotlib.pyplot as plt
import numpy as np

import lamina

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--scale", type=float, default=0.25, help="fraction of Brunel's 10000 + 2500 neurons")
parser.add_argument("--duration", type=float, default=1000.0, help="model time, ms")
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("--out", default="brunel.png")
args = parser.parse_args()

# Brunel 2000, model A: J = 0.1 mV, g = 5, C_E = 1000, C_I = 250, D = 1.5 ms, theta = 20 mV. The
# in-degrees stay Brunel's when the populations shrink, so every neuron sees the input statistics
# of the full network (at scale 1 this is examples/w3_brunel.toml).
n_e = int(10000 * args.scale)
n_i = n_e // 4
c_e, c_i = min(1000, n_e), min(250, n_i)
J, g, delay = 0.1, 5.0, 1.5
lif = {"tau_m": 20.0, "C_m": 250.0, "E_L": 0.0, "V_th": 20.0, "V_reset": 10.0, "t_ref": 2.0}
nu_thr = lif["V_th"] / (J * c_e * lif["tau_m"]) * 1000.0  # Hz per external input
rate_ext = 2.0 * nu_thr * c_e                              # summed over the C_E external inputs

net = lamina.Network(dt=0.1, seed=args.seed, threads=args.threads)
E = net.population("E", "lif_psc_delta", n_e, params=lif, initial={"V_m": lamina.uniform(0.0, 20.0)})
I = net.population("I", "lif_psc_delta", n_i, params=lif, initial={"V_m": lamina.uniform(0.0, 20.0)})
for target in (E, I):
    net.connect(E, target, "fixed_indegree", indegree=c_e, weight=J, delay=delay)
    net.connect(I, target, "fixed_indegree", indegree=c_i, weight=-g * J, delay=delay, port="inhibitory")
    net.poisson(target, rate=rate_ext, weight=J)
raster = {p.name: net.record_spikes(p, neurons=np.arange(50)) for p in (E, I)}
rates = {p.name: net.record_rate(p, bin=5.0) for p in (E, I)}

start = time.perf_counter()
net.run(args.duration)
wall = time.perf_counter() - start
stats = net.statistics()
print(f"{stats['neurons']} neurons, {stats['synapses']} synapses, {args.duration:.0f} ms in {wall:.2f} s")
for p in (E, I):
    s = p.statistics()
    print(f"  {p.name}: {s['rate_hz']:.1f} Hz, ISI CV {s['mean_cv_isi']:.2f}")

fig, (ax_r, ax_rate) = plt.subplots(2, 1, figsize=(8, 6), sharex=True, height_ratios=[2, 1])
for offset, (name, colour) in enumerate((("E", "tab:blue"), ("I", "tab:red"))):
    times, neurons = raster[name].data()
    ax_r.plot(times, neurons + 50 * offset, ".", ms=2, color=colour, label=name)
    r = rates[name].data()
    ax_rate.plot(r.bin_start + r.bin / 2, r.rate, color=colour, label=name)
ax_r.set_ylabel("neuron (50 E, 50 I)")
ax_r.legend(loc="upper right")
ax_rate.set_xlabel("time (ms)")
ax_rate.set_ylabel("rate (Hz)")
fig.suptitle(f"Brunel network, {n_e} E + {n_i} I, g = {g}, nu_ext = 2 nu_thr")
fig.tight_layout()
fig.savefig(args.out, dpi=120)
print(f"wrote {args.out}")
