"""lamina: spiking networks on an exact time grid (docs/python.md).

    import lamina
    net = lamina.Network(dt=0.1, seed=1, threads=1)      # or lamina.load("model.toml")
    E = net.population("E", "lif_psc_delta", 100, params={"tau_m": 20.0, "E_L": 0.0, "V_th": 20.0,
                                                          "V_reset": 10.0, "t_ref": 2.0})
    net.poisson(E, rate=20000.0, weight=0.1)
    spikes = net.record_spikes(E)
    net.run(500.0)
    times, neurons = spikes.data()
"""

from . import _lamina

__version__ = _lamina.version
from ._lamina import CheckpointError
from ._lamina import Substrate  # the agent substrate (docs/substrate.md)
from ._network import (Network, Population, Projection, Rates, Recorder, Signal, Spikes, States, Stimulus,
                       WeightSamples, _adopt)

__all__ = ["Network", "Substrate", "load", "restore", "read_checkpoint_header", "CheckpointError", "models",
           "plasticity_rules", "constant", "uniform", "normal", "lognormal", "Population", "Projection",
           "Stimulus", "Recorder", "Spikes", "States", "Rates", "WeightSamples", "Signal"]


def load(path, threads=None, seed=None):
    """The network of a model file (docs/model-files.md); threads and seed override its [run] table.
    A bad file raises ValueError listing every problem with file:line:column."""
    path = str(path)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise ValueError(f"{path}: cannot open the model file ({e.strerror})") from None
    net = Network()
    net._threads = None if threads is None else int(threads)
    net._seed = None if seed is None else int(seed)
    return _adopt(net, text, path)


def read_checkpoint_header(path):
    """The header of a checkpoint file (step, time, dt, seed, threads, description, ...)."""
    return _lamina.read_checkpoint_header(str(path))


def restore(path, threads=None):
    """The network saved in a checkpoint, rebuilt from its description and loaded with its state;
    continuing it gives bitwise what never stopping would have. threads: any number (default: the
    number the checkpoint was written with)."""
    header = read_checkpoint_header(path)
    net = Network()
    net._threads = int(header["threads"] if threads is None else threads)
    net._seed = int(header["seed"])
    _adopt(net, header["description"], header["description_origin"])
    net._engine_now().load_checkpoint(str(path))
    return net


def models():
    """The built-in neuron models: {name: {parameters: {name: default}, state_variables, ports}}."""
    return _lamina.models()


def plasticity_rules():
    """Names of the plasticity rules (projection plasticity = {"rule": ...})."""
    return _lamina.plasticity_rules()


def _distribution(dist, min, max, **keys):
    d = {"dist": dist, **keys}
    if min is not None:
        d["min"] = min
    if max is not None:
        d["max"] = max
    return d


def constant(value):
    return _distribution("constant", None, None, value=value)


def uniform(low, high, min=None, max=None):
    """Uniform on [low, high); values outside [min, max] are drawn again."""
    return _distribution("uniform", min, max, low=low, high=high)


def normal(mean, sd, min=None, max=None):
    return _distribution("normal", min, max, mean=mean, sd=sd)


def lognormal(mu, sigma, min=None, max=None):
    """exp(N(mu, sigma)): mu and sigma of the logarithm."""
    return _distribution("lognormal", min, max, mu=mu, sigma=sigma)
