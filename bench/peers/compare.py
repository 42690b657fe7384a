#!/usr/bin/env python3
"""Run reference workloads in Brian2 and in lamina and compare simulation wall times and rates.

For every workload (shared/docs/workloads.md W1-W4) this runs
  Brian2:  /usr/bin/python3 bench/peers/brian2/<script> --duration MS --threads N --seed S --repeat R
           (cpp_standalone; compiled once, the binary run R times, best sim_s; see brian2/common.py)
  lamina:  build/bench/lamina_workload W --duration MS --threads N --seed S   (R times, best sim_s)
and prints a table (or, with --json, one JSON document) with both simulation wall times, their
ratio brian2_sim_s / lamina_sim_s (> 1: lamina is faster), build times and rates side by side.
Only the standard library is used, so any python3 can run this script; Brian2 itself is run with
--python (default /usr/bin/python3, the Debian interpreter that has brian2 2.5.1).

sim_s is the wall time of the simulation phase only on both sides (network construction and, for
Brian2, code generation and compilation excluded). "Best of --repeat" reduces the noise of a shared
machine; both simulators use the same seed, but their random streams differ, so W1/W2 networks are
different realisations and rates agree only statistically.

Examples:
  bench/peers/compare.py --workloads W1,W2 --duration 1000 --repeat 3
  bench/peers/compare.py --workloads W3 --duration 1000 --json --out results.json
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BRIAN2_SCRIPTS = {'W1': 'w1_coba.py', 'W2': 'w2_cuba.py', 'W3': 'w3_brunel.py', 'W4': 'w4_vogels2011.py',
                  'COBAHH': 'cobahh.py'}
# W4 (plastic) and COBAHH (Brette et al. 2007 benchmark 3) run on the lamina side through the
# `lamina` command and its example model file.
LAMINA_MODEL_FILES = {'W4': REPO / 'examples' / 'w4_vogels2011.toml',
                      'COBAHH': REPO / 'examples' / 'cobahh.toml'}


def last_json_line(text):
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith('{'):
            return json.loads(line)
    raise ValueError('no JSON line in the output')


def run_json(cmd, timeout):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        tail = '\n'.join(p.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f'{" ".join(cmd)} exited with {p.returncode}:\n{tail}')
    rec = last_json_line(p.stdout)
    rec['process_wall_s'] = wall
    return rec


def run_brian2(args, w):
    cmd = [args.python, str(HERE / 'brian2' / BRIAN2_SCRIPTS[w]), '--duration', str(args.duration),
           '--threads', str(args.threads), '--seed', str(args.seed), '--repeat', str(args.repeat),
           '--jobs', str(args.jobs)]
    return run_json(cmd, args.timeout)


def run_lamina_model_file(args, w):
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        cmd = [str(args.lamina_cli), 'run', str(LAMINA_MODEL_FILES[w]), '--duration', str(args.duration),
               '--threads', str(args.threads), '--seed', str(args.seed), '--json', '--quiet',
               '--out', str(Path(d) / 'out.h5')]
        runs = []
        for _ in range(max(args.repeat, 1)):
            r = run_json(cmd, args.timeout)
            pops = r.get('populations', {})
            r['rate_E_hz'] = pops.get('E', {}).get('rate_hz')
            r['rate_I_hz'] = pops.get('I', {}).get('rate_hz')
            runs.append(r)
    best = dict(min(runs, key=lambda r: r['sim_s']))
    best['sim_s_all'] = [r['sim_s'] for r in runs]
    return best


def run_lamina(args, w):
    if w in LAMINA_MODEL_FILES:
        return run_lamina_model_file(args, w)
    cmd = [str(args.lamina), w, '--duration', str(args.duration), '--threads', str(args.threads),
           '--seed', str(args.seed)]
    runs = [run_json(cmd, args.timeout) for _ in range(max(args.repeat, 1))]
    best = dict(min(runs, key=lambda r: r['sim_s']))
    best['sim_s_all'] = [r['sim_s'] for r in runs]
    return best


def ratio(a, b):
    try:
        return a / b if a is not None and b else None
    except TypeError:
        return None


def fmt(x, spec):
    return format(x, spec) if isinstance(x, (int, float)) else '-'


def print_table(results):
    head = ['workload', 'T (s)', 'thr', 'brian2 sim_s', 'lamina sim_s', 'ratio b/l',
            'brian2 build_s', 'lamina build_s', 'brian2 E/I Hz', 'lamina E/I Hz',
            'brian2 spikes', 'lamina spikes']
    rows = []
    for r in results:
        b, l = r.get('brian2') or {}, r.get('lamina') or {}
        rows.append([
            r['workload'], fmt(r['model_time_s'], 'g'), str(r['threads']),
            fmt(b.get('sim_s'), '.4f'), fmt(l.get('sim_s'), '.4f'), fmt(r.get('sim_ratio'), '.2f'),
            fmt(b.get('build_s'), '.3f'), fmt(l.get('build_s'), '.3f'),
            f"{fmt(b.get('rate_E_hz'), '.2f')} / {fmt(b.get('rate_I_hz'), '.2f')}",
            f"{fmt(l.get('rate_E_hz'), '.2f')} / {fmt(l.get('rate_I_hz'), '.2f')}",
            fmt(b.get('spikes'), 'd'), fmt(l.get('spikes'), 'd'),
        ])
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(head)]
    line = lambda cells: '  '.join(c.rjust(w) for c, w in zip(cells, widths))
    print(line(head))
    print('  '.join('-' * w for w in widths))
    for row in rows:
        print(line(row))
    for r in results:
        for side in ('brian2', 'lamina'):
            if r.get(f'{side}_error'):
                print(f"\n{r['workload']} {side} failed: {r[f'{side}_error']}")
    print('\nratio b/l = brian2 sim_s / lamina sim_s (simulation phase wall time, best of --repeat);'
          ' > 1 means lamina is faster.')


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog='\n'.join(__doc__.splitlines()[1:]))
    ap.add_argument('--workloads', default='W1,W2,W3', help='comma-separated subset of W1,W2,W3,W4,COBAHH')
    ap.add_argument('--lamina-cli', default=str(REPO / 'build' / 'apps' / 'lamina'),
                    help='the lamina command, for W4 (default: %(default)s)')
    ap.add_argument('--duration', type=float, default=1000.0, help='model time in ms (default 1000)')
    ap.add_argument('--threads', type=int, default=1, help='threads for both simulators (default 1)')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--repeat', type=int, default=1,
                    help='runs per simulator and workload; the best sim_s is reported')
    ap.add_argument('--lamina', default=str(REPO / 'build' / 'bench' / 'lamina_workload'),
                    help='lamina_workload executable (default: %(default)s)')
    ap.add_argument('--python', default='/usr/bin/python3', help='interpreter with brian2 (default %(default)s)')
    ap.add_argument('--jobs', type=int, default=2, help='make -j for Brian2 compilation (default 2)')
    ap.add_argument('--timeout', type=float, default=3600.0, help='per-process timeout in s')
    ap.add_argument('--skip-brian2', action='store_true', help='run lamina only')
    ap.add_argument('--skip-lamina', action='store_true', help='run Brian2 only')
    ap.add_argument('--json', action='store_true', help='print one JSON document instead of the table')
    ap.add_argument('--out', help='also write the JSON document to this file')
    args = ap.parse_args()

    workloads = [w.strip().upper() for w in args.workloads.split(',') if w.strip()]
    unknown = [w for w in workloads if w not in BRIAN2_SCRIPTS]
    if unknown:
        ap.error(f'unknown workload(s): {",".join(unknown)}')
    args.lamina = Path(args.lamina).expanduser().resolve()
    args.lamina_cli = Path(args.lamina_cli).expanduser().resolve()
    if not args.skip_lamina and not os.access(args.lamina, os.X_OK):
        ap.error(f'lamina executable not found: {args.lamina} (build the lamina_workload target or pass --lamina)')

    results = []
    for w in workloads:
        r = {'workload': w, 'model_time_s': args.duration / 1000.0, 'threads': args.threads, 'seed': args.seed}
        for side, fn, skip in (('brian2', run_brian2, args.skip_brian2), ('lamina', run_lamina, args.skip_lamina)):
            if skip:
                continue
            print(f'[compare] {w}: running {side} ...', file=sys.stderr, flush=True)
            try:
                r[side] = fn(args, w)
            except Exception as e:  # keep going with the other simulator/workloads
                r[f'{side}_error'] = str(e)
        b, l = r.get('brian2') or {}, r.get('lamina') or {}
        r['sim_ratio'] = ratio(b.get('sim_s'), l.get('sim_s'))          # brian2 / lamina
        r['build_ratio'] = ratio(b.get('build_s'), l.get('build_s'))
        r['loadavg_1min'] = os.getloadavg()[0] if hasattr(os, 'getloadavg') else None  # after this workload
        results.append(r)

    doc = {
        'created': datetime.datetime.now().isoformat(timespec='seconds'),
        'host': platform.node(),
        'cpus': os.cpu_count(),
        'loadavg_at_end': os.getloadavg() if hasattr(os, 'getloadavg') else None,
        'settings': {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        'sim_ratio_definition': 'brian2 sim_s / lamina sim_s (simulation-phase wall time, best of repeat)',
        'results': results,
    }
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(doc, f, indent=2)
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        print_table(results)
    return 1 if any(k.endswith('_error') for r in results for k in r) else 0


if __name__ == '__main__':
    sys.exit(main())
