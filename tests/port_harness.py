"""Porting a whole small project for the build tests: `nbfix port .` run as a user runs it (C++,
build files and Python code in one command), then a real `pip install` and the project's own
tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path


def copy_project(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".git", "build", "*.egg-info", "__pycache__"))
    return target


def port_project(root: Path, target_version: int = 3) -> dict:
    """`nbfix port . --output-format json` in `root`: the report (exit 0, or 1 when items need a person)."""
    done = subprocess.run(
        [sys.executable, "-m", "nbfix", "port", ".", "--target-version", str(target_version), "--output-format", "json"],
        capture_output=True, text=True, cwd=root,
    )
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return json.loads(done.stdout)


def pip_install(root: Path, site: Path, config: list[str] = ()) -> subprocess.CompletedProcess:
    """`pip install --no-build-isolation` into `site`: nanobind, scikit-build-core, cmake and
    ninja come from the test environment, so no network is needed. `config`: `-C` settings for
    the build backend."""
    return subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-build-isolation", "--no-deps", "--no-index",
         *(f"-C{setting}" for setting in config), "--target", str(site), str(root)],
        capture_output=True, text=True, env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )


def run_tests(root: Path, site: Path, tests: str) -> subprocess.CompletedProcess:
    """The project's own tests against the installed module (not the source folder): pytest
    over a folder, a plain script (python_example's `tests/test.py`) run as it is."""
    path = root / tests
    command = [sys.executable, str(path)] if path.is_file() else [
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:asyncio", "-o", "addopts=", "--rootdir", str(path), str(path)]
    return subprocess.run(
        command,
        capture_output=True, text=True, cwd=site, env={**os.environ, "PYTHONPATH": str(site)},
    )
