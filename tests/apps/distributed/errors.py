#!/usr/bin/python3
"""Errors in distributed runs stop every rank with the message, never hang:

1. a model-file error (every rank finds it before building): exit status 2, reported once, naming
   file, line and key;
2. an error on rank 0 alone after the build (its result file cannot be created): every rank stops
   (MPI_Abort) with the message, within the timeout, and no result file appears;
3. --checkpoint on several ranks is refused before building, on every rank.

    errors.py --lamina build/apps/lamina --model static.toml [--mpirun mpirun]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile


def mpirun_command(mpirun, ranks):
    cmd = [mpirun, "--oversubscribe", "-np", str(ranks)]
    if os.geteuid() == 0:
        cmd.append("--allow-run-as-root")
    return cmd


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--lamina", required=True)
    p.add_argument("--mpirun", default=shutil.which("mpirun") or "mpirun")
    p.add_argument("--model", required=True)
    a = p.parse_args()
    env = dict(os.environ)
    env.setdefault("OMPI_MCA_btl_vader_single_copy_mechanism", "none")
    work = tempfile.mkdtemp(prefix="lamina_rank_errors_")
    failures = []

    def run(args, timeout=120):
        try:
            return subprocess.run(mpirun_command(a.mpirun, 3) + [a.lamina] + args, env=env, capture_output=True,
                                  text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            failures.append(f"{args}: did not end within {timeout} s (a hang)")
            return None

    # 1. A model-file error: an unknown key on line 2.
    bad = os.path.join(work, "bad.toml")
    with open(bad, "w") as f:
        f.write("[run]\nduraton = 10.0\n[populations.E]\nmodel = \"lif_psc_delta\"\nsize = 10\n")
    r = run(["run", bad, "--quiet"])
    if r is not None:
        if r.returncode != 2:
            failures.append(f"model-file error: exit status {r.returncode}, expected 2\n{r.stderr}")
        if "duraton" not in r.stderr or ":2" not in r.stderr:
            failures.append(f"model-file error: the message does not name the key and line:\n{r.stderr}")
        if r.stderr.count("duraton") != 1:
            failures.append(f"model-file error: reported {r.stderr.count('duraton')} times, expected once:\n{r.stderr}")

    # 2. Rank 0 cannot create its result file after the build: every rank must stop.
    out = os.path.join(work, "no_such_directory", "result.h5")
    r = run(["run", a.model, "--quiet", "--out", out])
    if r is not None:
        if r.returncode == 0:
            failures.append("unwritable result file: exit status 0")
        if "no_such_directory" not in r.stderr:
            failures.append(f"unwritable result file: the message does not name the file:\n{r.stderr}")
        if os.path.exists(out):
            failures.append("unwritable result file: a result file appeared")

    # 3. Checkpoints are refused on several ranks, before building.
    r = run(["run", a.model, "--quiet", "--out", os.path.join(work, "x.h5"), "--checkpoint", os.path.join(work, "c.h5")])
    if r is not None:
        if r.returncode != 2 or "checkpoint" not in r.stderr:
            failures.append(f"--checkpoint on 3 ranks: exit status {r.returncode}, expected 2 with a reason:\n{r.stderr}")
        if os.path.exists(os.path.join(work, "x.h5")):
            failures.append("--checkpoint on 3 ranks: a result file was written")

    shutil.rmtree(work, ignore_errors=True)
    for f in failures:
        print("FAILED:", f)
    if not failures:
        print("errors on one or all ranks stop every rank with the message")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
