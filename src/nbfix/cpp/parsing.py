"""tree-sitter-cpp parsing and parse-error regions."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Callable, Iterable

from nbfix.core.patterns import LazyPattern
from nbfix.core.phases import phase
from nbfix.cpp.conditionals import blanked

# The parser loads on first use: runs the cache answers entirely never need it.
if TYPE_CHECKING:
    import tree_sitter


@lru_cache(maxsize=1)
def language() -> tree_sitter.Language:
    import tree_sitter

    return tree_sitter.Language(_cpp_binding().language())


def _cpp_binding():
    """`tree_sitter_cpp`'s compiled module, loaded without running the package's `__init__`:
    that imports `importlib.resources` (and with it `tempfile`, `shutil`, `random`...) for query
    files nbfix never reads, about 8 ms of a one-file run. Falls back to the plain import."""
    import sys

    name = "tree_sitter_cpp._binding"
    if name in sys.modules:
        return sys.modules[name]
    try:
        from importlib.machinery import EXTENSION_SUFFIXES, PathFinder
        from importlib.util import module_from_spec

        package = PathFinder.find_spec("tree_sitter_cpp")
        locations = package.submodule_search_locations if package is not None else None
        spec = PathFinder.find_spec("_binding", locations) if locations else None
        if spec is None or spec.origin is None or not spec.origin.endswith(tuple(EXTENSION_SUFFIXES)):
            raise ImportError(name)
        spec.name = name  # the module's init function is named after the last part only
        module = module_from_spec(spec)
        spec.loader.exec_module(module)
    except Exception:  # an unusual install: the package's own way
        import tree_sitter_cpp

        return tree_sitter_cpp
    sys.modules[name] = module
    return module


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


@phase("parse")
def parse(content: bytes) -> tree_sitter.Tree:
    return _parser().parse(prepared(content))


def prepared(content: bytes) -> bytes:
    """What the parser reads: the content with export macros and in-chain preprocessor lines
    blanked (same length: offsets into it are offsets into the file)."""
    return without_export_macros(blanked(content))


# `struct GEMMI_DLL AcedrgTables {`: tree-sitter-cpp reads the export macro as the class name and
# the class as a function. Parsed with the macro blanked (same length, so every offset holds).
_EXPORT_MACRO = LazyPattern(
    rb"\b(?:struct|class)\s+(?:alignas\s*\([^()]*\)\s*)?"
    rb"([A-Z][A-Z0-9]*_[A-Z0-9_]*|[A-Z0-9]*(?:API|EXPORT|DLL))\s+(?=[A-Za-z_]\w*\s*(?:final\s*)?[:{])"
)


def without_export_macros(content: bytes) -> bytes:
    if b"struct" not in content and b"class" not in content:
        return content
    return _EXPORT_MACRO.sub(lambda m: m[0][: m.start(1) - m.start()] + b" " * len(m[1]) + m[0][m.end(1) - m.start():], content)


def error_regions(tree: tree_sitter.Tree, low: int = 0, high: int | None = None) -> list[tuple[int, int]]:
    """Byte ranges that tree-sitter could not parse: ERROR nodes, and the parent of each MISSING node;
    with `low`/`high`, only in nodes that overlap [low, high]. Parents are carried down the walk:
    `node.parent` descends from the root again on each call."""
    regions: list[tuple[int, int]] = []
    stack = [(tree.root_node, tree.root_node)] if tree.root_node.has_error else []
    while stack:
        node, parent = stack.pop()
        if node.is_error:
            regions.append((node.start_byte, node.end_byte))
            continue
        if node.is_missing:
            regions.append((parent.start_byte, parent.end_byte))
            continue
        stack.extend(
            (child, node) for child in node.children
            if (child.has_error or child.is_missing) and (high is None or child.start_byte <= high and child.end_byte >= low)
        )
    return sorted(regions)


def errors_around_edit(tree: tree_sitter.Tree, content: bytes, start: int, end: int, text: bytes) -> tuple[int, int]:
    """(parse errors before, after) replacing content[start:end] with `text`, counted where the
    tree changes: an incremental reparse of the edited copy, not a parse of the whole file per
    edit (NB302 asks this for every cast; whole-file parses made it quadratic)."""
    new_content = content[:start] + text + content[end:]
    new_end = start + len(text)
    old = tree.copy()
    old.edit(start, end, new_end, _point(content, start), _point(content, end), _point(new_content, new_end))
    new = _parser().parse(prepared(new_content), old)
    changed = old.changed_ranges(new)
    low = min([start, *(r.start_byte for r in changed)])
    high = max([new_end, *(r.end_byte for r in changed)])
    old_high = high - (new_end - end) if high >= new_end else high
    return len(error_regions(tree, low, old_high)), len(error_regions(new, low, high))


def error_changes(
    before: list[tuple[int, int]], after: list[tuple[int, int]], passes
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(new errors, mended errors) between the original text's parse errors (`before`) and the
    edited text's (`after`), as ranges of the original text: each error after the edits is
    mapped back through the passes (each list of edits applied to the previous result); it is new
    where it overlaps no error of the original, and an original error no mapped error overlaps is
    mended. Counting errors is not enough: a fix that mends a chain can split one error spanning
    the whole file into several small ones inside it (pybind11's test_gil_scoped.cpp), and a fix
    that breaks a line elsewhere can keep the count."""
    old = Unparsed(before)
    mapped = []
    for start, end in after:
        for edits in reversed(passes):
            start, end = _original(start, edits, False), _original(end, edits, True)
        mapped.append((start, max(end, start + 1)))
    new = [region for region in mapped if not old.overlaps(*region)]
    still = Unparsed(mapped)
    mended = [region for region in before if not still.overlaps(*region)]
    return new, mended


def _original(offset: int, edits, is_end: bool) -> int:
    """Where an offset of the edited text was before `edits`; inside an edit's new text, the
    start (or end) of the text it replaced."""
    shift = 0
    for edit in sorted(edits):
        new_start = edit.start + shift
        new_end = new_start + len(edit.text.encode("utf-8"))
        if offset < new_start or (offset == new_start and is_end):
            break
        if offset <= new_end:
            return edit.end if is_end else edit.start
        shift = new_end - edit.end
    return offset - shift


def _point(content: bytes, offset: int) -> tuple[int, int]:
    row = content.count(b"\n", 0, offset)
    return row, offset - (content.rfind(b"\n", 0, offset) + 1)


class Unparsed:
    """The parse-error regions of a file, joined where they overlap and sorted, so that whether a
    range or an edit touches one is a binary search (not a comparison with every region)."""

    def __init__(self, regions: list[tuple[int, int]]) -> None:
        joined: list[tuple[int, int]] = []
        for start, end in sorted(regions):
            if joined and start < joined[-1][1]:
                joined[-1] = (joined[-1][0], max(joined[-1][1], end))
            else:
                joined.append((start, end))
        self.regions = joined
        self.starts = [start for start, _ in joined]

    def __bool__(self) -> bool:
        return bool(self.regions)

    def overlaps(self, start: int, end: int) -> bool:
        """Does [start, end) share a byte with a region (for start == end: lie strictly inside one)?"""
        import bisect

        index = bisect.bisect_left(self.starts, end if end > start else start) - 1
        return index >= 0 and self.regions[index][1] > start

    def touched_by(self, edit) -> bool:
        """A replacement overlapping a region, or an insertion strictly inside one."""
        return self.overlaps(edit.start, edit.end)


_CONSTANT_CONDITION = LazyPattern(rb"#[ \t]*(?:if|elif)[ \t]+(?:0|1|false|true)\b")
_FALSE = (b"0", b"false")
_TRUE = (b"1", b"true")


def disabled_regions(tree: tree_sitter.Tree, content: bytes) -> list[tuple[int, int]]:
    """Byte ranges the preprocessor never compiles: the branch of an `#if 0` (or `#elif 0`) and
    what follows an `#if 1` branch (its `#elif`/`#else`). Code there is dead, not a defect."""
    if not _CONSTANT_CONDITION.search(content):
        return []
    regions = []
    for node in descendants(tree.root_node, {"preproc_if", "preproc_elif"}):
        condition = node.child_by_field_name("condition")
        value = content[condition.start_byte:condition.end_byte] if condition is not None else b""
        alternative = node.child_by_field_name("alternative")
        if value in _FALSE:
            regions.append((node.start_byte, alternative.start_byte if alternative is not None else node.end_byte))
        elif value in _TRUE and alternative is not None:
            regions.append((alternative.start_byte, alternative.end_byte))
    return sorted(regions)


def error_count(tree: tree_sitter.Tree) -> int:
    return len(error_regions(tree))


# ---- whole-file groups: what the model and the rules look for in a whole tree. Each group is
# found by node type and a Python test; the tree-sitter pattern it stands for is its
# specification, which tests/test_queries.py holds the test to. Measured on 0.56 MB of mlx: the
# eight patterns as one query compile in 50 ms and run in 28 ms; the Python groups need no
# compile and run in 66 ms. The query engine would win only past about 1.3 MB per process, and
# its compile alone would cost a one-file `check` most of its start-up budget.

Match = dict  # capture name -> nodes, as `matches` gives them
_NODE_GROUPS: dict[str, tuple[str, frozenset[str], Callable[[tree_sitter.Node], list[Match]]]] = {}


def shared_nodes(name: str, pattern: str, types: Iterable[str], match: Callable[[tree_sitter.Node], list[Match]]) -> str:
    """Register a whole-file group found by node type and a Python test instead of a query:
    a pattern with fields costs about 4 ms to compile, one that names a node type almost
    nothing. `pattern` is the tree-sitter query the group stands for (tests hold `match` to it);
    `match(node)`, for a node of one of `types`, returns the pattern's matches at that node."""
    _NODE_GROUPS[name] = (pattern, frozenset(types), match)
    return name


def _nodes_of_types(root: tree_sitter.Node, types: frozenset[str]) -> list[tree_sitter.Node]:
    """Every node of these (named) types under `root`, in document order, outer first. A walk:
    a query naming the types finds them no faster (measured on 0.5 and 4.5 MB of mlx: within
    15%, about 8 ms per MB at best, less than its 9 ms compile on most runs)."""
    return [n for n in descendants(root, types) if n.is_named]


# What `Found.enclosing` looks for: functions (scopes), statements and `try` blocks.
FUNCTIONS = frozenset({"function_definition", "lambda_expression"})
STATEMENTS = frozenset({"expression_statement", "declaration"})
ENCLOSURES = FUNCTIONS | STATEMENTS | {"try_statement", "for_range_loop"}


class Found:
    """What the whole-file groups find in one tree."""

    def __init__(self, tree: tree_sitter.Tree) -> None:
        self.tree = tree
        self._nodes: list[tree_sitter.Node] | None = None  # every node of a registered type, in order
        self._types: frozenset[str] = frozenset()
        self._positions: dict[str, list[int]] = {}  # node type -> its places in `_nodes`
        self._matches: dict[str, list[dict[str, list[tree_sitter.Node]]]] = {}
        self._captures: dict[str, dict[str, list[tree_sitter.Node]]] = {}
        self._sorted: dict[tuple[str, str], tuple[list[int], list[tree_sitter.Node]]] = {}
        self._enclosures: dict[frozenset[str], tuple[list[int], list[tree_sitter.Node], list[int]]] = {}
        self.memo: dict = {}  # what helpers compute once per tree (keys name the helper)

    def _find_nodes(self) -> None:
        """Every node of a registered type, in document order, outer first."""
        types = frozenset(t for _, group_types, _ in _NODE_GROUPS.values() for t in group_types) | ENCLOSURES
        self._types = types
        self._nodes, self._positions = _nodes_of_types(self.tree.root_node, types), {}
        for position, node in enumerate(self._nodes):
            self._positions.setdefault(node.type, []).append(position)

    def _run_nodes(self, name: str) -> None:
        _, types, match = _NODE_GROUPS[name]
        if self._nodes is None or not types <= self._types:  # a group registered after the search
            self._find_nodes()
        positions = sorted(p for t in types for p in self._positions.get(t, ()))
        assert self._nodes is not None
        self._matches[name] = [found for p in positions for found in match(self._nodes[p])]

    def matches(self, name: str) -> list[dict[str, list[tree_sitter.Node]]]:
        """Each match of the group, in document order of the nodes they are at."""
        if name not in self._matches:
            self._run_nodes(name)
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

    def enclosing(self, node: tree_sitter.Node, types: frozenset[str]) -> tree_sitter.Node | None:
        """The innermost node of these types that contains `node` (not `node` itself). From the
        nodes found in one walk, not `node.parent`: tree-sitter keeps no parent links, so each
        `.parent` descends from the root again and walking up a chain of depth d costs d²."""
        import bisect

        if types not in self._enclosures:
            assert types <= ENCLOSURES, types
            if self._nodes is None:
                self._find_nodes()
            assert self._nodes is not None
            nodes = [self._nodes[p] for p in sorted(p for t in types for p in self._positions.get(t, ()))]
            outer: list[int] = []  # index of the innermost listed node containing each one, or -1
            stack: list[int] = []
            for index, current in enumerate(nodes):
                while stack and nodes[stack[-1]].end_byte < current.end_byte:
                    stack.pop()
                outer.append(stack[-1] if stack else -1)
                stack.append(index)
            self._enclosures[types] = ([n.start_byte for n in nodes], nodes, outer)
        starts, nodes, outer = self._enclosures[types]
        index = bisect.bisect_right(starts, node.start_byte) - 1
        while index >= 0:
            candidate = nodes[index]
            if candidate.end_byte >= node.end_byte and candidate.id != node.id:
                return candidate
            index = outer[index]
        return None

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


@lru_cache(maxsize=2)  # the tree being read and, at most, one more
def found_in(tree: tree_sitter.Tree) -> Found:
    return Found(tree)


def forget_trees() -> None:
    """Drop what `found_in` holds (its trees with it): called when a file is done, so memory
    stays flat."""
    found_in.cache_clear()


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


def include_path(node: tree_sitter.Node) -> str:
    """`#include <a/b.h>` or `"a/b.h"` -> `a/b.h` (given the include's path node)."""
    text = node.text.decode("utf-8", "replace").strip() if node.text else ""
    return text[1:-1] if len(text) >= 2 and text[0] in "<\"" else text
