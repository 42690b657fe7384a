"""Poisson inputs with a time series, a sinusoid or a rate per neuron, from Python: the description
written for them, the input each neuron receives, and refusals."""
import numpy as np
import pytest

import lamina

# A membrane that only counts input: V_m is the number of input spikes times the weight.
COUNTER = {"tau_m": 1e9, "E_L": 0.0, "V_reset": 0.0, "V_th": 1e12, "t_ref": 0.0}


def counter(n=200, threads=1):
    net = lamina.Network(dt=0.1, seed=4, threads=threads)
    P = net.population("P", "lif_psc_delta", n, params=COUNTER, initial={"V_m": 0.0})
    return net, P


def within(got, mean):
    return abs(got - mean) < 5.0 * np.sqrt(mean) + 1e-9


def test_inhomogeneous_poisson_follows_its_time_series():
    net, P = counter()
    net.inhomogeneous_poisson(P, times=[10.0, 50.0], rates=[0.0, 2000.0], weight=1.0, name="series")
    assert 'type = "inhomogeneous_poisson"' in net.description
    net.run(50.0)
    assert P.state("V_m").sum() == 0.0
    net.run(50.0)
    assert within(P.state("V_m").sum(), 200 * 2000.0 * 0.05)


def test_sinusoidal_poisson_integrates_the_sinusoid():
    net, P = counter()
    net.sinusoidal_poisson(P, rate=1000.0, amplitude=1000.0, frequency=10.0, phase=0.0, weight=1.0)
    net.run(50.0)  # half a period from phase 0: 1000*0.05 + 1000/(2 pi 10) * (1 - cos(pi)) per neuron
    assert within(P.state("V_m").sum(), 200 * (50.0 + 1000.0 / (2 * np.pi * 10.0) * 2.0))


def test_per_neuron_rates_as_array_and_distribution():
    net, P = counter()
    rates = np.where(np.arange(200) < 100, 0.0, 3000.0)
    net.poisson(P, rate=rates, weight=1.0)
    net.poisson(P, rate={"dist": "uniform", "low": 0.0, "high": 1.0}, weight=0.0, name="tiny")
    net.run(100.0)
    v = P.state("V_m")
    assert v[:100].sum() == 0.0
    assert within(v[100:].sum(), 100 * 300.0)


def test_per_neuron_rates_added_after_the_first_run():
    net, P = counter()
    net.run(10.0)
    net.poisson(P, rate=np.full(200, 1000.0), weight=1.0, name="late")
    net.run(100.0)
    assert within(P.state("V_m").sum(), 200 * 100.0)
    with pytest.raises(ValueError, match="distribution can be given only before"):
        net.poisson(P, rate={"dist": "uniform", "low": 0.0, "high": 1.0}, weight=1.0, name="later")


def test_refusals_name_the_key():
    net, P = counter()
    with pytest.raises(ValueError, match=r"rate_values.*-5 Hz"):
        net.inhomogeneous_poisson(P, times=[0.0, 1.0], rates=[1.0, -5.0], weight=1.0)
    with pytest.raises(ValueError, match=r"amplitude.*amplitude <= rate"):
        net.sinusoidal_poisson(P, rate=5.0, amplitude=10.0, frequency=3.0, weight=1.0)


def test_the_same_input_on_one_and_two_threads():
    out = []
    for threads in (1, 2):
        net, P = counter(threads=threads)
        net.sinusoidal_poisson(P, rate=700.0, amplitude=200.0, frequency=30.0, weight=1.0)
        net.poisson(P, rate={"dist": "lognormal", "mu": 3.0, "sigma": 1.0}, weight=0.5)
        net.run(40.0)
        out.append(P.state("V_m").copy())
    assert np.array_equal(out[0], out[1])


def test_distance_dependent_projection_from_python():
    net = lamina.Network(dt=0.1, seed=2, threads=1)
    torus = {"extent": [1.0, 1.0], "periodic": True}
    E = net.population("E", "lif_psc_delta", 100, positions={"layout": "grid", "shape": [10, 10], **torus})
    I = net.population("I", "lif_psc_delta", 50, positions={"layout": "random", **torus})
    net.connect(E, I, "distance_dependent", p0=1.0, kernel="constant", mask_radius=0.2, velocity=0.1,
                weight=0.1, delay=0.2)
    x, y = E.positions()
    assert x.size == 100 and x.min() == pytest.approx(-0.45) and y.max() == pytest.approx(0.45)
    xi, yi = I.positions()
    assert np.all(np.abs(xi) <= 0.5) and np.all(np.abs(yi) <= 0.5)
    w = net.projections[0].weights
    # Each I neuron connects to every E neuron within 0.2 on the torus.
    expected = 0
    for j in range(50):
        dx = np.abs(x - xi[j]); dx = np.minimum(dx, 1.0 - dx)
        dy = np.abs(y - yi[j]); dy = np.minimum(dy, 1.0 - dy)
        expected += int(np.sum(np.hypot(dx, dy) <= 0.2))
    assert w.size == expected
