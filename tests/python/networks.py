"""Small networks the tests share: fast to build and run, with activity from the first milliseconds."""
import lamina

LIF = {"tau_m": 20.0, "E_L": 0.0, "V_th": 20.0, "V_reset": 10.0, "t_ref": 2.0}


def brunel(threads=1, seed=3, n_e=400, n_i=100, record=True):
    """A small Brunel (2000) network: sparse E/I with delays, driven by Poisson input."""
    net = lamina.Network(dt=0.1, seed=seed, threads=threads)
    E = net.population("E", "lif_psc_delta", n_e, params=LIF, initial={"V_m": lamina.uniform(0.0, 20.0)})
    I = net.population("I", "lif_psc_delta", n_i, params=LIF, initial={"V_m": lamina.uniform(0.0, 20.0)})
    for src, w in ((E, 0.1), (I, -0.5)):
        for tgt in (E, I):
            net.connect(src, tgt, "fixed_indegree", indegree=n_e // 10 if src is E else n_i // 10, weight=w,
                        delay=1.5)
    net.poisson(E, rate=20000.0, weight=0.1, name="drive_E")
    net.poisson(I, rate=20000.0, weight=0.1, name="drive_I")
    if record:
        net.record_spikes(E)
        net.record_spikes(I)
    return net


# brunel() written by hand as a model file, for the test that Python and model files agree.
BRUNEL_TOML = """
[run]
dt = 0.1
seed = 3
threads = 1

[populations.E]
model = "lif_psc_delta"
size = 400
params = { tau_m = 20.0, E_L = 0.0, V_th = 20.0, V_reset = 10.0, t_ref = 2.0 }
initial = { V_m = { dist = "uniform", low = 0.0, high = 20.0 } }

[populations.I]
model = "lif_psc_delta"
size = 100
params = { tau_m = 20.0, E_L = 0.0, V_th = 20.0, V_reset = 10.0, t_ref = 2.0 }
initial = { V_m = { dist = "uniform", low = 0.0, high = 20.0 } }

[[projections]]
source = "E"
target = "E"
rule = "fixed_indegree"
indegree = 40
weight = 0.1
delay = 1.5

[[projections]]
source = "E"
target = "I"
rule = "fixed_indegree"
indegree = 40
weight = 0.1
delay = 1.5

[[projections]]
source = "I"
target = "E"
rule = "fixed_indegree"
indegree = 10
weight = -0.5
delay = 1.5

[[projections]]
source = "I"
target = "I"
rule = "fixed_indegree"
indegree = 10
weight = -0.5
delay = 1.5

[[stimuli]]
type = "poisson"
name = "drive_E"
target = "E"
rate = 20000.0
weight = 0.1

[[stimuli]]
type = "poisson"
name = "drive_I"
target = "I"
rate = 20000.0
weight = 0.1

[[recorders]]
type = "spikes"
population = "E"

[[recorders]]
type = "spikes"
population = "I"
"""
