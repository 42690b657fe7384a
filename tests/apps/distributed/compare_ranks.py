#!/usr/bin/python3
"""Runs a model file in one process and under mpirun on R ranks x T threads, and checks that every
dataset of the result files (spikes, rates, states, weights, signals, electrodes) is bitwise the
same. Metadata that describe the run itself (timings, thread and rank counts) are not compared.

    compare_ranks.py --lamina build/apps/lamina --model M.toml --ranks 1 2 3 --threads 1 2 [--workdir D]

Exits 1 on the first difference (naming file, dataset and first differing index), 0 when all runs
agree. The reference run must record something non-trivial (spikes; weights that changed), so a
run that records nothing cannot pass by agreeing with another that records nothing."""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np


def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out[name] = obj[()]
        f.visititems(visit)
    return out


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False, f"dtype/shape {a.dtype}{a.shape} vs {b.dtype}{b.shape}"
    if a.dtype.kind in "OSU":
        return bool(np.array_equal(a, b)), "strings differ"
    ab, bb = a.tobytes(), b.tobytes()
    if ab == bb:
        return True, ""
    av, bv = a.reshape(-1), b.reshape(-1)
    diff = np.nonzero(av.view(f"u{a.itemsize}") != bv.view(f"u{b.itemsize}"))[0]
    k = int(diff[0])
    return False, f"{diff.size} values differ, first at index {k}: {av[k]!r} vs {bv[k]!r}"


def mpirun_command(mpirun, ranks):
    cmd = [mpirun, "--oversubscribe", "-np", str(ranks)]
    if os.geteuid() == 0:
        cmd.append("--allow-run-as-root")
    return cmd


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lamina", required=True)
    p.add_argument("--mpirun", default=shutil.which("mpirun") or "mpirun")
    p.add_argument("--model", required=True)
    p.add_argument("--ranks", type=int, nargs="+", default=[1, 2, 3])
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--workdir")
    a = p.parse_args()
    work = a.workdir or tempfile.mkdtemp(prefix="lamina_ranks_")
    os.makedirs(work, exist_ok=True)
    stem = os.path.splitext(os.path.basename(a.model))[0]
    env = dict(os.environ)
    # Shared-memory transport between ranks of one machine; single-copy (CMA) is not allowed in
    # every container, and OpenMPI would otherwise warn on each run.
    env.setdefault("OMPI_MCA_btl_vader_single_copy_mechanism", "none")

    ref = os.path.join(work, f"{stem}_ref.h5")
    subprocess.run([a.lamina, "run", a.model, "--threads", "1", "--quiet", "--out", ref], check=True, env=env)
    expected = datasets(ref)
    spikes = sum(v.size for k, v in expected.items() if k.startswith("spikes/") and k.endswith("timestamps"))
    if spikes == 0:
        print(f"{a.model}: the reference run recorded no spikes; the comparison would prove nothing")
        return 1
    for k, v in expected.items():
        if k.startswith("weights/") and k.endswith("/values") and v.ndim == 2 and v.shape[0] > 1:
            if np.array_equal(v[0], v[-1]):
                print(f"{a.model}: {k}: the weights did not change during the reference run")
                return 1
    print(f"{stem}: reference: {len(expected)} datasets, {spikes} spikes")

    failures = 0
    for r in a.ranks:
        for t in a.threads:
            out = os.path.join(work, f"{stem}_r{r}_t{t}.h5")
            cmd = mpirun_command(a.mpirun, r) + [a.lamina, "run", a.model, "--threads", str(t), "--quiet", "--out", out]
            run = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if run.returncode != 0:
                print(f"{stem}: {r} ranks x {t} threads: exit status {run.returncode}\n{run.stdout}{run.stderr}")
                failures += 1
                continue
            got = datasets(out)
            bad = []
            if set(got) != set(expected):
                bad.append(f"datasets differ: only in reference {sorted(set(expected) - set(got))}, "
                           f"only here {sorted(set(got) - set(expected))}")
            for name in sorted(set(got) & set(expected)):
                ok, why = same_bits(expected[name], got[name])
                if not ok:
                    bad.append(f"{name}: {why}")
            if bad:
                failures += 1
                print(f"{stem}: {r} ranks x {t} threads: DIFFERENT\n  " + "\n  ".join(bad[:10]))
            else:
                print(f"{stem}: {r} ranks x {t} threads: bitwise identical ({len(got)} datasets)")
    if failures == 0 and not a.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
