"""tree-sitter-cpp parsing and parse-error regions."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

# The parser loads on first use: runs the cache answers entirely never need it.
if TYPE_CHECKING:
    import tree_sitter


@lru_cache(maxsize=1)
def language() -> tree_sitter.Language:
    import tree_sitter
    import tree_sitter_cpp

    return tree_sitter.Language(tree_sitter_cpp.language())


@lru_cache(maxsize=1)
def _parser() -> tree_sitter.Parser:
    import tree_sitter

    return tree_sitter.Parser(language())


@lru_cache(maxsize=None)
def query(source: str) -> tree_sitter.Query:
    """Compile a query once per process."""
    import tree_sitter

    return tree_sitter.Query(language(), source)


def captures(query_source: str, node: tree_sitter.Node) -> dict[str, list[tree_sitter.Node]]:
    return _cursor(query(query_source)).captures(node)


def matches(query_source: str, node: tree_sitter.Node) -> list[dict[str, list[tree_sitter.Node]]]:
    """Each match of a query as {capture name: nodes}, in document order."""
    return [found for _, found in _cursor(query(query_source)).matches(node)]


def _cursor(compiled: tree_sitter.Query) -> tree_sitter.QueryCursor:
    from tree_sitter import QueryCursor

    return QueryCursor(compiled)


def parse(content: bytes) -> tree_sitter.Tree:
    return _parser().parse(content)


def error_regions(tree: tree_sitter.Tree) -> list[tuple[int, int]]:
    """Byte ranges that tree-sitter could not parse: ERROR nodes, and the parent of each MISSING node."""
    regions: list[tuple[int, int]] = []
    stack = [tree.root_node] if tree.root_node.has_error else []
    while stack:
        node = stack.pop()
        if node.is_error:
            regions.append((node.start_byte, node.end_byte))
            continue
        if node.is_missing:
            parent = node.parent or node
            regions.append((parent.start_byte, parent.end_byte))
            continue
        stack.extend(child for child in node.children if child.has_error or child.is_missing)
    return sorted(regions)


def error_count(tree: tree_sitter.Tree) -> int:
    return len(error_regions(tree))
