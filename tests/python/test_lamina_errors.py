"""lamina's refusals as Python exceptions carrying the engine's object and parameter messages."""
import pytest

import lamina
from networks import LIF, brunel


def test_a_bad_parameter_is_a_value_error_naming_population_and_parameter():
    net = lamina.Network(threads=1)
    with pytest.raises(ValueError, match=r"populations\.E\.params\.tau_m: population 'E': parameter 'tau_m': must be > 0"):
        net.population("E", "lif_psc_delta", 10, params={"tau_m": -1.0})
    # The refused call left nothing behind: the same name is free and the network works.
    E = net.population("E", "lif_psc_delta", 10, params=LIF)
    net.dc(E, 1000.0)
    net.run(10.0)


def test_unknown_names_come_with_the_nearest_valid_one():
    net = lamina.Network(threads=1)
    with pytest.raises(ValueError, match=r"unknown model 'lif_psc_delt' \(did you mean 'lif_psc_delta'\?\)"):
        net.population("E", "lif_psc_delt", 10)
    E = net.population("E", "lif_psc_exp", 10)
    with pytest.raises(ValueError, match=r"did you mean 'tau_m'"):
        net.population("F", "lif_psc_exp", 10, params={"tau_n": 3.0})
    with pytest.raises(ValueError, match=r"port"):
        net.connect(E, E, "one_to_one", weight=1.0, port="excitatroy")
    with pytest.raises(ValueError, match=r"parameter 'target': no population named 'X' \(did you mean 'E'\?\)"):
        net.connect(E, "X", "one_to_one", weight=1.0)
    with pytest.raises(ValueError, match=r"projections\[1\]\.probability: not used by rule fixed_indegree"):
        net.connect(E, E, "fixed_indegree", indegree=2, probability=0.5, weight=1.0)
    with pytest.raises(ValueError, match=r"probability.*must be in \[0, 1\], got 1.5"):
        net.connect(E, E, "pairwise_bernoulli", probability=1.5, weight=1.0)
    assert net.projections == []


def test_a_bad_model_file_is_a_value_error_with_file_line_and_key(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[populations.E]\nmodel = "lif_psc_delta"\nsize = 10\n\n[[projections]]\nsource = "E"\n'
                    'target = "E"\nrule = "pairwise_bernoulli"\nprobability = 1.5\nweight = 0.1\n')
    with pytest.raises(ValueError, match=rf"{path}:9:15: projections\[1\]\.probability: projection 'E->E': "
                                         r"parameter 'probability': must be in \[0, 1\], got 1.5"):
        lamina.load(path)
    with pytest.raises(ValueError, match="cannot open"):
        lamina.load(tmp_path / "missing.toml")


def test_a_network_too_large_for_memory_is_a_memory_error():
    net = lamina.Network(threads=1)
    E = net.population("E", "lif_psc_delta", 2_000_000)
    net.connect(E, E, "fixed_indegree", indegree=1_000_000, weight=0.1)  # 2e12 synapses
    with pytest.raises(MemoryError, match=r"\d"):
        net.run(1.0)


def test_engine_refusals_at_run_time_are_runtime_errors():
    net = brunel()
    with pytest.raises(RuntimeError, match="not plastic"):
        net.projections[0].modulate(1.0)
    net.run(5.0)  # still usable


def test_the_structure_is_fixed_once_the_network_exists():
    net = brunel()
    net.run(1.0)
    with pytest.raises(RuntimeError, match="structure"):
        net.population("X", "lif_psc_delta", 3)
    with pytest.raises(RuntimeError, match="structure"):
        net.record_spikes("E")


def test_a_negative_neuron_index_is_refused_before_the_engine_sees_it():
    net = brunel()
    with pytest.raises(ValueError, match=">= 0"):
        net.poisson("E", 10.0, 0.1, neurons=[-1])


def test_checkpoint_errors_are_value_errors():
    assert issubclass(lamina.CheckpointError, ValueError)
