#!/usr/bin/python3
"""Heat maps of the connectivity matrices written by `lamina connectivity`.

Usage: plot_connectivity.py DATA.json OUT.png

DATA.json holds signals (names), bands (each with name, low_hz, high_hz, plv_chance and the N x N
matrices coherence, plv, lag_rad, aec), coherence_chance, seconds and segments; the lamina command
writes it to a temporary file. One row of panels per measure (coherence, PLV, AEC), one column
per band; the chance level of each band is in its panel title. Exit status 3 when matplotlib is
missing (the command then warns and carries on without a plot), 2 on bad input.
"""
import json
import sys


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        print(f"plot_connectivity.py: matplotlib is not available: {e}", file=sys.stderr)
        return 3
    with open(argv[1]) as f:
        d = json.load(f)
    names = d["signals"]
    bands = d["bands"]
    if not bands or len(names) < 2:
        print("plot_connectivity.py: nothing to plot", file=sys.stderr)
        return 2
    rows = [("coherence", "coherence", 0.0, 1.0, "viridis"), ("plv", "PLV", 0.0, 1.0, "viridis"),
            ("aec", "AEC", -1.0, 1.0, "RdBu_r")]
    n = len(names)
    size = max(1.8, min(3.2, 0.25 * n + 1.2))
    fig, axes = plt.subplots(len(rows), len(bands), figsize=(size * len(bands) + 1.0, size * len(rows) + 0.6),
                             dpi=110, squeeze=False)
    for r, (key, label, lo, hi, cmap) in enumerate(rows):
        for b, band in enumerate(bands):
            ax = axes[r][b]
            m = [[float("nan") if v is None else v for v in row] for row in band[key]]
            im = ax.imshow(m, vmin=lo, vmax=hi, cmap=cmap, interpolation="nearest")
            chance = d.get("coherence_chance") if key == "coherence" else band.get("plv_chance") if key == "plv" else None
            title = f"{label} {band['name']} {band['low_hz']:g}-{band['high_hz']:g} Hz"
            if chance is not None:
                title += f"\nchance {chance:.3f}"
            ax.set_title(title, fontsize=8)
            ticks = range(n) if n <= 24 else range(0, n, max(1, n // 12))
            ax.set_xticks(list(ticks))
            ax.set_yticks(list(ticks))
            ax.set_xticklabels([names[i] for i in ticks], rotation=90, fontsize=6)
            ax.set_yticklabels([names[i] for i in ticks], fontsize=6)
            if b == len(bands) - 1:
                fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    fig.suptitle(f"{d.get('file', '')}: {d.get('seconds', 0):.3g} s, {d.get('segments', 0)} Welch segments",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
