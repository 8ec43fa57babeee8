"""Edits placed by the binding model: a call added to a class binding's chain or after its last statement."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbfix.core.findings import Edit
from nbfix.cpp.text import (
    indent_unit,
    indentation_at,
    insert_line_after,
    last_binding_statements,
    line_indent,
    newline_of,
)

if TYPE_CHECKING:
    from tree_sitter import Node

    from nbfix.model.bindings import ClassBinding


def append_to_class(content: bytes, cls: ClassBinding, lines: list[str]) -> Edit:
    """Add a call such as `def("__repr__", ...)` (given as lines, without the leading `.`) to a
    class binding: at the end of its `.def` chain, or as a statement after the last statement
    that binds on the class's variable; in the file's indentation and line endings."""
    unit = indent_unit(content)
    if cls.variable is None:
        end = cls.last_binding_call()
        method = end.child_by_field_name("function")
        one_line = end.start_point.row == end.end_point.row
        if one_line and len(lines) == 1 and len(line_indent(content, end.start_byte)) + len(lines[0]) + (end.end_point.column - end.start_point.column) < 100:
            return Edit(end.end_byte, end.end_byte, f".{lines[0]}")
        if method is not None and method.type == "field_expression" and not one_line:
            indent = indentation_at(content, method.child_by_field_name("field").start_byte - 1)
        else:
            indent = line_indent(content, cls.statement().start_byte) + unit
        newline = newline_of(content)
        text = "".join(f"{newline}{indent}{'.' if i == 0 else ''}{line}" for i, line in enumerate(lines))
        return Edit(end.end_byte, end.end_byte, text)
    lines = [f"{cls.variable}.{lines[0]}", *lines[1:]]
    lines[-1] += ";"
    return insert_line_after(content, last_statement_on(cls), "\n".join(lines))


def last_statement_on(cls: ClassBinding) -> Node:
    """The last statement in the creating block that binds on the class's variable."""
    statement = cls.statement()
    block = statement.parent
    if block is None:
        return statement
    found = cls._found()
    memo = found.memo if found is not None else {}
    key = ("last_statement_on", block.id)
    if key not in memo:  # one pass over the block for all its classes, not one per class
        memo[key] = last_binding_statements(block)
    last = memo[key].get(cls.variable)
    return last if last is not None and last.start_byte > statement.start_byte else statement
