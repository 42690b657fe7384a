"""Heterogeneous parameters and the noise current from Python: the same tables as model files."""
import os

import numpy as np
import pytest

import lamina


def test_per_neuron_arrays_distributions_and_expressions():
    net = lamina.Network(dt=0.1, seed=2, threads=1)
    # I_e per neuron: 200..400 pA into 250 pF, tau_m 10 ms: V_inf = I_e * 0.04 mV above E_L, the
    # threshold 15 mV above it; neurons below 375 pA never fire.
    ie = np.linspace(200.0, 400.0, 21)
    P = net.population("P", "lif_psc_delta", 21, params={"I_e": ie, "E_L": 0.0, "V_th": 15.0, "V_reset": 0.0})
    net.population("Q", "lif_psc_delta", 50, params={"V_th": lamina.normal(-50.0, 2.0)})
    net.population("E", "izhikevich", 80, variables={"r": lamina.uniform(0.0, 1.0)},
                   params={"c": "-65 + 15 * r^2", "d": "8 - 6 * r^2"})
    assert "c = \"-65 + 15 * r^2\"" in net.model_text and "variables = {" in net.model_text
    net.record_spikes(P)
    net.run(200.0)
    times, neurons = net.spikes(P)
    fired = set(int(i) for i in neurons)
    assert fired == {i for i in range(21) if ie[i] * 0.04 > 15.0}


def test_refusals_name_the_neuron_and_the_key():
    net = lamina.Network(dt=0.1, seed=1, threads=1)
    with pytest.raises(ValueError, match=r"params.tau_m.*neuron \d+ of 1000: must be > 0 ms"):
        net.population("P", "lif_psc_delta", 1000, params={"tau_m": lamina.normal(10.0, 8.0)})
    with pytest.raises(ValueError, match=r"unknown variable 'q'"):
        net.population("E", "izhikevich", 10, variables={"r": lamina.uniform(0.0, 1.0)}, params={"c": "q + 1"})
    with pytest.raises(ValueError, match=r"needs one value per neuron \(10\), got 3"):
        net.population("F", "izhikevich", 10, params={"c": [-65.0, -60.0, -55.0]})


def test_noise_current_and_its_live_control():
    net = lamina.Network(dt=0.1, seed=1, threads=1)
    P = net.population("P", "lif_psc_delta", 100, params={"E_L": 0.0, "V_th": 1e9, "V_reset": 0.0})
    s = net.noise(P, 200.0, mean=100.0, dt_noise=1.0)
    net.run(100.0)
    v = P.state("V_m").copy()
    assert abs(v.mean() - 4.0) < 1.0 and v.std() > 0.5  # R * mean = 0.04 * 100 mV
    s.set_noise(0.0, 0.0)
    net.run(10.0)
    assert np.allclose(P.state("V_m"), v * np.exp(-1.0))


def test_the_izhikevich_2003_example_loads_and_runs():
    source = os.environ.get("LAMINA_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
    net = lamina.load(os.path.join(source, "examples", "izhikevich_2003.toml"))
    assert set(net.stimuli) == {"thalamus_E", "thalamus_I"}
    net.run(200.0)
    assert net.populations["E"].statistics()["rate_hz"] > 1.0
