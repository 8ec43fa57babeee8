"""The hand-port benchmark (`benchmarks/port_reproduction.py`) counts what it says: a file the
maintainers moved is compared at its new name, a file they added counts in full, and a hand port
identical to nbfix's leaves nothing to do."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

from conftest import ROOT, nbfix_executable

# Mostly plain C++, as binding files are: git sees the moved file as a move (50% similar).
PLAIN = "".join(f"int twice_{i}(int x) {{ return 2 * x + {i}; }}\n" for i in range(12))
SOURCE = """#include <pybind11/pybind11.h>
namespace py = pybind11;
""" + PLAIN + """PYBIND11_MODULE(ext, m) { m.def("twice_0", &twice_0, py::arg("x")); }
"""
ADDED = "int helper() { return 42; }\n"


def _benchmark():
    spec = importlib.util.spec_from_file_location("port_reproduction", ROOT / "benchmarks" / "port_reproduction.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                               "GIT_COMMITTER_EMAIL": "t@t", "PATH": "/usr/bin:/bin"}).stdout


def test_a_moved_file_ported_as_nbfix_would_leaves_only_the_added_file(tmp_path: Path):
    # What nbfix writes for the file: the "hand port" below takes it as it is.
    scratch = tmp_path / "scratch"
    (scratch / "pybind").mkdir(parents=True)
    (scratch / "pybind" / "ext.cpp").write_text(SOURCE)
    subprocess.run([nbfix_executable(), "port", "--no-lint", "pybind/ext.cpp"], cwd=scratch, check=False)
    ported = (scratch / "pybind" / "ext.cpp").read_text()
    assert "nanobind" in ported

    repo = tmp_path / "repo"
    (repo / "pybind").mkdir(parents=True)
    _git(repo, "init", "-q")
    (repo / "pybind" / "ext.cpp").write_text(SOURCE)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "pybind11")
    (repo / "nanobind").mkdir()
    _git(repo, "mv", "pybind/ext.cpp", "nanobind/ext.cpp")
    (repo / "nanobind" / "ext.cpp").write_text(ported)
    (repo / "nanobind" / "helper.cpp").write_text(ADDED)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "nanobind")
    commit = _git(repo, "rev-parse", "HEAD").strip()

    benchmark = _benchmark()
    result = benchmark.measure(repo / ".git", commit, nbfix_executable(), ["."])
    rows = {row["path"]: row for row in result["files"]}
    assert set(rows) == {"pybind/ext.cpp -> nanobind/ext.cpp", "nanobind/helper.cpp"}, rows
    moved = rows["pybind/ext.cpp -> nanobind/ext.cpp"]
    assert moved["status"] == "R" and moved["hand_edit"] > 0 and moved["left"] == 0
    added = rows["nanobind/helper.cpp"]
    assert added["hand_edit"] == added["left"] == len(benchmark.tokens("helper.cpp", ADDED))
    assert result["reproduced"] == 1 - added["left"] / (moved["hand_edit"] + added["hand_edit"])
    assert result["cpp_in_place_reproduced_alias_blind"] == 1.0
