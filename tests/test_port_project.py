"""`nbfix port .` over a whole project: the C++ sources, the build files and the Python code in
one command, written through one writer or shown as one patch."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from test_port import nbfix

PROJECT = {
    "setup.py": '''
        from pybind11.setup_helpers import Pybind11Extension
        from setuptools import setup

        setup(
            name="demo",
            version="1.0",
            ext_modules=[Pybind11Extension("demo", ["src/demo.cpp"])],
        )
    ''',
    "pyproject.toml": '''
        [build-system]
        requires = ["setuptools", "pybind11"]
        build-backend = "setuptools.build_meta"
    ''',
    "src/demo.cpp": '''
        #include <pybind11/pybind11.h>
        namespace py = pybind11;
        PYBIND11_MODULE(demo, m) {
            m.def("flag", [](bool on) { return on; }, py::arg("on"));
        }
    ''',
    "tests/test_demo.py": '''
        import demo


        def test_flag():
            assert demo.flag(1)
    ''',
    # Never anyone's project code: the default excludes skip environments.
    ".venv/lib/site/uses_demo.py": '''
        import demo
        demo.flag(1)
    ''',
}


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text).lstrip())
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_one_command_ports_every_side_and_a_second_run_changes_nothing(tmp_path: Path):
    root = write_tree(tmp_path, PROJECT)
    first = nbfix(root, "port", ".")
    assert first.returncode == 1, first.stderr  # setup.py: delete it
    after = snapshot(root)
    assert b"NB_MODULE(demo, m)" in after["src/demo.cpp"]
    assert b"nanobind_add_module(demo" in after["CMakeLists.txt"]  # created from setup.py
    assert b"scikit_build_core" in after["pyproject.toml"]
    assert b"demo.flag(True)" in after["tests/test_demo.py"]
    assert after[".venv/lib/site/uses_demo.py"] == textwrap.dedent(PROJECT[".venv/lib/site/uses_demo.py"]).lstrip().encode()
    for line in ("src/demo.cpp: ported: NB501", "CMakeLists.txt: ported: NB508 1", "pyproject.toml: ported: NB508",
                 "tests/test_demo.py: ported: NB509 1", "setup.py:4:1: NB508 ", "Ported 4 files; 1 item for a person."):
        assert line in first.stdout, line
    again = nbfix(root, "port", ".")
    assert snapshot(root) == after
    assert "Ported 0 files" in again.stdout
    assert "setup.py is no longer read by `pip install`; delete it" in again.stdout  # still, not "add targets"


def test_the_diff_is_one_patch_git_applies_to_the_same_tree(tmp_path: Path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    shown_root = write_tree(tmp_path / "shown", PROJECT)
    before = snapshot(shown_root)
    shown = nbfix(shown_root, "port", "--diff", ".")
    assert shown.returncode == 1 and snapshot(shown_root) == before
    assert "--- /dev/null\n+++ b/CMakeLists.txt\n" in shown.stdout
    patch = shown.stdout[:shown.stdout.index("\nsrc/demo.cpp: ported") + 1]
    copy = write_tree(tmp_path / "copy", PROJECT)
    subprocess.run(["git", "init", "-q"], cwd=copy, check=True)
    applied = subprocess.run(["git", "apply", "-"], cwd=copy, input=patch, capture_output=True, text=True)
    assert applied.returncode == 0, applied.stderr
    nbfix(shown_root, "port", ".")
    assert {k: v for k, v in snapshot(copy).items() if not k.startswith(".git/")} == snapshot(shown_root)


def test_ignoring_the_build_and_python_rules_ports_the_cpp_alone(tmp_path: Path):
    root = write_tree(tmp_path, PROJECT)
    before = snapshot(root)
    nbfix(root, "port", "--ignore", "NB508", "--ignore", "python-side", ".")
    after = snapshot(root)
    assert [name for name in after if after[name] != before.get(name)] == ["src/demo.cpp"]


def test_advice_points_at_the_line_that_replaced_its_text(tmp_path: Path):
    root = write_tree(tmp_path, {
        "CMakeLists.txt": '''
            cmake_minimum_required(VERSION 3.15)
            project(demo)

            add_subdirectory(pybind11)
            pybind11_add_module(demo src/demo.cpp)
        ''',
        "src/demo.cpp": PROJECT["src/demo.cpp"],
    })
    shown = nbfix(root, "port", ".")
    lines = (root / "CMakeLists.txt").read_text().splitlines()
    advice = [line.split(":")[1] for line in shown.stdout.splitlines() if line.startswith("  CMakeLists.txt:")]
    assert "add_subdirectory(pybind11)" in shown.stdout and "NOMINSIZE" in shown.stdout
    # the vendored copy's note at the first new line, the -Os note on nanobind_add_module
    assert lines[int(advice[0]) - 1].startswith("find_package(Python")
    assert lines[int(advice[1]) - 1].startswith("nanobind_add_module(demo")


def test_a_build_file_that_is_not_text_or_toml_is_reported_and_the_rest_is_still_ported(tmp_path: Path):
    root = write_tree(tmp_path, {**{k: v for k, v in PROJECT.items() if k != "setup.py"}, "CMakeLists.txt": CMAKE})
    for broken in (b'[build-system]\nrequires = ["pybind11", "caf\xe9"]\n', b'[build-system\nrequires = ["pybind11"\n'):
        (root / "pyproject.toml").write_bytes(broken)
        shown = nbfix(root, "port", ".")
        assert shown.returncode == 1 and shown.stderr == "", shown.stderr
        assert (root / "pyproject.toml").read_bytes() == broken
        (advice,) = [line for line in shown.stdout.splitlines() if line.startswith("  pyproject.toml:1:1: NB508 ")]
        assert "not ported" in advice and ("not UTF-8" in advice or "not valid TOML" in advice)
    assert "nanobind_add_module(demo" in (root / "CMakeLists.txt").read_text()
    assert b"NB_MODULE" in (root / "src/demo.cpp").read_bytes()
    assert b"demo.flag(True)" in (root / "tests/test_demo.py").read_bytes()


def test_a_porting_rule_that_crashes_is_one_line_naming_it(tmp_path: Path):
    from nbfix.port.files import RuleCrashed, run_rules
    from nbfix.rules import PortContext, PortRule

    class Crashing(PortRule):
        code, name, files = "NB599", "crashing", "python"

        def port(self, ctx):
            return [][0]

    with pytest.raises(RuleCrashed) as raised:
        run_rules([Crashing], PortContext(tmp_path, 3))
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("rule NB599 crashed (IndexError: list index out of range at test_port_project.py:")


def test_a_nanobind_project_is_left_as_it_is_python_included(tmp_path: Path):
    root = write_tree(tmp_path, {
        "CMakeLists.txt": '''
            cmake_minimum_required(VERSION 3.15)
            project(demo)
            find_package(nanobind CONFIG REQUIRED)
            nanobind_add_module(demo src/demo.cpp)
        ''',
        "src/demo.cpp": '''
            #include <nanobind/nanobind.h>
            namespace nb = nanobind;
            NB_MODULE(demo, m) {
                m.def("flag", [](bool on) { return on; }, nb::arg("on"));
            }
        ''',
        # Under nanobind this is the behaviour a test may pin down: not a call to port.
        "tests/test_demo.py": '''
            import pytest

            import demo


            def test_int_is_not_bool():
                with pytest.raises(TypeError):
                    demo.flag(1)
        ''',
    })
    before = snapshot(root)
    shown = nbfix(root, "port", ".")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert snapshot(root) == before


CMAKE = '''
    cmake_minimum_required(VERSION 3.15)
    project(demo)
    find_package(pybind11 CONFIG REQUIRED)
    pybind11_add_module(demo src/demo.cpp)
'''


def test_build_file_links_are_never_replaced(tmp_path: Path):
    root = write_tree(tmp_path / "project", {"cmake/demo.cmake.txt": CMAKE, "src/demo.cpp": PROJECT["src/demo.cpp"]})
    outside = write_tree(tmp_path / "elsewhere", {"CMakeLists.txt": CMAKE}) / "CMakeLists.txt"
    (root / "CMakeLists.txt").symlink_to("cmake/demo.cmake.txt")  # inside: its target is ported
    (root / "sub").mkdir()
    (root / "sub" / "CMakeLists.txt").symlink_to(outside)  # outside: not the project's
    shown = nbfix(root, "port", ".")
    assert shown.returncode == 1 and shown.stderr == "", shown.stderr
    assert (root / "CMakeLists.txt").is_symlink() and (root / "sub" / "CMakeLists.txt").is_symlink()
    assert "nanobind_add_module(demo" in (root / "cmake" / "demo.cmake.txt").read_text()
    assert outside.read_text() == textwrap.dedent(CMAKE).lstrip()


def test_a_read_only_build_file_is_one_line_and_the_rest_is_written(tmp_path: Path):
    root = write_tree(tmp_path, {"CMakeLists.txt": CMAKE, "src/demo.cpp": PROJECT["src/demo.cpp"]})
    (root / "CMakeLists.txt").chmod(0o444)
    shown = nbfix(root, "port", ".")
    assert shown.returncode == 2
    (error,) = shown.stderr.splitlines()
    assert "CMakeLists.txt" in error
    assert "find_package(pybind11" in (root / "CMakeLists.txt").read_text()
    assert b"NB_MODULE" in (root / "src/demo.cpp").read_bytes()


def test_free_threaded_is_added_only_for_nanobind_3(tmp_path: Path):
    # FREE_THREADED came with nanobind 2.2: a port to 2.x, which may get 2.0, leaves the target
    # as it is and the dropped `mod_gil_not_used()` stays reported.
    from nbfix.port.build import port_build_files

    files = {"CMakeLists.txt": CMAKE, "src/demo.cpp": '''
        #include <pybind11/pybind11.h>
        PYBIND11_MODULE(demo, m, pybind11::mod_gil_not_used()) {}
    '''}
    for version, expected in ((3, "nanobind_add_module(demo FREE_THREADED src/demo.cpp)"),
                              (2, "nanobind_add_module(demo src/demo.cpp)")):
        root = write_tree(tmp_path / str(version), files)
        (cmake,) = [p for p in port_build_files(root, version) if p.path.name == "CMakeLists.txt"]
        assert expected in cmake.new.decode()
