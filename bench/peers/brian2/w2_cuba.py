#!/usr/bin/python3
"""W2 CUBA: Vogels-Abbott current network (Brette et al. 2007, benchmark 2) in Brian2.

Parameters exactly as in shared/docs/workloads.md W2 (Brian2's CUBA example): 4000 LIF (3200 E,
800 I), absolute voltages, dv/dt = (ge + gi - (v - El)) / taum, taum = 20 ms, El = -49 mV,
ge, gi (mV) decaying with taue = 5 ms, taui = 10 ms; threshold -50 mV, reset -60 mV, refractory
5 ms (v clamped); p = 0.02 (self-connections allowed); we = +1.62 mV, wi = -9 mV, no extra delay
(spikes act from the next step, as in W1); v ~ U[-60, -50] mV, ge = gi = 0; method='exact';
dt = 0.1 ms; cpp_standalone.

Run with /usr/bin/python3 (Debian python3-brian 2.5.1). Prints one JSON line (see common.py).
"""
import numpy as np
from brian2 import NeuronGroup, SpikeMonitor, Synapses, mV, ms, run

import common

NE, NI = 3200, 800


def main():
    args = common.parse_args('W2', 1000.0, __doc__.splitlines()[0])
    common.setup_device(args)

    # Brian2 resolves the names used in the model strings from this function's locals at run().
    taum, taue, taui = 20 * ms, 5 * ms, 10 * ms
    Vt, Vr, El = -50 * mV, -60 * mV, -49 * mV
    we = (60 * 0.27 / 10) * mV   # 1.62 mV
    wi = (-20 * 4.5 / 10) * mV   # -9 mV
    eqs = '''
    dv/dt  = (ge + gi - (v - El)) / taum : volt (unless refractory)
    dge/dt = -ge / taue : volt
    dgi/dt = -gi / taui : volt
    '''
    P = NeuronGroup(NE + NI, eqs, threshold='v > Vt', reset='v = Vr', refractory=5 * ms,
                    method='exact')
    P.v = 'Vr + rand() * (Vt - Vr)'
    P.ge = 0 * mV
    P.gi = 0 * mV
    Ce = Synapses(P[:NE], P, on_pre='ge += we')
    Ci = Synapses(P[NE:], P, on_pre='gi += wi')
    Ce.connect(p=0.02)
    Ci.connect(p=0.02)
    M = SpikeMonitor(P)

    run(args.duration * ms)
    timings = common.build_and_run(args)

    outdeg = (np.bincount(np.asarray(Ce.i[:]), minlength=NE + NI)
              + np.bincount(np.asarray(Ci.i[:]) + NE, minlength=NE + NI))
    common.report(args, timings, M.count[:], NE, NI, outdeg, {'method': 'exact'})
    common.cleanup(args)


if __name__ == '__main__':
    main()
