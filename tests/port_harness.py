"""Porting a whole small project for the build tests: the build files through nbfix, the C++ by
the few token swaps a tiny module needs (the C++ rules are tested elsewhere), then a real
`pip install` and the project's own tests."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from nbfix.port.build import port_build_files
from nbfix.port.files import write_ported
from nbfix.port.python import port_python_files, python_api_of

_CPP_SWAPS = (
    (r"#include <pybind11/pybind11\.h>", "#include <nanobind/nanobind.h>"),
    (r"namespace py = pybind11;", "namespace py = nanobind;"),
    # module options (`py::mod_gil_not_used()`) have no NB_MODULE argument
    (r"\bPYBIND11_MODULE\((\w+), (\w+)[^{]*\)\s*\{", r"NB_MODULE(\1, \2) {"),
)


def copy_project(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".git", "build", "*.egg-info", "__pycache__"))
    return target


def port_project(root: Path, target_version: int = 3) -> list:
    """Build files and Python code through nbfix (the Python facts read from the pybind11 C++,
    before the swaps), then the C++ swaps."""
    ported = port_build_files(root, target_version)
    ported += port_python_files([root], python_api_of([root]), target_version)
    write_ported(ported)
    for path in root.rglob("*.cpp"):
        text = path.read_text()
        for pattern, replacement in _CPP_SWAPS:
            text = re.sub(pattern, replacement, text)
        path.write_text(text)
    return ported


def pip_install(root: Path, site: Path) -> subprocess.CompletedProcess:
    """`pip install --no-build-isolation` into `site`: nanobind, scikit-build-core, cmake and
    ninja come from the test environment, so no network is needed."""
    return subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-build-isolation", "--no-deps", "--no-index",
         "--target", str(site), str(root)],
        capture_output=True, text=True, env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )


def run_tests(root: Path, site: Path, tests: str) -> subprocess.CompletedProcess:
    """The project's own tests against the installed module (not the source folder): pytest
    over a folder, a plain script (python_example's `tests/test.py`) run as it is."""
    path = root / tests
    command = [sys.executable, str(path)] if path.is_file() else [
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", "--rootdir", str(path), str(path)]
    return subprocess.run(
        command,
        capture_output=True, text=True, cwd=site, env={**os.environ, "PYTHONPATH": str(site)},
    )
