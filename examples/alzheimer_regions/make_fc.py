#!/usr/bin/python3
"""Writes the synthetic 19 x 19 functional-connectivity prior of the multi-region experiment.

NOT EMPIRICAL DATA. lamina has no licensed access to a clinical EEG data set, so the matrix that
examples/alzheimer_regions ships is generated, as examples/regions_matrix.toml's connectome is,
from a stated prior: the 19 channels of the international 10-20 system on the standard 2-D head
layout (unit radius at T3/T4), an alpha-band phase-locking value that decays with
inter-electrode distance d (scalp EEG PLV is dominated by volume conduction and falls off with
distance; length constant 0.5 head radii), a 30 % boost for homotopic (left-right mirror) pairs,
and symmetric log-normal scatter (sigma 0.2, seed 2026). As in the study's code
(EI_decay_EEG_proxy_multi_network.py; reference.md 5.4) the matrix is normalised to its largest
off-diagonal value, entries below 0.1 are set to 0, and the diagonal is 0.

Usage: make_fc.py [OUT.csv]   (default: fc_alpha_synthetic.csv next to this script)
Also writes the electrode positions (electrodes.csv) used for the lead field.
"""
import math
import os
import random
import sys

CHANNELS = [
    ("Fp1", -0.31, 0.95), ("Fp2", 0.31, 0.95), ("F7", -0.81, 0.59), ("F3", -0.39, 0.52), ("Fz", 0.0, 0.5),
    ("F4", 0.39, 0.52), ("F8", 0.81, 0.59), ("T3", -1.0, 0.0), ("C3", -0.5, 0.0), ("Cz", 0.0, 0.0),
    ("C4", 0.5, 0.0), ("T4", 1.0, 0.0), ("T5", -0.81, -0.59), ("P3", -0.39, -0.52), ("Pz", 0.0, -0.5),
    ("P4", 0.39, -0.52), ("T6", 0.81, -0.59), ("O1", -0.31, -0.95), ("O2", 0.31, -0.95),
]


def synthetic_fc(seed=2026, length=0.5, homotopic=0.3, sigma=0.2, floor=0.1):
    rng = random.Random(seed)
    n = len(CHANNELS)
    fc = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            _, xi, yi = CHANNELS[i]
            _, xj, yj = CHANNELS[j]
            d = math.hypot(xi - xj, yi - yj)
            v = math.exp(-d / length)
            if abs(xi + xj) < 1e-9 and abs(yi - yj) < 1e-9 and xi != 0.0:
                v *= 1.0 + homotopic
            v *= math.exp(rng.gauss(0.0, sigma))
            fc[i][j] = fc[j][i] = v
    top = max(max(r) for r in fc)
    return [[(v / top if v / top >= floor else 0.0) for v in r] for r in fc]


def main(argv):
    out = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "fc_alpha_synthetic.csv")
    fc = synthetic_fc()
    with open(out, "w") as f:
        f.write("# SYNTHETIC alpha-band FC prior (not empirical data): make_fc.py; rows/columns: "
                + " ".join(c[0] for c in CHANNELS) + "\n")
        for r in fc:
            f.write(",".join(f"{v:.6f}" for v in r) + "\n")
    with open(os.path.join(os.path.dirname(out), "electrodes.csv"), "w") as f:
        f.write("# name,x,y: 10-20 channels on the 2-D head layout (unit radius at T3/T4)\n")
        for name, x, y in CHANNELS:
            f.write(f"{name},{x},{y}\n")
    nz = sum(1 for r in fc for v in r if v > 0)
    print(f"{out}: {len(fc)} x {len(fc)}, {nz} non-zero off-diagonal entries")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
