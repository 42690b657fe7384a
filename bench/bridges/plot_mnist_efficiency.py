#!/usr/bin/env python3
"""Plots the JSON of bench_mnist_efficiency: accuracy vs time steps (every conversion variant,
analog and spike input, ANN as a line) and energy per image vs accuracy (every ledger, compute
only and with memory, first energy table).

    /usr/bin/python3 bench/bridges/plot_mnist_efficiency.py study.json mnist_efficiency.png
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        r = json.load(f)
    steps = [b["steps"] for b in r["snn_analog"]["budgets"]]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.5))
    conv = r["conversion"]
    main_name = f"{conv['balancing']} {conv['percentile'] if conv['balancing'] == 'percentile' else ''}, {conv['reset']}"
    a1.plot(steps, [100 * b["accuracy"] for b in r["snn_analog"]["budgets"]], "o-", lw=2, label=f"{main_name}, analog in")
    if "snn_spikes" in r:
        a1.plot(steps, [100 * b["accuracy"] for b in r["snn_spikes"]["budgets"]], "s-", lw=2,
                label=f"{main_name}, spike in")
    for v in r["variants"]:
        a1.plot(steps, [100 * x for x in v["accuracy"]], ".--", label=v["name"])
    a1.axhline(100 * r["ann"]["test_accuracy"], color="k", lw=1, label="ANN")
    a1.axhline(100 * r["ann"]["test_accuracy"] - 1, color="k", lw=0.5, ls=":", label="ANN - 1 point")
    a1.set_xscale("log")
    a1.set_xlabel("time steps T")
    a1.set_ylabel("test accuracy (%)")
    a1.set_title(f"ANN->SNN conversion, {'-'.join(map(str, r['ann']['sizes']))}, {r['data']['test_images']} test images")
    a1.legend(fontsize=7)

    table = r["energy_tables"][0]["name"]
    for g in r["ledgers"]:
        e = g["energy_pJ_per_image"][table]
        acc = 100 * g["accuracy"]
        mode = g["mode"]
        marker = "o" if mode.startswith("SNN analog") else "s" if mode.startswith("SNN spike") else "^" if mode.startswith(
            "delta") else "D"
        a2.scatter(e["compute"] / 1e3, acc, marker=marker, color="C0")
        a2.scatter(e["with_memory"] / 1e3, acc, marker=marker, color="C3")
        short = (mode.replace("SNN analog in, T=", "A").replace("SNN spike in, T=", "S").replace("delta, threshold ", "d")
                 .replace("dense ANN", "dense").replace("ANN, zero skipping", "zero-skip"))
        a2.annotate(short, (e["compute"] / 1e3, acc), fontsize=6, xytext=(2, 2), textcoords="offset points")
    a2.scatter([], [], color="C0", label="compute only")
    a2.scatter([], [], color="C3", label="with weight reads")
    a2.set_xscale("log")
    a2.set_xlabel(f"energy per image (nJ, {table})")
    a2.set_ylabel("test accuracy (%)")
    a2.set_title("energy vs accuracy (A/o SNN analog in, S/s spike in, d/^ delta)")
    a2.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(argv[2], dpi=120)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
