"""Live control between runs: stimuli, weights, plasticity, spikes taken, runs in pieces."""
import numpy as np
import pytest

import lamina
from networks import LIF, brunel


def spikes_of(net, pop):
    s = net.spikes(pop)
    return s.times, s.neurons


def test_runs_in_pieces_give_the_spikes_of_one_run():
    whole = brunel()
    whole.run(120.0)
    pieces = brunel()
    for ms in (0.1, 29.9, 45.0, 45.0):
        pieces.run(ms)
    for pop in ("E", "I"):
        a, b = spikes_of(whole, pop), spikes_of(pieces, pop)
        assert a[0].size > 100
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def pair(weight, plasticity=None):
    """A fires regularly (a dc current); B receives A's spikes one to one after 1 ms."""
    net = lamina.Network(dt=0.1, seed=1, threads=1)
    A = net.population("A", "lif_psc_delta", 1, params=LIF)
    B = net.population("B", "lif_psc_delta", 1, params=LIF)
    p = net.connect(A, B, "one_to_one", weight=weight, delay=1.0, plasticity=plasticity)
    net.dc(A, 300.0, name="drive")  # V_inf = 300 pA * 20 ms / 250 pF = 24 mV > V_th = 20 mV
    net.record_spikes(A)
    net.record_spikes(B)
    return net, p


def test_a_poisson_rate_set_to_zero_silences_the_drive():
    net = brunel()
    net.run(100.0)
    assert net.spikes("E").times.size > 0
    for name in ("drive_E", "drive_I"):
        net.stimuli[name].set_rate(0.0)
    net.run(100.0)
    t = net.spikes("E").times
    assert t[t > 150.0].size == 0  # without drive the inhibition-dominated network falls silent


def test_a_dc_amplitude_changes_between_runs():
    net, _ = pair(0.0)
    net.run(100.0)
    n0 = net.spikes("A").times.size
    assert n0 > 0
    net.stimuli["drive"].set_amplitude(0.0)
    net.run(100.0)
    t = net.spikes("A").times
    assert t[t > 100.0].size == 0
    net.stimuli["drive"].set_amplitude(300.0)
    net.run(100.0)
    t = net.spikes("A").times
    assert t[t > 200.0].size == n0  # the same regular firing as at the start


def test_injected_spikes_arrive_after_their_delay():
    net = lamina.Network(dt=0.1, seed=1, threads=1)
    B = net.population("B", "lif_psc_delta", 2, params=LIF)
    g = net.spike_generator(B, times=[2.0], weight=25.0, delay=1.0, neurons=[1])
    net.record_spikes(B)
    net.run(10.0)
    g.inject([15.0, 22.5])
    net.run(20.0)
    times, neurons = net.spikes(B)
    np.testing.assert_allclose(times, [3.0, 16.0, 23.5])
    assert list(neurons) == [1, 1, 1]


def test_neuron_currents_drive_each_neuron_and_change_between_runs():
    net = lamina.Network(dt=0.1, seed=1, threads=1)
    E = net.population("E", "lif_psc_delta", 4, params=LIF)
    code = net.neuron_currents(E, [0.0, 300.0, 0.0, 600.0])
    net.record_spikes(E)
    net.run(100.0)
    _, n = net.spikes(E)
    assert set(n) == {1, 3} and np.sum(n == 3) > np.sum(n == 1)
    code.set_amplitudes([300.0, 0.0, 0.0, 0.0])
    net.run(100.0)
    t, n = net.spikes(E)
    assert set(n[t > 110.0]) == {0}


def test_weights_written_between_runs_are_transmitted():
    net, p = pair(0.0)
    net.run(100.0)
    assert net.spikes("B").times.size == 0
    p.weights = np.array([25.0])
    assert list(p.weights) == [25.0]
    net.run(100.0)
    ta, tb = net.spikes("A").times, net.spikes("B").times
    np.testing.assert_allclose(tb, ta[ta > 100.0 - 1.0 + 1e-9] + 1.0)
    with pytest.raises(ValueError):
        p.weights = np.array([1.0, 2.0])  # one weight per synapse


def test_plasticity_switched_off_keeps_the_weights():
    net, p = pair(25.0, plasticity={"rule": "stdp_pair", "W_max": 50.0, "lambda": 0.01})
    net.run(100.0)
    w1 = p.weights.copy()
    assert w1[0] != 25.0  # causal pairs potentiated it
    p.plasticity_enabled = False
    assert p.plasticity_enabled is False
    net.run(100.0)
    assert np.array_equal(p.weights, w1)
    p.plasticity_enabled = True
    net.run(100.0)
    assert p.weights[0] != w1[0]


def test_dopamine_turns_eligibility_into_weight_change():
    rule = {"rule": "reward_stdp", "baseline": 0.0, "W_max": 50.0}
    unrewarded, p0 = pair(25.0, rule)
    rewarded, p1 = pair(25.0, rule)
    for net in (unrewarded, rewarded):
        net.run(200.0)
    p1.modulate(0.05)
    for net in (unrewarded, rewarded):
        net.run(200.0)
    assert p0.weights[0] == 25.0  # eligibility without dopamine changes nothing
    assert p1.weights[0] > 25.0   # causal pairs and a reward: potentiation


def test_taken_spikes_are_those_since_the_previous_take():
    net = brunel()
    rec = net.recorder("spikes_E")
    taken = []
    for _ in range(3):
        net.run(40.0)
        taken.append(rec.take())
    assert all(t.times.size > 0 for t in taken)
    for k, t in enumerate(taken):
        assert np.all((t.times > 40.0 * k) & (t.times <= 40.0 * (k + 1) + 1e-9))
    whole = brunel()
    whole.run(120.0)
    assert np.array_equal(np.concatenate([t.times for t in taken]), whole.spikes("E").times)
    assert np.array_equal(np.concatenate([t.neurons for t in taken]), whole.spikes("E").neurons)


def test_stimuli_added_after_the_first_run_act_from_then_on():
    net, _ = pair(0.0)
    net.run(50.0)
    net.dc("B", 300.0, name="late")
    net.run(50.0)
    tb = net.spikes("B").times
    assert tb.size > 0 and tb.min() > 50.0
    assert 'name = "late"' in net.description
