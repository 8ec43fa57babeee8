"""The linear replacements of quadratic spots give what the obvious versions give. Their speed is
measured by `benchmarks/bench_check.py --big-files` (never timed here): this checks they are right.

- `Found.enclosing` (a sorted scan of the nodes one walk found) against walking `node.parent`;
- `error_regions` (parents carried down the walk) against asking each MISSING node for its parent;
- `resolve` (a sorted list of accepted edits) against comparing every pair of edits.
"""

from __future__ import annotations

import random

import pytest
from conftest import FIXTURES

from nbfix.core.findings import Edit, Finding, Fix, Priority, Safety
from nbfix.cpp.parsing import ENCLOSURES, FUNCTIONS, STATEMENTS, descendants, error_regions, found_in, parse
from nbfix.engine.linter import resolve

SOURCES = sorted(p for p in FIXTURES.rglob("*.cpp") if ".expected." not in p.name)


def _walk_up(node, types):
    current = node.parent
    while current is not None and current.type not in types:
        current = current.parent
    return current


@pytest.mark.parametrize("types", [FUNCTIONS, STATEMENTS, ENCLOSURES], ids=["functions", "statements", "all"])
def test_enclosing_is_the_nearest_ancestor_of_those_types(types):
    checked = 0
    for path in SOURCES:
        tree = parse(path.read_bytes())
        found = found_in(tree)
        nodes = descendants(tree.root_node, {"call_expression", "identifier", "lambda_expression", "declaration"})
        for node in nodes[::4]:
            expected = _walk_up(node, types)
            got = found.enclosing(node, types)
            assert (got.id if got is not None else None) == (expected.id if expected is not None else None), (path, node)
            checked += 1
    assert checked > 500


def _regions_by_parent(tree):
    regions, stack = [], [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error:
            regions.append((node.start_byte, node.end_byte))
        elif node.is_missing:
            parent = node.parent or node
            regions.append((parent.start_byte, parent.end_byte))
        else:
            stack.extend(node.children)
    return sorted(regions)


def _nested_broken_lambdas(depth: int) -> bytes:
    inner = "a"
    for _ in range(depth):
        inner = f"g([](int a) {{ return {inner} }})"  # `return x }`: a MISSING `;` per level
    return b'#include <nanobind/nanobind.h>\nNB_MODULE(b, m) {\n  m.def("x", [](int a) { return ' + inner.encode() + b"; });\n}\n"


@pytest.mark.parametrize("content", [_nested_broken_lambdas(60), b"void f() { int x = 1 int y = 2 }\n", b"f(((;\n"])
def test_error_regions_match_the_parent_of_each_missing_node(content):
    tree = parse(content)
    assert error_regions(tree) == _regions_by_parent(tree)
    assert error_regions(tree)


def _naive_resolve(fixes):
    accepted, taken = [], []
    for finding, fix in sorted(fixes, key=lambda item: (item[1].edits[0].start, item[0].code)):
        if any(edit.conflicts(other) for edit in fix.edits for other in taken):
            continue
        accepted.append((finding, fix))
        taken.extend(fix.edits)
    return accepted


@pytest.mark.parametrize("seed", range(20))
def test_resolve_accepts_what_comparing_every_pair_accepts(seed):
    rng = random.Random(seed)
    fixes = []
    for index in range(rng.randint(1, 60)):
        edits: list[Edit] = []
        for _ in range(rng.choice((1, 1, 2, 3))):  # a fix's own edits never overlap
            start = rng.randint(0, 200)
            edit = Edit(start, start + rng.choice((0, 0, 1, 3, 10)), "x")
            if not any(edit.conflicts(other) for other in edits):
                edits.append(edit)
        edits.sort()
        finding = Finding(f"NB{100 + index % 5}", "rule", Priority.LOW, "m", edits[0].start, edits[0].end, None)
        fixes.append((finding, Fix(tuple(edits), Safety.SAFE, "fix")))
    assert resolve(fixes) == _naive_resolve(fixes)


def _touches(edit: Edit, region: tuple[int, int]) -> bool:
    start, end = region
    if edit.is_insertion:
        return start < edit.start < end
    return edit.start < end and start < edit.end


@pytest.mark.parametrize("seed", range(20))
def test_an_edit_touches_the_joined_regions_when_it_touches_one_of_them(seed):
    from nbfix.cpp.parsing import Unparsed

    rng = random.Random(seed)
    regions = []
    for _ in range(rng.randint(0, 12)):
        start = rng.randint(0, 100)
        regions.append((start, start + rng.randint(1, 15)))
    unparsed = Unparsed(regions)
    for _ in range(200):
        start = rng.randint(0, 120)
        edit = Edit(start, start + rng.choice((0, 0, 1, 5)), "x")
        assert unparsed.touched_by(edit) == any(_touches(edit, r) for r in regions), (regions, edit)
