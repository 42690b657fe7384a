#!/usr/bin/env python3
"""A closed loop: the network's response decides its next stimulus. Every 50 ms a proportional-
integral controller reads the excitatory population's rate from the spikes recorded since the last
look and sets the Poisson drive for the next window, holding the rate at a target that changes
half way. Prints the rate and the drive per window.

    python3 examples/python/closed_loop.py [--windows 40] [--target 8] [--threads 1]
"""
import argparse

import numpy as np

import lamina

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--windows", type=int, default=40)
parser.add_argument("--window", type=float, default=50.0, help="ms between two looks")
parser.add_argument("--target", type=float, default=8.0, help="target rate (Hz); doubled half way")
parser.add_argument("--threads", type=int, default=1)
args = parser.parse_args()

lif = {"tau_m": 20.0, "E_L": 0.0, "V_th": 20.0, "V_reset": 10.0, "t_ref": 2.0}
net = lamina.Network(dt=0.1, seed=7, threads=args.threads)
E = net.population("E", "lif_psc_delta", 800, params=lif, initial={"V_m": lamina.uniform(0.0, 20.0)})
I = net.population("I", "lif_psc_delta", 200, params=lif, initial={"V_m": lamina.uniform(0.0, 20.0)})
for target in (E, I):
    net.connect(E, target, "fixed_indegree", indegree=80, weight=0.1, delay=1.5)
    net.connect(I, target, "fixed_indegree", indegree=20, weight=-0.5, delay=1.5, port="inhibitory")
drive = net.poisson(E, rate=12000.0, weight=0.1, name="drive")
net.poisson(I, rate=15000.0, weight=0.1)
spikes = net.record_spikes(E)

# Open loop this network is steep: 10, 12 and 14 kHz of drive give about 0, 6 and 42 Hz, and near
# 16 Hz about 40 Hz of rate per kHz. The gains keep the loop gain below 1 per window there (kp = 30
# made the rate swing between 9 and 21 Hz every other window).
base, integral = 12000.0, 0.0
rate_in = base
kp, ki = 10.0, 8.0  # Hz of drive per Hz of error, and per Hz of error summed over windows
errors = []
print(" time (ms)   target (Hz)   rate (Hz)   drive (Hz)")
for k in range(args.windows):
    target = args.target if k < args.windows // 2 else 2 * args.target
    drive.set_rate(rate_in)
    net.run(args.window)
    times, _ = spikes.take()
    rate = times.size / E.size / (args.window / 1000.0)
    error = target - rate
    integral += error
    rate_in = float(np.clip(base + kp * error + ki * integral, 0.0, 50000.0))
    errors.append(abs(error))
    print(f"{net.time:10.0f}   {target:11.1f}   {rate:9.2f}   {rate_in:10.0f}")
half = args.windows // 2
print(f"mean |error| over the last 5 windows of each half: "
      f"{np.mean(errors[half - 5:half]):.2f} Hz and {np.mean(errors[-5:]):.2f} Hz")
