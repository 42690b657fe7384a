#!/usr/bin/env python3
"""Cost of a model second against the mean rate, clock against event-driven updates.

Reads the JSON of `build/bench/bench_event_update --benchmark_out=FILE --benchmark_out_format=json`
(or its console output) and writes a PNG (log-log: CPU seconds per model second, 1 thread, against
the measured mean rate, one line per mode; CPU time because the figures were taken on a shared,
loaded machine). Debian's python3-matplotlib; docs/performance.md, "Event-driven updates".

    python3 bench/plot_event_update.py FILE.json docs/figures/event_update_cost.png
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

MODES = {0: "clock (Poisson per step)", 1: "clock (Poisson in blocks)", 2: "event", 3: "auto",
         4: "event, every step lazy"}


def number(text):
    """A Google Benchmark counter as printed: 15u, 1.345m, 12.05M."""
    scale = {"n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9}
    return float(text[:-1]) * scale[text[-1]] if text[-1] in scale else float(text)


def read(src):
    text = open(src).read()
    try:
        return [dict(b, cpu_s=b["cpu_time"] / 1e3) for b in json.loads(text)["benchmarks"]
                if b["name"].startswith("sparse/")]
    except ValueError:  # console output: name, time, unit, cpu, unit, iterations, counters
        runs = []
        for line in text.splitlines():
            if not line.startswith("sparse/"):
                continue
            f = line.split()
            counters = dict(kv.split("=") for kv in f[6:])
            runs.append({"mode": number(counters["mode"]), "rate_hz": number(counters["rate_hz"]),
                         "cpu_s": float(f[3]) / 1e3})
        return runs


def main(src, dst):
    runs = read(src)
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for mode, label in MODES.items():
        pts = sorted((b["rate_hz"], b["cpu_s"]) for b in runs if int(b["mode"]) == mode)
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("mean rate (Hz)")
    ax.set_ylabel("CPU s per model s (1 thread)")
    ax.set_title("100,000 lif_psc_delta neurons: clock against event-driven")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(dst, dpi=120)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
