"""`nbfix port` proven by compiling: a pybind11 module is built and exercised, ported, built with
nanobind and exercised again; every call gives the same result (apart from the Python-side
differences PORTING.md lists, which the behaviour script states)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from compile_harness import HarnessError, python_cmake_dir, tool
from conftest import FIXTURES, nbfix_executable

ZOO = FIXTURES / "port" / "compile" / "zoo"


EIGEN = Path("/usr/include/eigen3")  # Debian's libeigen3-dev


def _cmake_lists(dialect: str, include: Path | None = None) -> str:
    lines = [
        "cmake_minimum_required(VERSION 3.18...3.31)",
        "project(zoo_port LANGUAGES CXX)",
        "set(CMAKE_CXX_STANDARD 17)",
        "set(PYBIND11_FINDPYTHON ON)",
        "find_package(Python 3.10 COMPONENTS Interpreter Development.Module REQUIRED)",
    ]
    if dialect == "nanobind":
        lines += ["find_package(nanobind CONFIG REQUIRED)", "nanobind_add_module(zoo_port NB_STATIC bind.cpp)"]
    else:
        lines += ["find_package(pybind11 CONFIG REQUIRED)", "pybind11_add_module(zoo_port bind.cpp)"]
    if include is not None:
        lines.append(f"target_include_directories(zoo_port PRIVATE {include.as_posix()})")
    return "\n".join(lines) + "\n"


def _build(folder: Path, dialect: str, include: Path | None = None) -> Path:
    (folder / "CMakeLists.txt").write_text(_cmake_lists(dialect, include))
    build = folder / f"build-{dialect}"
    cmake, ninja = tool("cmake", "pip install cmake"), tool("ninja", "pip install ninja")
    package, flag = ("nanobind", "--cmake_dir") if dialect == "nanobind" else ("pybind11", "--cmakedir")
    for command in (
        [cmake, "-S", str(folder), "-B", str(build), "-G", "Ninja", f"-DCMAKE_MAKE_PROGRAM={ninja}",
         "-DCMAKE_BUILD_TYPE=Release", f"-DPython_EXECUTABLE={sys.executable}",
         f"-D{package}_DIR={python_cmake_dir(package, flag)}"],
        [cmake, "--build", str(build), "-j", "2"],
    ):
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise HarnessError(f"{dialect} build failed:\n{result.stdout[-6000:]}\n{result.stderr[-6000:]}")
    return build


def _behave(folder: Path, build: Path, phase: str) -> dict:
    env = {"PYTHONPATH": str(build), "PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run([sys.executable, "behaviour.py", phase], cwd=folder, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, f"{phase}:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def zoo(tmp_path_factory) -> Path:
    if not (shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")):
        pytest.skip("no C++ compiler")
    folder = tmp_path_factory.mktemp("port") / "zoo"
    shutil.copytree(ZOO, folder)
    return folder


def test_ported_module_builds_with_nanobind_and_behaves_the_same(zoo: Path):
    before = _behave(zoo, _build(zoo, "pybind11"), "before")
    original = (zoo / "bind.cpp").read_bytes()

    ported = subprocess.run([nbfix_executable(), "port", "bind.cpp", "zoo.h"], cwd=zoo, capture_output=True, text=True)
    assert ported.returncode in (0, 1), ported.stderr
    text = (zoo / "bind.cpp").read_text()
    assert text.encode() != original and "pybind11" not in text and "py::" not in text, text
    assert "nb::init<int, int>()" in text, "the forwarding Flock factory should have become init<...>"
    assert "grid.shape_ptr()" in text, "the whole shape should have become shape_ptr()"
    assert "nb::bind_vector<std::vector<zoo::Keeper>, nb::rv_policy::reference_internal_v>" in text
    assert "nb::new_(&zoo::issue_permit)" in text
    assert "Next: build with nanobind" in ported.stdout
    again = subprocess.run([nbfix_executable(), "port", "bind.cpp", "zoo.h"], cwd=zoo, capture_output=True, text=True)
    assert (zoo / "bind.cpp").read_text() == text, "a second port changed the file"
    assert "Would port" not in again.stdout and "Ported 0 files" in again.stdout

    after = _behave(zoo, _build(zoo, "nanobind"), "after")
    assert after["results"] == before["results"]


def test_eigen_views_port_and_write_through_the_same(tmp_path: Path):
    """`py::EigenDRef` is nanobind's `DRef` (both libraries define `EigenDRef`/`DRef` and
    `EigenDMap`/`DMap` as the same Eigen types): after the port, C-ordered, Fortran-ordered and
    strided arrays are still written in place. Skipped where Eigen is not installed (CI)."""
    if not (EIGEN / "Eigen").is_dir() or not (shutil.which("c++") or shutil.which("g++")):
        pytest.skip("no Eigen headers (Debian: libeigen3-dev) or no C++ compiler")
    folder = tmp_path / "eigen"
    shutil.copytree(FIXTURES / "port" / "compile" / "eigen", folder)
    before = _behave(folder, _build(folder, "pybind11", EIGEN), "before")
    ported = subprocess.run([nbfix_executable(), "port", "bind.cpp"], cwd=folder, capture_output=True, text=True)
    assert ported.returncode == 0, ported.stdout + ported.stderr
    text = (folder / "bind.cpp").read_text()
    assert "nb::DRef<" in text and "<nanobind/eigen/dense.h>" in text and "Eigen" + "DRef" not in text, text
    after = _behave(folder, _build(folder, "nanobind", EIGEN), "after")
    assert after["results"] == before["results"]


MIXED_CONSTRUCTORS = """
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>
namespace nb = nanobind;
struct Pet { int legs = 4; Pet() = default; explicit Pet(int legs) : legs(legs) {} };
Pet *adopt(std::string name) { return new Pet((int) name.size()); }
struct Cat : Pet { using Pet::Pet; };
Cat *stray(std::string name) { return new Cat((int) name.size()); }
NB_MODULE(zoo_port, m) {
    nb::class_<Pet>(m, "Pet").def(nb::init<int>()).def(nb::new_(&adopt)).def_ro("legs", &Pet::legs);
    nb::class_<Cat>(m, "Cat").def(nb::new_(&stray)).def(nb::init<>()).def_ro("legs", &Cat::legs);
}
"""
MIXED_BEHAVIOUR = """
import json, sys
import zoo_port as m
out = {"adopted": m.Pet("rex").legs}
try:
    out["by_legs"] = m.Pet(4).legs
except TypeError:
    out["by_legs"] = "TypeError"
out["stray"] = m.Cat("tom").legs
try:
    out["default_cat"] = m.Cat().legs
except TypeError:
    out["default_cat"] = "TypeError"
print(json.dumps({"phase": sys.argv[1], "results": out}))
"""


def test_nanobind_new_beside_an_init_with_arguments_breaks_it(tmp_path: Path):
    """Why NB504 writes `nb::new_(factory)` only on a class with no other constructor: every
    construction goes through the `__new__` overloads `new_` makes, which accept only the
    factory's arguments (`Pet(4)` raises TypeError; `Cat()` makes an uninitialised object)."""
    if not (shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")):
        pytest.skip("no C++ compiler")
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "bind.cpp").write_text(MIXED_CONSTRUCTORS)
    (folder / "behaviour.py").write_text(MIXED_BEHAVIOUR)
    results = _behave(folder, _build(folder, "nanobind"), "nanobind")["results"]
    assert results == {"adopted": 3, "by_legs": "TypeError", "stray": 3, "default_cat": "TypeError"}
