#!/usr/bin/python3
"""One COBAHH cell (Brian2's examples/COBAHH.py equations) under DC, as the reference for lamina's
hh_traub_miles with order = 1, substeps = 1 (the same exponential-Euler scheme).

Three neurons with I = 0, 200 and 1000 pA, v(0) = -65 mV, gates 0, threshold v > -20 mV,
refractory 3 ms, method 'exponential_euler', dt 0.1 ms, 500 ms, runtime numpy target (no
compilation). Prints one JSON object: the spike times (ms) of each neuron, keyed "0", "1", "2".
Brian2 stamps a spike at the start of the step in which it is detected; lamina at the end, so
lamina's times are these plus 0.1 ms (tests/models/test_hh_traub_miles.cpp holds them).

Run with /usr/bin/python3 (Debian python3-brian 2.5.1).
"""
import json

import numpy as np
from brian2 import (NeuronGroup, SpikeMonitor, cm, defaultclock, ms, msiemens, mV, pA, prefs, run,
                    siemens, ufarad, umetre)


def main():
    prefs.codegen.target = 'numpy'
    defaultclock.dt = 0.1 * ms
    area = 20000 * umetre ** 2
    Cm = (1 * ufarad * cm ** -2) * area
    gl = (5e-5 * siemens * cm ** -2) * area
    El, EK, ENa = -60 * mV, -90 * mV, 50 * mV
    g_na = (100 * msiemens * cm ** -2) * area
    g_kd = (30 * msiemens * cm ** -2) * area
    VT = -63 * mV
    eqs = '''
    dv/dt = (gl*(El-v) - g_na*(m*m*m)*h*(v-ENa) - g_kd*(n*n*n*n)*(v-EK) + I)/Cm : volt
    dm/dt = alpha_m*(1-m) - beta_m*m : 1
    dn/dt = alpha_n*(1-n) - beta_n*n : 1
    dh/dt = alpha_h*(1-h) - beta_h*h : 1
    alpha_m = 0.32*(mV**-1)*(13*mV-v+VT)/(exp((13*mV-v+VT)/(4*mV))-1.)/ms : Hz
    beta_m = 0.28*(mV**-1)*(v-VT-40*mV)/(exp((v-VT-40*mV)/(5*mV))-1)/ms : Hz
    alpha_h = 0.128*exp((17*mV-v+VT)/(18*mV))/ms : Hz
    beta_h = 4./(1+exp((40*mV-v+VT)/(5*mV)))/ms : Hz
    alpha_n = 0.032*(mV**-1)*(15*mV-v+VT)/(exp((15*mV-v+VT)/(5*mV))-1.)/ms : Hz
    beta_n = .5*exp((10*mV-v+VT)/(40*mV))/ms : Hz
    I : amp
    '''
    P = NeuronGroup(3, eqs, threshold='v > -20*mV', refractory=3 * ms, method='exponential_euler')
    P.v = -65 * mV
    P.I = [0, 200, 1000] * pA
    M = SpikeMonitor(P)
    run(500 * ms)
    trains = M.spike_trains()
    print(json.dumps({str(i): [round(float(t), 6) for t in np.asarray(trains[i] / ms)] for i in range(3)}))


if __name__ == '__main__':
    main()
