"""State variables as zero-copy numpy views, set from numpy arrays."""
import gc

import numpy as np
import pytest

import lamina
from networks import LIF, brunel


def silent(n=10):
    net = lamina.Network(dt=0.1, seed=1, threads=1)
    E = net.population("E", "lif_psc_delta", n, params=LIF)
    net.record_spikes(E)
    return net, E


def test_a_state_view_is_the_engines_array():
    net = brunel()
    net.run(20.0)
    v = net.populations["E"].state("V_m")
    assert v.dtype == np.float64 and v.shape == (400,) and v.flags.writeable
    again = net.populations["E"].state("V_m")
    assert again.ctypes.data == v.ctypes.data  # the same memory, not a copy
    before = v.copy()
    net.run(5.0)
    assert not np.array_equal(v, before)  # the view follows the run without being fetched again
    assert np.array_equal(v, net.populations["E"].state("V_m"))


def test_writing_into_the_view_changes_the_network():
    net, E = silent()
    v = E.state("V_m")
    assert np.all(v == 0.0)  # E_L, the default initial value
    v[3] = 25.0  # above V_th = 20 mV: neuron 3 fires in the first step
    net.run(5.0)
    times, neurons = net.spikes(E)
    assert list(neurons) == [3] and list(times) == [pytest.approx(0.1)]


def test_a_view_keeps_its_network_alive():
    net, E = silent()
    net.run(1.0)
    v = E.state("V_m")
    v[:] = np.arange(10.0)
    del net, E
    gc.collect()
    assert list(v) == list(np.arange(10.0))
    v[0] = 1.5  # still the engine's memory, still writable
    assert v[0] == 1.5


def test_states_are_set_from_numpy_arrays():
    net, E = silent()
    E.set_state("V_m", np.linspace(0.0, 9.0, 10))
    assert np.array_equal(E.state("V_m"), np.linspace(0.0, 9.0, 10))
    E.set_state("V_m", np.array([19.5, 18.5]), neurons=np.array([2, 4]))
    E.set_state("V_m", 7.0, neurons=[9])
    assert list(E.state("V_m")) == [0.0, 1.0, 19.5, 3.0, 18.5, 5.0, 6.0, 7.0, 8.0, 7.0]
    with pytest.raises(ValueError, match="V_n|unknown|did you mean"):
        E.set_state("V_n", 1.0)


def test_parameters_are_set_between_runs_and_refused_like_at_build():
    net, E = silent()
    net.run(10.0)
    assert net.spikes(E).times.size == 0
    E.set_parameter("I_e", np.float64(300.0))  # 300 pA into 250 pF over 20 ms: V_inf = 24 mV > V_th
    assert E.parameter("I_e") == 300.0
    net.run(50.0)
    times = net.spikes(E).times
    assert times.size > 0 and times.min() > 10.0
    with pytest.raises(ValueError, match=r"population 'E': parameter 'tau_m'"):
        E.set_parameter("tau_m", -5.0)
    assert E.parameter("tau_m") == 20.0  # the refused value left the old one
