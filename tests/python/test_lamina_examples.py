"""The scripts of examples/python run as a user runs them (shortened where they take options)."""
import os
import subprocess
import sys


def run_example(source_dir, name, *args):
    r = subprocess.run([sys.executable, str(source_dir / "examples" / "python" / name), *args],
                       capture_output=True, text=True, env=os.environ.copy(), timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_brunel_writes_its_raster_and_rates(source_dir, tmp_path):
    png = tmp_path / "brunel.png"
    out = run_example(source_dir, "brunel.py", "--scale", "0.1", "--duration", "200", "--out", str(png))
    assert png.stat().st_size > 10_000 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "E:" in out and "Hz" in out


def test_closed_loop_holds_the_rate_near_its_targets(source_dir):
    out = run_example(source_dir, "closed_loop.py", "--windows", "40")
    last = out.strip().splitlines()[-1]
    first_half, second_half = (float(x) for x in last.split(":")[1].replace("Hz", "").split("and"))
    assert first_half < 2.0 and second_half < 2.0  # within 2 Hz of 8 and 16 Hz at the end of each half


def test_checkpoint_resume_matches_the_uninterrupted_run(source_dir, tmp_path):
    out = run_example(source_dir, "checkpoint_resume.py", "--checkpoint", str(tmp_path / "c.h5"),
                      "--before", "150", "--after", "150")
    assert "identical: True" in out
