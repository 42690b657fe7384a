#!/usr/bin/python3
"""Travelling waves on a 128 x 128 Jansen-Rit sheet (lamina::models::mass::lattice).

Runs the C++ runner `field_travelling_waves` (bench/CMakeLists.txt; examples/field/
travelling_waves.cpp) twice: with the diffusive Gaussian kernel coupling (conduction velocity
0.5 m/s, delays up to 6 ms) and without coupling (strength=0). Both sheets start from the same
spiral of limit-cycle phases (one turn around the centre, one period from centre to edge) and
receive independent noisy afferent rates (p = 220 Hz, p_sd = 57.7 Hz, Jansen & Rit's 120-320 Hz).
With coupling the spiral stays coherent and rotates: its arms travel outwards, one wavelength per
alpha period; without coupling the noise dephases the nodes and after 1.5 s the pattern has
dissolved. The figure shows, for both sheets, six snapshots of the pyramidal potential y1 - y2
15 ms apart (about one alpha period) after 1.5 s, a space-time plot of the middle row over
100 ms (travelling waves are slanted stripes), and the spatial mean (the EEG-like signal).

    /usr/bin/python3 examples/field/travelling_waves.py [--runner PATH] [--out travelling_waves.png]

Build the runner first: cmake --build <build dir> --target field_travelling_waves.
Takes about 15 s of CPU time per sheet.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def find_runner():
    for d in sorted(os.listdir(ROOT)):
        p = os.path.join(ROOT, d, "bench", "field_travelling_waves")
        if d.startswith("build") and os.access(p, os.X_OK):
            return p
    sys.exit("field_travelling_waves not found; build it (target field_travelling_waves) or pass --runner")


def run(runner, prefix, extra):
    args = [runner, prefix, "warmup=1500", "T=100", "every=5"] + extra
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout.strip()
    print(out)
    return np.load(prefix + "_field.npy"), np.load(prefix + "_mean.npy")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runner", default=None)
    ap.add_argument("--out", default="travelling_waves.png")
    ap.add_argument("--threads", default="2")
    a = ap.parse_args()
    runner = a.runner or find_runner()
    with tempfile.TemporaryDirectory() as tmp:
        coupled = run(runner, os.path.join(tmp, "coupled"), ["threads=" + a.threads])
        uncoupled = run(runner, os.path.join(tmp, "uncoupled"), ["threads=" + a.threads, "strength=0"])

    fig = plt.figure(figsize=(15, 7.6))
    gs = fig.add_gridspec(3, 9, height_ratios=[1, 1, 0.8], width_ratios=[1] * 6 + [0.35, 1.4, 0.1], wspace=0.15)
    for row, (name, (field, _)) in enumerate([("coupled", coupled), ("uncoupled", uncoupled)]):
        lo, hi = np.percentile(field, [1, 99])  # per row: the coupled field has the smaller amplitude
        for k in range(6):
            frame = 2 + 3 * k  # snapshots every 5 ms from 1505 ms: every 15 ms
            ax = fig.add_subplot(gs[row, k])
            im = ax.imshow(field[frame], vmin=lo, vmax=hi, cmap="RdBu_r", origin="lower")
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(f"t = {1505 + 5 * frame} ms")
            if k == 0:
                ax.set_ylabel(name)
        ax = fig.add_subplot(gs[row, 7])
        mid = field.shape[1] // 2
        ax.imshow(field[:, mid, :], vmin=lo, vmax=hi, cmap="RdBu_r", aspect="auto", origin="lower",
                  extent=[0, field.shape[2], 1505, 1505 + 5 * len(field)])
        ax.set_xlabel("x (mm), middle row" if row == 1 else "")
        ax.set_ylabel("t (ms)")
        fig.colorbar(im, cax=fig.add_subplot(gs[row, 8]), label="y1 - y2 (mV)")
    ax = fig.add_subplot(gs[2, :6])
    for name, (_, mean) in [("coupled", coupled), ("uncoupled", uncoupled)]:
        ax.plot(np.arange(len(mean)), mean, label=name, lw=0.8)
    ax.set_xlabel("t (ms)")
    ax.set_ylabel("spatial mean (mV)")
    ax.legend(loc="upper right")
    fig.suptitle("128 x 128 Jansen-Rit sheet: Gaussian kernel with conduction delays, p = 220 Hz, p_sd = 57.7 Hz")
    fig.savefig(a.out, dpi=80)
    print("wrote", a.out)


if __name__ == "__main__":
    main()
