"""`nbfix port`: the command around the NB5xx rules (the rules themselves: fixtures/NB50x/)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import nbfix_executable

PYBIND11 = """\
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

namespace py = pybind11;

struct Base {
    virtual ~Base() = default;
    virtual int f(int x) { return x; }
};
struct PyBase : Base {
    int f(int x) override { PYBIND11_OVERRIDE(int, Base, f, x); }
};
struct Pet {
    std::string name;
    std::vector<int> marks;
};

PYBIND11_MODULE(pets, m, py::mod_gil_not_used()) {
    py::class_<Base, PyBase>(m, "Base").def(py::init<>()).def("f", &Base::f);
    py::class_<Pet, std::shared_ptr<Pet>>(m, "Pet")
        .def(py::init([](std::string name) { return Pet{name, {}}; }), py::arg("name"))
        .def_readwrite("name", &Pet::name)
        .def_readonly("marks", &Pet::marks);
    m.def("echo", [](const std::string &s) { return s; }, py::arg("s"));
}
"""
NANOBIND = """\
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>

namespace nb = nanobind;

NB_MODULE(pets, m) {
    m.def("echo", [](const std::string &s) { return s; }, nb::arg("s"));
}
"""


def nbfix(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([nbfix_executable(), *args], cwd=folder, capture_output=True, text=True)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "bind.cpp").write_text(PYBIND11)
    return tmp_path


def test_port_rewrites_in_place_and_a_second_run_changes_nothing(project: Path):
    first = nbfix(project, "port", ".")
    assert first.returncode == 1, first.stderr  # the dropped module argument needs a person
    text = (project / "bind.cpp").read_text()
    for spelling in ("pybind11", "py::", "PYBIND11_", "def_readwrite", "shared_ptr<Pet>>"):
        assert spelling not in text, spelling
    for spelling in ("#include <nanobind/stl/string.h>", "#include <nanobind/stl/vector.h>",
                     "#include <nanobind/trampoline.h>", "NB_TRAMPOLINE(Base);", "NB_OVERRIDE(f, x);",
                     "NB_MODULE(pets, m) {", '.def("__init__", [](Pet *self, std::string name) { new (self) Pet{name, {}}; }'):
        assert spelling in text, spelling
    assert "bind.cpp: ported: NB501" in first.stdout
    assert "FREE_THREADED" in first.stdout and "bind.cpp:22:" in first.stdout  # where NB_MODULE now is
    assert "Next: build with nanobind" in first.stdout
    again = nbfix(project, "port", ".")
    assert (project / "bind.cpp").read_text() == text
    assert "Ported 0 files" in again.stdout


def test_port_diff_changes_nothing_and_git_applies_to_the_same_result(project: Path, tmp_path_factory):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    shown = nbfix(project, "port", "--diff", ".")
    assert shown.returncode == 1 and (project / "bind.cpp").read_text() == PYBIND11
    patch = shown.stdout.split("bind.cpp: ported")[0]
    copy = tmp_path_factory.mktemp("copy")
    (copy / "bind.cpp").write_text(PYBIND11)
    subprocess.run(["git", "init", "-q"], cwd=copy, check=True)
    applied = subprocess.run(["git", "apply", "-"], cwd=copy, input=patch, capture_output=True, text=True)
    assert applied.returncode == 0, applied.stderr
    nbfix(project, "port", ".")
    assert (copy / "bind.cpp").read_text() == (project / "bind.cpp").read_text()


def test_port_keeps_crlf_files_crlf(tmp_path: Path):
    (tmp_path / "bind.cpp").write_bytes(PYBIND11.replace("\n", "\r\n").encode())
    nbfix(tmp_path, "port", ".")
    data = (tmp_path / "bind.cpp").read_bytes()
    assert b"nanobind" in data and data.count(b"\n") == data.count(b"\r\n")


def test_port_of_nanobind_code_changes_nothing(tmp_path: Path):
    (tmp_path / "bind.cpp").write_text(NANOBIND)
    result = nbfix(tmp_path, "port", ".")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "bind.cpp").read_text() == NANOBIND
    assert "Ported 0 files; 0 items for a person." in result.stdout


def test_port_rules_are_off_for_check_and_apply(project: Path):
    checked = nbfix(project, "check", "--no-cache", "--output-format", "concise", ".")
    assert "NB5" not in checked.stdout
    nbfix(project, "apply", "--no-cache", ".")
    assert "pybind11" in (project / "bind.cpp").read_text()


def test_the_other_rules_run_on_the_ported_result_unless_no_lint(project: Path, tmp_path_factory):
    linted = nbfix(project, "port", ".")
    assert "then fixed: NB102" in linted.stdout and "__repr__" in (project / "bind.cpp").read_text()
    bare = tmp_path_factory.mktemp("bare")
    (bare / "bind.cpp").write_text(PYBIND11)
    plain = nbfix(bare, "port", "--no-lint", ".")
    assert "then fixed" not in plain.stdout and "__repr__" not in (bare / "bind.cpp").read_text()


def test_port_json_report(project: Path):
    result = nbfix(project, "port", "--diff", "--output-format", "json", "-o", "report.json", ".")
    report = json.loads((project / "report.json").read_text())
    assert report["written"] is False and report["next"].startswith("build with nanobind")
    [file] = report["files"]
    assert file["path"] == "bind.cpp" and file["changed"] and file["rewritten"]["NB501"] >= 5
    [advice] = file["needs_a_person"]
    assert advice["code"] == "NB501" and advice["start"]["line"] == 22 and "FREE_THREADED" in advice["message"]
    assert result.stdout.startswith("--- a/bind.cpp")


def test_target_version_2_counts_the_overrides(project: Path):
    nbfix(project, "port", "--target-version", "2", ".")
    assert "NB_TRAMPOLINE(Base, 1);" in (project / "bind.cpp").read_text()
    wrong = nbfix(project, "port", "--target-version", "4", ".")
    assert wrong.returncode == 2 and "--target-version must be 2 or 3" in wrong.stderr


def test_default_target_version_is_the_installed_nanobind():
    from importlib.metadata import version

    from nbfix.port.sides import default_target_version

    assert default_target_version() == int(version("nanobind").split(".")[0])


def test_explain_a_port_rule(tmp_path: Path):
    result = nbfix(tmp_path, "explain", "NB501")
    assert result.returncode == 0 and "## What it finds" in result.stdout and "nanobind/stl" in result.stdout


def test_port_reports_the_names_nanobind_does_not_have(tmp_path: Path):
    """pybind11 API the port does not map is an item at its line, once, and only in code."""
    (tmp_path / "ext.cpp").write_text("""\
#include <pybind11/pybind11.h>
#include <pybind11/numpy.h>
namespace py = pybind11;

struct Shape { virtual ~Shape() = default; };
struct PyShape : Shape, py::trampoline_self_life_support {};

// py::classh is pybind11's smart-holder class; "py::classh" in a string is not code.
py::array_t<double> coords();
#if 0
void unused(py::smart_holder);
#endif

PYBIND11_MODULE(ext, m) {
    py::classh<Shape, PyShape>(m, "Shape");
    m.def("name", []() { return "py::classh"; });
}
""")
    run = subprocess.run([nbfix_executable(), "port", "--no-lint", "--output-format", "json", "."], cwd=tmp_path,
                         capture_output=True, text=True)
    assert run.stderr == ""
    items = [(i["start"]["line"], i["message"]) for f in json.loads(run.stdout)["files"] for i in f["needs_a_person"]]
    unknown = sorted((line, message.split("`")[1]) for line, message in items if "the port does not map" in message)
    assert unknown == [(6, "nb::trampoline_self_life_support"), (15, "nb::classh")]
    assert 9 in [line for line, message in items if "array_t" in message]  # the rules' own advice, not ours too
