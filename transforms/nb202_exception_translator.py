"""NB202 exception-translator."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterator

from nbfix.cpp.syntax import node_text, squash
from nbfix.cpp.text import indent_unit, line_indent, newline_of
from nbfix.index.declarations import IndexQueries, short_name, vendored
from nbfix.model.facts import registered_exceptions
from nbfix.rules import Context, Edit, Finding, Option, Priority, Rule, Safety

if TYPE_CHECKING:
    from tree_sitter import Node

# nanobind's and pybind11's default translation, nearest listed base first (NANOBIND_FACTS §4).
DEFAULT_PYTHON_BASE = {
    "bad_alloc": "PyExc_MemoryError",
    "domain_error": "PyExc_ValueError",
    "invalid_argument": "PyExc_ValueError",
    "length_error": "PyExc_ValueError",
    "range_error": "PyExc_ValueError",
    "out_of_range": "PyExc_IndexError",
    "overflow_error": "PyExc_OverflowError",
}


class ExceptionTranslator(Rule):
    """
    ## What it finds
    Exception classes defined in the given files (derived from `std::exception`, directly or
    through other given classes), outside vendored folders (`third_party/`, `extern/`,
    `vendor/`...: another library's exceptions are not the project's to name), that no binding registers with `exception<T>(...)`
    (pybind11: `register_exception<T>(...)`) or catches in a `register_exception_translator`.

    ## Why it matters
    An unregistered C++ exception reaches Python as the nearest built-in of the default
    translation: `RuntimeError` for most, `ValueError` for `std::invalid_argument`. Python code
    cannot catch `ParseError` apart from every other `RuntimeError`, and the C++ class hierarchy
    is lost.

    ## Example
    ```cpp
    struct ParseError : std::runtime_error { using std::runtime_error::runtime_error; };
    NB_MODULE(ext, m) { ... }
    ```
    Use instead:
    ```cpp
    NB_MODULE(ext, m) {
        ...
        nb::exception<ParseError>(m, "ParseError", PyExc_RuntimeError);
    }
    ```

    ## Fix safety
    Safe. Each class is registered at the end of the module init, base classes before derived ones
    (translators run newest first), derived classes with their base's Python type as their base,
    and every root with the Python exception today's default translation already gives it, so
    existing `except RuntimeError` / `except ValueError` clauses keep catching it. A class the
    module's translation unit cannot see (no include path to its header) gets a suggestion.

    Options: `classes`, further C++ classes to register (exceptions whose root is not a standard
    exception); `names`, Python names for C++ classes (default: the class name).
    """

    code = "NB202"
    name = "exception-translator"
    priority = Priority.MEDIUM
    fix_safety = Safety.SAFE
    summary = "C++ exception class with no registered Python exception (surfaces as RuntimeError)"
    needles = (b"_MODULE",)
    options = {
        "classes": Option([], "Further C++ exception classes to register."),
        "names": Option({}, "Python names for C++ exception classes: {\"ns::ParseError\" = \"ParseFailed\"}."),
    }

    def check(self, ctx: Context) -> Iterator[Finding]:
        model = ctx.model
        if not model.module_inits:
            return
        project = model.project
        registered_here = registered_exceptions(ctx.content)
        extra = {short_name(c) for c in ctx.options.get("classes", [])}
        missing = [
            name for name in project.exception_classes(extra)
            if name not in registered_here and name not in project.registered_exceptions
            and not vendored(project.classes[name].defined_in or "", ctx.source.path.as_posix())
        ]
        if not missing:
            return
        visible_files = project.reachable_files(model.includes) | {ctx.source.path.as_posix()}
        visible = [n for n in missing if project.classes[n].defined_in in visible_files]
        hidden = [n for n in missing if n not in visible]
        init = model.module_inits[0]
        for name in hidden:
            yield self.finding(
                init.child_by_field_name("declarator"),
                f"exception class {project.classes[name].qualified} is not registered, so it reaches Python as "
                f"{python_base(project, name).removeprefix('PyExc_')}; include its header here and register it",
            )
        if visible:
            ordered = bases_first(project, visible)
            names = ", ".join(project.classes[n].qualified or n for n in ordered)
            edit = registration(ctx, init, ordered, self.python_names(ctx, project, ordered))
            yield self.finding(
                init.child_by_field_name("declarator"),
                f"exception classes reach Python as built-in exceptions only: register {names}",
                self.fix("Register the exception classes", edit),
            )

    @staticmethod
    def python_names(ctx: Context, project: IndexQueries, names: list[str]) -> dict[str, str]:
        configured = ctx.options.get("names", {})
        result = {}
        for name in names:
            qualified = project.classes[name].qualified or name
            result[name] = configured.get(qualified, configured.get(name, name))
        return result


def python_base(project: IndexQueries, name: str) -> str:
    """The Python exception the default translation gives a class: its nearest listed std base."""
    pending = [name]
    seen: set[str] = set()
    while pending:
        current = pending.pop(0)
        if current in seen:
            continue
        seen.add(current)
        if current in DEFAULT_PYTHON_BASE:
            return DEFAULT_PYTHON_BASE[current]
        decl = project.classes.get(current)
        pending.extend(decl.bases if decl is not None else [])
    return "PyExc_RuntimeError"


def given_base(project: IndexQueries, name: str, among: list[str]) -> str | None:
    decl = project.classes.get(name)
    for base in decl.bases if decl is not None else []:
        if base in among:
            return base
    return None


def bases_first(project: IndexQueries, names: list[str]) -> list[str]:
    ordered: list[str] = []

    def visit(name: str) -> None:
        if name in ordered:
            return
        base = given_base(project, name, names)
        if base is not None:
            visit(base)
        ordered.append(name)

    for name in sorted(names):
        visit(name)
    return ordered


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def registration(ctx: Context, init: Node, ordered: list[str], python_names: dict[str, str]) -> Edit:
    """Statements registering `ordered` at the end of the module init body."""
    model, content, project = ctx.model, ctx.content, ctx.model.project
    params = init.child_by_field_name("declarator").child_by_field_name("parameters").named_children
    module = squash(node_text(params[1]))
    body = init.child_by_field_name("body")
    unit = indent_unit(content)
    statements = [s for s in body.named_children if s.type != "comment"]
    indent = line_indent(content, statements[0].start_byte) if statements else line_indent(content, init.start_byte) + unit
    prefix = model.dialect.prefix
    bases_needed = {given_base(project, n, ordered) for n in ordered} - {None}
    lines = ["// Python exception types for the C++ exceptions (bases first: translators run newest first)."]
    variables: dict[str, str] = {}
    for name in ordered:
        cpp = project.classes[name].qualified or name
        base = given_base(project, name, ordered)
        python_base_expr = variables[base] if base is not None else python_base(project, name)
        if model.dialect.name == "nanobind":
            call = f'{prefix}exception<{cpp}>({module}, "{python_names[name]}", {python_base_expr})'
            declare = "auto "
        else:
            call = f'{prefix}register_exception<{cpp}>({module}, "{python_names[name]}", {python_base_expr})'
            declare = "auto &"
        if name in bases_needed:
            variables[name] = unique_name(f"{snake(name)}_type", model.text)
            lines.append(f"{declare}{variables[name]} = {call};")
        else:
            lines.append(f"{call};")
    newline = newline_of(content)
    closing = body.end_byte - 1  # the `}` of the body
    start = content.rfind(b"\n", 0, closing) + 1
    text = "".join(f"{indent}{line}{newline}" for line in lines)
    if content[start:closing].strip():  # `}` shares its line with code: open a new line first
        return Edit(closing, closing, newline + text + line_indent(content, init.start_byte))
    return Edit(start, start, text)


def unique_name(candidate: str, text: str) -> str:
    name, number = candidate, 2
    while re.search(rf"\b{re.escape(name)}\b", text):
        name, number = f"{candidate}{number}", number + 1
    return name
