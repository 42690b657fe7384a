#!/usr/bin/python3
"""W3 Brunel (2000) model A, asynchronous irregular state, in Brian2.

Parameters exactly as in shared/docs/workloads.md W3 (and reference.md 2.1): NE = 10000, NI = 2500
delta-synapse LIF, taum = 20 ms, theta = 20 mV, V_r = 10 mV, tau_rp = 2 ms, rest 0 mV, all V(0) = 0;
fixed in-degree CE = 1000 excitatory and CI = 250 inhibitory sources per neuron, sampled uniformly
with replacement (autapses and multapses possible); J = 0.1 mV, inhibitory -g J with g = 5,
homogeneous delay D = 1.5 ms; external drive: an independent Poisson process per neuron of rate
eta * nu_thr * CE = 20 kHz (eta = 2, nu_thr = theta / (J CE taum) = 10 Hz), each event adds J,
implemented with PoissonInput (N = CE inputs at eta * nu_thr each: one Binomial(CE, nu_ext dt)
draw per neuron and step, i.e. Poisson(2) events per step up to a 0.2 % variance difference). Input arriving while a neuron is refractory is discarded: because v is declared
`(unless refractory)`, Brian2 guards every write to v from synapses and from PoissonInput with
`if(not_refractory)` (checked in the generated synapses_pre / poissoninput code of Brian2 2.5.1),
so no explicit factor is needed. method='exact', dt = 0.1 ms, cpp_standalone.
(Brian2's own Brunel_2000.py example differs in using pairwise Bernoulli connectivity.)

Expected (workloads.md): mean rate 37-38 Hz, E and I within ~1 %.
Run with /usr/bin/python3 (Debian python3-brian 2.5.1). Prints one JSON line (see common.py).
"""
import numpy as np
from brian2 import Hz, NeuronGroup, PoissonInput, SpikeMonitor, Synapses, mV, ms, run

import common

NE, NI = 10000, 2500
CE, CI = 1000, 250


def main():
    args = common.parse_args('W3', 1000.0, __doc__.splitlines()[0])
    common.setup_device(args)

    # Brian2 resolves the names used in the model strings from this function's locals at run().
    tau, theta, V_r, tau_rp = 20 * ms, 20 * mV, 10 * mV, 2 * ms
    J, g, eta, D = 0.1 * mV, 5.0, 2.0, 1.5 * ms
    nu_thr = theta / (J * CE * tau)          # 10 Hz
    nu_ext = eta * nu_thr                    # per external synapse; CE of them per neuron

    neurons = NeuronGroup(NE + NI, 'dv/dt = -v / tau : volt (unless refractory)',
                          threshold='v > theta', reset='v = V_r', refractory=tau_rp,
                          method='exact')
    neurons.v = 0 * mV
    # Writes to v are skipped while the target is refractory (v is `unless refractory`, see above).
    exc = Synapses(neurons[:NE], neurons, on_pre='v_post += J', delay=D)
    inh = Synapses(neurons[NE:], neurons, on_pre='v_post += -g * J', delay=D)
    # Fixed in-degree with replacement: for every target j, CE (CI) sources drawn uniformly.
    exc.connect(i=f'int(rand() * N_pre) for _k in range({CE})')
    inh.connect(i=f'int(rand() * N_pre) for _k in range({CI})')
    # Must stay referenced: run() collects the objects visible in this frame.
    drive = PoissonInput(neurons, 'v', N=CE, rate=nu_ext, weight=J)  # noqa: F841
    M = SpikeMonitor(neurons)

    run(args.duration * ms)
    timings = common.build_and_run(args)

    outdeg = (np.bincount(np.asarray(exc.i[:]), minlength=NE + NI)
              + np.bincount(np.asarray(inh.i[:]) + NE, minlength=NE + NI))
    common.report(args, timings, M.count[:], NE, NI, outdeg,
                  {'g': g, 'eta': eta, 'V_r_mV': 10.0, 'nu_ext_total_hz': float(nu_ext / Hz) * CE})
    common.cleanup(args)


if __name__ == '__main__':
    main()
