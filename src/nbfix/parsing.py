"""tree-sitter-cpp parsing and parse-error regions."""

from __future__ import annotations

from functools import lru_cache

import tree_sitter
import tree_sitter_cpp


@lru_cache(maxsize=1)
def language() -> tree_sitter.Language:
    return tree_sitter.Language(tree_sitter_cpp.language())


@lru_cache(maxsize=1)
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(language())


@lru_cache(maxsize=None)
def query(source: str) -> tree_sitter.Query:
    """Compile a query once per process."""
    return tree_sitter.Query(language(), source)


def captures(query_source: str, node: tree_sitter.Node) -> dict[str, list[tree_sitter.Node]]:
    return tree_sitter.QueryCursor(query(query_source)).captures(node)


def matches(query_source: str, node: tree_sitter.Node) -> list[dict[str, list[tree_sitter.Node]]]:
    """Each match of a query as {capture name: nodes}, in document order."""
    return [found for _, found in tree_sitter.QueryCursor(query(query_source)).matches(node)]


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
