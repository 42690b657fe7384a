#!/usr/bin/env python3
"""Cost of a model second against the mean rate, clock against event-driven updates.

Reads the JSON of `build/bench/bench_event_update --benchmark_out=FILE --benchmark_out_format=json`
and writes a PNG (log-log: wall seconds per model second against the measured mean rate, one line
per mode). Debian's python3-matplotlib; docs/performance.md, "Event-driven updates".

    python3 bench/plot_event_update.py FILE.json docs/figures/event_update_cost.png
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

MODES = {0: "clock (Poisson per step)", 1: "clock (Poisson in blocks)", 2: "event", 3: "auto"}


def main(src, dst):
    with open(src) as f:
        runs = [b for b in json.load(f)["benchmarks"] if b["name"].startswith("sparse/")]
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for mode, label in MODES.items():
        pts = sorted((b["rate_hz"], b["wall_s_per_model_s"]) for b in runs if int(b["mode"]) == mode)
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("mean rate (Hz)")
    ax.set_ylabel("wall s per model s (1 thread)")
    ax.set_title("100,000 lif_psc_delta neurons: clock against event-driven")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(dst, dpi=120)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
