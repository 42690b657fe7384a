"""Ctrl-C during a run: KeyboardInterrupt at the next window, and the network runs on."""
import os
import signal
import threading
import time

import pytest

from networks import brunel


def test_sigint_during_a_run_raises_keyboard_interrupt_and_leaves_the_network_usable():
    net = brunel(n_e=2000, n_i=500)
    net.run(1.0)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    started = time.monotonic()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        net.run(1_000_000.0)  # hours of work: only the interrupt ends it
    timer.join()
    assert time.monotonic() - started < 30.0
    stopped = net.time
    assert 1.0 < stopped < 1_000_000.0
    assert net.spikes("E").times.max() <= stopped + 1e-9
    net.run(10.0)
    assert net.time == pytest.approx(stopped + 10.0)
    # Python's own handler is back: a Ctrl-C outside a run is an ordinary KeyboardInterrupt.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5.0)


def test_runs_from_other_threads_release_the_gil():
    net = brunel(n_e=2000, n_i=500)
    ticks = []
    stop = threading.Event()

    def count():
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.005)

    calibration = time.monotonic()
    net.run(50.0)
    per_ms = (time.monotonic() - calibration) / 50.0
    counter = threading.Thread(target=count)
    counter.start()
    # About half a second of engine time, whatever the machine; longer if the machine sped up.
    duration = 0.5 / per_ms
    for _ in range(4):
        started = time.monotonic()
        net.run(round(duration))
        elapsed = time.monotonic() - started
        if elapsed > 0.2:
            break
        duration *= 2
    stop.set()
    counter.join()
    during = [t for t in ticks if started < t < started + elapsed]
    # With the GIL held the counter could not tick during the run; free, it ticks every 5 ms or so
    # (at least 10 of about 40-100 even on a loaded machine).
    assert elapsed > 0.2 and len(during) >= 10


def test_a_running_network_refuses_other_threads():
    net = brunel(n_e=2000, n_i=500)
    net.run(1.0)
    runner = threading.Thread(target=net.run, args=(1000.0,))
    runner.start()
    time.sleep(0.05)
    refused = None
    if runner.is_alive():
        try:
            net.run(1.0)
        except RuntimeError as e:
            refused = str(e)
    runner.join()
    if refused is None:
        pytest.skip("the run ended before the second thread asked")  # a very fast machine
    assert "running" in refused
    net.run(1.0)  # usable again
    assert net.time == pytest.approx(1002.0)
