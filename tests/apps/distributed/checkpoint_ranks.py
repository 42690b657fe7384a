#!/usr/bin/python3
"""Checkpoints of distributed runs restore on another number of ranks with bitwise the results of a
run that never stopped:

1. one process: `lamina run M --duration S --checkpoint C` then `lamina resume C` gives, joined,
   the spikes, weight samples, state samples, rates and signals of the uninterrupted run (the split
   S lies inside a min-delay window);
2. for each transition R1xT1:R2xT2 (ranks x threads), `mpirun -np R1 lamina run M --duration S
   --checkpoint C` then `mpirun -np R2 lamina resume C`: the checkpoint file has every dataset
   bitwise equal to the one-process checkpoint (the format does not depend on the layout), it is
   marked complete and no temporary file is left, and both result files are bitwise those of 1.

    checkpoint_ranks.py --lamina build/apps/lamina --model M.toml --split 137.3 \\
        --transitions 2x1:3x1 3x2:1x1 [--mpirun mpirun] [--workdir D]

Exits 1 on any difference (naming the files, the dataset and the first differing index)."""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

from compare_ranks import datasets, mpirun_command, same_bits


def compare(expected, got, what):
    bad = []
    if set(got) != set(expected):
        bad.append(f"{what}: datasets differ: only in the reference {sorted(set(expected) - set(got))}, "
                   f"only here {sorted(set(got) - set(expected))}")
    for name in sorted(set(got) & set(expected)):
        ok, why = same_bits(expected[name], got[name])
        if not ok:
            bad.append(f"{what}: {name}: {why}")
    return bad


def joined(first, second):
    """The datasets of a run's two halves, joined along time (the first axis), as one run has them:
    time series (spikes, samples, rate bins, weight samples) are concatenated, everything else
    (the recorded neurons of state recorders) must be the same in both halves."""
    out = {}
    for name in set(first) | set(second):
        a, b = first.get(name), second.get(name)
        if a is None or b is None:
            out[name] = a if b is None else b
        elif a.ndim == 0 or a.dtype.kind in "OSU" or (name.startswith("states/") and name.endswith("/neurons")):
            if not np.array_equal(a, b):
                out[name] = np.concatenate([a, b])  # differs from the reference, which names the dataset
            else:
                out[name] = a
        else:
            out[name] = np.concatenate([a, b])
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lamina", required=True)
    p.add_argument("--mpirun", default=shutil.which("mpirun") or "mpirun")
    p.add_argument("--model", required=True)
    p.add_argument("--split", type=float, required=True, help="model time (ms) of the checkpoint")
    p.add_argument("--transitions", nargs="+", default=["2x1:3x1", "3x2:1x1", "1x1:2x2", "2x1:1x1"])
    p.add_argument("--workdir")
    a = p.parse_args()
    work = a.workdir or tempfile.mkdtemp(prefix="lamina_ckpt_ranks_")
    os.makedirs(work, exist_ok=True)
    stem = os.path.splitext(os.path.basename(a.model))[0]
    env = dict(os.environ)
    env.setdefault("OMPI_MCA_btl_vader_single_copy_mechanism", "none")
    failures = []

    def run(cmd, label):
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            failures.append(f"{label}: exit status {r.returncode}\n{r.stdout}{r.stderr}")
            return False
        return True

    def path(name):
        return os.path.join(work, f"{stem}_{name}.h5")

    # 1. One process: uninterrupted, and split at --split.
    L = [a.lamina]
    if not (run(L + ["run", a.model, "--threads", "1", "--quiet", "--out", path("whole")], "uninterrupted run") and
            run(L + ["run", a.model, "--threads", "1", "--quiet", "--duration", str(a.split), "--out", path("a1"),
                     "--checkpoint", path("c1")], "first half on 1 process") and
            run(L + ["resume", path("c1"), "--threads", "1", "--quiet", "--out", path("b1")], "resume on 1 process")):
        print("\n".join(failures))
        return 1
    whole, a1, b1, c1 = (datasets(path(n)) for n in ("whole", "a1", "b1", "c1"))
    spikes = sum(v.size for k, v in whole.items() if k.startswith("spikes/") and k.endswith("timestamps"))
    after = sum(v.size for k, v in b1.items() if k.startswith("spikes/") and k.endswith("timestamps"))
    if spikes == 0 or after == 0:
        print(f"{stem}: no spikes after the split; the comparison would prove nothing")
        return 1
    failures += compare(whole, joined(a1, b1), f"{stem}: 1 process split at {a.split} ms, joined")
    print(f"{stem}: 1 process: split at {a.split} ms and resumed = uninterrupted ({len(whole)} datasets, "
          f"{spikes} spikes, {after} after the split)" if not failures else f"{stem}: 1 process split: DIFFERENT")

    # 2. Transitions between layouts.
    for t in a.transitions:
        (r1, t1), (r2, t2) = (tuple(int(x) for x in side.split("x")) for side in t.split(":"))
        tag = f"{r1}x{t1}_to_{r2}x{t2}"
        ck, first, second = path(f"c_{tag}"), path(f"a_{tag}"), path(f"b_{tag}")
        label = f"{stem}: {r1} ranks x {t1} threads -> {r2} ranks x {t2} threads"
        n_before = len(failures)
        if not run(mpirun_command(a.mpirun, r1) + L + ["run", a.model, "--threads", str(t1), "--quiet", "--duration",
                                                       str(a.split), "--out", first, "--checkpoint", ck], label + ": run"):
            continue
        leftovers = [f for f in os.listdir(work) if ".tmp" in f]
        if leftovers:
            failures.append(f"{label}: temporary files left: {leftovers}")
        with h5py.File(ck, "r") as f:
            if int(f.attrs.get("complete", 0)) != 1 or int(f.attrs.get("ranks", 0)) != r1:
                failures.append(f"{label}: checkpoint attributes complete={f.attrs.get('complete')} "
                                f"ranks={f.attrs.get('ranks')}")
        failures += compare(c1, datasets(ck), label + ": checkpoint file")
        failures += compare(a1, datasets(first), label + ": first half")
        if run(mpirun_command(a.mpirun, r2) + L + ["resume", ck, "--threads", str(t2), "--quiet", "--out", second],
               label + ": resume"):
            failures += compare(b1, datasets(second), label + ": resumed half")
        print(f"{label}: " + ("checkpoint and both halves bitwise one process" if len(failures) == n_before
                              else "DIFFERENT"))
    for f in failures:
        print("FAILED:", f)
    if not failures and not a.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
