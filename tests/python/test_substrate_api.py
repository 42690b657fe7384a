"""The agent substrate from Python (lamina.Substrate) and over JSON lines (`lamina substrate serve`):
the same calls, exact persistence across processes, and malformed requests that change nothing."""
import json
import os
import pathlib
import subprocess

import numpy as np
import pytest

import lamina

SMALL = pathlib.Path(__file__).resolve().parents[2] / "examples" / "agent" / "small.toml"


def item(k, dims=100):
    return np.sin(np.arange(dims) * 0.37 * (k + 1) + k)


def train(s):
    for n in range(4):
        for p in range(3):
            s.observe(item(p), [f"a{p}", f"b{p}"], 100.0)
            s.idle(300.0)


def test_python_substrate_learns_pairs_and_resumes_exactly(tmp_path):
    s = lamina.Substrate(str(SMALL))
    train(s)
    assert [a for a, _ in s.associations("a1", 3)][0] == "b1"
    got = []
    s.set_trigger_callback(got.append)
    path = str(tmp_path / "state.h5")
    s.save(path)
    first = s.idle(10000.0)
    assert got == first
    t = lamina.Substrate.from_state(path)
    assert t.labels == s.labels
    assert t.idle(10000.0) == first
    assert t.stats()["triggers"] == s.stats()["triggers"]
    with pytest.raises(RuntimeError):
        s.observe(np.ones(3), ["x"], 100.0)
    with pytest.raises(RuntimeError):
        s.associations("nobody")


def binary():
    exe = os.environ.get("LAMINA_BINARY")
    if not exe:
        pytest.skip("LAMINA_BINARY is not set (ctest sets it)")
    return exe


class Server:
    def __init__(self, *args):
        self.p = subprocess.Popen([binary(), "substrate", "serve", *args], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        assert json.loads(self.p.stdout.readline()) == {"ok": True, "ready": True}

    def raw(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        return json.loads(self.p.stdout.readline())

    def __call__(self, **req):
        return self.raw(json.dumps(req))

    def close(self):
        self.p.stdin.close()
        assert self.p.wait(timeout=60) == 0


def conversation(srv):
    for n in range(4):
        for p in range(3):
            r = srv(op="observe", embedding=list(item(p)), labels=[f"a{p}", f"b{p}"], duration_ms=100)
            assert r["ok"], r
            assert srv(op="idle", duration_ms=300)["ok"]
    assert srv(op="reward", value=1.0) == {"ok": True}


def test_serve_answers_every_request_and_survives_malformed_ones(tmp_path):
    srv = Server("--model", str(SMALL))
    conversation(srv)
    before = srv(op="stats")
    bad = ["not json", "[1, 2]", '{"no_op": 1}', '{"op": 3}', '{"op": "fly"}',
           '{"op": "observe", "embedding": [1, 2], "labels": ["x"]}',
           '{"op": "observe", "embedding": "abc"}', '{"op": "observe", "labels": [1]}',
           '{"op": "observe", "labels": ["x"], "duration_ms": -5}', '{"op": "idle"}',
           '{"op": "idle", "duration_ms": "long"}', '{"op": "reward", "value": "much"}',
           '{"op": "associations", "label": "nobody"}', '{"op": "associations", "label": "a0", "k": 0}',
           '{"op": "load", "path": "/nonexistent/x.h5"}', '{"op": "save", "path": "/nonexistent/dir/x.h5"}',
           '{"op": "learning", "enabled": "yes"}', '{"op": "observe", "text": "hello", "embedding": [1]}']
    for line in bad:
        r = srv.raw(line)
        assert r["ok"] is False and isinstance(r["error"], str) and r["error"], (line, r)
    after = srv(op="stats")
    assert after == before  # nothing changed
    a = srv(op="associations", label="a2", k=2)
    assert a["ok"] and a["associations"][0]["label"] == "b2"
    srv.close()


def test_serve_state_continues_bitwise_in_a_new_process(tmp_path):
    path = str(tmp_path / "mid.h5")
    one = Server("--model", str(SMALL))
    conversation(one)
    assert one(op="save", path=path) == {"ok": True}
    rest = [dict(op="observe", embedding=list(item(5)), labels=["a5", "b0"], duration_ms=100),
            dict(op="idle", duration_ms=8000), dict(op="associations", label="a0", k=3),
            dict(op="idle", duration_ms=8000), dict(op="stats")]
    answers_one = [one(**r) for r in rest]
    one.close()
    two = Server("--state", path)
    answers_two = [two(**r) for r in rest]
    two.close()
    assert answers_one == answers_two
    assert answers_one[-1]["labels"] == 7
