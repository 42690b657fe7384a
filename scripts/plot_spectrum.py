#!/usr/bin/python3
"""Plot a spectrum written by `lamina spectrum`: the Welch PSD with its specparam fit.

Usage: plot_spectrum.py DATA.json OUT.png

DATA.json holds freqs and power (the PSD, linear), fit_freqs, fit_model and fit_aperiodic (log10
power over the fit range), exponent, r_squared, peak_hz and peaks (fitted peak centres, Hz); the
lamina command writes it to a temporary file. Optional: noise_peaks (fitted peaks below the noise
level, drawn grey), unit (of the PSD, e.g. "pA^2/Hz"), segments, effective_segments,
resolution_hz and warning (shown in the title when the spectrum should not be over-read). Exit status 3 when matplotlib is missing (the
command then warns and carries on without a plot), 2 on bad input.
"""
import json
import math
import sys


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:  # the command warns and goes on without a plot
        print(f"plot_spectrum.py: matplotlib is not available: {e}", file=sys.stderr)
        return 3
    with open(argv[1]) as f:
        d = json.load(f)
    freqs = [f for f in d["freqs"]]
    power = d["power"]
    keep = [i for i, f in enumerate(freqs) if f > 0 and power[i] is not None and power[i] > 0]
    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=120)
    ax.loglog([freqs[i] for i in keep], [power[i] for i in keep], color="0.2", lw=1.2, label="Welch PSD")
    ff = d.get("fit_freqs") or []
    if ff:
        ax.loglog(ff, [10.0**v for v in d["fit_model"]], color="tab:red", lw=1.6,
                  label=f"specparam fit (R$^2$ {d.get('r_squared') or float('nan'):.3f})")
        ax.loglog(ff, [10.0**v for v in d["fit_aperiodic"]], color="tab:blue", lw=1.2, ls="--",
                  label=f"aperiodic, exponent {d.get('exponent') or float('nan'):.2f}")
    peak = d.get("peak_hz")
    if peak is not None and math.isfinite(peak):
        ax.axvline(peak, color="tab:green", lw=1.0, ls=":", label=f"alpha peak {peak:.2f} Hz")
    for k, f in enumerate(d.get("noise_peaks") or []):
        ax.axvline(f, color="0.6", lw=0.8, ls=":", label="fitted peak below noise level" if k == 0 else None)
    for lo, hi, name in [(1, 4, "δ"), (4, 8, "θ"), (8, 13, "α"), (13, 30, "β"), (30, 45, "γ")]:
        ax.axvspan(lo, hi, color="0.5" if name in "θβ" else "0.8", alpha=0.12, lw=0)
        ax.text(math.sqrt(lo * hi), 0.98, name, transform=ax.get_xaxis_transform(), ha="center", va="top",
                fontsize=9, color="0.35")
    fit_top = max(ff) if ff else 40.0
    top = min(max(freqs) if freqs else 100.0, max(100.0, 2.5 * fit_top))  # EEG range, not up to Nyquist
    ax.set_xlim(max(0.5, min([freqs[i] for i in keep], default=1.0)), top)
    shown = [power[i] for i in keep if freqs[i] <= top]
    if shown:
        ax.set_ylim(min(shown) / 2.0, max(shown) * 3.0)
    ax.set_xlabel("frequency (Hz)")
    unit = d.get("unit") or "unit^2/Hz"
    ax.set_ylabel("power spectral density (" + unit.replace("^2", "$^2$") + ")")
    title = f"{d.get('signal', '')}  ({d.get('file', '')})"
    if d.get("segments") is not None:
        title += f"\n{d['segments']} Welch segments ({d.get('effective_segments') or 0:.1f} effective), " \
                 f"{d.get('resolution_hz') or float('nan'):.3g} Hz resolution"
    if d.get("warning"):
        title += f"; {d['warning']}"
    ax.set_title(title, fontsize=9, color="tab:red" if d.get("warning") else "black")
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
