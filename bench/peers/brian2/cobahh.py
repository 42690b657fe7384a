#!/usr/bin/python3
"""COBAHH: Hodgkin-Huxley network with conductance synapses (Brette et al. 2007, benchmark 3) in Brian2.

The model of Brian2's examples/COBAHH.py, which is what examples/cobahh.toml runs in lamina:
4000 Traub-Miles HH neurons (3200 E, 800 I), area 20000 um^2, Cm 1 uF/cm^2, gl 5e-5 S/cm^2,
El -60 mV, EK -90 mV, ENa 50 mV, g_na 100 mS/cm^2, g_kd 30 mS/cm^2, VT -63 mV; exponential
conductances taue 5 ms, taui 10 ms, Ee 0 mV, Ei -80 mV; p = 0.02 (self-connections allowed),
we = 6 nS, wi = 67 nS; threshold
v > -20 mV with refractory 3 ms on the threshold only (no reset); v ~ El + N(-5, 5) mV,
ge ~ N(40, 15) nS, gi ~ N(200, 120) nS, gates start at 0; method='exponential_euler', dt 0.1 ms;
cpp_standalone.

Synaptic delay: Brian2's example has none, so a spike detected at the end of the integration of
step n already acts in step n + 1. lamina's shortest delay is one step: its input lands one step
after the spike stamp, i.e. it acts from step n + 2. --delay 0.1 (the default) gives the Brian2
synapses that delay, so both simulators run the same model; --delay 0 is Brian2's example as
published.

Run with /usr/bin/python3 (Debian python3-brian 2.5.1). Prints one JSON line (see common.py).
"""
import numpy as np
from brian2 import (NeuronGroup, SpikeMonitor, Synapses, cm, msiemens, ms, mV, nS, run, siemens,
                    ufarad, umetre)

import common

NE, NI = 3200, 800


def main():
    args = common.parse_args('COBAHH', 1000.0, __doc__.splitlines()[0],
                             extra=[('--delay', dict(type=float, default=0.1,
                                                     help='synaptic delay in ms (default 0.1, as lamina; '
                                                          '0: as the Brian2 example)'))])
    common.setup_device(args)

    # Brian2 resolves the names used in the model strings from this function's locals at run().
    area = 20000 * umetre ** 2
    Cm = (1 * ufarad * cm ** -2) * area
    gl = (5e-5 * siemens * cm ** -2) * area
    El, EK, ENa = -60 * mV, -90 * mV, 50 * mV
    g_na = (100 * msiemens * cm ** -2) * area
    g_kd = (30 * msiemens * cm ** -2) * area
    VT = -63 * mV
    taue, taui = 5 * ms, 10 * ms
    Ee, Ei = 0 * mV, -80 * mV
    we, wi = 6 * nS, 67 * nS
    eqs = '''
    dv/dt = (gl*(El-v) + ge*(Ee-v) + gi*(Ei-v) - g_na*(m*m*m)*h*(v-ENa) - g_kd*(n*n*n*n)*(v-EK))/Cm : volt
    dm/dt = alpha_m*(1-m) - beta_m*m : 1
    dn/dt = alpha_n*(1-n) - beta_n*n : 1
    dh/dt = alpha_h*(1-h) - beta_h*h : 1
    dge/dt = -ge*(1./taue) : siemens
    dgi/dt = -gi*(1./taui) : siemens
    alpha_m = 0.32*(mV**-1)*(13*mV-v+VT)/(exp((13*mV-v+VT)/(4*mV))-1.)/ms : Hz
    beta_m = 0.28*(mV**-1)*(v-VT-40*mV)/(exp((v-VT-40*mV)/(5*mV))-1)/ms : Hz
    alpha_h = 0.128*exp((17*mV-v+VT)/(18*mV))/ms : Hz
    beta_h = 4./(1+exp((40*mV-v+VT)/(5*mV)))/ms : Hz
    alpha_n = 0.032*(mV**-1)*(15*mV-v+VT)/(exp((15*mV-v+VT)/(5*mV))-1.)/ms : Hz
    beta_n = .5*exp((10*mV-v+VT)/(40*mV))/ms : Hz
    '''
    P = NeuronGroup(NE + NI, eqs, threshold='v > -20*mV', refractory=3 * ms,
                    method='exponential_euler')
    Ce = Synapses(P[:NE], P, on_pre='ge += we')
    Ci = Synapses(P[NE:], P, on_pre='gi += wi')
    Ce.connect(p=0.02)
    Ci.connect(p=0.02)
    if args.delay > 0:
        Ce.delay = args.delay * ms
        Ci.delay = args.delay * ms
    P.v = 'El + (randn()*5 - 5)*mV'
    P.ge = '(randn()*1.5 + 4)*10.*nS'
    P.gi = '(randn()*12 + 20)*10.*nS'
    M = SpikeMonitor(P)

    run(args.duration * ms)
    timings = common.build_and_run(args)

    outdeg = (np.bincount(np.asarray(Ce.i[:]), minlength=NE + NI)
              + np.bincount(np.asarray(Ci.i[:]) + NE, minlength=NE + NI))
    common.report(args, timings, M.count[:], NE, NI, outdeg, {'method': 'exponential_euler', 'delay_ms': args.delay})
    common.cleanup(args)


if __name__ == '__main__':
    main()
