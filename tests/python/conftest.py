"""pytest setup for the lamina module tests (ctest runs them with PYTHONPATH at build/python)."""
import os
import pathlib

import pytest

import lamina

SOURCE_DIR = pathlib.Path(os.environ.get("LAMINA_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))


def pytest_configure(config):
    config.addinivalue_line("markers", "engine(*functions): needs these engine functions of issue 10 "
                                       "(sim::network); an expected NotImplementedError while main lacks one")


def pytest_collection_modifyitems(config, items):
    # While main has not implemented a function the module binds, the test that needs it is
    # expected to fail with NotImplementedError (and only with that); it runs normally once main
    # implements it, so nothing here can hide a wrong result.
    pending = set(lamina._lamina.engine_pending())
    for item in items:
        for mark in item.iter_markers("engine"):
            missing = sorted(pending.intersection(mark.args))
            if missing:
                item.add_marker(pytest.mark.xfail(raises=NotImplementedError, strict=True,
                                                  reason="not on main yet: " + ", ".join(missing)))


@pytest.fixture
def source_dir():
    return SOURCE_DIR
