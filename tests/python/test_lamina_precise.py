"""Precise spike times from Python (population(..., precise=True)): the same option as the model
files' `precise = true` (docs/engine.md, "Precise spike times")."""
import math

import numpy as np
import pytest

import lamina


def _driven(dt, precise):
    net = lamina.Network(dt=dt, seed=1, threads=1)
    # 500 pA into 250 pF with tau_m 10 ms: 20 mV above rest at steady state, threshold 15 mV above:
    # from rest the first spike is at 10 ln 4 ms, then one every t_ref + 10 ln 4 ms.
    P = net.population("P", "lif_psc_exp", 1, params={"I_e": 500.0}, precise=precise)
    net.record_spikes(P)
    net.run(50.0)
    return net.spikes(P)[0]


def test_precise_spikes_fall_on_the_analytic_times_for_any_dt():
    rise = 10.0 * math.log(4.0)
    expected = np.array([rise + k * (2.0 + rise) for k in range(3)])
    for dt in (0.1, 0.05, 0.2):
        times = np.asarray(_driven(dt, True))
        assert times.shape == expected.shape
        assert np.max(np.abs(times - expected)) < 1e-12
    grid = np.asarray(_driven(0.1, False))
    assert np.all(grid >= expected - 1e-9) and np.max(grid - expected) > 1e-3


def test_precise_is_refused_for_models_without_it():
    net = lamina.Network(dt=0.1, seed=1, threads=1)
    with pytest.raises(ValueError, match=r"precise.*lif_psc_exp and lif_psc_delta"):
        net.population("P", "lif_cond_exp", 2, precise=True)
        net.run(1.0)
