#!/usr/bin/env python3
"""W1 driven from Python in 1,000 runs of 1 ms against one run of 1 s (issue 10's target: at most
10 % more). Both on the same, continuing network after a 100 ms transient; best of --repeat, in
process CPU time and in wall time. Run: /usr/bin/python3 bench/python_pieces.py"""
import argparse
import json
import pathlib
import time

import lamina

root = pathlib.Path(__file__).resolve().parent.parent
ap = argparse.ArgumentParser(description=__doc__)
ap.add_argument("--model", default=str(root / "examples" / "w1_coba.toml"))
ap.add_argument("--repeat", type=int, default=5)
ap.add_argument("--pieces", type=int, default=1000)
args = ap.parse_args()

net = lamina.load(args.model, threads=1)
net.run(100.0)


def timed(pieces):
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(pieces):
        net.run(1000.0 / pieces)
    return time.perf_counter() - w0, time.process_time() - c0


best = {1: [float("inf")] * 2, args.pieces: [float("inf")] * 2}
for _ in range(args.repeat):
    for pieces in (1, args.pieces):
        wall, cpu = timed(pieces)
        best[pieces] = [min(best[pieces][0], wall), min(best[pieces][1], cpu)]
one, many = best[1], best[args.pieces]
print(json.dumps({"model": args.model, "pieces": args.pieces, "one_run_wall_s": one[0], "pieces_wall_s": many[0],
                  "one_run_cpu_s": one[1], "pieces_cpu_s": many[1], "ratio_wall": many[0] / one[0],
                  "ratio_cpu": many[1] / one[1]}))
