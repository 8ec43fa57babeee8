"""Whole-file groups found by node type and a Python test give exactly what their tree-sitter
pattern gives, on every fixture, the examples and a generated corpus."""

from __future__ import annotations

import pytest
from conftest import FIXTURES, ROOT
from test_prefilter import generated_corpus

import nbfix.cpp.macros  # noqa: F401
import nbfix.index.declarations  # noqa: F401  (registers the groups)
import nbfix.model.builder  # noqa: F401
from nbfix.cpp import parsing
from nbfix.cpp.parsing import _NODE_GROUPS, Found, matches, parse
from nbfix.rules.registry import all_rules
from nbfix.run.config import Settings
from nbfix.run.discovery import discover


def as_set(found: list[dict]) -> list:
    return sorted(tuple(sorted((key, tuple(n.id for n in nodes)) for key, nodes in match.items())) for match in found)


@pytest.mark.parametrize("where", ["fixtures", "examples", "generated"])
def test_node_groups_match_their_patterns(where, tmp_path):
    all_rules()  # the rules register their groups too
    if where == "generated":
        paths = generated_corpus(tmp_path)
    else:
        paths = discover([FIXTURES if where == "fixtures" else ROOT / "examples"], Settings(root=ROOT)).files
    assert len(_NODE_GROUPS) >= 12
    seen = {name: 0 for name in _NODE_GROUPS}
    for path in paths:
        tree = parse(path.read_bytes())
        found = Found(tree)
        for name, (pattern, _, _) in _NODE_GROUPS.items():
            mine, theirs = found.matches(name), matches(pattern, tree.root_node)
            assert as_set(mine) == as_set(theirs), (path, name)
            seen[name] += len(theirs)
    if where == "fixtures":  # every group really matched something
        assert all(seen.values()), seen


def test_grammar_loads_without_the_package_init_and_falls_back_to_it(monkeypatch):
    """The C++ grammar's compiled module is loaded by path (tree-sitter-cpp's `__init__` costs
    start-up); if that cannot be done, the package's own import gives the same grammar."""
    import importlib.machinery
    import sys

    import tree_sitter

    direct = parsing._cpp_binding()
    assert direct.__name__ == "tree_sitter_cpp._binding"

    class NothingFound:
        @staticmethod
        def find_spec(*args, **kwargs):
            return None

    monkeypatch.delitem(sys.modules, "tree_sitter_cpp._binding")
    monkeypatch.setattr(importlib.machinery, "PathFinder", NothingFound)
    fallback = parsing._cpp_binding()
    assert fallback.__name__ == "tree_sitter_cpp"
    language = tree_sitter.Language(fallback.language())
    assert language == parsing.language()
    assert not tree_sitter.Parser(language).parse(b"struct A { int f(); };").root_node.has_error
