#!/usr/bin/env python3
"""Checkpoint and resume: a plastic network (pair STDP on E->E) runs for a while, is saved,
restored into a new network (on another thread count) and continued. The spikes and weights after
the checkpoint are compared with one uninterrupted run; exit status 1 if they differ in any bit.

    python3 examples/python/checkpoint_resume.py [--checkpoint run.ckpt.h5] [--before 300] [--after 300]
"""
import argparse
import os
import sys
import tempfile

import numpy as np

import lamina

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--checkpoint", default=os.path.join(tempfile.gettempdir(), "lamina_checkpoint_resume.h5"))
parser.add_argument("--before", type=float, default=300.0, help="ms before the checkpoint")
parser.add_argument("--after", type=float, default=300.0, help="ms after it")
args = parser.parse_args()


def build():
    lif = {"tau_m": 20.0, "E_L": 0.0, "V_th": 20.0, "V_reset": 10.0, "t_ref": 2.0}
    net = lamina.Network(dt=0.1, seed=11, threads=1)
    E = net.population("E", "lif_psc_delta", 800, params=lif, initial={"V_m": lamina.uniform(0.0, 20.0)})
    I = net.population("I", "lif_psc_delta", 200, params=lif, initial={"V_m": lamina.uniform(0.0, 20.0)})
    net.connect(E, E, "fixed_indegree", indegree=80, weight=0.1, delay=1.5, name="EE",
                plasticity={"rule": "stdp_pair", "lambda": 0.01, "W_max": 0.3})
    net.connect(E, I, "fixed_indegree", indegree=80, weight=0.1, delay=1.5)
    net.connect(I, E, "fixed_indegree", indegree=20, weight=-0.5, delay=1.5, port="inhibitory")
    net.connect(I, I, "fixed_indegree", indegree=20, weight=-0.5, delay=1.5, port="inhibitory")
    net.poisson(E, rate=20000.0, weight=0.1)
    net.poisson(I, rate=20000.0, weight=0.1)
    net.record_spikes(E)
    return net


def after(net, t0):
    times, neurons = net.spikes("E")
    keep = times > t0
    return times[keep], neurons[keep]


uninterrupted = build()
uninterrupted.run(args.before + args.after)

first = build()
first.run(args.before)
first.save(args.checkpoint)
header = lamina.read_checkpoint_header(args.checkpoint)
print(f"saved {args.checkpoint} at {header['time']:.1f} ms ({os.path.getsize(args.checkpoint) / 1e6:.2f} MB)")
del first

resumed = lamina.restore(args.checkpoint, threads=2)
resumed.run(args.after)
print(f"restored on {resumed.threads} threads and continued to {resumed.time:.1f} ms")

a, b = after(uninterrupted, args.before), after(resumed, args.before)
same_spikes = np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
w_a, w_b = uninterrupted.projection("EE").weights, resumed.projection("EE").weights
same_weights = np.array_equal(w_a, w_b)
print(f"spikes after the checkpoint: {a[0].size} uninterrupted, {b[0].size} resumed, identical: {same_spikes}")
print(f"E->E weights (mean {w_a.mean():.5f} mV, changed by STDP from 0.1): identical: {same_weights}")
sys.exit(0 if same_spikes and same_weights else 1)
