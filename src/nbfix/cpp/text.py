"""Editing helpers every rule shares: they produce `Edit`s in the file's own layout."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from nbfix.core.findings import Edit
from nbfix.cpp.parsing import include_path
from nbfix.cpp.syntax import node_text

if TYPE_CHECKING:
    from tree_sitter import Node



def replace(node: Node, text: str) -> Edit:
    return Edit(node.start_byte, node.end_byte, text)


def replace_policy(policy: Node, value: str) -> Edit:
    """Set a return value policy annotation to `value`, keeping the file's own spelling of the
    namespace (`nb::rv_policy::`, `nanobind::`, `py::return_value_policy::`)."""
    name = policy
    while name.type == "qualified_identifier" and name.child_by_field_name("name") is not None:
        name = name.child_by_field_name("name")
    return replace(name, value)


def line_start(content: bytes, offset: int) -> int:
    return content.rfind(b"\n", 0, offset) + 1


def line_end(content: bytes, offset: int) -> int:
    """Offset just after the newline that ends the line holding `offset` (or the end of content)."""
    end = content.find(b"\n", offset)
    return len(content) if end < 0 else end + 1


def indentation_at(content: bytes, offset: int) -> str:
    """White space that lines text up with `offset`: the line's own indentation when `offset`
    starts the line's text, else spaces up to the column (for arguments aligned to a parenthesis)."""
    prefix = content[line_start(content, offset):offset].decode("utf-8")
    return prefix if not prefix.strip() else " " * len(prefix)


@lru_cache(maxsize=16)
def indent_unit(content: bytes) -> str:
    """One level of indentation in this file: a tab, or the most common step of spaces between lines.

    Steps, not widths: block comments (` * text`) and aligned continuations give odd widths that are
    no indentation level.
    """
    tabs = spaces = 0
    steps: dict[int, int] = {}
    previous = 0
    for line in content.split(b"\n"):
        stripped = line.lstrip(b" \t")
        if not stripped.strip() or stripped.startswith(b"*"):
            continue
        lead = line[: len(line) - len(stripped)]
        if lead.startswith(b"\t"):
            tabs += 1
        elif lead:
            spaces += 1
        width = len(lead.expandtabs(8))
        if 2 <= width - previous <= 8 and b"\t" not in lead:
            steps[width - previous] = steps.get(width - previous, 0) + 1
        previous = width
    if tabs > spaces:
        return "\t"
    return " " * (max(sorted(steps), key=steps.__getitem__) if steps else 4)


def line_indent(content: bytes, offset: int) -> str:
    """The leading white space of the line holding `offset`."""
    line = content[line_start(content, offset):line_end(content, offset)].decode("utf-8")
    return line[: len(line) - len(line.lstrip(" \t"))]


@lru_cache(maxsize=4)  # asked once per edit: a scan of the whole file each time is quadratic
def newline_of(content: bytes) -> str:
    crlf = content.count(b"\r\n")
    return "\r\n" if crlf and crlf * 2 >= content.count(b"\n") else "\n"


def add_argument(content: bytes, arguments: Node, text: str) -> tuple[Edit, ...]:
    """Append `text` as the last argument of a call, following the call's layout.

    One argument per line stays one per line with the same indentation; otherwise `, ` inline.
    A comment that ends the last argument's line stays with that argument.
    """
    args = [a for a in arguments.named_children if a.type != "comment"]
    if not args:
        return (Edit(arguments.start_byte + 1, arguments.start_byte + 1, text),)
    last = args[-1]
    rows = [a.start_point.row for a in args]
    open_row = arguments.start_point.row
    one_per_line = len(set(rows)) == len(rows) and (len(args) > 1 or rows[0] != open_row)
    if not one_per_line:
        return (Edit(last.end_byte, last.end_byte, f", {text}"),)
    anchor = last.end_byte
    sibling = last.next_sibling
    while sibling is not None and sibling.type == "comment" and sibling.start_point.row == last.end_point.row:
        anchor = sibling.end_byte
        sibling = sibling.next_sibling
    layout = f"{newline_of(content)}{indentation_at(content, last.start_byte)}{text}"
    if anchor == last.end_byte:
        return (Edit(anchor, anchor, f",{layout}"),)
    return (Edit(last.end_byte, last.end_byte, ","), Edit(anchor, anchor, layout))


_CONDITIONALS = frozenset({"preproc_if", "preproc_ifdef", "preproc_else", "preproc_elif", "preproc_elifdef"})


def include_guard(root: Node) -> Node | None:
    """The `#ifndef X` / `#define X` ... `#endif` block around a header's contents, if any."""
    blocks = [n for n in root.children  # comments, and a `#pragma once` beside the guard, aside
              if n.type != "comment" and not (n.type == "preproc_call" and node_text(n).startswith("#pragma"))]
    if len(blocks) != 1 or blocks[0].type != "preproc_ifdef" or not node_text(blocks[0]).startswith("#ifndef"):
        return None
    guard = blocks[0]
    name = guard.child_by_field_name("name")
    first = next((c for c in guard.named_children if c != name and c.type != "comment"), None)
    if name is None or first is None or first.type != "preproc_def":
        return None
    defined = first.child_by_field_name("name")
    if defined is None or node_text(defined) != node_text(name) or any(c.type == "preproc_else" for c in guard.children):
        return None
    return guard


def unconditional_includes(root: Node) -> list[Node]:
    """The `#include`s every build of the file reads: at the top level or directly inside its
    include guard (not in an `#ifdef _WIN32` branch, where an added include would be read on
    one platform only)."""
    guard = include_guard(root)
    scopes = (root,) if guard is None else (root, guard)
    return [n for scope in scopes for n in scope.children if n.type == "preproc_include"]


def preprocessor_includes(root: Node) -> list[Node]:
    """Every `#include` outside functions, namespaces and classes: at the top level or inside
    preprocessor conditionals (an include guard, `#ifdef WITH_PYTHON`), in file order."""
    found = []
    stack = [root]
    while stack:
        node = stack.pop()
        for child in reversed(node.children):
            if child.type == "preproc_include":
                found.append(child)
            elif child.type in _CONDITIONALS:
                stack.append(child)
    return sorted(found, key=lambda n: n.start_byte)


def ensure_includes(content: bytes, root: Node, headers: list[str], library: str) -> Edit | None:
    """One edit adding `#include <h>` for each header the file lacks, in sorted order among the
    file's unconditional includes of `library` (else after its last one, else at the top, or
    first inside the include guard)."""
    includes = unconditional_includes(root)
    paths = [include_path(n.child_by_field_name("path")) for n in includes]
    missing = sorted(set(h for h in headers if h not in paths))
    if not missing:
        return None
    newline = newline_of(content)
    block = "".join(f"#include <{h}>{newline}" for h in missing)
    own = [n for n, path in zip(includes, paths) if path.startswith(f"{library}/")]
    before = [n for n, path in zip(includes, paths) if path.startswith(f"{library}/") and path < missing[0]]
    anchor_node = (before or own or includes or [None])[-1]
    if anchor_node is None:
        guard = include_guard(root)
        definition = next((c for c in guard.named_children if c.type == "preproc_def"), None) if guard else None
        return Edit(definition.end_byte, definition.end_byte, block) if definition is not None else Edit(0, 0, block)
    if not before and own:  # every include of the library sorts after ours: go first
        at = own[0].start_byte
        return Edit(at, at, block)
    at = line_end(content, anchor_node.start_byte)
    if at == len(content) and not content.endswith(b"\n"):
        block = newline + block.removesuffix(newline)
    return Edit(at, at, block)


def remove_argument(arguments: Node, argument: Node) -> Edit:
    """Delete one argument of a call together with the comma that separates it."""
    args = [a for a in arguments.named_children if a.type != "comment"]
    index = next(i for i, a in enumerate(args) if a.id == argument.id)
    if index > 0:
        return Edit(args[index - 1].end_byte, argument.end_byte, "")
    if len(args) > 1:
        return Edit(argument.start_byte, args[1].start_byte, "")
    return Edit(argument.start_byte, argument.end_byte, "")


def remove_statement(content: bytes, statement: Node) -> Edit:
    """Delete a statement. When it stands alone on its line(s), the whole line goes; a trailing
    comment stays, on that line at the statement's indentation (it is the user's text, and may say
    more than the statement did); else just the statement's text goes."""
    start, end = statement.start_byte, statement.end_byte
    begin = line_start(content, start)
    finish = line_end(content, end)
    before = content[begin:start]
    after = content[end:finish].strip()
    if not before.strip() and not after:
        return Edit(begin, finish, "")
    while end < len(content) and content[end:end + 1] in (b" ", b"\t"):
        end += 1
    return Edit(start, end, "")


def insert_line_before(content: bytes, statement: Node, text: str) -> Edit:
    """Insert `text` as a line of its own just above `statement`, with the same indentation."""
    begin = line_start(content, statement.start_byte)
    indent = indentation_at(content, statement.start_byte)
    if content[begin:statement.start_byte].strip():
        return Edit(statement.start_byte, statement.start_byte, f"{text}{newline_of(content)}{indent}")
    return Edit(begin, begin, f"{indent}{text}{newline_of(content)}")


def insert_line_after(content: bytes, statement: Node, text: str) -> Edit:
    """Insert `text` (one or more lines, `\n`-separated) after the line that ends `statement`,
    indented like the line `statement` starts on."""
    newline = newline_of(content)
    indent = line_indent(content, statement.start_byte)
    at = line_end(content, statement.end_byte)
    rest = content[statement.end_byte:at].strip()
    if rest and not rest.startswith((b"//", b"/*")):
        # More code on the same line (`{ ...; e.def(...); }`): insert right after the statement,
        # not after the line, which may close the block.
        return Edit(statement.end_byte, statement.end_byte, " " + f"{newline}{indent}".join(text.split("\n")))
    lines = "".join(f"{indent}{line}{newline}" if line else newline for line in text.split("\n"))
    if at == len(content) and not content.endswith(b"\n"):
        return Edit(at, at, newline + lines.removesuffix(newline))
    return Edit(at, at, lines)


def last_binding_statements(block: Node) -> dict[str, Node]:
    """variable -> the last expression statement of `block` whose call chain starts at it."""
    last: dict[str, Node] = {}
    for sibling in block.named_children:
        if sibling.type != "expression_statement":
            continue
        root = sibling.named_children[0] if sibling.named_children else None
        while root is not None and root.type == "call_expression":
            function = root.child_by_field_name("function")
            root = function.child_by_field_name("argument") if function is not None and function.type == "field_expression" else None
        if root is not None and root.type == "identifier" and root.text is not None:
            last[root.text.decode()] = sibling
    return last
