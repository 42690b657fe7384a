"""pytest setup for the lamina module tests (ctest runs them with PYTHONPATH at build/python)."""
import os
import pathlib

import pytest

import lamina

SOURCE_DIR = pathlib.Path(os.environ.get("LAMINA_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))


def pytest_configure(config):
    config.addinivalue_line("markers", "engine(*functions): needs these engine functions of issue 10 "
                                       "(sim::network); an expected NotImplementedError while main lacks one")
    config.addinivalue_line("markers", "engine_devices_after_build: needs stimuli added after build (issue 10)")


def devices_after_build_refused():
    """Whether this engine still refuses stimuli added after build (issue 10 allows them)."""
    net = lamina.Network(threads=1)
    net.population("E", "lif_psc_delta", 1)
    net.run(0.1)
    try:
        net.dc("E", 1.0)
    except RuntimeError as e:
        return "after the network was built" in str(e)
    return False


def pytest_collection_modifyitems(config, items):
    # While main has not implemented a function the module binds, the test that needs it is
    # expected to fail with NotImplementedError (and only with that); it runs normally once main
    # implements it, so nothing here can hide a wrong result.
    pending = set(lamina._lamina.engine_pending())
    if any(item.get_closest_marker("engine_devices_after_build") for item in items) and devices_after_build_refused():
        for item in items:
            if item.get_closest_marker("engine_devices_after_build"):
                item.add_marker(pytest.mark.xfail(raises=RuntimeError, strict=True,
                                                  reason="not on main yet: devices added after build"))
    for item in items:
        for mark in item.iter_markers("engine"):
            missing = sorted(pending.intersection(mark.args))
            if missing:
                item.add_marker(pytest.mark.xfail(raises=NotImplementedError, strict=True,
                                                  reason="not on main yet: " + ", ".join(missing)))


@pytest.fixture
def source_dir():
    return SOURCE_DIR
