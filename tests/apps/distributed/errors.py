#!/usr/bin/python3
"""Errors in distributed runs stop every rank with the message, never hang:

1. a model-file error (every rank finds it before building): exit status 2, reported once, naming
   file, line and key;
2. an error on rank 0 alone after the build (its result file cannot be created): every rank stops
   (MPI_Abort) with the message, within the timeout, and no result file appears;
3. a checkpoint that rank 0 cannot write (its directory does not exist) stops every rank with the
   message and leaves no checkpoint, temporary file or result file;
4. resuming on 3 ranks from a file that is not a checkpoint: exit status 2, reported once.

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

    # 3. Rank 0 cannot write the checkpoint (written after the run): every rank must stop.
    ck = os.path.join(work, "no_such_directory", "c.h5")
    r = run(["run", a.model, "--quiet", "--duration", "20", "--out", os.path.join(work, "x.h5"), "--checkpoint", ck])
    if r is not None:
        if r.returncode == 0 or "no_such_directory" not in r.stderr or "checkpoint" not in r.stderr:
            failures.append(f"unwritable checkpoint on 3 ranks: exit status {r.returncode}, expected a failure "
                            f"naming the checkpoint:\n{r.stderr}")
        if os.path.exists(os.path.join(work, "x.h5")):
            failures.append("unwritable checkpoint on 3 ranks: a result file was written")
        left = [f for f in os.listdir(work) if ".tmp" in f]
        if left:
            failures.append(f"unwritable checkpoint on 3 ranks: files left behind: {left}")

    # 4. Resuming from a file that is not a checkpoint: every rank refuses it, rank 0 says why.
    not_ck = os.path.join(work, "bad.toml")
    r = run(["resume", not_ck, "--quiet", "--out", os.path.join(work, "y.h5")])
    if r is not None:
        if r.returncode != 2 or r.stderr.count("not a readable lamina checkpoint") != 1:
            failures.append(f"resume of a non-checkpoint on 3 ranks: exit status {r.returncode}, expected 2 with "
                            f"one message:\n{r.stderr}")
        if os.path.exists(os.path.join(work, "y.h5")):
            failures.append("resume of a non-checkpoint on 3 ranks: a result file was written")

    shutil.rmtree(work, ignore_errors=True)
    for f in failures:
        print("FAILED:", f)
    if not failures:
        print("errors on one or all ranks stop every rank with the message")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
