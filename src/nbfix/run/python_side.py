"""Rewriting Python code that uses the bindings when a fix moves names into a submodule.

libcst keeps formatting and comments. Its `RenameCommand` was tried first: it drops
`from ext import f` without adding `from ext.sub import f` and loses `import ext as e` aliases, so
this is a small transformer of its own for the three shapes that reach a module's attributes:
`from ext import f`, `ext.f` and `alias.f`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import libcst as cst
from libcst.helpers import get_full_name_for_node

from nbfix.core.findings import PythonMove

PythonSyntaxError = cst.ParserSyntaxError


class _MoveNames(cst.CSTTransformer):
    def __init__(self, moves: dict[str, dict[str, str]]) -> None:
        super().__init__()
        self.moves = moves  # extension module name -> {name: submodule}
        self.module_paths: dict[str, str] = {}  # dotted expression in this file -> extension name

    def _extension(self, dotted: str | None) -> str | None:
        if not dotted:
            return None
        last = dotted.rpartition(".")[2]
        return last if last in self.moves else None

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            dotted = get_full_name_for_node(alias.name)
            extension = self._extension(dotted)
            if extension is not None:
                bound = alias.asname.name.value if alias.asname is not None else dotted  # type: ignore[union-attr]
                self.module_paths[bound] = extension

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.FlattenSentinel[cst.SimpleStatementLine]:
        """`from ext import f, g` with `f` moved -> `from ext import g` and, on its own line,
        `from ext.sub import f` (the line's comments stay with the first)."""
        if len(updated.body) != 1 or not isinstance(updated.body[0], cst.ImportFrom):
            return updated
        split = self._split(updated.body[0])
        if split is None:
            return updated
        lines = [updated.with_changes(body=[split[0]])] if split[0] is not None else []
        lines += [cst.SimpleStatementLine(body=[statement]) for statement in split[1]]
        if split[0] is None:
            lines[0] = lines[0].with_changes(leading_lines=updated.leading_lines, trailing_whitespace=updated.trailing_whitespace)
        return cst.FlattenSentinel(lines)

    def _split(self, node: cst.ImportFrom) -> tuple[cst.ImportFrom | None, list[cst.ImportFrom]] | None:
        if node.relative or isinstance(node.names, cst.ImportStar) or node.module is None:
            return None
        module = get_full_name_for_node(node.module)
        for alias in node.names:  # `from pkg import ext [as e]` binds the extension module itself
            name = get_full_name_for_node(alias.name)
            if name in self.moves:
                self.module_paths[alias.asname.name.value if alias.asname is not None else name] = name  # type: ignore[union-attr]
        extension = self._extension(module)
        if extension is None:
            return None
        moved: dict[str, list[cst.ImportAlias]] = {}
        kept = []
        for alias in node.names:
            submodule = self.moves[extension].get(get_full_name_for_node(alias.name) or "")
            if submodule is None:
                kept.append(alias)
            else:
                moved.setdefault(submodule, []).append(alias.with_changes(comma=cst.MaybeSentinel.DEFAULT))
        if not moved:
            return None
        remaining = None
        if kept:
            if node.lpar is None:  # a parenthesised list may keep its trailing comma and layout
                kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            remaining = node.with_changes(names=kept)
        statements = [
            cst.ImportFrom(module=cst.parse_expression(f"{module}.{submodule}"), names=names)  # type: ignore[arg-type]
            for submodule, names in moved.items()
        ]
        return remaining, statements

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        owner = get_full_name_for_node(updated.value)
        extension = self.module_paths.get(owner or "")
        if extension is None:
            return updated
        submodule = self.moves[extension].get(updated.attr.value)
        if submodule is None:
            return updated
        return updated.with_changes(value=cst.Attribute(value=updated.value, attr=cst.Name(submodule)))


def rewrite(source: str, moves: Iterable[PythonMove]) -> str:
    """`source` with every use of a moved name going through its submodule."""
    table: dict[str, dict[str, str]] = {}
    for move in moves:
        table.setdefault(move.module, {})[move.name] = move.submodule
    module = cst.parse_module(source)
    return module.visit(_MoveNames(table)).code


def python_files(paths: Iterable[Path]) -> list[Path]:
    found: set[Path] = set()
    for path in paths:
        if path.is_file() and path.suffix == ".py":
            found.add(path.resolve())
        elif path.is_dir():
            found.update(p.resolve() for p in path.rglob("*.py") if "__pycache__" not in p.parts)
    return sorted(found)
