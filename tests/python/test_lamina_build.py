"""Building and running networks from Python; the description is a model file."""
import os
import pathlib
import subprocess
import tomllib

import numpy as np
import pytest

import lamina
from networks import LIF, brunel


def test_a_built_network_runs_and_its_recordings_agree_with_its_statistics():
    net = brunel()
    net.run(200.0)
    assert net.time == pytest.approx(200.0)
    assert net.step == 2000
    for name in ("E", "I"):
        times, neurons = net.spikes(name)
        assert times.dtype == np.float64 and neurons.dtype == np.uint32
        assert times.size == neurons.size > 0
        assert np.all(np.diff(times) >= 0)  # by time, as the recorder merges them
        assert 0.0 < times.min() and times.max() <= 200.0
        assert neurons.max() < net.populations[name].size
        stats = net.populations[name].statistics()
        assert stats["spikes"] == times.size
        assert stats["rate_hz"] == pytest.approx(times.size / net.populations[name].size / 0.2)
    s = net.statistics()
    assert s["neurons"] == 500
    assert s["synapses"] == 500 * 50  # fixed in-degree: 40 from E and 10 from I per neuron


def test_the_description_is_a_model_file_with_every_call():
    net = brunel()
    net.record_rate("E", bin=5.0)
    doc = tomllib.loads(net.model_text)
    assert doc["run"] == {"dt": 0.1, "seed": 3, "threads": 1}
    assert doc["populations"]["E"] == {"model": "lif_psc_delta", "size": 400, "params": LIF,
                                       "initial": {"V_m": {"dist": "uniform", "low": 0.0, "high": 20.0}}}
    assert [(p["source"], p["target"], p["indegree"]) for p in doc["projections"]] == [
        ("E", "E", 40), ("E", "I", 40), ("I", "E", 10), ("I", "I", 10)]
    assert [s["name"] for s in doc["stimuli"]] == ["drive_E", "drive_I"]
    assert [r["type"] for r in doc["recorders"]] == ["spikes", "spikes", "rate"]


def test_state_and_rate_recorders_and_proxies_come_back_as_arrays():
    net = lamina.Network(dt=0.1, seed=2, threads=1)
    E = net.population("E", "lif_psc_exp", 50, initial={"V_m": lamina.uniform(-70.0, -55.0)})
    net.connect(E, E, "pairwise_bernoulli", probability=0.2, weight=30.0, delay=1.0)
    net.dc(E, 400.0)
    st = net.record_state(E, ["V_m", "I_syn_ex"], [0, 7, 49], interval=0.5)
    rt = net.record_rate(E, bin=2.0)
    px = net.proxy(E, "mean_v", interval=1.0)
    net.run(50.0)
    s = st.data()
    assert s.values.shape == (100, 3, 2)
    assert list(s.variables) == ["V_m", "I_syn_ex"] and list(s.neurons) == [0, 7, 49]
    np.testing.assert_allclose(s.times, 0.5 * np.arange(1, 101))
    assert np.all(s.values[:, :, 0] < -55.0 + 1e-9)  # V_m stays below threshold between spikes
    r = rt.data()
    assert r.rate.shape == (25,) and r.bin == 2.0
    spikes = sum(r.rate) * 50 * 2.0 / 1000.0
    assert spikes == pytest.approx(E.statistics()["spikes"])
    sig = px.data()
    assert sig.values.shape == (50,) and sig.population == "E"
    assert np.all((sig.values > -80.0) & (sig.values < -50.0))


def test_a_network_without_recorders_records_every_population_like_lamina_run():
    net = brunel(record=False)
    net.run(50.0)
    assert sorted(net.recorders) == ["spikes_E", "spikes_I"]
    assert net.spikes("I").times.size == net.populations["I"].statistics()["spikes"] > 0


def test_weights_and_synapses_are_arrays_in_canonical_order():
    net = lamina.Network(dt=0.1, seed=5, threads=1)
    A = net.population("A", "lif_psc_delta", 3)
    B = net.population("B", "lif_psc_delta", 4)
    p = net.connect(A, B, "explicit", sources=[2, 0, 1, 0], targets=[1, 3, 0, 0], weights=[0.5, 1.5, 2.5, 3.5],
                    delays=[1.0, 2.0, 3.0, 4.0])
    syn = p.synapses()
    order = np.lexsort((syn["target"], syn["source"]))
    assert np.array_equal(order, np.arange(4))  # by source, then target
    assert list(zip(syn["source"], syn["target"], syn["weight"], syn["delay"])) == [
        (0, 0, 3.5, 4.0), (0, 3, 1.5, 2.0), (1, 0, 2.5, 3.0), (2, 1, 0.5, 1.0)]
    w = p.weights
    assert w.dtype == np.float32 and list(w) == [3.5, 1.5, 2.5, 0.5]


def test_load_reads_a_model_file_with_overrides(tmp_path, source_dir):
    net = lamina.load(source_dir / "examples" / "w2_cuba.toml", threads=1, seed=9)
    assert net.seed == 9 and net.threads == 1
    assert set(net.populations) >= {"E", "I"}
    net.run(20.0)
    assert net.time == pytest.approx(20.0)


def test_the_module_is_found_without_environment_variables(tmp_path):
    # What scripts/build.sh sets up (a .pth file): checked only where it has been written.
    out = subprocess.run(["/usr/bin/python3", "-c", "import sysconfig, site; print(sysconfig.get_path('purelib')); "
                          "print(site.getusersitepackages())"], capture_output=True, text=True, check=True)
    pth = [pathlib.Path(d) / "lamina.pth" for d in out.stdout.split()]
    if not any(p.exists() for p in pth):
        pytest.skip("no lamina.pth: this build was not made with scripts/build.sh")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    r = subprocess.run(["/usr/bin/python3", "-c", "import lamina; print(lamina.__file__); "
                        "print(sorted(lamina.models()))"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].endswith(os.path.join("build", "python", "lamina", "__init__.py"))
    assert "lif_psc_delta" in r.stdout


def test_handles_follow_the_engines_population_order_not_the_call_order():
    # The reader orders populations by name; handles made in another order must still find theirs.
    net = lamina.Network(dt=0.1, seed=1, threads=1)
    Z = net.population("Z", "lif_psc_delta", 3, params=LIF)
    A = net.population("A", "lif_psc_delta", 5, params=LIF)
    net.dc(Z, 300.0)
    net.run(50.0)
    assert (Z.index, A.index) == (1, 0)
    assert Z.statistics()["spikes"] > 0 and A.statistics()["spikes"] == 0
    assert net.spikes("Z").neurons.max() == 2 and net.spikes("A").times.size == 0
    assert Z.parameter("V_th") == 20.0 and A.size == 5


def test_distributions_are_the_model_files():
    net = lamina.Network(dt=0.1, seed=4, threads=1)
    E = net.population("E", "lif_psc_delta", 200)
    p = net.connect(E, E, "fixed_indegree", indegree=50, weight=lamina.normal(0.1, 0.05, min=0.05, max=0.12),
                    delay=lamina.uniform(1.0, 3.0))
    w, d = p.weights, p.synapses()["delay"]
    assert w.size == 10_000 and w.min() >= 0.05 and w.max() <= 0.12 and np.unique(w).size > 1000
    assert d.min() >= 1.0 and d.max() <= 3.0 and np.allclose(d * 10, np.round(d * 10))  # on the grid
    assert lamina.lognormal(0.0, 1.0, max=5.0) == {"dist": "lognormal", "mu": 0.0, "sigma": 1.0, "max": 5.0}
    assert lamina.constant(2.0) == {"dist": "constant", "value": 2.0}


def test_the_builtin_models_and_rules_are_listed():
    models = lamina.models()
    assert models["lif_psc_delta"]["parameters"]["tau_m"] == 10.0
    assert models["lif_cond_exp"]["state_variables"] == ["V_m", "g_ex", "g_in"]
    assert models["adex"]["ports"] == ["excitatory", "inhibitory"]
    assert {"stdp_pair", "reward_stdp", "vogels_istdp"} <= set(lamina.plasticity_rules())
