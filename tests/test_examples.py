"""The shipped examples: every high-priority rule fires there, and the C++ that nbfix writes is
valid C++ for the real nanobind and pybind11 headers (checked with the compiler)."""

from __future__ import annotations

import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest
from conftest import ROOT, nbfix_executable

from nbfix.core.findings import Priority
from nbfix.rules.registry import all_rules


def compiler() -> str:
    found = shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")
    if not found:
        pytest.fail("no C++ compiler found: install one (Debian: apt-get install g++)")
    return found


def include_flags() -> list[str]:
    import nanobind
    import pybind11

    return ["-I", sysconfig.get_paths()["include"], "-I", nanobind.include_dir(), "-I", pybind11.get_include()]


def syntax_errors(root: Path) -> dict[str, str]:
    errors = {}
    for source in sorted(root.rglob("*.cpp")):
        includes = [f"-I{p}" for p in root.rglob("include") if p.is_dir()]
        result = subprocess.run(
            [compiler(), "-std=c++17", "-fsyntax-only", *includes, *include_flags(), str(source)],
            capture_output=True, text=True,
        )
        if result.returncode != 0:
            errors[source.name] = result.stderr[-3000:]
    return errors


@pytest.fixture(scope="module")
def fixed_examples(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    root = tmp_path_factory.mktemp("examples")
    shutil.copytree(ROOT / "examples", root, dirs_exist_ok=True)
    check = subprocess.run([nbfix_executable(), "check", "--priority", "high", "."], cwd=root, capture_output=True, text=True)
    apply = subprocess.run([nbfix_executable(), "apply", "--priority", "high", "."], cwd=root, capture_output=True, text=True)
    assert apply.returncode in (0, 1), apply.stderr
    return root, check


def test_every_high_priority_rule_fires_on_the_examples(fixed_examples):
    _, check = fixed_examples
    fired = {line.split(": ")[1].split()[0] for line in check.stdout.splitlines() if ": NB" in line}
    assert fired == {r.code for r in all_rules() if r.priority is Priority.HIGH and not r.opt_in}


def test_examples_compile_before_and_after_nbfix(fixed_examples):
    root, _ = fixed_examples
    assert syntax_errors(ROOT / "examples") == {}
    assert syntax_errors(root) == {}


def test_second_apply_changes_nothing(fixed_examples):
    root, _ = fixed_examples
    again = subprocess.run([nbfix_executable(), "apply", "--priority", "high", "."], cwd=root, capture_output=True, text=True)
    assert "Fixed 0 findings in 0 files" in again.stdout, again.stdout
