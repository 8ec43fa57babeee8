"""A ported project builds with a real `pip install` and passes its own tests: a tiny generated
pybind11 project, pybind's cmake_example, scikit_build_example and python_example (copied into
fixtures/port/projects) and mapbox_earcut's sdist from PyPI."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import FIXTURES
from port_harness import copy_project, pip_install, port_project, run_tests
from real_sources import sdist_root

TINY = {
    "setup.py": '''
        from pybind11.setup_helpers import Pybind11Extension, build_ext
        from setuptools import setup

        __version__ = "0.2.0"

        setup(
            name="tiny",
            version=__version__,
            description="A tiny pybind11 project",
            ext_modules=[
                Pybind11Extension(
                    "tiny._ext",
                    ["src/ext.cpp"],
                    include_dirs=["include"],
                    define_macros=[("VERSION_INFO", __version__), ("TINY_SCALE", "3")],
                    cxx_std=17,
                ),
            ],
            cmdclass={"build_ext": build_ext},
            python_requires=">=3.8",
        )
    ''',
    "pyproject.toml": '''
        [build-system]
        requires = ["setuptools>=42", "pybind11>=2.10"]
        build-backend = "setuptools.build_meta"
    ''',
    "include/scale.h": '''
        inline int scale(int x) { return x * TINY_SCALE; }
    ''',
    "src/ext.cpp": '''
        #include <pybind11/pybind11.h>
        #include "scale.h"

        #define STRINGIFY(x) #x
        #define MACRO_STRINGIFY(x) STRINGIFY(x)

        namespace py = pybind11;

        enum class Color { Red = 1, Green = 2 };

        PYBIND11_MODULE(_ext, m) {
            m.def("scale", &scale);
            m.def("pick", [](bool bright, int level) { return bright ? level : -level; },
                  py::arg("bright"), py::arg("level"));
            py::enum_<Color>(m, "Color").value("Red", Color::Red).value("Green", Color::Green);
            m.attr("__version__") = MACRO_STRINGIFY(VERSION_INFO);
        }
    ''',
    "tiny/__init__.py": '''
        from ._ext import Color, __version__, pick, scale
    ''',
    "tests/test_tiny.py": '''
        import tiny


        def test_version_comes_from_the_project():
            assert tiny.__version__ == "0.2.0"


        def test_include_dirs_and_define_macros_reach_the_compiler():
            assert tiny.scale(2) == 6


        def test_what_pybind11_accepted_and_nanobind_rejects():
            assert tiny.pick(1, level=3) == 3
            assert tiny.pick(bright=0, level=3) == -3
            assert int(tiny.Color.Green) == 2
    ''',
}


def test_a_ported_setup_py_project_builds_and_passes_its_tests(tmp_path: Path):
    root = tmp_path / "tiny"
    for name, text in TINY.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text).lstrip())
    report = port_project(root)
    ported = {f["path"] for f in report["files"] if f["changed"]}
    assert ported == {"CMakeLists.txt", "pyproject.toml", "src/ext.cpp", "tests/test_tiny.py"}
    assert [(f["path"], [i["code"] for i in f["needs_a_person"]]) for f in report["files"] if f["needs_a_person"]] == [
        ("setup.py", ["NB508"])]  # delete it: the build no longer reads it
    installed = pip_install(root, tmp_path / "site")
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]
    tested = run_tests(root, tmp_path / "site", "tests")
    assert tested.returncode == 0, tested.stdout + tested.stderr


# Real projects from GitHub, copied at the pinned commits into fixtures/port/projects (see its
# README): (folder, their tests).
REAL = [
    ("cmake_example", "tests"),
    ("scikit_build_example", "tests"),
    ("python_example", "tests/test.py"),
]

# Real projects from PyPI, as their sdists: (name, sdist URL, sha256, top folder, their tests).
# They run wherever PyPI is reachable, CI too (`tests/real_sources.py` caches them).
SDISTS = [
    # NumPy arrays in and out (NB510), built through scikit-build-core; its tests import numpy.
    ("mapbox_earcut",
     "https://files.pythonhosted.org/packages/8d/70/0a322197c1178f47941e5e6e13b0a4adeaaa7c465c18e3b4ead3eba49860/"
     "mapbox_earcut-1.0.3.tar.gz",
     "b6bac5d519d9947a6321a699c15d58e0b5740da61b9210ed229e05ad207c1c04", "mapbox_earcut-1.0.3", "tests"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("project", "tests"), REAL, ids=[r[0] for r in REAL])
def test_a_ported_real_project_builds_and_passes_its_tests(project: str, tests: str, tmp_path: Path):
    root = copy_project(FIXTURES / "port" / "projects" / project, tmp_path / project)
    port_builds_and_passes(root, tests, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "url", "sha256", "folder", "tests"), SDISTS, ids=[s[0] for s in SDISTS])
def test_a_ported_sdist_from_pypi_builds_and_passes_its_tests(name: str, url: str, sha256: str, folder: str,
                                                              tests: str, tmp_path: Path):
    root = copy_project(sdist_root(url, sha256, folder), tmp_path / name)
    port_builds_and_passes(root, tests, tmp_path)


def port_builds_and_passes(root: Path, tests: str, tmp_path: Path) -> None:
    port_project(root)
    installed = pip_install(root, tmp_path / "site")
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]
    tested = run_tests(root, tmp_path / "site", tests)
    assert tested.returncode == 0, tested.stdout + tested.stderr
