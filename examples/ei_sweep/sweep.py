#!/usr/bin/python3
"""E/I sweep of the Alzheimer's-disease EEG study (reference.md 5.4) with lamina.

For each condition (inhibitory/excitatory conductance ratio g_I/g_E: HC 6.5, MCI 3.5, AD 2.5) and
each seed, writes the model from ei_network.toml (the lines marked "sweep:" get g_I and 0.8 g_I),
runs `lamina run`, then `lamina spectrum --json` on the EEG proxies, prints the per-condition table
(E rate, alpha-peak frequency, theta/alpha, (delta+theta)/(alpha+beta), aperiodic exponent over 2-40 Hz
and over 10-150 Hz; mean and
SD over seeds; "[k]" when only k seeds had a value, e.g. no alpha peak), and whether each metric moves monotonically HC -> MCI -> AD for every seed) and
writes a figure (mean spectra per condition and the metrics per seed).

Usage (from the repository root, after building):
    /usr/bin/python3 examples/ei_sweep/sweep.py [--lamina build/apps/lamina] [--seeds 1 2 3]
        [--duration 6000] [--out-dir results/ei_sweep] [--signals current vm lrws]

Spectra follow the original analysis: 1 s warm-up left out, Welch with 1250-sample (1.25 s)
Hann segments and 75 % overlap (the original's min(4096, n/4) for 5 s at 1 kHz); specparam fixed
mode over 2-40 Hz (and 10-150 Hz: below about 40 Hz these spectra are nearly flat); bands delta 1-4,
theta 4-8, alpha 8-13, beta 13-30 Hz.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CONDITIONS = [("HC", 6.5), ("MCI", 3.5), ("AD", 2.5)]
G_E = 3.0  # nS
METRICS = [
    ("rate_E", "E rate (Hz)"),
    ("peak_hz", "alpha peak (Hz)"),
    ("theta_alpha_ratio", "theta/alpha"),
    ("slowing_ratio", "(d+t)/(a+b)"),
    ("exponent", "exp 2-40 Hz"),
    ("exponent_broad", "exp 10-150 Hz"),
]


def find_lamina(given):
    if given:
        return given
    if os.environ.get("LAMINA"):
        return os.environ["LAMINA"]
    for d in ["build", "build-eeg", "build-app"]:
        p = os.path.join(ROOT, d, "apps", "lamina")
        if os.access(p, os.X_OK):
            return p
    return shutil.which("lamina") or "lamina"


def model_text(template, ratio):
    g_i = ratio * G_E
    out, n = [], 0
    for line in template.splitlines():
        if "# sweep: g_I" in line:
            line, n = re.sub(r"weight = [0-9.]+", f"weight = {g_i:g}", line), n + 1
        elif "# sweep: 0.8 g_I" in line:
            line, n = re.sub(r"weight = [0-9.]+", f"weight = {0.8 * g_i:g}", line), n + 1
        out.append(line)
    if n != 2:
        sys.exit("sweep.py: the template needs the two lines marked '# sweep: g_I' and '# sweep: 0.8 g_I'")
    return "\n".join(out) + "\n"


def run_json(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"sweep.py: {' '.join(cmd)} failed ({p.returncode}):\n{p.stderr}")
    return json.loads(p.stdout)


def monotone(values):
    """+1 if strictly increasing HC -> MCI -> AD, -1 if strictly decreasing, 0 otherwise."""
    if all(b > a for a, b in zip(values, values[1:])):
        return 1
    if all(b < a for a, b in zip(values, values[1:])):
        return -1
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lamina", help="the lamina binary (default: build/apps/lamina or $LAMINA)")
    ap.add_argument("--template", default=os.path.join(HERE, "ei_network.toml"))
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--duration", type=float, default=6000.0, help="ms, including the 1 s warm-up")
    ap.add_argument("--skip", type=float, default=1000.0, help="warm-up left out of the spectra, ms")
    ap.add_argument("--signals", nargs="+", default=["current", "vm", "lrws"])
    ap.add_argument("--out-dir", default=os.path.join(ROOT, "results", "ei_sweep"))
    ap.add_argument("--figure", help="PNG (default: OUT_DIR/ei_sweep.png); needs matplotlib")
    ap.add_argument("--fmin", type=float, default=2.0, help="aperiodic fit range, Hz (lamina spectrum --fmin)")
    ap.add_argument("--fmax", type=float, default=40.0, help="aperiodic fit range, Hz (lamina spectrum --fmax)")
    ap.add_argument("--broad", type=float, nargs=2, default=[10.0, 150.0],
                    help="second, broadband aperiodic fit range, Hz (exponent_broad)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()

    lamina = find_lamina(args.lamina)
    os.makedirs(args.out_dir, exist_ok=True)
    with open(args.template) as f:
        template = f.read()
    welch_args = ["--skip", f"{args.skip:g}", "--nperseg", "1250", "--overlap", "0.75", "--json", "--no-png"]
    spectrum_args = welch_args + ["--fmin", f"{args.fmin:g}", "--fmax", f"{args.fmax:g}"]
    broad_args = welch_args + ["--fmin", f"{args.broad[0]:g}", "--fmax", f"{args.broad[1]:g}", "--no-write"]

    rows = []  # one per condition, seed, signal
    t0 = time.time()
    for cond, ratio in CONDITIONS:
        model = os.path.join(args.out_dir, f"ei_{cond}.toml")
        with open(model, "w") as f:
            f.write(model_text(template, ratio))
        for seed in args.seeds:
            out = os.path.join(args.out_dir, f"ei_{cond}_seed{seed}.h5")
            run = run_json([lamina, "run", model, "--seed", str(seed), "--duration", f"{args.duration:g}",
                            "--threads", str(args.threads), "--out", out, "--quiet", "--json"])
            rate_e = run["populations"]["E"]["rate_hz"]
            for sig in args.signals:
                s = run_json([lamina, "spectrum", out, "--signal", sig] + spectrum_args)
                b = run_json([lamina, "spectrum", out, "--signal", sig] + broad_args)
                rows.append(dict(condition=cond, ratio=ratio, seed=seed, signal=sig, file=out, rate_E=rate_e,
                                 peak_hz=s["peak_hz"], theta_alpha_ratio=s["theta_alpha_ratio"],
                                 slowing_ratio=s["slowing_ratio"], exponent=s["exponent"],
                                 exponent_broad=b["exponent"],
                                 r_squared=s["r_squared"], relative_power=s["relative_power"]))
    elapsed = time.time() - t0

    def num(v):
        return float("nan") if v is None else float(v)

    print(f"E/I sweep: {len(args.seeds)} seeds x {len(CONDITIONS)} conditions, {args.duration / 1000:g} s each "
          f"({args.skip / 1000:g} s warm-up left out), lamina {lamina}, {elapsed:.1f} s in all")
    summary = {}
    for sig in args.signals:
        print(f"\nproxy '{sig}' (mean +- SD over seeds {', '.join(map(str, args.seeds))})")
        print(f"  {'condition':<10}{'g_I/g_E':>8}" + "".join(f"{label:>20}" for _, label in METRICS))
        per_cond = {}
        for cond, ratio in CONDITIONS:
            sel = [r for r in rows if r["signal"] == sig and r["condition"] == cond]
            cells = []
            for key, _ in METRICS:
                vals = [num(r[key]) for r in sel]
                finite = [v for v in vals if v == v]  # a missing alpha peak is NaN
                m = statistics.fmean(finite) if finite else float("nan")
                sd = statistics.stdev(finite) if len(finite) > 1 else 0.0
                cells.append(f"{m:.3f} +- {sd:.3f}" + ("" if len(finite) == len(vals) else f" [{len(finite)}]"))
                per_cond.setdefault(cond, {})[key] = {"mean": m, "sd": sd, "seeds": vals}
            print(f"  {cond:<10}{ratio:>8g}" + "".join(f"{c:>20}" for c in cells))
        # Direction HC -> MCI -> AD per seed.
        line = "  direction HC->MCI->AD per seed (+ up, - down, 0 not monotone):"
        for key, label in METRICS:
            dirs = []
            for seed in args.seeds:
                vals = [num(next(r[key] for r in rows if r["signal"] == sig and r["condition"] == c and
                                 r["seed"] == seed)) for c, _ in CONDITIONS]
                dirs.append(monotone(vals))
            stable = "stable" if len(set(dirs)) == 1 and dirs[0] != 0 else "not stable"
            line += f"\n    {label:<18} {' '.join('+' if d > 0 else '-' if d < 0 else '0' for d in dirs)}  ({stable})"
            per_cond.setdefault("direction", {})[key] = dirs
        print(line)
        summary[sig] = per_cond
    with open(os.path.join(args.out_dir, "ei_sweep.json"), "w") as f:
        json.dump({"rows": rows, "summary": summary, "seconds": elapsed}, f, indent=1)
    print(f"\ntable and rows: {os.path.join(args.out_dir, 'ei_sweep.json')}")

    figure = args.figure or os.path.join(args.out_dir, "ei_sweep.png")
    try:
        import h5py
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import numpy as np
    except ImportError as e:
        print(f"no figure: {e}", file=sys.stderr)
        return 0
    colours = {"HC": "0.35", "MCI": "tab:orange", "AD": "tab:green"}
    sig = args.signals[0]
    fig, axes = plt.subplots(1, 5, figsize=(20, 3.8))
    ax = axes[0]
    for cond, ratio in CONDITIONS:
        spectra = []
        for seed in args.seeds:
            with h5py.File(os.path.join(args.out_dir, f"ei_{cond}_seed{seed}.h5"), "r") as h:
                g = h[f"spectra/{sig}"]
                f_hz, p = g["freqs"][:], g["power"][:]
            band = (f_hz >= 1) & (f_hz <= 200)
            spectra.append(p[band])
        ax.loglog(f_hz[band], np.mean(spectra, axis=0), color=colours[cond], label=f"{cond} ({ratio:g})")
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("PSD (signal unit$^2$/Hz)")
    ax.set_title(f"proxy '{sig}', mean of {len(args.seeds)} seeds", fontsize=10)
    ax.legend(fontsize=8)
    for ax, (key, label) in zip(axes[1:], [METRICS[1], METRICS[3], METRICS[4], METRICS[5]]):
        for seed in args.seeds:
            vals = [num(next(r[key] for r in rows if r["signal"] == sig and r["condition"] == c and r["seed"] == seed))
                    for c, _ in CONDITIONS]
            ax.plot([r for _, r in CONDITIONS], vals, "o-", alpha=0.7, label=f"seed {seed}")
        ax.set_xlabel("g_I / g_E  (HC 6.5, MCI 3.5, AD 2.5)")
        ax.set_title(label, fontsize=10)
        ax.invert_xaxis()
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(figure, dpi=110)
    print(f"figure: {figure}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
