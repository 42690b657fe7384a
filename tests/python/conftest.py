"""pytest setup for the lamina module tests (ctest runs them with PYTHONPATH at build/python)."""
import os
import pathlib

import pytest

SOURCE_DIR = pathlib.Path(os.environ.get("LAMINA_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))


@pytest.fixture
def source_dir():
    return SOURCE_DIR
