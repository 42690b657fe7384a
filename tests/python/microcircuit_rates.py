"""The Potjans & Diesmann (2014) microcircuit of examples/potjans_diesmann_2014.toml against NEST's
full-scale reference rates: every population's rate within a tolerance of NEST's and its mean ISI
CV in [0.7, 1.2] (irregular firing).

Usage: microcircuit_rates.py LAMINA_BINARY SOURCE_DIR OUT_DIR [--n-scaling N] [--k-scaling K]
       [--duration MS] [--transient MS] [--tolerance REL] [--threads N] [--seed S]
       [--reference 2016|nest3-mpi|current]

At full scale (the default) it runs examples/potjans_diesmann_2014.toml as shipped, after checking
that the file is what examples/potjans_diesmann_2014.py writes. Downscaled, it runs the file that
script writes for --n-scaling/--k-scaling (NEST's N_scaling and K_scaling, with weights divided by
sqrt(K) and the missing mean input given as DC). Rates and CVs are measured on the spikes after
the transient. Exits 1 (listing every failure) if a check fails."""
import argparse
import importlib.util
import json
import pathlib
import subprocess
import sys

import h5py
import numpy as np

# NEST's PyNEST example Potjans_2014 (network_params.py, 'full_mean_rates') has published three sets
# of full-scale rates as the example and NEST changed:
# - "2016": the example of May 2016 (NEST 2.x, initial V_m ~ N(-58, 10) for all populations);
# - "nest3-mpi": NEST 3.0's example with the "optimized" initial V_m that examples/
#   potjans_diesmann_2014.toml uses, run "with 12 MPI processes";
# - "current": the same example as rerun for NEST 3.x's present code, "without MPI,
#   local_num_threads 4".
# The parameters are the same in all three; the rates differ by up to 11.5 % (L6E 0.991 -> 1.105 Hz),
# which is the spread between realisations of one model that NEST itself reports.
NEST_FULL_SCALE_RATES = {
    "2016": {"L23E": 0.971, "L23I": 2.868, "L4E": 4.746, "L4I": 5.396,
             "L5E": 8.142, "L5I": 9.078, "L6E": 0.991, "L6I": 7.523},
    "nest3-mpi": {"L23E": 0.943, "L23I": 3.026, "L4E": 4.368, "L4I": 5.882,
                  "L5E": 7.733, "L5I": 8.664, "L6E": 1.096, "L6I": 7.851},
    "current": {"L23E": 0.903, "L23I": 2.965, "L4E": 4.414, "L4I": 5.876,
                "L5E": 7.569, "L5I": 8.633, "L6E": 1.105, "L6I": 7.829},
}


def generator(source_dir):
    spec = importlib.util.spec_from_file_location("pd14", source_dir / "examples" / "potjans_diesmann_2014.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lamina")
    ap.add_argument("source_dir")
    ap.add_argument("out_dir")
    ap.add_argument("--n-scaling", type=float, default=1.0)
    ap.add_argument("--k-scaling", type=float, default=1.0)
    ap.add_argument("--duration", type=float, default=1500.0)
    ap.add_argument("--transient", type=float, default=500.0)
    ap.add_argument("--tolerance", type=float, default=0.10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cv-range", type=float, nargs=2, default=(0.7, 1.2))
    ap.add_argument("--seed", type=int, help="overrides the model file's run.seed")
    ap.add_argument("--reference", choices=sorted(NEST_FULL_SCALE_RATES), default="2016",
                    help="which of NEST's published full-scale rate sets the tolerance applies to "
                         "(every set is printed)")
    a = ap.parse_args()

    out = pathlib.Path(a.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    source = pathlib.Path(a.source_dir)
    tag = f"{a.n_scaling:g}_{a.k_scaling:g}"
    model = out / f"microcircuit_{tag}.toml"
    generator(source).write(model, False, a.n_scaling, a.k_scaling)
    if a.n_scaling == 1.0 and a.k_scaling == 1.0:
        shipped = source / "examples" / "potjans_diesmann_2014.toml"
        if model.read_text() != shipped.read_text():
            print(f"FAIL {shipped} is not what examples/potjans_diesmann_2014.py writes")
            return 1
        model = shipped
    result = out / f"microcircuit_{tag}.h5"
    command = [a.lamina, "run", str(model), "--json", "--threads", str(a.threads), "--duration",
               str(a.duration), "--out", str(result)]
    if a.seed is not None:
        command += ["--seed", str(a.seed)]
    r = subprocess.run(command, capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stdout, r.stderr)
        return 1
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    print(f"N scaling {a.n_scaling:g}, K scaling {a.k_scaling:g}: {summary['neurons']} neurons, {summary['synapses']} synapses, build "
          f"{summary['build_s']:.1f} s, real-time factor {summary['real_time_factor']:.2f} on {a.threads} threads, "
          f"peak {summary['peak_rss_mb']:.0f} MB")

    failures = []
    window_s = (a.duration - a.transient) * 1e-3
    with h5py.File(result, "r") as f:
        for pop, ref in NEST_FULL_SCALE_RATES[a.reference].items():
            t = f["spikes"][pop]["timestamps"][:]
            ids = f["spikes"][pop]["node_ids"][:]
            n = summary["populations"][pop]["size"]
            keep = t >= a.transient
            t, ids = t[keep], ids[keep]
            rate = len(t) / (n * window_s)
            order = np.lexsort((t, ids))
            t, ids = t[order], ids[order]
            cvs = []
            starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
            ends = np.r_[starts[1:], len(ids)]
            for b, e in zip(starts, ends):
                if e - b >= 4:  # at least three intervals
                    isi = np.diff(t[b:e])
                    cvs.append(isi.std() / isi.mean())
            cv = float(np.mean(cvs)) if cvs else float("nan")
            rel = (rate - ref) / ref
            others = ", ".join(f"{name} {100 * (rate - rates[pop]) / rates[pop]:+5.1f} %"
                               for name, rates in NEST_FULL_SCALE_RATES.items() if name != a.reference)
            print(f"  {pop:5s} rate {rate:6.3f} Hz (NEST {a.reference} {ref:5.3f}, {100 * rel:+5.1f} %; {others}), "
                  f"mean ISI CV {cv:.3f} over {len(cvs)} neurons")
            if abs(rel) > a.tolerance:
                failures.append(f"{pop}: rate {rate:.3f} Hz is {100 * rel:+.1f} % from NEST's {a.reference} {ref} Hz")
            if not (a.cv_range[0] <= cv <= a.cv_range[1]):
                failures.append(f"{pop}: mean ISI CV {cv:.3f} outside [{a.cv_range[0]}, {a.cv_range[1]}]")
    for msg in failures:
        print("FAIL", msg)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
