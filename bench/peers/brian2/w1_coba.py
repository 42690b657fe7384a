#!/usr/bin/python3
"""W1 COBA: Vogels-Abbott conductance network (Brette et al. 2007, benchmark 1) in Brian2.

Parameters exactly as in shared/docs/workloads.md W1 (voltages relative to rest, -60 mV):
4000 LIF (3200 E, 800 I), dv/dt = (-v + ge (Ee - v) + gi (Ei - v)) / taum, taum = 20 ms,
Ee = +60 mV, Ei = -20 mV; ge, gi in units of the leak conductance decaying with taue = 5 ms,
taui = 10 ms; threshold 10 mV, reset 0 mV, refractory 5 ms (v clamped, conductances keep decaying);
p = 0.02 with self-connections allowed; we = 0.6, wi = 6.7; no synaptic delay in Brian2, i.e. a
spike of step n is added in the 'synapses' slot of step n and first acts in the integration of step
n + 1 (the workload's "one step"); v ~ N(-5, 5) mV, ge ~ N(4, 1.5), gi ~ N(20, 12);
method='euler' as in Brian2's COBA example; dt = 0.1 ms; cpp_standalone.

Run with /usr/bin/python3 (Debian python3-brian 2.5.1). Prints one JSON line (see common.py).
"""
import numpy as np
from brian2 import NeuronGroup, SpikeMonitor, Synapses, mV, ms, run

import common

NE, NI = 3200, 800


def main():
    args = common.parse_args('W1', 1000.0, __doc__.splitlines()[0])
    common.setup_device(args)

    # Brian2 resolves the names used in the model strings from this function's locals at run().
    taum, taue, taui = 20 * ms, 5 * ms, 10 * ms
    Ee, Ei = 60 * mV, -20 * mV
    Vt, Vr = 10 * mV, 0 * mV
    we, wi = 0.6, 6.7
    eqs = '''
    dv/dt  = (-v + ge*(Ee - v) + gi*(Ei - v)) / taum : volt (unless refractory)
    dge/dt = -ge / taue : 1
    dgi/dt = -gi / taui : 1
    '''
    P = NeuronGroup(NE + NI, eqs, threshold='v > Vt', reset='v = Vr', refractory=5 * ms,
                    method='euler')
    P.v = '-5*mV + 5*mV*randn()'
    P.ge = '4 + 1.5*randn()'
    P.gi = '20 + 12*randn()'
    Ce = Synapses(P[:NE], P, on_pre='ge += we')
    Ci = Synapses(P[NE:], P, on_pre='gi += wi')
    Ce.connect(p=0.02)
    Ci.connect(p=0.02)
    M = SpikeMonitor(P)

    run(args.duration * ms)
    timings = common.build_and_run(args)

    outdeg = (np.bincount(np.asarray(Ce.i[:]), minlength=NE + NI)
              + np.bincount(np.asarray(Ci.i[:]) + NE, minlength=NE + NI))
    common.report(args, timings, M.count[:], NE, NI, outdeg, {'method': 'euler'})
    common.cleanup(args)


if __name__ == '__main__':
    main()
