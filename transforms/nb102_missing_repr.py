"""NB102 missing-repr."""

from __future__ import annotations

from typing import Iterator

from nbfix.edits import append_to_class, indent_unit
from nbfix.model import Binding, Dialect, node_text
from nbfix.rule import Context, Finding, Priority, Rule, Safety

READABLE = frozenset({
    "def_ro", "def_rw", "def_prop_ro", "def_prop_rw",
    "def_readonly", "def_readwrite", "def_property", "def_property_readonly",
})
STRING_MEMBERS = ("__str__", "to_string", "toString", "str", "to_str", "describe")


class MissingRepr(Rule):
    """
    ## What it finds
    A class binding (not an `enum_`, not an exception) with no `__repr__` bound for it, or for a
    bound base class, in any of the files nbfix was given: the same class may get its `__repr__`
    later through its variable, in another function, or in another file.

    ## Why it matters
    Without `__repr__`, Python shows `<mod.Point object at 0x7f...>` in the REPL, in logs, in
    test failures and in debuggers: nothing of the object's state. nanobind and pybind11 add no
    default representation.

    ## Example
    ```cpp
    nb::class_<Point>(m, "Point")
        .def_rw("x", &Point::x)
        .def_rw("y", &Point::y);
    ```
    Use instead:
    ```cpp
    nb::class_<Point>(m, "Point")
        .def_rw("x", &Point::x)
        .def_rw("y", &Point::y)
        .def("__repr__", [](nb::handle self) {
            return nb::str("{}(x={!r}, y={!r})").format(nb::inst_name(self), self.attr("x"), self.attr("y"));
        });
    ```
    The repr shows the runtime type's name (a Python subclass shows its own) and each readable
    field and property, in binding order, through its Python `repr`. A class without readable
    fields but with a string-producing member (`__str__`, `to_string`, `toString`, `str`) gets a
    `__repr__` that delegates to it. Otherwise nbfix only suggests writing one.

    ## Fix safety
    Safe. It adds a method that did not exist, built only from attributes the class already
    exposes, returning a Python `str` (no caster header needed); a delegating `__repr__` that
    returns `std::string` gets `<nanobind/stl/string.h>` added if the file lacks it. The new
    `.def` goes at the end of the class's chain, or after the last statement binding on the
    class's variable.
    """

    code = "NB102"
    name = "missing-repr"
    priority = Priority.HIGH
    fix_safety = Safety.SAFE
    summary = "Class binding without __repr__ (Python shows <mod.T object at 0x...>)"
    needles = (b"class_",)

    def check(self, ctx: Context) -> Iterator[Finding]:
        model = ctx.model
        seen: set[int] = set()
        for cls in model.classes:
            if id(cls) in seen or cls.kind != "class" or not cls.creates or model.has_repr(cls):
                continue
            seen.add(id(cls))
            if model.project.is_exception(cls.short_type):
                continue
            bindings = model.bindings_of(cls)
            fields = [
                b.python_name for b in bindings
                if b.method in READABLE and b.python_name and not b.python_name.startswith("_")
            ]
            message = f'class "{cls.python_name}" has no __repr__: Python shows <{cls.python_name} object at 0x...>'
            unit = indent_unit(ctx.content)
            if fields:
                lines = repr_lines(model.dialect, field_repr(model.dialect, fields, unit), None, unit)
                edit = append_to_class(ctx.content, cls, lines)
                yield self.finding(cls.node, message, self.fix("Add a __repr__ showing the fields", edit))
                continue
            delegate = string_member(bindings)
            if delegate is None:
                yield self.finding(cls.node, message + "; bind one that shows the object's state")
                continue
            edits = [append_to_class(ctx.content, cls, repr_lines(model.dialect, None, node_text(delegate.callables[0].node), unit))]
            if model.dialect.name == "nanobind":
                include = ctx.ensure_includes(["nanobind/stl/string.h"], "nanobind")
                edits += [include] if include is not None else []
            yield self.finding(cls.node, message, self.fix(f'Add a __repr__ delegating to "{delegate.python_name}"', *edits))


def string_member(bindings: list[Binding]) -> Binding | None:
    for binding in bindings:
        target = binding.callable
        if target is None or binding.method != "def" or target.kind not in ("member_pointer", "lambda"):
            continue
        member = (target.name or "").rpartition("::")[2]
        if binding.python_name in STRING_MEMBERS or member in STRING_MEMBERS:
            return binding
    return None


def field_repr(dialect: Dialect, fields: list[str], unit: str) -> list[str]:
    """The lambda body lines of a `__repr__` showing `fields` through their Python repr.
    A long `return` continues `.format(...)` on the next line."""
    ns = dialect.prefix
    pattern = ", ".join(f"{name}={{!r}}" for name in fields)
    attrs = ", ".join(f'self.attr("{name}")' for name in fields)
    if dialect.name == "nanobind":
        lines = []
        head, arguments = f'return {ns}str("{{}}({pattern})")', f"{ns}inst_name(self), {attrs}"
    else:
        lines = [f"auto type = {ns}type::handle_of(self);"]
        head = f'return {ns}str("{{}}.{{}}({pattern})")'
        arguments = f'type.attr("__module__"), type.attr("__qualname__"), {attrs}'
    if len(head) + len(arguments) > 80:
        return [*lines, head, f"{unit}.format({arguments});"]
    return [*lines, f"{head}.format({arguments});"]


def repr_lines(dialect: Dialect, body: list[str] | None, delegate: str | None, unit: str) -> list[str]:
    """`def("__repr__", ...)` as lines without the leading `.`, indented from column 0."""
    if body is None:
        return [f'def("__repr__", {delegate})']
    return [f'def("__repr__", []({dialect.prefix}handle self) {{', *(unit + line for line in body), "})"]
