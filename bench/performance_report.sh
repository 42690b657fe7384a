#!/usr/bin/env bash
# Runs the measurements behind docs/performance.md on this machine, in one go, and prints them:
# Brian2 vs lamina on W1-W4 (1 thread, best of 3), W3 on 1 and 2 threads, W3 with E->E pair STDP
# against static W3, and the Google Benchmark suite. Needs a quiet machine: other load distorts the
# wall-clock figures (the ratios less, since both sides run in the same window).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-results/performance}
mkdir -p "$out"
echo "== Brian2 vs lamina, 1 thread, best of 3 (W4: 2 s of model time)"
/usr/bin/python3 bench/peers/compare.py --workloads W1,W2,W3 --duration 1000 --repeat 3 --threads 1 --out "$out/compare_w1_w3.json"
/usr/bin/python3 bench/peers/compare.py --workloads W4 --duration 2000 --repeat 3 --threads 1 --out "$out/compare_w4.json"
echo "== W3 on 1 and 2 threads (best of 3)"
for t in 1 2; do
  for r in 1 2 3; do build/bench/lamina_workload W3 --threads $t --no-record; done |
    /usr/bin/python3 -c 'import json,sys; print(json.dumps(min((json.loads(l) for l in sys.stdin), key=lambda r: r["sim_s"])))' |
    tee -a "$out/w3_threads.jsonl"
done
echo "== Google Benchmark: workloads, plastic cost"
build/bench/bench_workloads --benchmark_out="$out/bench_workloads.json" --benchmark_out_format=json
