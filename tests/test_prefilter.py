"""The text pre-filter is an optimisation only: with and without it, every finding and every fix
is the same, on all fixtures, the examples and a generated corpus."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT

from nbfix.core.findings import Priority
from nbfix.core.source import read_source
from nbfix.cpp.parsing import parse
from nbfix.engine.linter import Linter
from nbfix.model.facts import project_index
from nbfix.rules.registry import all_rules
from nbfix.run.config import Settings, selected_rules
from nbfix.run.discovery import discover


def outcomes(paths: list[Path], prefilter: bool) -> list[tuple]:
    sources = [read_source(p, p.name) for p in paths]
    trees = {s.path: parse(s.content) for s in sources}
    index = project_index((s.path.as_posix(), trees[s.path], s.content) for s in sources)
    rules = [rule() for rule in all_rules()]
    linter = Linter(rules, {}, index, unsafe_fixes=True, prefilter=prefilter)
    result = []
    for source in sources:
        file = linter.run(source, trees[source.path], fix=True, ignored=set())
        result.append((source.path, file.new_content, file.error, [(i.line, i.finding) for i in file.remaining]))
    return result


def generated_corpus(root: Path) -> list[Path]:
    spec = importlib.util.spec_from_file_location("bench_check", ROOT / "benchmarks" / "bench_check.py")
    bench = importlib.util.module_from_spec(spec)
    sys.modules["bench_check"] = bench  # its dataclasses look their module up
    spec.loader.exec_module(bench)
    return bench.write_corpus(root, 0.3, seed=7)


@pytest.mark.parametrize("where", ["fixtures", "examples", "generated"])
def test_same_results_with_and_without_the_prefilter(where, tmp_path):
    if where == "generated":
        paths = generated_corpus(tmp_path)
    else:
        paths = discover([FIXTURES if where == "fixtures" else ROOT / "examples"], Settings(root=ROOT)).files
    assert len(paths) >= 4
    assert outcomes(paths, prefilter=True) == outcomes(paths, prefilter=False)


def test_every_rule_declares_what_it_cannot_fire_without():
    assert all(rule.needles for rule in all_rules() if rule.files == "cpp")  # porting rules read no C++
    assert {r.code for r in selected_rules(Settings(priority=Priority.LOW))} <= {r.code for r in all_rules()}


def test_a_file_no_rule_could_fire_on_is_not_parsed_to_be_linted(tmp_path, monkeypatch):
    """Big runs parse each file twice (facts, then lint): the lint pass skips a file that holds
    none of the selected rules' needles, such as a plain header."""
    import nbfix.cpp.parsing
    import nbfix.engine.linter
    from nbfix.run import runner

    header = "#pragma once\nstruct Shape { double area() const; };\n"
    (tmp_path / "shape.h").write_text(header)
    (tmp_path / "bind.cpp").write_text(
        '#include <nanobind/nanobind.h>\n#include "shape.h"\nnamespace nb = nanobind;\n'
        'NB_MODULE(ext, m) { nb::class_<Shape>(m, "Shape").def("area", &Shape::area); }\n'
    )
    parsed: list[bytes] = []
    real = nbfix.cpp.parsing.parse

    def counting(content: bytes):
        parsed.append(content)
        return real(content)

    monkeypatch.setattr(nbfix.engine.linter, "parse", counting)
    monkeypatch.setattr(nbfix.cpp.parsing, "parse", counting)
    monkeypatch.setattr(runner, "KEEP_TREES_BYTES", 0)  # a big run: trees are not kept
    result = runner.run([tmp_path], Settings(root=tmp_path), fix=False, use_cache=False)
    assert [i.finding.code for f in result.files for i in f.remaining] == []
    assert result.hidden == {"NB102": 1}  # Shape has nothing to show: counted, not reported
    assert parsed.count(header.encode()) == 1  # the facts pass only
    assert parsed.count((tmp_path / "bind.cpp").read_bytes()) == 2
