"""A network built in Python and the same network written as a model file give identical spikes,
through lamina.load and through the command line `lamina run`."""
import os
import subprocess

import h5py
import numpy as np
import pytest

import lamina
from networks import BRUNEL_TOML, brunel


def spike_pairs(times, neurons):
    """(time, neuron) pairs in one order whatever the writer's order within a step."""
    order = np.lexsort((neurons, times))
    return times[order], neurons[order]


def test_python_and_the_model_file_through_load_give_identical_spikes(tmp_path):
    path = tmp_path / "brunel.toml"
    path.write_text(BRUNEL_TOML)
    from_python = brunel()
    from_file = lamina.load(path)
    for net in (from_python, from_file):
        net.run(200.0)
    for pop in ("E", "I"):
        a, b = from_python.spikes(pop), from_file.spikes(pop)
        assert a.times.size > 500
        assert np.array_equal(a.times, b.times) and np.array_equal(a.neurons, b.neurons)
    for p, q in zip(from_python.projections, from_file.projections):
        assert p.name == q.name
        assert np.array_equal(p.synapses()["source"], q.synapses()["source"])


def test_python_and_lamina_run_on_the_model_file_give_identical_spikes(tmp_path):
    binary = os.environ.get("LAMINA_BINARY")
    if not binary:
        pytest.skip("LAMINA_BINARY (the lamina command) is set by ctest")
    path = tmp_path / "brunel.toml"
    path.write_text(BRUNEL_TOML.replace("[run]\n", "[run]\nduration = 200.0\n"))
    out = tmp_path / "brunel.h5"
    subprocess.run([binary, "run", str(path), "--out", str(out), "--quiet"], check=True)
    net = brunel()
    net.run(200.0)
    with h5py.File(out, "r") as f:
        for pop in ("E", "I"):
            cli = spike_pairs(f[f"spikes/{pop}/timestamps"][:], f[f"spikes/{pop}/node_ids"][:])
            py = spike_pairs(*net.spikes(pop))
            assert cli[0].size > 500
            assert np.array_equal(cli[0], py[0]) and np.array_equal(cli[1], py[1])


def test_any_thread_count_gives_the_same_spikes():
    one, two = brunel(threads=1), brunel(threads=2)
    for net in (one, two):
        net.run(100.0)
    assert two.threads == 2
    assert np.array_equal(one.spikes("E").times, two.spikes("E").times)
    assert np.array_equal(one.spikes("E").neurons, two.spikes("E").neurons)


def test_a_loaded_file_has_handles_for_its_objects(tmp_path, source_dir):
    net = lamina.load(source_dir / "examples" / "cortex.toml", threads=1)
    assert net.duration > 0
    assert all(p.size > 0 for p in net.populations.values())
    assert [p.name for p in net.projections] == list(net._engine_now().projection_names)
    assert any(r.kind == "signal" for r in net.recorders.values())  # cortex.toml records an LRWS proxy
    assert all(s.target in net.populations for s in net.stimuli.values())
