"""Bindings inside `#define` bodies: tree-sitter sees a macro body as one opaque token, so each
body that binds something is parsed again as code, and positions are mapped back to the file.

The body is turned into a snippet of the same length (every line-continuation backslash becomes a
space), wrapped in a function so that it parses as statements. Offsets inside the body map to the
file by a constant shift; newlines that an edit inserts get the macro's continuation backslash,
aligned the way the macro aligns them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from nbfix.core.findings import Edit, FileEdit, Finding, Fix
from nbfix.core.patterns import LazyPattern
from nbfix.core.records import Fields
from nbfix.cpp.parsing import error_regions, found_in, parse, shared_nodes
from nbfix.cpp.text import indent_unit

if TYPE_CHECKING:
    from tree_sitter import Node, Tree


PREFIX = b"void nbfix_macro_body() {\n"
# Two comment lines indented by the file's own unit, so that helpers measuring indentation in
# the snippet find the file's style rather than the macro's deeper indentation.
UNIT_HINT = "{unit}//\n{unit}//\n"
SUFFIX = b"\n;}\n"


def _macro_matches(node: Node) -> list[dict]:
    body = node.child_by_field_name("value")
    return [{"body": [body], "macro": [node]}] if body is not None and body.type == "preproc_arg" else []


_MACROS = shared_nodes(
    "macros", "(preproc_function_def value: (preproc_arg) @body) @macro (preproc_def value: (preproc_arg) @body) @macro",
    ("preproc_function_def", "preproc_def"), _macro_matches,
)
_CONTINUATION = LazyPattern(rb"\\(\r?\n)")


class MacroBody(Fields):
    """One `#define` body that binds something, parsed as code (a snippet of the same length)."""

    _fields = ("name", "params", "start", "end", "snippet", "backslash_column", "prefix", "tree")

    def __init__(
        self,
        name: str,
        params: list[str],
        start: int,  # file offset of the body's first byte
        end: int,
        snippet: bytes,
        backslash_column: int | None,  # where the macro aligns its backslashes, if it does
        prefix: bytes = PREFIX,
        tree: Tree | None = None,  # the snippet's parse
    ) -> None:
        self.name = name
        self.params = params
        self.start = start
        self.end = end
        self.snippet = snippet
        self.backslash_column = backslash_column
        self.prefix = prefix
        self.tree = tree

    def to_file(self, offset: int) -> int | None:
        inside = offset - len(self.prefix)
        if 0 <= inside <= self.end - self.start:
            return self.start + inside
        return None

    def map_finding(self, finding: Finding, edits_parse_errors: bool = False) -> Finding | None:
        start, end = self.to_file(finding.start), self.to_file(finding.end)
        if start is None or end is None:
            return None
        fix = finding.fix
        if fix is not None:
            fix = self.map_fix(fix, edits_parse_errors)
        return Finding(finding.code, finding.name, finding.priority, finding.message, start, end, fix, finding.noise)

    def map_fix(self, fix: Fix, edits_parse_errors: bool = False) -> Fix | None:
        """The fix in file offsets, or None when an edit leaves the body or touches a parse error
        of the snippet (unless the rule is built to edit inside parse errors)."""
        regions = error_regions(self.tree) if self.tree is not None and not edits_parse_errors else []
        edits = []
        for edit in fix.edits:
            if isinstance(edit, FileEdit):
                edits.append(Edit(edit.start, edit.end, edit.text))
                continue
            if any(s < edit.end and edit.start < e for s, e in regions):
                return None
            start, end = self.to_file(edit.start), self.to_file(edit.end)
            if start is None or end is None:
                return None
            edits.append(Edit(start, end, self.continued(edit)))
        return Fix(tuple(sorted(edits)), fix.safety, fix.title, fix.python_moves)

    def continued(self, edit: Edit) -> str:
        """Give every newline the edit inserts the macro's line continuation."""
        if "\n" not in edit.text:
            return edit.text
        # The body's own line end: the snippet's wrapper lines are LF whatever the file uses.
        newline = "\r\n" if b"\r\n" in self.snippet else "\n"
        lines = edit.text.replace("\r\n", "\n").split("\n")
        before = self.snippet[: edit.start].rsplit(b"\n", 1)[-1].decode("utf-8", "replace")
        out = []
        for index, line in enumerate(lines[:-1]):
            width = len((before if index == 0 else "") + line)
            pad = max(1, self.backslash_column - width) if self.backslash_column is not None else 1
            out.append(f"{line}{' ' * pad}\\{newline}")
        return "".join(out) + lines[-1]


def find_macros(tree: Tree, content: bytes) -> list[MacroBody]:
    """The `#define`s whose body binds something (`.def`, `class_<`, `enum_<`)."""
    macros = []
    prefix = PREFIX + UNIT_HINT.format(unit=indent_unit(content)).encode()
    for node in found_in(tree).captures(_MACROS).get("macro", []):
        body = node.child_by_field_name("value")
        raw = content[body.start_byte:body.end_byte] if body is not None else b""
        if not re.search(rb"\.def\w*\s*\(|class_\s*<|enum_\s*<", raw):
            continue
        name_node = node.child_by_field_name("name")
        params_node = node.child_by_field_name("parameters")
        params = [p.text.decode() for p in params_node.named_children] if params_node is not None else []
        snippet = prefix + _CONTINUATION.sub(lambda m: b" " + m[1], raw) + SUFFIX
        name = name_node.text.decode() if name_node is not None else ""
        macros.append(
            MacroBody(name, params, body.start_byte, body.end_byte, snippet, backslash_column(content, node), prefix, parse(snippet))
        )
    return macros


def backslash_column(content: bytes, node: Node) -> int | None:
    """The column of the continuation backslashes when they all line up, else None."""
    lines = content[node.start_byte:node.end_byte].split(b"\n")
    columns = {len(line.rstrip(b"\r").decode("utf-8", "replace")) - 1 for line in lines if line.rstrip(b"\r").endswith(b"\\")}
    return columns.pop() if len(columns) == 1 else None
