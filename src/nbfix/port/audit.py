"""What the port leaves that nanobind does not have: every `nb::NAME` in a ported file whose
NAME the target nanobind does not declare, and that no rule already reported at that place.

The rules rename pybind11's qualifier on every name (`py::classh` becomes `nb::classh`) and map
the names PORTING.md lists; pybind11 grows names the table does not know yet (smart holders,
`trampoline_self_life_support`, `slice::compute`...). Left unsaid, each is a compile error the
user meets without a hint; said here, it is an item for a person at its line.
"""

from __future__ import annotations

import re

from nbfix.core.findings import Finding, Priority
from nbfix.core.result import FileResult, LineIndex
from nbfix.port.nanobind_names import declared

_ALIAS = re.compile(rb"\bnamespace\s+(\w+)\s*=\s*(?:::)?nanobind\s*;")
CODE, NAME = "NB501", "port-headers-and-module"


def with_unknown_names(file: FileResult, target_version: int) -> FileResult:
    """The file with an item for each nanobind name the port left that nanobind lacks."""
    if file.new_content is None or file.error:
        return file  # the port changed nothing here: the file is the user's as it was
    content = file.content
    qualifiers = {b"nanobind", *(m[1] for m in _ALIAS.finditer(content))}
    pattern = re.compile(rb"(?<![\w:])(" + b"|".join(sorted(qualifiers)) + rb")\s*::\s*([A-Za-z_]\w*)")
    found = [m for m in pattern.finditer(content) if not declared(m[2].decode(), target_version)]
    if not found:
        return file
    from nbfix.cpp.parsing import disabled_regions, parse
    from nbfix.engine.linter import locate
    from nbfix.model.porting import is_code

    tree = parse(content)
    root = tree.root_node
    dead = disabled_regions(tree, content)
    lines = LineIndex(content)
    items = list(file.remaining)
    for match in found:
        start, end, name = match.start(), match.end(), match[2].decode()
        if not is_code(root, match.start(2), match.end(2)) or _reported(items, start, end, name, lines):
            continue
        if any(low <= start < high for low, high in dead):
            continue  # `#if 0`: never compiled
        message = (f"nanobind {target_version}.x has no `{match[1].decode()}::{name}`: "
                   "pybind11 API the port does not map; port this use by hand")
        items.append(locate(Finding(CODE, NAME, Priority.HIGH, message, start, end), lines))
    return file.replace(remaining=sorted(items, key=lambda i: (i.line, i.column)))


def _reported(items, start: int, end: int, name: str, lines: LineIndex) -> bool:
    """Already an item here: one overlapping the name, or one on its line that names it."""
    line = lines.position(start)[0]
    return any(
        item.finding.start < end and start < item.finding.end
        or item.line == line and f"`{name}" in item.finding.message
        for item in items
    )
