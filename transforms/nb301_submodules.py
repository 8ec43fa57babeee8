"""NB301 submodules."""

from __future__ import annotations

import fnmatch
import re
from typing import TYPE_CHECKING, Iterator

from nbfix.cpp.syntax import node_text
from nbfix.cpp.text import insert_line_after, insert_line_before, replace
from nbfix.model.bindings import Binding, ModuleBinding
from nbfix.rules import Context, Finding, Fix, Option, Priority, PythonMove, Rule, Safety

if TYPE_CHECKING:
    from tree_sitter import Node

_SOURCE_SUFFIXES = (".c", ".cc", ".cpp", ".cxx", ".cu", ".h", ".hh", ".hpp", ".hxx", ".inl", ".ipp")


class Submodules(Rule):
    """
    ## What it finds
    Module-level bindings (`m.def(...)`) that the configuration assigns to a submodule, by Python
    name (glob) or by the source file they are bound in:
    ```toml
    [tool.nbfix]
    python-paths = ["scripts", "tests"]

    [tool.nbfix.rules.submodules]
    assign = { geometry = ["area", "perim*"], io = ["src/bind_io.cpp"] }
    alias = true
    ```

    ## Why it matters
    A flat module of hundreds of functions is hard to browse, document and stub. Submodules group
    them (`ext.geometry.area`) the way the C++ library is organised.

    ## Example
    ```cpp
    m.def("area", &area);
    ```
    Use instead:
    ```cpp
    nb::module_ geometry = m.def_submodule("geometry");
    geometry.def("area", &area);
    m.attr("area") = geometry.attr("area");  // backwards-compatible alias
    ```

    ## Fix safety
    With `alias = true` (the default) the function also stays reachable under its old name on the
    parent module: the same object (`ext.area is ext.geometry.area`), so existing code keeps
    working. Safe. With `alias = false` the old name is gone and nbfix rewrites the Python code in
    `python-paths` with libcst (`import`, `from ... import`, attribute uses), keeping formatting and
    comments: unsafe, because code outside those paths, pickles and `__module__` checks also see
    the move.
    """

    code = "NB301"
    name = "submodules"
    priority = Priority.LOW
    fix_safety = Safety.SAFE
    summary = "Module binding that the configuration assigns to a submodule"
    needles = (b".def",)
    moves_python_names = True
    options = {
        "assign": Option({}, "Submodule -> Python names (globs) or source files to move there."),
        "alias": Option(True, "Keep the old name on the parent module (safe)."),
    }

    def check(self, ctx: Context) -> Iterator[Finding]:
        assign = ctx.options.get("assign", {})
        if not assign:
            return
        model = ctx.model
        alias = ctx.options.get("alias", True)
        modules = sorted(model.project.extension_modules)
        moving = [
            (binding, submodule)
            for binding in model.bindings
            if isinstance(binding.owner, ModuleBinding) and binding.owner.submodule is None and binding.python_name
            for submodule in [self.target(ctx, binding, assign)]
            if submodule is not None
        ]
        # Every binding moved to one submodule in one block declares the variable at the same
        # place, so only one declaration is ever made: the others wait and then reuse it.
        first: dict[tuple[int, str], Node] = {}
        for binding, submodule in moving:
            statement = binding.call.parent
            if statement is not None and statement.parent is not None:
                first.setdefault((statement.parent.id, submodule), statement)
        for binding, submodule in moving:
            statement = binding.call.parent
            target = binding.call.child_by_field_name("function").child_by_field_name("argument")
            message = f'"{binding.python_name}" is assigned to submodule "{submodule}"'
            if statement is None or statement.type != "expression_statement" or target.type != "identifier":
                yield self.finding(binding.anchor, message + "; move it by hand (not a plain `m.def(...);` statement)")
                continue
            if len(modules) != 1 and not alias:
                yield self.finding(binding.anchor, message + "; the Python module name is ambiguous, move it by hand")
                continue
            anchor = first.get((statement.parent.id, submodule), statement)
            yield self.finding(
                binding.anchor, message, self.move(ctx, binding, statement, target, anchor, submodule, alias, modules)
            )

    @staticmethod
    def target(ctx: Context, binding: Binding, assign: dict) -> str | None:
        path = ctx.source.path.as_posix()
        for submodule, patterns in assign.items():
            for pattern in [patterns] if isinstance(patterns, str) else patterns:
                if pattern.endswith(_SOURCE_SUFFIXES) or "/" in pattern:
                    if fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path, f"*/{pattern}"):
                        return submodule
                elif fnmatch.fnmatchcase(binding.python_name, pattern):
                    return submodule
        return None

    def move(
        self, ctx: Context, binding: Binding, statement: Node, target: Node, anchor: Node,
        submodule: str, alias: bool, modules: list[str],
    ) -> Fix:
        model = ctx.model
        parent = node_text(target)
        function = enclosing_body(statement)
        existing = existing_submodule(function, submodule) if function is not None else None
        edits = []
        variable = existing
        if variable is None:
            variable = unique(submodule, node_text(function) if function is not None else model.text)
            declaration = f'{model.dialect.prefix}module_ {variable} = {parent}.def_submodule("{submodule}");'
            edits.append(insert_line_before(ctx.content, anchor, declaration))
        edits.append(replace(target, variable))
        moves: tuple[PythonMove, ...] = ()
        if alias:
            name = binding.python_name
            edits.append(insert_line_after(ctx.content, statement, f'{parent}.attr("{name}") = {variable}.attr("{name}");'))
            safety = Safety.SAFE
        else:
            moves = (PythonMove(modules[0], binding.python_name, submodule),)
            safety = Safety.UNSAFE
        title = f'Bind "{binding.python_name}" in submodule "{submodule}"'
        return Fix(tuple(sorted(edits)), safety, title, moves)


def enclosing_body(node: Node) -> Node | None:
    current = node.parent
    while current is not None and current.type != "compound_statement":
        current = current.parent
    return current


def existing_submodule(body: Node, submodule: str) -> str | None:
    """The variable already holding `def_submodule("<submodule>")` in this block, if any."""
    match = re.search(rf'(\w+)\s*=\s*\w+\s*\.\s*def_submodule\(\s*"{re.escape(submodule)}"', node_text(body))
    return match[1] if match else None


def unique(name: str, text: str) -> str:
    candidate, number = name, 2
    while re.search(rf"\b{re.escape(candidate)}\b", text):
        candidate, number = f"{name}{number}", number + 1
    return candidate

