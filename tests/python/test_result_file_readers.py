#!/usr/bin/env python3
"""A lamina result file read by h5py and by the SONATA spike reader of bmtk (Debian python3-bmtk):
both must see exactly the spikes the run reported. Usage: test_result_file_readers.py LAMINA_BINARY"""
import json
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np
from bmtk.utils.reports.spike_trains import SpikeTrains

MODEL = """
[run]
duration = 300.0
seed = 11
threads = 1

[populations.E]
model = "lif_psc_delta"
size = 300
params = { tau_m = 20.0, E_L = 0.0, V_th = 20.0, V_reset = 10.0 }

[populations.I]
model = "lif_psc_delta"
size = 75
params = { tau_m = 20.0, E_L = 0.0, V_th = 20.0, V_reset = 10.0 }

[[projections]]
source = "E"
target = "I"
rule = "fixed_indegree"
indegree = 30
weight = 0.3
delay = 1.5

[[projections]]
source = "I"
target = "E"
rule = "fixed_indegree"
indegree = 10
weight = -0.5
delay = 1.5
port = "inhibitory"

[[stimuli]]
type = "poisson"
target = "E"
rate = 16000.0
weight = 0.1

[[stimuli]]
type = "poisson"
target = "I"
rate = 14000.0
weight = 0.1
"""


def main():
    lamina = sys.argv[1]
    failures = []
    checks = [0]

    def check(cond, what):
        checks[0] += 1
        print(("ok   " if cond else "FAIL ") + what)
        if not cond:
            failures.append(what)

    with tempfile.TemporaryDirectory() as d:
        model = os.path.join(d, "model.toml")
        out = os.path.join(d, "result.h5")
        with open(model, "w") as f:
            f.write(MODEL)
        run = subprocess.run([lamina, "run", model, "--out", out, "--json", "--quiet"], capture_output=True, text=True)
        check(run.returncode == 0, "lamina run exits 0")
        summary = json.loads(run.stdout)

        with h5py.File(out, "r") as f:
            h5 = {p: (f["spikes"][p]["timestamps"][:], f["spikes"][p]["node_ids"][:]) for p in f["spikes"]}
            check(f["spikes"]["E"]["timestamps"].attrs["units"] in (b"ms", "ms"), "timestamps carry units ms")
        for pop, info in summary["populations"].items():
            t, ids = h5[pop]
            check(len(t) == info["spikes"], f"h5py: {pop} has the run's {info['spikes']} spikes")
            check(bool(np.all(np.diff(t) >= 0)), f"h5py: {pop} timestamps sorted by time")
            check(bool(np.all(ids < info["size"])), f"h5py: {pop} node ids inside the population")

        trains = SpikeTrains.load(out)
        df = trains.to_dataframe()
        check(sorted(trains.populations) == sorted(summary["populations"]), "bmtk sees every population")
        for pop, info in summary["populations"].items():
            sub = df[df["population"] == pop].sort_values(["timestamps", "node_ids"], kind="stable")
            t, ids = h5[pop]
            order = np.lexsort((ids, t))
            check(len(sub) == info["spikes"], f"bmtk: {pop} has the run's {info['spikes']} spikes")
            check(bool(np.array_equal(sub["timestamps"].to_numpy(), t[order])), f"bmtk: {pop} times equal h5py's")
            check(bool(np.array_equal(sub["node_ids"].to_numpy().astype(np.uint64), ids[order])),
                  f"bmtk: {pop} node ids equal h5py's")

    print(f"{checks[0] - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
