"""Shared harness of the Brian2 peer scripts (w1_coba.py, w2_cuba.py, w3_brunel.py).

Run the scripts with the Debian interpreter, /usr/bin/python3 (python3-brian 2.5.1); the default
`python3` on this machine is a pyenv without brian2.

Every script builds its network with the cpp_standalone device in a temporary directory
(build_on_run=False), calls run(), then device.build(...), which generates the C++ project,
compiles it with make and runs the binary once. With --repeat N the compiled binary is run N-1 more
times (same seed, so the same network and spikes) and the best simulation time is reported.

Timings in the JSON line (seconds, wall clock unless stated):
  sim_s        wall time of the simulation loop only: a CLOCK_MONOTONIC timer inserted with
               device.insert_code into the 'before_network_run' / 'after_network_run' slots, i.e.
               immediately around Network::run() in main.cpp. It excludes code generation,
               compilation, array allocation, synapse creation, initial values, spike-queue setup
               and writing results. Best of --repeat runs.
  sim_brian_s  Brian2's own Network::_last_run_time (device._last_run_time) for the same loop. Note:
               without OpenMP (--threads 1) Brian2 measures it with std::clock(), i.e. process CPU
               time, which is lower than wall time when the shared cores are busy; with OpenMP it
               is omp_get_wtime() wall time.
  build_s      network construction inside the binary: wall time of the whole `main` binary minus
               sim_s (synapse generation, initial values, spike-queue setup, plus writing the
               monitor results to disk at the end). Comparable to lamina's build phase.
  codegen_s    Python-side code generation in device.build (excluding make and the binary run).
  compile_s    make (C++ compilation and linking of the generated project).
  binary_s     wall time of the `main` binary (build_s + sim_s).
peak_rss_mb is the binary's VmHWM from /proc/self/status (MiB), read just before brian_end().
"""
import argparse
import json
import os
import shutil
import tempfile
import time

import numpy as np

import brian2
from brian2 import defaultclock, device, ms, prefs, seed, set_device

WALL_FILE = os.path.join('results', 'lamina_peer_run_wall.txt')
RSS_FILE = os.path.join('results', 'lamina_peer_peak_rss.txt')


def parse_args(workload, default_duration_ms, description, extra=()):
    """Common options; `extra` lists (flag, argparse keywords) pairs of a script's own options."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument('--duration', type=float, default=default_duration_ms,
                    help='model time in ms (default %(default)s)')
    ap.add_argument('--threads', type=int, default=1,
                    help='threads; 1 = serial Brian2 (no OpenMP), N > 1 = OpenMP with N threads')
    ap.add_argument('--seed', type=int, default=1, help='random seed (network and input)')
    ap.add_argument('--repeat', type=int, default=1,
                    help='run the compiled binary N times and report the best sim_s')
    ap.add_argument('--jobs', type=int, default=2, help='make -j for the compilation (default 2)')
    ap.add_argument('--dir', default=None,
                    help='project directory (default: a fresh temporary directory, deleted afterwards)')
    ap.add_argument('--keep', action='store_true', help='keep the temporary project directory')
    for flag, kwargs in extra:
        ap.add_argument(flag, **kwargs)
    args = ap.parse_args()
    args.workload = workload
    return args


def setup_device(args):
    """cpp_standalone in a temporary directory, dt = 0.1 ms, seeded. Call before creating objects."""
    args.project_dir = args.dir or tempfile.mkdtemp(prefix=f'brian2_{args.workload.lower()}_')
    set_device('cpp_standalone', directory=args.project_dir, build_on_run=False)
    prefs.devices.cpp_standalone.openmp_threads = args.threads if args.threads > 1 else 0
    prefs.devices.cpp_standalone.extra_make_args_unix = [f'-j{args.jobs}']
    defaultclock.dt = 0.1 * ms
    seed(args.seed)
    # Wall-clock timer immediately around Network::run (see the module docstring). <time.h> and
    # <fstream> are already included by Brian2's main.cpp.
    device.insert_code('before_network_run',
                       'struct timespec _lamina_t0; clock_gettime(CLOCK_MONOTONIC, &_lamina_t0);')
    device.insert_code('after_network_run',
                       '{ struct timespec _lamina_t1; clock_gettime(CLOCK_MONOTONIC, &_lamina_t1);'
                       f' std::ofstream _lamina_f("{WALL_FILE}"); _lamina_f.precision(9);'
                       ' _lamina_f << (double)(_lamina_t1.tv_sec - _lamina_t0.tv_sec)'
                       ' + 1e-9 * (double)(_lamina_t1.tv_nsec - _lamina_t0.tv_nsec) << std::endl; }')
    # Peak resident memory of the binary (VmHWM), read just before brian_end() frees the arrays.
    device.insert_code('before_end',
                       '{ std::ifstream _lamina_s("/proc/self/status"); std::string _lamina_l;'
                       f' std::ofstream _lamina_o("{RSS_FILE}");'
                       ' while (std::getline(_lamina_s, _lamina_l))'
                       ' if (_lamina_l.rfind("VmHWM:", 0) == 0) _lamina_o << _lamina_l.substr(6) << std::endl; }')


def _read_wall(project_dir):
    with open(os.path.join(project_dir, WALL_FILE)) as f:
        return float(f.read().split()[0])


def _read_rss_mb(project_dir):
    try:
        with open(os.path.join(project_dir, RSS_FILE)) as f:
            return float(f.read().split()[0]) / 1024.0  # kB -> MiB
    except (OSError, ValueError, IndexError):
        return None


def build_and_run(args):
    """Generate, compile and run; returns a dict of timings (seconds)."""
    t0 = time.perf_counter()
    device.build(directory=args.project_dir, compile=True, run=True, debug=False)
    total = time.perf_counter() - t0
    make = device.timers['compile'].get('make') or 0.0
    clean = device.timers['compile'].get('clean') or 0.0
    runs = [(_read_wall(args.project_dir), device.timers['run_binary'], device._last_run_time)]
    for _ in range(max(args.repeat, 1) - 1):
        device.run(args.project_dir, False, [])
        runs.append((_read_wall(args.project_dir), device.timers['run_binary'], device._last_run_time))
    best = min(runs, key=lambda r: r[0])
    return {
        'sim_s': best[0],
        'sim_brian_s': best[2],
        'build_s': max(best[1] - best[0], 0.0),
        'binary_s': best[1],
        'codegen_s': max(total - make - clean - runs[0][1], 0.0),
        'compile_s': make + clean,
        'sim_s_all': [r[0] for r in runs],
        'peak_rss_mb': _read_rss_mb(args.project_dir),
    }


def report(args, timings, spike_counts, n_exc, n_inh, out_degree, extra=None):
    """Print the one JSON line.

    spike_counts: spikes per neuron (excitatory first); out_degree: recurrent synapses per neuron.
    events_per_s = sum_n spikes_n * out_degree_n / sim_s, the recurrent synaptic events delivered per
    second of simulation wall time (external Poisson input not counted).
    """
    counts = np.asarray(spike_counts, dtype=np.int64)
    outdeg = np.asarray(out_degree, dtype=np.int64)
    T = args.duration / 1000.0
    events = int(np.dot(counts, outdeg))
    out = {
        'simulator': 'brian2',
        'version': brian2.__version__,
        'device': 'cpp_standalone',
        'workload': args.workload,
        'threads': args.threads,
        'seed': args.seed,
        'dt_ms': 0.1,
        'model_time_s': T,
        **timings,
        'spikes': int(counts.sum()),
        'rate_E_hz': float(counts[:n_exc].sum() / (n_exc * T)),
        'rate_I_hz': float(counts[n_exc:n_exc + n_inh].sum() / (n_inh * T)),
        'synapses': int(outdeg.sum()),
        'synaptic_events': events,
        'events_per_s': events / timings['sim_s'] if timings['sim_s'] > 0 else None,
    }
    if extra:
        out.update(extra)
    print(json.dumps(out), flush=True)


def cleanup(args):
    if args.dir is None and not args.keep:
        shutil.rmtree(args.project_dir, ignore_errors=True)
