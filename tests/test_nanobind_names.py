"""The table of names nanobind declares is what compiling against nanobind says."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nbfix.port._nanobind_names_data import NAMES, VERSIONS
from nbfix.port.nanobind_names import declared, names_of


def test_the_table_matches_the_installed_nanobind():
    nanobind = pytest.importorskip("nanobind")
    major = int(nanobind.__version__.split(".")[0])
    if VERSIONS.get(major) != nanobind.__version__ or shutil.which("g++") is None:
        pytest.skip(f"the table holds nanobind {VERSIONS.get(major)}, {nanobind.__version__} is installed (or no g++)")
    assert names_of(Path(nanobind.__file__).parent.parent) == sorted(NAMES[major])


def test_names_by_version():
    assert declared("class_", 3) and declared("ndarray", 2) and declared("literals", 3)
    assert not declared("classh", 3) and not declared("array_t", 2) and not declared("size_t", 3)
    assert declared("type_freeze", 3) and not declared("type_freeze", 2)  # new in nanobind 3
