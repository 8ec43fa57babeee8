"""NB507 port-casters (PORTING.md 1.7)."""

from __future__ import annotations

import re
from typing import Iterator

from nbfix.cpp.parsing import descendants
from nbfix.cpp.syntax import node_text
from nbfix.model.porting import macro_arguments, node_edit, port_view, target_version
from nbfix.rules import TARGET_VERSION, Context, Edit, Finding, Priority, Rule, Safety

_NAME_DESCRIPTOR = re.compile(r"^(?:\w+::)*(?:_|const_name)\s*(\(.*\))$", re.S)
# pybind11 names written without a qualifier inside its namespace, and their nanobind names.
BARE_NAMES = {
    "return_value_policy": "rv_policy", "reinterpret_borrow": "borrow", "reinterpret_steal": "steal",
    "error_already_set": "python_error",
}
BODY_FOLLOW_UP = (
    "check the body: `from_python` must not throw (return false, after `PyErr_Clear()` if a Python call failed) "
    "and must not keep objects alive beyond the call unless through `cleanup`"
)


class PortCasters(Rule):
    """
    ## What it finds
    Custom type casters written for pybind11 (PORTING.md section 1.7): `PYBIND11_TYPE_CASTER`
    with its `_("name")` descriptor, `bool load(handle, bool convert)`, `static handle
    cast(T, return_value_policy, handle parent)`, and `make_caster<T>` used by hand. Only run by
    `nbfix port` (or when selected by its code).

    ## Why it matters
    nanobind's caster interface has other names and parameters:
    `bool from_python(handle src, uint8_t flags, cleanup_list *cleanup) noexcept` (nanobind 3:
    `uint32_t flags`) and `static handle from_cpp(T value, rv_policy policy, cleanup_list
    *cleanup) noexcept`. A caster that keeps the pybind11 names compiles into something nanobind
    never calls.

    ## Example
    ```cpp
    template <> struct type_caster<Point> {
        PYBIND11_TYPE_CASTER(Point, _("Point"));
        bool load(handle src, bool convert) { ... if (!convert) ... }
        static handle cast(Point p, return_value_policy, handle) { ... }
    };
    ```
    Use instead:
    ```cpp
    template <> struct type_caster<Point> {
        NB_TYPE_CASTER(Point, const_name("Point"))
        bool from_python(handle src, uint32_t flags, cleanup_list *cleanup) { ... if (!(flags & (uint8_t) cast_flags::convert)) ... }
        static handle from_cpp(Point p, rv_policy, cleanup_list *) noexcept { ... }
    };
    ```

    ## Fix safety
    Safe for the signatures and the macro: `convert` in the body becomes the flag test. The
    bodies are the person's: a follow-up note says what to check (with the other rules on, NB204
    then makes `from_python` exception-safe and `noexcept`). A `cast` body that uses `parent`
    is reported (nanobind passes a cleanup list instead). `make_caster<T>` by hand is reported:
    `nb::try_cast<T>(h, out)` replaces it.
    """

    code = "NB507"
    name = "port-casters"
    priority = Priority.HIGH
    fix_safety = Safety.SAFE
    summary = "pybind11 type casters: PYBIND11_TYPE_CASTER, load/cast signatures, make_caster"
    needles = (b"PYBIND11_TYPE_CASTER", b"type_caster", b"make_caster")
    opt_in = True
    options = {"target-version": TARGET_VERSION}
    # `PYBIND11_TYPE_CASTER(T, _("name"));` is a parse error (a string where tree-sitter expects a
    # parameter) that covers the caster around it: this rule's fixes must work inside it.
    edits_parse_errors = True

    def check(self, ctx: Context) -> Iterator[Finding]:
        view = port_view(ctx.model, ctx.content)
        for token in view.tokens():
            if token.name == "PYBIND11_TYPE_CASTER":
                yield self._macro(ctx, token)
        flags = "uint32_t" if target_version(ctx.options) >= 3 else "uint8_t"
        for caster in descendants(view.root, {"struct_specifier", "class_specifier"}):
            name = caster.child_by_field_name("name")
            body = caster.child_by_field_name("body")
            if name is None or body is None or not node_text(name).startswith("type_caster"):
                continue
            for member in body.named_children:
                if member.type == "function_definition":
                    yield from self._member(ctx, member, flags)
        yield from self._bare_names(view)
        for reference in view.references:
            if reference.path.startswith("detail::make_caster"):
                yield self.finding(reference.node, "`make_caster<T>` by hand: `nb::try_cast<T>(handle, out)` converts "
                                   "without exceptions (or `nb::cast<T>(handle)` with them)")

    def _bare_names(self, view) -> Iterator[Finding]:
        """Inside `namespace pybind11 { ... }` (casters) pybind11's names appear unqualified."""
        for namespace in descendants(view.root, {"namespace_definition"}):
            name = namespace.child_by_field_name("name")
            body = namespace.child_by_field_name("body")
            if name is None or body is None or node_text(name).split("::")[0] not in ("pybind11", "nanobind"):
                continue
            if namespace.parent is not None and namespace.parent.type == "declaration_list":
                continue  # the inner `namespace detail` of one already looked at
            for node in descendants(body, {"identifier", "type_identifier"}):
                new = BARE_NAMES.get(node_text(node))
                parent = node.parent
                if new is None or (parent is not None and parent.type == "qualified_identifier"
                                   and parent.child_by_field_name("name") == node):
                    continue
                yield self.finding(node, f"`{node_text(node)}` is `{new}` in nanobind",
                                   self.fix(f"Use `{new}`", node_edit(node, new)))

    def _macro(self, ctx: Context, token) -> Finding:
        at = Finding(self.code, self.name, self.priority, "`PYBIND11_TYPE_CASTER` is `NB_TYPE_CASTER` in nanobind",
                     token.start, token.end)
        edits = [Edit(token.start, token.end, "NB_TYPE_CASTER")]
        found = macro_arguments(ctx.content, token.end)
        if found is not None and len(found[0]) == 2:
            start, end = found[0][1]
            descriptor = _NAME_DESCRIPTOR.match(ctx.content[start:end].decode("utf-8"))
            if descriptor is not None:
                edits.append(Edit(start, end, f"const_name{descriptor[1]}"))
        return at._replace(fix=self.fix("Use `NB_TYPE_CASTER`", *edits))

    def _member(self, ctx: Context, function, flags: str) -> Iterator[Finding]:
        declarator = function.child_by_field_name("declarator")
        while declarator is not None and declarator.type != "function_declarator":
            declarator = declarator.child_by_field_name("declarator")
        if declarator is None:
            return
        name = declarator.child_by_field_name("declarator")
        parameters = declarator.child_by_field_name("parameters")
        params = [p for p in parameters.named_children if p.type == "parameter_declaration"] if parameters else []
        names = [_parameter_name(p) for p in params]
        body = function.child_by_field_name("body")
        if name is None or body is None:
            return
        if node_text(name) == "load" and len(params) == 2:
            source = node_text(params[0])
            edits = [node_edit(name, "from_python"), node_edit(parameters, f"({source}, {flags} flags, cleanup_list *cleanup)")]
            if names[1]:
                edits += [node_edit(use, "(flags & (uint8_t) cast_flags::convert)")
                          for use in descendants(body, {"identifier"}) if node_text(use) == names[1]]
            yield self.finding(name, f"nanobind's casters implement `bool from_python(handle, {flags} flags, "
                               "cleanup_list *cleanup) noexcept`",
                               self.fix("Use `from_python`", *edits)._replace(follow_up=BODY_FOLLOW_UP))
        elif node_text(name) == "cast" and len(params) == 3 and _is_static(function):
            value = node_text(params[0])
            policy = names[1] or ""
            edits = [node_edit(name, "from_cpp"),
                     node_edit(parameters, f"({value}, rv_policy {policy}, cleanup_list *{'cleanup' if names[2] else ''}) noexcept"
                               .replace(" )", ")"))]
            fix = self.fix("Use `from_cpp`", *edits)
            if names[2] and any(node_text(use) == names[2] for use in descendants(body, {"identifier"})):
                fix = fix._replace(follow_up=f"`from_cpp` gets no parent handle: `{names[2]}` must go (keep objects "
                                   "alive through `cleanup` or the policy)")
            yield self.finding(name, "nanobind's casters implement `static handle from_cpp(T, rv_policy, cleanup_list *) "
                               "noexcept`", fix)


def _parameter_name(parameter) -> str:
    declarator = parameter.child_by_field_name("declarator")
    while declarator is not None and declarator.type != "identifier":
        declarator = declarator.child_by_field_name("declarator") or (
            declarator.named_children[-1] if declarator.named_children else None)
    return node_text(declarator) if declarator is not None else ""


def _is_static(function) -> bool:
    return any(c.type == "storage_class_specifier" and node_text(c) == "static" for c in function.children)
