"""NB503 port-annotations-and-policies (PORTING.md 1.3)."""

from __future__ import annotations

import re
from typing import Iterator

from nbfix.cpp.parsing import descendants
from nbfix.cpp.syntax import node_text, squash
from nbfix.cpp.text import remove_argument
from nbfix.model.porting import Reference, arguments_of, call_of, node_edit, port_view, target_version
from nbfix.rules import TARGET_VERSION, Context, Edit, Finding, Priority, Rule, Safety

MANUAL = {
    "prepend": "nanobind has no `prepend()`: overloads are tried in the order they are bound; bind this one first",
    "pos_only": "nanobind has no `pos_only()`: name the leading parameters with unnamed `nb::arg()` "
    "(and `.sig(...)` for the rendered `/`), or accept them by keyword too",
}
NONE_DEFAULTS = frozenset({"none()", "nullptr", "NULL"})


class PortAnnotations(Rule):
    """
    ## What it finds
    pybind11's call annotations and policies that nanobind spells or treats differently
    (PORTING.md section 1.3): `return_value_policy`, `arg_v`, a `None` default for a pointer or
    `shared_ptr` parameter, a pointer parameter the bound code tests for null, `.none(false)`, `sibling`, `doc("...")`, `is_method(cls)`, and the
    annotations with no nanobind counterpart (`prepend`, `pos_only`). Only run by `nbfix port`
    (or when selected by its code).

    ## Why it matters
    `return_value_policy` is `rv_policy` in nanobind (nanobind 3: a policy as a template argument
    is `rv_policy::X_v`). pybind11 lets `None` through to any pointer or holder parameter;
    nanobind raises `TypeError` unless the argument says `.none()`, so a binding with
    `py::arg("p") = py::none()` stops accepting its own default.

    ## Example
    ```cpp
    m.def("f", &f, py::arg("node") = py::none(), py::return_value_policy::reference);
    m.def("g", &g, py::arg_v("n", 1, "one"));
    ```
    Use instead:
    ```cpp
    m.def("f", &f, nb::arg("node").none() = nb::none(), nb::rv_policy::reference);
    m.def("g", &g, nb::arg("n").sig("one") = 1);
    ```

    ## Fix safety
    Safe: renames and syntax-tree rewrites of the annotation itself. `.none()` is added only where
    the parameter's declared type is visible (a lambda, or a declaration among the given files)
    and is a pointer or `shared_ptr`: for a `None` default, and for a parameter the lambda or
    the file's function tests for null (`!p`, `p ? a : b`, `p && ...`, `p == nullptr`), where
    pybind11's None was meant to arrive as `nullptr` (proven in the compiled zoo); without
    `arg` annotations that one is reported (nanobind wants one per parameter). `sibling` is dropped (nanobind chains overloads by
    itself), `doc("x")` becomes `"x"`, `is_method(cls)` becomes `is_method()`. `prepend` and
    `pos_only` are reported with the rewrite to make, and so is a policy kept in a variable of
    type `return_value_policy` (nanobind 3 takes policies as compile-time tags only).
    """

    code = "NB503"
    name = "port-annotations-and-policies"
    priority = Priority.HIGH
    fix_safety = Safety.SAFE
    summary = "pybind11 call annotations and policies: rv_policy, arg_v, .none() for None defaults..."
    needles = (b"::",)  # the names it handles exist only in pybind11, whatever their qualifier
    opt_in = True
    options = {"target-version": TARGET_VERSION}

    def check(self, ctx: Context) -> Iterator[Finding]:
        view = port_view(ctx.model, ctx.content)
        if not view.references:
            return
        version = target_version(ctx.options)
        for reference in view.references:
            yield from self._annotation(ctx, reference, version)
        yield from self._none_defaults(ctx)
        yield from self._null_checked(ctx)
        for field in descendants(view.root, {"field_identifier"}):
            yield from self._none_flag(field)

    def _annotation(self, ctx: Context, reference: Reference, version: int) -> Iterator[Finding]:
        head = reference.head
        if head == "return_value_policy":
            edits = [node_edit(reference.parts[0], "rv_policy")]
            if version >= 3 and len(reference.parts) == 2 and _in_template_arguments(reference.node):
                value = reference.parts[1]
                edits.append(Edit(value.end_byte, value.end_byte, "_v"))
            fix = self.fix("Use `rv_policy`", *edits)
            if version >= 3 and len(reference.parts) == 1:  # the type: a policy kept in a variable
                fix = fix._replace(follow_up=(
                    "a policy held in a variable cannot be passed to `.def` in nanobind 3 (policies are compile-time "
                    "tags): pass `nb::rv_policy::X` itself at each binding"))
            yield self.finding(reference.parts[0], "`return_value_policy` is `rv_policy` in nanobind", fix)
            return
        call = call_of(reference.node)
        if call is None:
            if head in MANUAL:
                yield self.finding(reference.node, f"`{reference.path}`: {MANUAL[head]}")
            return
        arguments = arguments_of(call)
        if head == "arg_v" and len(arguments) in (2, 3):
            name, value = node_text(arguments[0]), node_text(arguments[1])
            sig = f".sig({node_text(arguments[2])})" if len(arguments) == 3 else ""
            yield self.finding(reference.parts[0], "`arg_v(name, value[, text])` is `arg(name) = value` in nanobind",
                               self.fix("Use `arg(...) = value`",
                                        Edit(reference.parts[0].start_byte, call.end_byte, f"arg({name}){sig} = {value}")))
        elif head == "sibling" and call.parent is not None and call.parent.type == "argument_list":
            yield self.finding(reference.node, "nanobind has no `sibling`: overloads chain by themselves",
                               self.fix("Drop `sibling(...)`", remove_argument(call.parent, call)))
        elif head == "doc" and len(arguments) == 1 and call.parent is not None and call.parent.type == "argument_list":
            yield self.finding(reference.node, "nanobind has no `doc(...)` annotation: pass the docstring itself",
                               self.fix("Pass the string", node_edit(call, node_text(arguments[0]))))
        elif head == "is_method" and arguments:
            list_node = call.child_by_field_name("arguments")
            yield self.finding(reference.node, "nanobind's `is_method()` takes no argument",
                               self.fix("Use `is_method()`", node_edit(list_node, "()")))
        elif head in MANUAL:
            yield self.finding(reference.node, f"`{reference.path}`: {MANUAL[head]}")

    def _none_flag(self, field) -> Iterator[Finding]:
        """`arg("p").none(true)` is `.none()` in nanobind; `.none(false)` is its default."""
        access = field.parent
        call = call_of(access) if access is not None and access.type == "field_expression" and node_text(field) == "none" else None
        arguments = arguments_of(call) if call is not None else []
        receiver = squash(node_text(access.child_by_field_name("argument"))) if call is not None else ""
        named = "arg" in receiver.split("(")[0].split("{")[0] or re.fullmatch(r'"\w*"_a', receiver)  # `"a"_a`
        if len(arguments) != 1 or node_text(arguments[0]) not in ("true", "false") or not named:
            return
        if node_text(arguments[0]) == "true":
            yield self.finding(field, "nanobind's `.none()` takes no argument",
                               self.fix("Use `.none()`", node_edit(call.child_by_field_name("arguments"), "()")))
        else:
            yield self.finding(field, "`.none(false)` is nanobind's default",
                               self.fix("Drop `.none(false)`", Edit(access.child_by_field_name("argument").end_byte, call.end_byte, "")))

    def _none_defaults(self, ctx: Context) -> Iterator[Finding]:
        """`arg("p") = none()` on a pointer or `shared_ptr` parameter: add `.none()`."""
        model = ctx.model
        for binding in model.bindings:
            arguments = [e.node for e in binding.extras_of("arg")]
            params = _parameters(model, binding)
            if params is not None and len(params) == len(arguments) + 1 and binding.is_method:
                params = params[1:]  # a lambda's `self`
            for index, argument in enumerate(arguments):
                declaration = argument.child_by_field_name("left") if argument.type == "assignment_expression" else argument
                default = argument.child_by_field_name("right") if argument.type == "assignment_expression" else None
                text = node_text(declaration) if declaration is not None else ""
                if default is None or ".none(" in text or params is None or index >= len(params):
                    continue
                value = squash(node_text(default)).rsplit("::", 1)[-1]  # `py::none()`, `nb::none()`
                if value in NONE_DEFAULTS and _nullable(params[index]):
                    yield self.finding(
                        argument, f"nanobind rejects None for `{params[index]}` unless the argument says `.none()`",
                        self.fix("Add `.none()`", Edit(declaration.end_byte, declaration.end_byte, ".none()")),
                    )


    def _null_checked(self, ctx: Context) -> Iterator[Finding]:
        """A pointer parameter the bound code tests for null (`if (!p)`, `p ? a : b`, `p ==
        nullptr`): pybind11 passed None to it as nullptr, nanobind raises TypeError unless the
        argument says `.none()`."""
        for binding in ctx.model.bindings:
            found = _params_and_body(ctx, binding)
            if found is None:
                continue
            params, body = found
            arguments = [e.node for e in binding.extras_of("arg")]
            if arguments and len(arguments) != len(params):
                continue  # `py::args`, `kw_only()`...: which annotation names which parameter is not plain
            for index, param in enumerate(params):
                if param.name is None or not _nullable(param.type) or "char" in param.type.split("*")[0].split():
                    continue
                if not _tests_null(body, param.name):
                    continue
                where = f"pybind11 passed None to `{param.type} {param.name}` as nullptr, which the function tests for; " \
                        "nanobind raises TypeError unless the argument says `.none()`"
                if not arguments:
                    if any(_ARG_SPELLING.search(node_text(a)) for a in binding.arguments):
                        break  # annotations nbfix does not read as such (`py::arg{}`): say nothing
                    yield self.finding(binding.call, f"{where}: annotate every parameter (`nb::arg(\"{param.name}\").none()` "
                                       "for this one)")
                    continue
                if index >= len(arguments):
                    continue
                argument = arguments[index]
                declaration = argument.child_by_field_name("left") if argument.type == "assignment_expression" else argument
                default = argument.child_by_field_name("right") if argument.type == "assignment_expression" else None
                if declaration is None or ".none(" in node_text(declaration):
                    continue
                if default is not None and squash(node_text(default)).rsplit("::", 1)[-1] in NONE_DEFAULTS:
                    continue  # `_none_defaults` adds it
                yield self.finding(argument, where, self.fix("Add `.none()`", Edit(declaration.end_byte,
                                                                                   declaration.end_byte, ".none()")))


_ARG_SPELLING = re.compile(r"\barg\b|\"_a\b")


def _params_and_body(ctx: Context, binding):
    """The Python-visible parameters of a bound lambda or free function of this file, and its
    body; None when not visible."""
    from nbfix.index.declarations import parameter
    from nbfix.model.bindings import STATIC_METHODS, ClassBinding

    target = binding.callable
    if target is None:
        return None
    on_class = isinstance(binding.owner, ClassBinding) and binding.method not in STATIC_METHODS
    if target.kind == "lambda" and target.body is not None:
        params = list(target.params)
        return (params[1:] if on_class and params else params), target.body  # a method's or `__init__`'s self
    if target.kind != "function" or not target.name or on_class:
        return None
    definitions = []
    for function in descendants(ctx.model.tree.root_node, {"function_definition"}):
        declarator = function.child_by_field_name("declarator")
        while declarator is not None and declarator.type not in ("function_declarator",):
            declarator = declarator.child_by_field_name("declarator")
        name = declarator.child_by_field_name("declarator") if declarator is not None else None
        if name is not None and node_text(name) == target.name.rsplit("::", 1)[-1]:
            definitions.append((function, declarator))
    if len(definitions) != 1:
        return None
    function, declarator = definitions[0]
    parameters = declarator.child_by_field_name("parameters")
    params = [parameter(p) for p in parameters.named_children if p.type in ("parameter_declaration", "optional_parameter_declaration")]
    return params, function.child_by_field_name("body")


def _tests_null(body, name: str) -> bool:
    """`!p`, `if (p)`, `p ? a : b`, `p && ...`, `p == nullptr` (or `!=`, `NULL`, `0`) in `body`."""
    for identifier in descendants(body, {"identifier"}):
        if node_text(identifier) != name or identifier.parent is None:
            continue
        parent = identifier.parent
        if parent.type == "unary_expression" and node_text(parent.child_by_field_name("operator")) == "!":
            return True
        if parent.type == "condition_clause" or (parent.type == "conditional_expression"
                                                 and parent.child_by_field_name("condition") == identifier):
            return True
        if parent.type == "binary_expression":
            operator = node_text(parent.child_by_field_name("operator"))
            other = parent.child_by_field_name("right" if parent.child_by_field_name("left") == identifier else "left")
            if operator in ("&&", "||"):
                return True
            if operator in ("==", "!=") and other is not None and node_text(other) in ("nullptr", "NULL", "0"):
                return True
    return False


def _in_template_arguments(node) -> bool:
    parent = node.parent
    while parent is not None and parent.type in ("type_descriptor", "qualified_identifier"):
        parent = parent.parent
    return parent is not None and parent.type == "template_argument_list"


def _parameters(model, binding) -> list[str] | None:
    """The bound callable's parameter types, when nbfix can see them."""
    target = binding.callable
    if target is None:
        return None
    if target.kind == "lambda":
        return [p.type for p in target.params]
    if target.kind in ("member_pointer", "function"):
        signatures = model.signatures(target) or []
        if len(signatures) == 1:
            return list(signatures[0].params)
    return None


def _nullable(type_text: str) -> bool:
    squashed = squash(type_text)
    return squashed.endswith("*") or "shared_ptr<" in squashed
