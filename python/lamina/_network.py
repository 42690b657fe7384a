"""Networks built in Python with the vocabulary of model files.

Every structural call (population, connect, a stimulus, a recorder, a proxy) adds one table to a
model description, which the model-file reader checks at once and turns into the engine's network
when it is first needed (run, state access, save, ...). So a network built here and the same
network written as a model file are one thing, its refusals are the reader's, and its checkpoints
carry the description that rebuilds it.
"""

import threading
import tomllib
from collections import namedtuple

import numpy as np

from . import _lamina, _toml

Spikes = namedtuple("Spikes", "times neurons")
States = namedtuple("States", "times neurons variables values")
Rates = namedtuple("Rates", "bin_start rate bin")
WeightSamples = namedtuple("WeightSamples", "times values")
Signal = namedtuple("Signal", "times values population")

# Everything that changes between runs (parameters, states, device settings, weights) is in
# checkpoints themselves; the description is a plain model file.


def _indices(neurons, what="neurons"):
    a = np.asarray(neurons)
    if a.ndim != 1 or (a.size and not np.issubdtype(a.dtype, np.integer)):
        raise ValueError(f"{what}: expected a one-dimensional array of neuron indices, got {a.dtype} of shape {a.shape}")
    if a.size and a.min() < 0:
        raise ValueError(f"{what}: neuron indices must be >= 0, got {int(a.min())}")
    return a.astype(np.uint32)


def _numbers(values, what):
    a = np.asarray(values, dtype=np.float64)
    if a.ndim != 1:
        raise ValueError(f"{what}: expected a one-dimensional array, got shape {a.shape}")
    return a


def _name_of(x):
    return x.name if isinstance(x, (Population, Projection)) else str(x)


class Population:
    """A population of a network: its state as numpy arrays, its parameters, its statistics."""

    def __init__(self, net, index, name, model, size):
        self._net, self.index, self.name, self.model, self.size = net, index, name, model, size

    def __repr__(self):
        return f"Population({self.name!r}, {self.model!r}, size={self.size})"

    @property
    def state_variables(self):
        return self._net._engine_now().population_info(self.index)["state_variables"]

    @property
    def ports(self):
        return self._net._engine_now().population_info(self.index)["ports"]

    def positions(self):
        """(x, y) arrays of the neurons' positions on their 2D sheet (empty without positions)."""
        return self._net._engine_now().positions(self.index)

    def state(self, variable):
        """The engine's own array of `variable` (one value per neuron), writable, without a copy."""
        return self._net._engine_now().state(self.index, variable)

    def set_state(self, variable, values, neurons=None):
        """Sets `variable` of `neurons` (all if None) to `values`: one number, or one per neuron."""
        v = np.atleast_1d(_numbers(values, "values") if np.ndim(values) else np.float64(values))
        n = _indices([] if neurons is None else neurons)
        self._net._engine_now().set_state(self.index, variable, n, v)

    def parameter(self, name):
        return self._net._engine_now().parameter(self.index, name)

    @property
    def parameters(self):
        return self._net._engine_now().parameters(self.index)

    def set_parameter(self, name, value):
        """A model parameter of the whole population, from the current step on."""
        self._net._engine_now().set_parameter(self.index, name, float(value))

    def set_parameters(self, values):
        for k, v in dict(values).items():
            self.set_parameter(k, v)

    def statistics(self):
        """Spike count, rate (Hz) and mean ISI CV since the start of the run."""
        return self._net._built_engine().population_statistics(self.index)


class Projection:
    """A projection: weights and synapses as numpy arrays, plasticity control."""

    def __init__(self, net, index, name, plastic):
        self._net, self.index, self.name, self.plastic = net, index, name, plastic

    def __repr__(self):
        return f"Projection({self.name!r}, plastic={self.plastic})"

    @property
    def weights(self):
        """Weights in canonical order (by source, then target), float32."""
        return self._net._built_engine().weights(self.index)

    @weights.setter
    def weights(self, values):
        w = np.asarray(values, dtype=np.float32)
        if w.ndim != 1:
            raise ValueError(f"projection '{self.name}': weights: expected a one-dimensional array, got shape {w.shape}")
        self._net._engine_now().set_weights(self.index, w)

    def synapses(self):
        """dict of arrays source, target, weight, delay (ms) in canonical order."""
        return self._net._built_engine().synapses(self.index)

    @property
    def plasticity_enabled(self):
        return self._net._engine_now().plasticity_enabled(self.index)

    @plasticity_enabled.setter
    def plasticity_enabled(self, on):
        self._net._engine_now().set_plasticity_enabled(self.index, bool(on))

    def modulate(self, amount):
        """Delivers a neuromodulatory signal (e.g. dopamine for reward_stdp) now."""
        self._net._engine_now().modulate(self.index, float(amount))


class Stimulus:
    """A stimulus; `kind` is poisson, spike_generator, current (dc and step_current) or neuron_currents,
    and `index` counts stimuli of that kind, as the engine does."""

    def __init__(self, net, kind, index, name, target):
        self._net, self.kind, self.index, self.name, self.target = net, kind, index, name, target

    def __repr__(self):
        return f"Stimulus({self.kind!r}, {self.name!r}, target={self.target!r})"

    def _require(self, kind, what):
        if self.kind != kind:
            raise TypeError(f"stimulus '{self.name}' is a {self.kind} stimulus; {what} needs a {kind} stimulus")

    def set_rate(self, rate):
        """Rate (Hz) of a Poisson input from now on, the same for every target; 0 stops it. A time
        series, sinusoid or per-neuron rates the input had are replaced."""
        self._require("poisson", "set_rate")
        self._net._engine_now().set_poisson_rate(self.index, float(rate))

    def set_noise(self, mean, sd):
        """Mean and standard deviation (pA) of a noise current from now on."""
        self._require("noise", "set_noise")
        self._net._engine_now().set_noise(self.index, float(mean), float(sd))

    def set_amplitude(self, amplitude):
        """Amplitude (pA) of a dc or step current from now on, replacing the rest of its schedule."""
        self._require("current", "set_amplitude")
        self._net._engine_now().set_current_amplitude(self.index, float(amplitude))

    def inject(self, times):
        """More spikes of a spike generator, at times (ms) after the current time."""
        self._require("spike_generator", "inject")
        self._net._engine_now().inject_spikes(self.index, _numbers(times, "times"))

    def set_amplitudes(self, amplitudes):
        """New per-neuron currents (pA), one per neuron of the stimulus."""
        self._require("neuron_currents", "set_amplitudes")
        self._net._engine_now().set_neuron_currents(self.index, _numbers(amplitudes, "amplitudes"))


class Recorder:
    """A recorder; `kind` is spikes, state, rate, weights or signal (a proxy)."""

    def __init__(self, net, kind, index, name, target):
        # target: the population recorded (the projection for weights)
        self._net, self.kind, self.index, self.name, self.target = net, kind, index, name, target

    def __repr__(self):
        return f"Recorder({self.kind!r}, {self.name!r}, target={self.target!r})"

    def data(self):
        """What the recorder holds, as numpy arrays (Spikes, States, Rates, WeightSamples or Signal)."""
        e, r = self._net._engine_now(), self.index
        if self.kind == "spikes":
            d = e.spikes(r)
            return Spikes(d["times"], d["neurons"])
        if self.kind == "state":
            d = e.states(r)
            return States(d["times"], d["neurons"], d["variables"], d["values"])
        if self.kind == "rate":
            d = e.rates(r)
            return Rates(d["bin_start"], d["rate"], d["bin"])
        if self.kind == "weights":
            d = e.weight_samples(r)
            return WeightSamples(d["times"], d["values"])
        d = e.signal(r)
        return Signal(d["times"], d["values"], d["population"])

    def take(self):
        """Spikes recorded since the previous take (or the start); the recorder forgets them."""
        if self.kind != "spikes":
            raise TypeError(f"recorder '{self.name}' records {self.kind}; take() is for spike recorders")
        d = self._net._engine_now().take_spikes(self.index)
        return Spikes(d["times"], d["neurons"])


_STIMULUS_KINDS = {"poisson": "poisson", "inhomogeneous_poisson": "poisson", "sinusoidal_poisson": "poisson",
                   "spike_generator": "spike_generator", "dc": "current",
                   "step_current": "current", "neuron_currents": "neuron_currents", "noise": "noise"}


class Network:
    """A spiking network, built with the vocabulary of model files (docs/model-files.md).

    net = lamina.Network(dt=0.1, seed=1, threads=1)
    E = net.population("E", "lif_psc_delta", 800, params={...}, initial={"V_m": lamina.uniform(0, 20)})
    net.connect(E, E, rule="fixed_indegree", indegree=80, weight=0.1, delay=1.5)
    net.poisson(E, rate=20000.0, weight=0.1)
    spikes = net.record_spikes(E)
    net.run(1000.0)
    """

    def __init__(self, dt=0.1, seed=1, threads=0):
        self._run = {"dt": float(dt), "seed": int(seed), "threads": int(threads)}
        self._base_text = None  # the model file's text for loaded networks
        self._origin = "<python>"
        self._threads = None    # overrides of the [run] table (load, restore)
        self._seed = None
        self._added = []        # (section, entry) in call order: the tables this object added
        self._engine = None
        self._running = None    # the thread running the network, while it runs
        self.duration = None    # [run] duration of a loaded model file (ms)
        self._counts = {"poisson": 0, "spike_generator": 0, "current": 0, "neuron_currents": 0, "noise": 0, "stimuli": 0,
                        "spikes": 0, "state": 0, "rate": 0, "weights": 0, "signal": 0}
        self.populations = {}
        self.projections = []
        self.stimuli = {}
        self.recorders = {}

    def __repr__(self):
        pops = ", ".join(f"{p.name}: {p.size} {p.model}" for p in self.populations.values())
        return f"Network({pops}; {len(self.projections)} projections, t = {self.time} ms)"

    # The description ----------------------------------------------------------------------------

    @property
    def model_text(self):
        """The model file this network is (TOML)."""
        if self._base_text is None:
            parts = [_toml.table("run", self._run)]
            for section in ("populations", "projections", "stimuli", "recorders", "proxies"):
                for s, entry in self._added:
                    if s == section:
                        parts.append(self._fragment(s, entry))
        else:
            parts = [self._base_text.rstrip("\n") + "\n"] + [self._fragment(s, e) for s, e in self._added]
        return "\n".join(parts)

    @staticmethod
    def _fragment(section, entry):
        if section == "populations":
            body = {k: v for k, v in entry.items() if k != "name"}
            return _toml.table("populations." + _toml.key(entry["name"]), body)
        return _toml.table(section, entry, array=True)

    def _instantiate(self, text, generated=None):
        # Line numbers only for a model file as written; tables added from Python are named by key.
        generated = self._base_text is None if generated is None else generated
        return _lamina.network_from_text(text, self._origin, threads=self._threads, seed=self._seed,
                                         generated=generated)

    def _add(self, section, entry):
        """Adds a table after the reader has accepted the description with it (ValueError if not)."""
        entry = {k: v for k, v in entry.items() if v is not None}
        self._added.append((section, entry))
        try:
            self._instantiate(self.model_text, generated=True)
        except BaseException:
            self._added.pop()
            raise
        return entry

    def _require_unbuilt(self, what):
        if self._engine is not None:
            raise RuntimeError(f"{what}: the network's structure (populations, projections, recorders, proxies) is fixed "
                               "once the network exists (after the first run, state access or save); stimuli can "
                               "still be added")

    def _engine_now(self):
        """The engine's network, created from the description on first use."""
        if self._running is not None:
            # The engine is not safe to touch while it runs (it runs without the GIL).
            raise RuntimeError("the network is running (in another thread); wait for run() to return")
        if self._engine is None:
            engine = self._instantiate(self.model_text)
            # The engine numbers populations in the reader's order (by name), not in call order.
            order = [engine.population_info(q)["name"] for q in range(engine.population_count)]
            for q, name in enumerate(order):
                self.populations[name].index = q
            # Without spike, state and rate recorders the reader records every population's
            # spikes (compose.cpp, as `lamina run` does), in its population order: handles for those.
            names = engine.recorder_names("spikes")
            for r in range(self._counts["spikes"], len(names)):
                self.recorders.setdefault(names[r], Recorder(self, "spikes", r, names[r], order[r]))
                self._counts["spikes"] += 1
            self._engine = engine
        return self._engine

    def _built_engine(self):
        """The engine's network with connectivity and state (what weights and statistics read)."""
        engine = self._engine_now()
        if not engine.built:
            engine.build()
        return engine

    def _update_description(self):
        if self._engine is not None:
            self._engine.set_description(self.model_text, self._origin)

    # Structure ----------------------------------------------------------------------------------

    def population(self, name, model, size, params=None, initial=None, variables=None, update=None, positions=None,
                   precise=None):
        """[populations.NAME]: `size` neurons of `model`. params = {name: value}, where a value is a
        number (the same for every neuron), a distribution (lamina.normal(-50, 2): drawn per neuron),
        an array of one value per neuron, {"file": "x.npy"} / {"file": "x.h5", "dataset": "/d"}, or
        an expression string of the per-neuron `variables` ({"r": lamina.uniform(0, 1)}), e.g.
        "-65 + 15 * r^2". initial = {state variable: number or distribution}. update = "clock"
        (default), "event" (advance a neuron only when input reaches it or a spike is due;
        lif_psc_delta) or "auto". positions = {"layout": "grid", "shape": [columns, rows],
        "extent": [x, y], "center": [x, y], "periodic": False} or {"layout": "random", ...}: the
        neurons on a 2D sheet, for connect(..., "distance_dependent", ...). precise = True: spikes at
        their exact threshold-crossing times inside a step, inputs at their exact arrival times
        (lif_psc_exp and lif_psc_delta; NEST's iaf_psc_exp_ps / iaf_psc_delta_ps)."""
        self._require_unbuilt(f"population '{name}'")
        if name in self.populations:
            raise ValueError(f"population '{name}' exists already")
        if params:
            params = {k: (np.asarray(v, dtype=np.float64) if isinstance(v, (list, tuple, np.ndarray)) else v)
                      for k, v in dict(params).items()}
        self._add("populations", {"name": str(name), "model": model, "size": int(size),
                                  "variables": dict(variables) if variables else None,
                                  "params": params if params else None,
                                  "initial": dict(initial) if initial else None,
                                  "update": update,
                                  "precise": bool(precise) if precise is not None else None,
                                  "positions": dict(positions) if positions else None})
        p = Population(self, None, str(name), model, int(size))  # index: when the engine exists
        self.populations[p.name] = p
        return p

    def connect(self, source, target, rule, *, weight=None, delay=None, port=None, plasticity=None, name=None,
                probability=None, indegree=None, outdegree=None, total=None, autapses=None,
                multapses=None, sources=None, targets=None, weights=None, delays=None, p0=None, kernel=None,
                width=None, mask_radius=None, velocity=None):
        """[[projections]]: rule is one_to_one, all_to_all, pairwise_bernoulli (probability),
        fixed_indegree (indegree), fixed_outdegree (outdegree), fixed_total_number (total) or explicit (sources, targets and
        optionally weights, delays) or distance_dependent (populations with positions; p0, kernel =
        "gaussian" | "exponential" | "constant", width, mask_radius, velocity: probability p0 k(d)
        within mask_radius, delay + d / velocity); weight and delay are numbers or distributions;
        plasticity = {"rule": ..., "short_term": ..., parameter: number}."""
        self._require_unbuilt(f"projection '{name or ''}'")
        entry = self._add("projections", {
            "name": name, "source": _name_of(source), "target": _name_of(target), "rule": rule,
            "probability": probability, "indegree": indegree, "outdegree": outdegree, "total": total,
            "autapses": autapses,
            "multapses": multapses, "weight": weight, "delay": delay, "port": port,
            "sources": None if sources is None else _indices(sources, "sources"),
            "targets": None if targets is None else _indices(targets, "targets"),
            "weights": None if weights is None else _numbers(weights, "weights"),
            "delays": None if delays is None else _numbers(delays, "delays"),
            "plasticity": dict(plasticity) if plasticity else None,
            "p0": p0, "kernel": kernel, "width": width, "mask_radius": mask_radius, "velocity": velocity})
        default = f"{entry['source']}->{entry['target']}"
        taken = {p.name for p in self.projections}
        final = entry.get("name", default)
        if final in taken:  # the reader's rule for repeated names
            final += f"#{len(self.projections) + 1}"
        p = Projection(self, len(self.projections), final, plasticity is not None)
        self.projections.append(p)
        return p

    def projection(self, name):
        for p in self.projections:
            if p.name == name:
                return p
        raise KeyError(f"no projection '{name}'; projections: {', '.join(p.name for p in self.projections)}")

    # Stimuli ------------------------------------------------------------------------------------

    def _stimulus(self, type_, entry, engine_add):
        """Adds a [[stimuli]] table; once the engine exists, also to the running network."""
        number = self._counts["stimuli"] + 1
        name = entry.get("name") or f"{type_}_{number}"
        if name in self.stimuli:
            raise ValueError(f"a stimulus named '{name}' exists already")
        self._add("stimuli", {"type": type_, **entry})
        kind = _STIMULUS_KINDS[type_]
        index = self._counts[kind]
        if self._engine is not None:
            got = engine_add(self._engine, name)
            assert got == index, f"the engine numbered {kind} stimulus '{name}' {got}, expected {index}"
            self._update_description()
        self._counts[kind] += 1
        self._counts["stimuli"] += 1
        s = Stimulus(self, kind, index, name, entry["target"])
        self.stimuli[name] = s
        return s

    def poisson(self, target, rate, weight, *, port=None, neurons=None, independent=None, start=None, stop=None,
                name=None):
        """Poisson spike input, each spike adding `weight` to `port`. `rate` (Hz) is one number, an
        array with one rate per target neuron, or a distribution table such as
        {"dist": "uniform", "low": 5.0, "high": 15.0} drawn per target neuron."""
        n = None if neurons is None else _indices(neurons)
        if isinstance(rate, dict):
            r, per_neuron = dict(rate), None
        elif np.ndim(rate) == 0:
            r, per_neuron = float(rate), None
        else:
            r = per_neuron = _numbers(rate, "rate")

        def add(e, nm):
            if isinstance(r, dict):
                raise ValueError(f"poisson input '{nm}': a rate distribution can be given only before the network "
                                 "exists; pass an array with one rate per target neuron")
            return e.add_poisson(nm, _name_of(target), _indices([] if n is None else n),
                                 0.0 if per_neuron is not None else r, float(weight), port or "excitatory",
                                 True if independent is None else independent, 0.0 if start is None else float(start),
                                 float("inf") if stop is None else float(stop),
                                 neuron_rates=per_neuron if per_neuron is not None else np.zeros(0))
        return self._stimulus("poisson", {
            "name": name, "target": _name_of(target), "neurons": n, "rate": r, "weight": float(weight),
            "port": port, "independent": independent, "start": start, "stop": stop}, add)

    def inhomogeneous_poisson(self, target, times, rates, weight, *, port=None, neurons=None, independent=None,
                              start=None, stop=None, name=None):
        """Poisson input whose rate is a time series (NEST inhomogeneous_poisson_generator): rates[k] (Hz,
        >= 0) from times[k] (ms, strictly increasing) on, 0 before times[0]."""
        n = None if neurons is None else _indices(neurons)
        t, v = _numbers(times, "times"), _numbers(rates, "rates")
        return self._stimulus("inhomogeneous_poisson", {
            "name": name, "target": _name_of(target), "neurons": n, "rate_times": t, "rate_values": v,
            "weight": float(weight), "port": port, "independent": independent, "start": start, "stop": stop},
            lambda e, nm: e.add_poisson(nm, _name_of(target), _indices([] if n is None else n), 0.0, float(weight),
                                        port or "excitatory", True if independent is None else independent,
                                        0.0 if start is None else float(start),
                                        float("inf") if stop is None else float(stop), rate_times=t, rate_values=v))

    def sinusoidal_poisson(self, target, rate, amplitude, frequency, weight, *, phase=None, port=None, neurons=None,
                           independent=None, start=None, stop=None, name=None):
        """Poisson input of rate(t) = rate + amplitude sin(2 pi frequency t + phase) (Hz, Hz, Hz, degrees;
        NEST sinusoidal_poisson_generator); needs amplitude <= rate."""
        n = None if neurons is None else _indices(neurons)
        return self._stimulus("sinusoidal_poisson", {
            "name": name, "target": _name_of(target), "neurons": n, "rate": float(rate), "amplitude": float(amplitude),
            "frequency": float(frequency), "phase": phase, "weight": float(weight), "port": port,
            "independent": independent, "start": start, "stop": stop},
            lambda e, nm: e.add_poisson(nm, _name_of(target), _indices([] if n is None else n), float(rate),
                                        float(weight), port or "excitatory", True if independent is None else independent,
                                        0.0 if start is None else float(start),
                                        float("inf") if stop is None else float(stop), amplitude=float(amplitude),
                                        frequency=float(frequency), phase=0.0 if phase is None else float(phase)))

    def spike_generator(self, target, times, weight, *, delay=None, port=None, neurons=None, name=None):
        """Spikes at `times` (ms, each >= dt), delivered after `delay` like a neuron's spikes."""
        n = None if neurons is None else _indices(neurons)
        t = _numbers(times, "times")
        return self._stimulus("spike_generator", {
            "name": name, "target": _name_of(target), "neurons": n, "times": t, "weight": float(weight),
            "delay": delay, "port": port},
            lambda e, nm: e.add_spike_generator(nm, _name_of(target), _indices([] if n is None else n), t,
                                                float(weight), self.dt if delay is None else float(delay),
                                                port or "excitatory"))

    def dc(self, target, amplitude, *, start=None, stop=None, neurons=None, name=None):
        """A constant current (pA) from `start` to `stop` (ms)."""
        n = None if neurons is None else _indices(neurons)
        start_ms = 0.0 if start is None else float(start)
        times, amps = [start_ms], [float(amplitude)]
        if stop is not None and stop != float("inf"):
            times.append(float(stop))
            amps.append(0.0)
        return self._stimulus("dc", {
            "name": name, "target": _name_of(target), "neurons": n, "amplitude": float(amplitude),
            "start": start, "stop": stop},
            lambda e, nm: e.add_current(nm, _name_of(target), _indices([] if n is None else n),
                                        np.array(times), np.array(amps)))

    def current(self, target, times, amplitudes, *, neurons=None, name=None):
        """A step current: amplitudes[k] (pA) from times[k] (ms) on."""
        n = None if neurons is None else _indices(neurons)
        t, a = _numbers(times, "times"), _numbers(amplitudes, "amplitudes")
        return self._stimulus("step_current", {
            "name": name, "target": _name_of(target), "neurons": n, "times": t, "amplitudes": a},
            lambda e, nm: e.add_current(nm, _name_of(target), _indices([] if n is None else n), t, a))

    def noise(self, target, sd, *, mean=None, dt_noise=None, start=None, stop=None, neurons=None, name=None):
        """A Gaussian noise current (NEST noise_generator): every dt_noise ms (default: the step) each
        target neuron draws its own mean + sd * N(0, 1) pA; change it with set_noise."""
        n = None if neurons is None else _indices(neurons)
        return self._stimulus("noise", {
            "name": name, "target": _name_of(target), "neurons": n, "mean": mean, "sd": float(sd),
            "dt_noise": dt_noise, "start": start, "stop": stop},
            lambda e, nm: e.add_noise(nm, _name_of(target), _indices([] if n is None else n),
                                      0.0 if mean is None else float(mean), float(sd),
                                      self._run["dt"] if dt_noise is None else float(dt_noise),
                                      0.0 if start is None else float(start),
                                      float("inf") if stop is None else float(stop)))

    def neuron_currents(self, target, amplitudes, *, neurons=None, name=None):
        """A constant current (pA) per neuron of `neurons` (all if None), e.g. a population code;
        change it with set_amplitudes."""
        a = _numbers(amplitudes, "amplitudes")
        n = None if neurons is None else _indices(neurons)
        return self._stimulus("neuron_currents", {"name": name, "target": _name_of(target), "neurons": n,
                                                  "amplitudes": a},
                              lambda e, nm: e.add_neuron_currents(nm, _name_of(target),
                                                                  _indices([] if n is None else n), a))

    def _recorder(self, kind, section, entry, default_name, target):
        self._require_unbuilt(f"{kind} recorder")
        name = entry.get("name") or default_name
        if name in self.recorders:
            raise ValueError(f"a recorder named '{name}' exists already")
        self._add(section, {**entry, "name": name})
        r = Recorder(self, kind, self._counts[kind], name, target)
        self._counts[kind] += 1
        self.recorders[name] = r
        return r

    def record_spikes(self, population, *, neurons=None, name=None):
        pop = _name_of(population)
        return self._recorder("spikes", "recorders", {
            "type": "spikes", "name": name, "population": pop,
            "neurons": None if neurons is None else _indices(neurons)}, f"spikes_{pop}", pop)

    def record_state(self, population, variables, neurons, *, interval=None, name=None):
        pop = _name_of(population)
        variables = [variables] if isinstance(variables, str) else list(variables)
        return self._recorder("state", "recorders", {
            "type": "state", "name": name, "population": pop, "neurons": _indices(neurons),
            "variables": variables, "interval": interval}, f"state_{pop}", pop)

    def record_rate(self, population, *, bin=None, name=None):
        pop = _name_of(population)
        return self._recorder("rate", "recorders", {"type": "rate", "name": name, "population": pop, "bin": bin},
                              f"rate_{pop}", pop)

    def record_weights(self, projection, *, interval=None, name=None):
        proj = _name_of(projection)
        return self._recorder("weights", "recorders", {"type": "weights", "name": name, "projection": proj,
                                                       "interval": interval}, f"weights_{proj}", proj)

    def proxy(self, population, type, *, name=None, interval=None):
        """[[proxies]]: an EEG/LFP proxy (mean_v, sum_abs_currents, lrws, conductance_current)."""
        pop = _name_of(population)
        return self._recorder("signal", "proxies", {"type": type, "name": name, "population": pop,
                                                    "interval": interval}, f"{type}_{pop}", pop)

    # Running ------------------------------------------------------------------------------------

    def build(self):
        """Builds connectivity and state now (run() does it when needed)."""
        self._engine_now().build()

    def run(self, duration):
        """Advances the network by `duration` ms. The GIL is released; Ctrl-C stops the run at the
        next min-delay window and raises KeyboardInterrupt, with the network able to run on."""
        engine = self._engine_now()
        self._running = threading.get_ident()
        try:
            engine.run(float(duration))
        finally:
            self._running = None

    @property
    def dt(self):
        return self._engine.dt if self._engine is not None else self._run["dt"]

    @property
    def seed(self):
        return self._engine_now().seed

    @property
    def threads(self):
        return self._engine_now().threads

    @property
    def time(self):
        """Model time simulated so far (ms)."""
        return self._engine.time if self._engine is not None else 0.0

    @property
    def step(self):
        return self._engine.step if self._engine is not None else 0

    @property
    def synaptic_events(self):
        return self._engine_now().synaptic_events

    def statistics(self):
        """Build statistics: neurons, synapses, memory, delays, build time."""
        return self._built_engine().build_statistics()

    def recorder(self, name):
        try:
            return self.recorders[name]
        except KeyError:
            raise KeyError(f"no recorder '{name}'; recorders: {', '.join(self.recorders)}") from None

    def spikes(self, population):
        """The spikes recorded of a population (its first spike recorder) as Spikes(times, neurons)."""
        pop = _name_of(population)
        for r in self.recorders.values():
            if r.kind == "spikes" and r.target == pop:
                return r.data()
        raise KeyError(f"no spike recorder of population '{pop}'")

    # Checkpoints --------------------------------------------------------------------------------

    def save(self, path):
        """Writes a checkpoint: the complete state and the description (lamina.restore reads it)."""
        engine = self._engine_now()
        engine.set_description(self.model_text, self._origin)
        engine.save_checkpoint(str(path))

    @property
    def description(self):
        return self.model_text


def _adopt(net, text, origin):
    """Makes `net` the network of a model file's text: handles for its populations, projections,
    stimuli and recorders. The engine's network is created when first needed, so recorders and
    proxies can still be added."""
    net._base_text = text
    net._origin = origin
    probe = net._instantiate(net._base_text)  # ValueError with file:line:column for a bad file
    doc = tomllib.loads(net._base_text)       # the reader accepted it, so it is valid TOML
    net._run = {"dt": probe.dt, "seed": probe.seed, "threads": probe.threads}
    net.duration = float(doc.get("run", {}).get("duration", 1000.0))
    for q in range(probe.population_count):
        info = probe.population_info(q)
        net.populations[info["name"]] = Population(net, q, info["name"], info["model"], info["size"])
    specs = doc.get("projections", [])
    for k, name in enumerate(probe.projection_names):
        net.projections.append(Projection(net, k, name, "plasticity" in specs[k]))
    for i, s in enumerate(doc.get("stimuli", [])):
        kind = _STIMULUS_KINDS[s["type"]]
        name = s.get("name", f"{s['type']}_{i + 1}")
        net.stimuli[name] = Stimulus(net, kind, net._counts[kind], name, s["target"])
        net._counts[kind] += 1
        net._counts["stimuli"] += 1
    # What each recorder records, in the reader's order (per type, in file order); without spike,
    # state and rate recorders the network records every population's spikes (in population order).
    tables = doc.get("recorders", [])
    targets = {kind: [t.get("projection" if kind == "weights" else "population") for t in tables if t["type"] == kind]
               for kind in ("spikes", "state", "rate", "weights")}
    targets["signal"] = [t["population"] for t in doc.get("proxies", [])]
    if not (targets["spikes"] or targets["state"] or targets["rate"]):
        targets["spikes"] = list(net.populations)
    for kind in ("spikes", "state", "rate", "weights", "signal"):
        for r, name in enumerate(probe.recorder_names(kind)):
            net.recorders.setdefault(name, Recorder(net, kind, r, name, targets[kind][r]))
            net._counts[kind] += 1
    return net
