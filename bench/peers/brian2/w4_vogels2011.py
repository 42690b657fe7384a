#!/usr/bin/python3
"""W4 / W4L: Vogels, Sprekeler et al. (2011) inhibitory-plasticity network in Brian2.

Parameters exactly as in shared/docs/workloads.md W4 (Auryn's sim_isp_orig in absolute units):
8000 E + 2000 I conductance LIF, C_m = 200 pF, g_L = 10 nS, E_L = reset = -60 mV, threshold -50 mV,
refractory 5 ms, E_exc = 0 mV, E_inh = -80 mV, exponential conductances tau_e = 5 ms, tau_i = 10 ms,
a constant 200 pA into every neuron, v ~ N(-60, 5) mV, conductances 0. Pairwise p = 0.02 (autapses
allowed); static E->E and E->I 3 nS, I->I 30 nS; plastic I->E starting at 30 nS, bounds [0, 300] nS,
symmetric iSTDP with traces (tau_stdp 20 ms, +1 per spike): pre spike w += eta (x_post - alpha),
post spike w += eta x_pre, alpha = 2 rho0 tau_stdp = 0.12 (rho0 = 3 Hz). eta = 0.01 nS per unit of
trace (W4) or 10 nS (W4L, --eta 10). As for W1, the workload's one-step delay is Brian2's on_pre
without delay (a spike of step n first acts in the integration of step n + 1). method='euler'.

Run with /usr/bin/python3 (Debian python3-brian 2.5.1). Prints one JSON line (see common.py) with,
in addition, the excitatory rate of the last second and of the last 10 s.
"""
import numpy as np
from brian2 import NeuronGroup, SpikeMonitor, Synapses, mV, ms, nS, pA, pF, run

import common

NE, NI = 8000, 2000


def main():
    import argparse
    import sys
    # --eta is specific to this script; common.parse_args handles the rest.
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument('--eta', type=float, default=0.01, help='learning rate in nS (W4 0.01, W4L 10)')
    known, rest = pre.parse_known_args()
    sys.argv = [sys.argv[0]] + rest
    args = common.parse_args('W4' if known.eta == 0.01 else 'W4L', 10000.0, __doc__.splitlines()[0])
    common.setup_device(args)

    C, gL, EL, Vth, Vr = 200 * pF, 10 * nS, -60 * mV, -50 * mV, -60 * mV
    Ee, Ei, taue, taui, Ib = 0 * mV, -80 * mV, 5 * ms, 10 * ms, 200 * pA
    tau_stdp, alpha, eta, gmax = 20 * ms, 0.12, known.eta, 300.0
    eqs = '''
    dv/dt = (gL*(EL - v) + ge*(Ee - v) + gi*(Ei - v) + Ib) / C : volt (unless refractory)
    dge/dt = -ge / taue : siemens
    dgi/dt = -gi / taui : siemens
    '''
    P = NeuronGroup(NE + NI, eqs, threshold='v > Vth', reset='v = Vr', refractory=5 * ms, method='euler')
    P.v = '-60*mV + 5*mV*randn()'
    Pe, Pi = P[:NE], P[NE:]
    See = Synapses(Pe, P, on_pre='ge += 3*nS')
    See.connect(p=0.02)
    Sii = Synapses(Pi, Pi, on_pre='gi += 30*nS')
    Sii.connect(p=0.02)
    Sie = Synapses(Pi, Pe, model='''w : 1
                   dxpre/dt = -xpre / tau_stdp : 1 (event-driven)
                   dxpost/dt = -xpost / tau_stdp : 1 (event-driven)''',
                   on_pre='''xpre += 1.
                   w = clip(w + (xpost - alpha) * eta, 0, gmax)
                   gi += w * nS''',
                   on_post='''xpost += 1.
                   w = clip(w + xpre * eta, 0, gmax)''')
    Sie.connect(p=0.02)
    Sie.w = 30.0
    M = SpikeMonitor(P)

    run(args.duration * ms)
    timings = common.build_and_run(args)

    t = np.asarray(M.t / ms)
    i = np.asarray(M.i[:])
    T = args.duration
    exc = i < NE
    last1 = float(np.sum(exc & (t > T - 1000.0)) / NE)
    last10 = float(np.sum(exc & (t > max(0.0, T - 10000.0))) / (NE * min(10.0, T / 1000.0)))
    outdeg = (np.bincount(np.asarray(See.i[:]), minlength=NE + NI)
              + np.bincount(np.asarray(Sii.i[:]) + NE, minlength=NE + NI)
              + np.bincount(np.asarray(Sie.i[:]) + NE, minlength=NE + NI))
    common.report(args, timings, M.count[:], NE, NI, outdeg,
                  {'method': 'euler', 'eta_nS': eta, 'rate_E_last_1s_hz': last1, 'rate_E_last_10s_hz': last10,
                   'mean_w_ie_nS': float(np.mean(Sie.w[:]))})
    common.cleanup(args)


if __name__ == '__main__':
    main()
