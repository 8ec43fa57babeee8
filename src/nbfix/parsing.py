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


# ---- whole-file queries: the patterns nbfix needs over a whole tree run as few queries, once per
# tree: one per batch (each separate query costs about 15 ms to compile and a full walk to run).

_SHARED: dict[str, tuple[str, str]] = {}  # group name -> (batch, query source)


def shared_query(name: str, source: str, batch: str | None = None) -> str:
    """Register a whole-file query group (at import time) and return its name. Groups of one
    `batch` run together, as one query, the first time any of them is asked for on a tree."""
    _SHARED[name] = (batch or name, source)
    return name


@lru_cache(maxsize=None)
def _combined(names: tuple[str, ...]) -> tuple[tree_sitter.Query, tuple[str, ...]]:
    """These groups as one query, and the group each of its patterns belongs to."""
    sources = [_SHARED[name][1] for name in names]
    combined = query("\n".join(sources))
    ends, offset = [], 0
    for source in sources:
        offset += len(source.encode("utf-8")) + 1
        ends.append(offset)
    owners = []
    for index in range(combined.pattern_count):
        start = combined.start_byte_for_pattern(index)
        owners.append(next(name for name, end in zip(names, ends) if start < end))
    return combined, tuple(owners)


class Found:
    """What the shared whole-file queries find in one tree, grouped by query group."""

    def __init__(self, tree: tree_sitter.Tree) -> None:
        self.tree = tree
        self._matches: dict[str, list[dict[str, list[tree_sitter.Node]]]] = {}
        self._captures: dict[str, dict[str, list[tree_sitter.Node]]] = {}
        self._sorted: dict[tuple[str, str], tuple[list[int], list[tree_sitter.Node]]] = {}

    def _run_batch(self, batch: str) -> None:
        names = tuple(name for name, (owner, _) in _SHARED.items() if owner == batch)
        combined, owners = _combined(names)
        for name in names:
            self._matches[name] = []
        for index, found in _cursor(combined).matches(self.tree.root_node):
            self._matches[owners[index]].append(found)

    def matches(self, name: str) -> list[dict[str, list[tree_sitter.Node]]]:
        """Each match of the group, in document order (as `matches` would give)."""
        if name not in self._matches:
            self._run_batch(_SHARED[name][0])
        return self._matches[name]

    def captures(self, name: str) -> dict[str, list[tree_sitter.Node]]:
        """The group's captures by name, in document order (outer nodes before inner ones)."""
        if name not in self._captures:
            flat: dict[str, list[tree_sitter.Node]] = {}
            for found in self.matches(name):
                for key, nodes in found.items():
                    flat.setdefault(key, []).extend(nodes)
            for nodes in flat.values():
                nodes.sort(key=lambda n: (n.start_byte, -n.end_byte))
            self._captures[name] = flat
        return self._captures[name]

    def within(self, name: str, capture: str, node: tree_sitter.Node) -> list[tree_sitter.Node]:
        """The group's `capture` nodes inside `node` (itself included), in document order."""
        import bisect

        key = (name, capture)
        if key not in self._sorted:
            nodes = self.captures(name).get(capture, [])
            self._sorted[key] = ([n.start_byte for n in nodes], nodes)
        starts, nodes = self._sorted[key]
        first = bisect.bisect_left(starts, node.start_byte)
        last = bisect.bisect_right(starts, node.end_byte)
        return [n for n in nodes[first:last] if n.end_byte <= node.end_byte]


@lru_cache(maxsize=2)  # the tree being read and, at most, one more: trees are freed after a file
def found_in(tree: tree_sitter.Tree) -> Found:
    return Found(tree)


def descendants(node: tree_sitter.Node, types: frozenset[str] | set[str]) -> list[tree_sitter.Node]:
    """The nodes of these types inside `node` (itself included), in document order. A walk,
    not a query: for the small subtrees rules look into, compiling a query costs far more."""
    result = []
    cursor = node.walk()
    while True:
        current = cursor.node
        if current.type in types:
            result.append(current)
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return result
