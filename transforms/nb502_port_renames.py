"""NB502 port-renames (PORTING.md 1.2)."""

from __future__ import annotations

import re
from typing import Iterator

from nbfix.cpp.parsing import descendants
from nbfix.cpp.syntax import node_text
from nbfix.cpp.text import indent_unit, line_indent, newline_of
from nbfix.model.porting import (
    PortView,
    Reference,
    Token,
    arguments_of,
    call_of,
    macro_arguments,
    node_edit,
    port_view,
    target_version,
)
from nbfix.rules import TARGET_VERSION, Context, Edit, Finding, Priority, Rule, Safety

# pybind11 name -> nanobind name, the qualifier aside (rows 22-26, 33).
NAMES = {
    "error_already_set": "python_error",
    "reinterpret_borrow": "borrow",
    "reinterpret_steal": "steal",
    "register_exception": "exception",
    # pybind11/eigen/matrix.h and nanobind/eigen/dense.h define these the same way
    # (`Eigen::Ref<T, 0, Eigen::Stride<Dynamic, Dynamic>>`...); only the names differ.
    "EigenDRef": "DRef",
    "EigenDMap": "DMap",
    "EigenDStride": "DStride",
}
# Binding methods (rows 27-32).
METHODS = {
    "def_readwrite": "def_rw",
    "def_readonly": "def_ro",
    "def_property": "def_prop_rw",
    "def_property_readonly": "def_prop_ro",
    "def_readwrite_static": "def_rw_static",
    "def_readonly_static": "def_ro_static",
    "def_property_static": "def_prop_rw_static",
    "def_property_readonly_static": "def_prop_ro_static",
}
READ_ONLY = {"def_property": "def_prop_ro", "def_property_static": "def_prop_ro_static"}
# Override macros (rows 35-37): how many leading arguments (return type, base) nanobind drops.
OVERRIDES = {
    "PYBIND11_OVERRIDE": "NB_OVERRIDE",
    "PYBIND11_OVERRIDE_PURE": "NB_OVERRIDE_PURE",
    "PYBIND11_OVERRIDE_NAME": "NB_OVERRIDE_NAME",
    "PYBIND11_OVERRIDE_PURE_NAME": "NB_OVERRIDE_PURE_NAME",
    "PYBIND11_OVERLOAD": "NB_OVERRIDE",
    "PYBIND11_OVERLOAD_PURE": "NB_OVERRIDE_PURE",
    "PYBIND11_OVERLOAD_NAME": "NB_OVERRIDE_NAME",
    "PYBIND11_OVERLOAD_PURE_NAME": "NB_OVERRIDE_PURE_NAME",
}
MACROS = {"PYBIND11_MAKE_OPAQUE": "NB_MAKE_OPAQUE"}
_NAME_AFTER = re.compile(rb"\s*::\s*([A-Za-z_]\w*)")
MANUAL_MACROS = {
    "PYBIND11_DECLARE_HOLDER_TYPE": "nanobind has no custom holders: delete this; share ownership through "
    "`std::shared_ptr` (nanobind/stl/shared_ptr.h) or `nb::intrusive_ptr`",
    "PYBIND11_NUMPY_DTYPE": "nanobind has no structured NumPy dtypes: pass the fields as separate `nb::ndarray`s",
    "PYBIND11_OVERRIDE_IMPL": "no public nanobind equivalent: use `NB_OVERRIDE_NAME` in a trampoline",
    "PYBIND11_OBJECT": "`NB_OBJECT(Type, Parent, \"pyname\", Check)`: nanobind takes the Python type name as an "
    "extra third argument",
    "PYBIND11_OBJECT_DEFAULT": "`NB_OBJECT_DEFAULT(Type, Parent, \"pyname\", Check)`: nanobind takes the Python "
    "type name as an extra third argument",
    "PYBIND11_OBJECT_CVT": "nanobind has no converting `NB_OBJECT` variant: write `NB_OBJECT_DEFAULT(Type, Parent, "
    "\"pyname\", Check)` and convert explicitly",
}
MANUAL_NAMES = {
    "get_override": "no public nanobind equivalent: override in the trampoline with `NB_OVERRIDE_NAME`",
    "register_local_exception": "nanobind has no module-local exceptions: `nb::exception<T>(m, \"Name\")` "
    "registers it for every module",
}


class PortRenames(Rule):
    """
    ## What it finds
    pybind11 names nanobind spells differently (PORTING.md section 1.2): `error_already_set`,
    `type::of<T>()`, `type`, `reinterpret_borrow`/`reinterpret_steal`, `register_exception`,
    `EigenDRef`/`EigenDMap`/`EigenDStride` (`DRef`/`DMap`/`DStride`: the same Eigen types),
    the `.def_readwrite`/`.def_property*` family, `PYBIND11_OVERRIDE*`/`PYBIND11_OVERLOAD*`,
    `PYBIND11_MAKE_OPAQUE`; trampoline classes without `NB_TRAMPOLINE`; and the pybind11 names
    with no nanobind counterpart (`get_override`, `register_local_exception`,
    `PYBIND11_DECLARE_HOLDER_TYPE`, `PYBIND11_NUMPY_DTYPE`, `PYBIND11_OBJECT*`). Only run by
    `nbfix port` (or when selected by its code).

    ## Why it matters
    The old names do not exist in nanobind. Trampolines differ most: nanobind's override macros
    take neither the return type nor the base class, and a trampoline must declare
    `NB_TRAMPOLINE(Base);` (nanobind 2.x: `NB_TRAMPOLINE(Base, N)` with N at least the number of
    overridden methods), even an empty one.

    ## Example
    ```cpp
    struct PyAnimal : Animal {
        using Animal::Animal;
        std::string go(int n) override { PYBIND11_OVERRIDE_PURE(std::string, Animal, go, n); }
    };
    py::class_<Pet>(m, "Pet").def_readwrite("name", &Pet::name);
    ```
    Use instead:
    ```cpp
    struct PyAnimal : Animal {
        NB_TRAMPOLINE(Animal);
        std::string go(int n) override { NB_OVERRIDE_PURE(go, n); }
    };
    nb::class_<Pet>(m, "Pet").def_rw("name", &Pet::name);
    ```

    ## Fix safety
    Safe: renames, the override macros' first two arguments dropped, and `NB_TRAMPOLINE` added as
    the first member of a class that overrides through the macros or is the trampoline argument
    of a `class_` (its `using Base::Base;` goes: `NB_TRAMPOLINE` inherits the constructors). A
    `.def_property` whose setter is `nullptr` becomes `.def_prop_ro` without it. Getters or
    setters made with `py::cpp_function(...)` and the names with no counterpart are reported
    with the rewrite to make.
    """

    code = "NB502"
    name = "port-renames"
    priority = Priority.HIGH
    fix_safety = Safety.SAFE
    summary = "pybind11 names nanobind spells differently: def_readwrite, overrides, trampolines..."
    needles = (b"::", b"PYBIND11_", b"NB_OVERRIDE", b".def_read", b".def_property")
    opt_in = True
    options = {"target-version": TARGET_VERSION}
    # `PYBIND11_OVERRIDE(void, Base, f, )` (pybind11's documented spelling without arguments) is
    # a parse error that runs on to the end of the file: this rule's fixes must work inside it.
    edits_parse_errors = True

    def check(self, ctx: Context) -> Iterator[Finding]:
        view = port_view(ctx.model, ctx.content)
        for reference in view.references:  # every name handled here exists in pybind11 only
            yield from self._name(reference)
        yield from self._loose_names(ctx, view)
        yield from self._methods(ctx, view)
        for token in view.tokens():
            yield from self._macro(ctx, token)
        yield from self._trampolines(ctx, view)

    def _name(self, reference: Reference) -> Iterator[Finding]:
        head, path = reference.head, reference.path
        if head in NAMES:
            new = NAMES[head]
            yield self.finding(reference.parts[0], f"`{head}` is `{new}` in nanobind",
                               self.fix(f"Use `{new}`", node_edit(reference.parts[0], new)))
        elif path == "type::of" and len(reference.parts) == 2:
            first, last = reference.parts
            yield self.finding(first, "`type::of<T>()` is `type<T>()` in nanobind",
                               self.fix("Use `type<T>()`", Edit(first.start_byte, last.end_byte, "type")))
        elif path == "type" and reference.pybind11 and reference.node.parent is not None and reference.node.parent.type != "call_expression":
            part = reference.parts[0]
            yield self.finding(part, "the `type` wrapper is `type_object` in nanobind",
                               self.fix("Use `type_object`", node_edit(part, "type_object")))
        elif head in MANUAL_NAMES:
            yield self.finding(reference.node, f"`{path}`: {MANUAL_NAMES[head]}")

    def _loose_names(self, ctx: Context, view: PortView) -> Iterator[Finding]:
        """The same names where tree-sitter read no name: `#define` bodies and parse errors
        (pyopencl's `throw py::error_already_set(); \\` in a helper macro)."""
        for token in view.loose_qualifiers():
            name = _NAME_AFTER.match(ctx.content, token.end)
            if name is None:
                continue
            head, start, end = name[1].decode(), name.start(1), name.end(1)
            if head in NAMES:
                yield Finding(self.code, self.name, self.priority, f"`{head}` is `{NAMES[head]}` in nanobind",
                              start, end, self.fix(f"Use `{NAMES[head]}`", Edit(start, end, NAMES[head])))
            elif head in MANUAL_NAMES:
                yield Finding(self.code, self.name, self.priority, f"`{head}`: {MANUAL_NAMES[head]}", start, end)

    def _methods(self, ctx: Context, view: PortView) -> Iterator[Finding]:
        for field in descendants(view.root, {"field_identifier"}):
            old = node_text(field)
            expression = field.parent
            if old not in METHODS or expression is None or expression.type != "field_expression":
                continue
            call = call_of(expression)
            arguments = arguments_of(call) if call is not None else []
            if old in READ_ONLY and len(arguments) >= 3 and node_text(arguments[2]) == "nullptr":
                new = READ_ONLY[old]
                drop = Edit(arguments[1].end_byte, arguments[2].end_byte, "")
                yield self.finding(field, f"`.{old}` with a `nullptr` setter is `.{new}` in nanobind",
                                   self.fix(f"Use `.{new}`", node_edit(field, new), drop))
                continue
            new = METHODS[old]
            wrapped = [a for a in arguments[1:3] if "cpp_function" in node_text(a)]
            fix = self.fix(f"Use `.{new}`", node_edit(field, new))
            if wrapped:
                fix = fix._replace(follow_up=(
                    f"`.{new}` takes the getter and setter themselves: unwrap `cpp_function(f, extras...)` to `f` "
                    "and pass the extras as `nb::for_getter(...)`/`nb::for_setter(...)`"))
            yield self.finding(field, f"`.{old}` is `.{new}` in nanobind", fix)

    def _macro(self, ctx: Context, token: Token) -> Iterator[Finding]:
        at = Finding(self.code, self.name, self.priority, "", token.start, token.end)
        if token.name in MANUAL_MACROS:
            yield at._replace(message=f"`{token.name}`: {MANUAL_MACROS[token.name]}")
        elif token.name in MACROS:
            new = MACROS[token.name]
            yield at._replace(message=f"`{token.name}` is `{new}` in nanobind",
                              fix=self.fix(f"Use `{new}`", Edit(token.start, token.end, new)))
        elif token.name in OVERRIDES:
            new = OVERRIDES[token.name]
            found = macro_arguments(ctx.content, token.end)
            if found is None or len(found[0]) < 3:
                yield at._replace(message=f"`{token.name}(ret, Base, ...)`: write `{new}(...)` without the "
                                  "return type and the base class")
                return
            spans, open_at, close = found
            # `PYBIND11_OVERRIDE(int, Base, f, )`: the empty last argument goes too (tree-sitter
            # cannot parse it, and `NB_OVERRIDE(f)` needs none).
            kept = ctx.content[spans[2][0]:spans[-1][1]].decode("utf-8")
            yield at._replace(
                message=f"`{token.name}` is `{new}` in nanobind, without the return type and base class",
                fix=self.fix(f"Use `{new}`", Edit(token.start, token.end, new), Edit(open_at + 1, close - 1, kept)),
            )

    def _trampolines(self, ctx: Context, view: PortView) -> Iterator[Finding]:
        """`NB_TRAMPOLINE(Base)` for classes that override through the macros or serve as a
        `class_`'s trampoline."""
        classes = {}
        for node in descendants(view.root, {"struct_specifier", "class_specifier"}):
            name, body = node.child_by_field_name("name"), node.child_by_field_name("body")
            if name is not None and body is not None:
                classes[node_text(name)] = node
        overrides: dict[str, int] = {}
        for token in view.override_macros():
            owner = _enclosing_class(view.root, token.start)
            if owner is not None and owner.child_by_field_name("name") is not None:
                name = node_text(owner.child_by_field_name("name"))
                overrides[name] = overrides.get(name, 0) + 1
        for reference in view.pybind11_references:
            arguments = _template_arguments(reference)
            if reference.head == "class_" and len(arguments) >= 2:
                for argument in arguments[1:]:
                    if argument in classes and _bases(classes[argument]) == [arguments[0]]:
                        overrides.setdefault(argument, 0)
        version = target_version(ctx.options)
        for name, count in sorted(overrides.items()):
            node = classes.get(name)
            if node is None or b"NB_TRAMPOLINE" in (node.text or b"") or len(_bases(node)) != 1:
                continue
            base = _bases(node)[0]
            marker = f"NB_TRAMPOLINE({base}, {max(count, 1)});" if version == 2 else f"NB_TRAMPOLINE({base});"
            include = ctx.ensure_includes(["nanobind/trampoline.h"], "nanobind")
            yield self.finding(
                node.child_by_field_name("name"), f"trampoline `{name}` needs `{marker}` in nanobind",
                self.fix(f"Add `{marker}`", *_trampoline_edits(ctx.content, node, base, marker),
                         *([include] if include is not None else [])),
            )


def _enclosing_class(root, offset: int):
    node = root.descendant_for_byte_range(offset, offset)
    while node is not None and node.type not in ("struct_specifier", "class_specifier"):
        node = node.parent
    return node


def _bases(node) -> list[str]:
    """The base classes as written, access specifiers and `virtual` left out."""
    clause = next((c for c in node.children if c.type == "base_class_clause"), None)
    if clause is None:
        return []
    return [node_text(c) for c in clause.named_children if c.type not in ("access_specifier", "virtual")]


def _template_arguments(reference: Reference) -> list[str]:
    """`py::class_<A, B>` -> ["A", "B"]."""
    template = reference.parts[0].parent
    arguments = template.child_by_field_name("arguments") if template is not None else None
    return [" ".join(node_text(a).split()) for a in arguments.named_children] if arguments is not None else []


def _trampoline_edits(content: bytes, node, base: str, marker: str) -> list[Edit]:
    """The marker as the first member; `using Base::Base;` removed (the marker inherits the
    constructors, and inheriting them twice does not compile)."""
    from nbfix.cpp.text import remove_statement

    body = node.child_by_field_name("body")
    members = [c for c in body.named_children if c.type not in ("comment", "access_specifier")]
    newline = newline_of(content)
    open_brace = body.children[0]
    if members and members[0].start_point.row != open_brace.start_point.row:
        indent = line_indent(content, members[0].start_byte)
    else:
        indent = line_indent(content, node.start_byte) + indent_unit(content)
    if body.start_point.row == body.end_point.row:  # `struct T : B {};`, `struct T : B { ... };`
        if members:
            return [Edit(open_brace.end_byte, open_brace.end_byte, f" {marker}")]
        close = body.children[-1]
        closing = f"{newline}{line_indent(content, node.start_byte)}"
        return [Edit(open_brace.end_byte, close.start_byte, f"{newline}{indent}{marker}{closing}")]
    edits = [Edit(open_brace.end_byte, open_brace.end_byte, f"{newline}{indent}{marker}")]
    short = base.split("<")[0].split("::")[-1]
    for member in members:
        if member.type == "using_declaration" and " ".join(node_text(member).split()) in (
            f"using {base}::{short};", f"using {short}::{short};"
        ):
            edits.append(remove_statement(content, member))
    return edits
