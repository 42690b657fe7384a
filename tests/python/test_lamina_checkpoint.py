"""Checkpoints from Python: save, restore (any thread count), continue bitwise; bad files refused."""
import os
import subprocess

import h5py
import numpy as np
import pytest

import lamina
from networks import brunel


def later(spikes, t0):
    keep = spikes.times > t0
    return spikes.times[keep], spikes.neurons[keep]


@pytest.mark.parametrize("threads", [1, 2])
def test_a_restored_network_continues_with_the_spikes_of_an_uninterrupted_run(tmp_path, threads):
    path = tmp_path / "brunel.ckpt.h5"
    whole = brunel()
    whole.run(200.0)
    first = brunel()
    first.run(100.0)
    first.save(path)
    header = lamina.read_checkpoint_header(path)
    assert header["step"] == 1000 and header["time"] == pytest.approx(100.0) and header["seed"] == 3
    assert header["description"] == first.description
    restored = lamina.restore(path, threads=threads)
    assert restored.time == pytest.approx(100.0) and restored.threads == threads
    restored.run(100.0)
    for pop in ("E", "I"):
        a, b = later(whole.spikes(pop), 100.0), later(restored.spikes(pop), 100.0)
        assert a[0].size > 200
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_live_changes_survive_a_checkpoint(tmp_path):
    def build():
        net = brunel()
        code = net.neuron_currents("E", np.linspace(0.0, 200.0, 400))
        return net, code

    def change(net):
        net.populations["I"].set_parameter("tau_m", 15.0)
        net.stimuli["drive_E"].set_rate(15000.0)

    whole, _ = build()
    whole.run(50.0)
    change(whole)
    whole.run(100.0)
    first, code = build()
    first.run(50.0)
    change(first)
    first.run(20.0)
    first.save(tmp_path / "c.h5")
    restored = lamina.restore(tmp_path / "c.h5")
    assert restored.populations["I"].parameter("tau_m") == 15.0
    assert code.name in restored.stimuli
    restored.run(80.0)
    a, b = later(whole.spikes("E"), 70.0), later(restored.spikes("E"), 70.0)
    assert a[0].size > 100 and np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_files_that_are_not_checkpoints_are_refused(tmp_path):
    text = tmp_path / "model.toml"
    text.write_text("[run]\n")
    with pytest.raises(lamina.CheckpointError):
        lamina.restore(text)
    with pytest.raises(lamina.CheckpointError):
        lamina.restore(tmp_path / "missing.h5")
    with pytest.raises(ValueError):  # a CheckpointError is a ValueError
        lamina.read_checkpoint_header(text)


def test_a_truncated_checkpoint_is_refused(tmp_path):
    net = brunel()
    net.run(10.0)
    net.save(tmp_path / "full.h5")
    data = (tmp_path / "full.h5").read_bytes()
    (tmp_path / "cut.h5").write_bytes(data[: len(data) // 2])
    with pytest.raises(lamina.CheckpointError):
        lamina.restore(tmp_path / "cut.h5")


def test_the_command_line_resumes_a_checkpoint_written_from_python(tmp_path):
    binary = os.environ.get("LAMINA_BINARY")
    if not binary:
        pytest.skip("LAMINA_BINARY (the lamina command) is set by ctest")
    whole = brunel()
    whole.neuron_currents("E", np.linspace(0.0, 200.0, 400))
    whole.run(100.0)
    first = brunel()
    first.neuron_currents("E", np.linspace(0.0, 200.0, 400))
    first.run(50.0)
    first.save(tmp_path / "c.h5")
    subprocess.run([binary, "resume", str(tmp_path / "c.h5"), "--duration", "50", "--out", str(tmp_path / "r.h5"),
                    "--quiet"], check=True)
    with h5py.File(tmp_path / "r.h5", "r") as f:
        cli = f["spikes/E/timestamps"][:], f["spikes/E/node_ids"][:]
    py = later(whole.spikes("E"), 50.0)
    order_cli, order_py = np.lexsort((cli[1], cli[0])), np.lexsort((py[1], py[0]))
    assert py[0].size > 100
    assert np.array_equal(cli[0][order_cli], py[0][order_py]) and np.array_equal(cli[1][order_cli], py[1][order_py])
