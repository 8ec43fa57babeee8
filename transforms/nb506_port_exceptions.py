"""NB506 port-exceptions (PORTING.md 1.6)."""

from __future__ import annotations

from typing import Iterator

from nbfix.cpp.syntax import node_text, squash
from nbfix.model.porting import Reference, arguments_of, call_of, node_edit, port_view
from nbfix.rules import TARGET_VERSION, Context, Finding, Priority, Rule, Safety

BUILTIN_EXCEPTIONS = frozenset({
    "value_error", "index_error", "key_error", "type_error", "stop_iteration", "buffer_error",
    "attribute_error", "import_error", "next_error",
})


class PortExceptions(Rule):
    """
    ## What it finds
    pybind11's exception API where nanobind differs (PORTING.md section 1.6): `pybind11_fail`,
    `set_error`, `register_exception_translator` with a one-parameter translator, and `catch`
    clauses naming `py::value_error` and its siblings, and `raise_from(type, message)` (nanobind's
    takes the caught `python_error` first). Only run by `nbfix port` (or when selected by its
    code).

    ## Why it matters
    `throw nb::value_error("m")` reads the same in both libraries, but in nanobind `value_error`
    is a function returning `nb::builtin_exception`: a `catch (value_error &)` no longer names a
    type. nanobind's translators take `(const std::exception_ptr &, void *payload)` and must be
    plain functions (no captures). `set_error` and `pybind11_fail` do not exist.

    ## Example
    ```cpp
    py::register_exception_translator([](std::exception_ptr p) {
        try { if (p) std::rethrow_exception(p); }
        catch (const MyError &e) { py::set_error(PyExc_ValueError, e.what()); }
    });
    ```
    Use instead:
    ```cpp
    nb::register_exception_translator([](const std::exception_ptr &p, void *) {
        try { if (p) std::rethrow_exception(p); }
        catch (const MyError &e) { PyErr_SetString(PyExc_ValueError, e.what()); }
    });
    ```

    ## Fix safety
    Safe: `pybind11_fail(m)` becomes `raise(m)`; `set_error(type, message)` becomes
    `PyErr_SetString` when the message is a string literal or a `.c_str()`/`.what()` call (else
    reported); a translator lambda gets nanobind's parameters when it captures nothing (else
    reported). `catch` clauses on the builtin exceptions are reported: catch
    `nb::builtin_exception` and look at `.type()`.
    """

    code = "NB506"
    name = "port-exceptions"
    priority = Priority.HIGH
    fix_safety = Safety.SAFE
    summary = "pybind11 exceptions: pybind11_fail, set_error, translators, catch by builtin exception"
    needles = (b"::",)
    opt_in = True
    options = {"target-version": TARGET_VERSION}

    def check(self, ctx: Context) -> Iterator[Finding]:
        for reference in port_view(ctx.model, ctx.content).references:
            head = reference.head
            if head == "pybind11_fail":
                yield self.finding(reference.parts[0], "`pybind11_fail` is `raise` in nanobind",
                                   self.fix("Use `raise`", node_edit(reference.parts[0], "raise")))
            elif head == "set_error" and reference.pybind11:
                yield from self._set_error(reference)
            elif head == "register_exception_translator":
                yield from self._translator(reference)
            elif head == "raise_from" and reference.pybind11:
                call = call_of(reference.node)
                if call is not None and len(arguments_of(call)) == 2:
                    yield self.finding(reference.node, "nanobind's `raise_from` chains onto a caught error: "
                                       "inside `catch (nb::python_error &e)`, `nb::raise_from(e, type, \"message\")`")
            elif head in BUILTIN_EXCEPTIONS and _in_catch(reference.node):
                yield self.finding(reference.node, f"nanobind's `{head}` is a function, not a type: catch "
                                   "`nb::builtin_exception` and check `.type()`")
            elif head in BUILTIN_EXCEPTIONS:
                yield from self._message(ctx, reference)

    def _message(self, ctx: Context, reference: Reference) -> Iterator[Finding]:
        """`value_error("a" + name)`: nanobind's take a `const char *`, not a `std::string`."""
        call = call_of(reference.node)
        arguments = arguments_of(call) if call is not None else []
        if len(arguments) != 1 or not (_builds_string(ctx, arguments[0]) or _python_str(arguments[0])):
            return
        text = node_text(arguments[0])
        text = f"{text}.c_str()" if arguments[0].type == "call_expression" else f"std::string({text}).c_str()"
        yield self.finding(arguments[0], f"nanobind's `{reference.head}` takes a `const char *`",
                           self.fix("Pass `.c_str()`", node_edit(arguments[0], text)))

    def _set_error(self, reference: Reference) -> Iterator[Finding]:
        call = call_of(reference.node)
        arguments = arguments_of(call) if call is not None else []
        message = arguments[1] if len(arguments) == 2 else None
        text = squash(node_text(message)) if message is not None else ""
        if message is not None and (message.type in ("string_literal", "concatenated_string")
                                    or text.endswith((".c_str()", ".what()"))):
            yield self.finding(reference.node, "nanobind has no `set_error`",
                               self.fix("Use `PyErr_SetString`", node_edit(reference.node, "PyErr_SetString")))
            return
        yield self.finding(reference.node, "nanobind has no `set_error`: `PyErr_SetString(type, message)` with a "
                           "`const char *` message, or `PyErr_SetObject(type, object.ptr())`")

    def _translator(self, reference: Reference) -> Iterator[Finding]:
        call = call_of(reference.node)
        arguments = arguments_of(call) if call is not None else []
        translator = arguments[0] if len(arguments) == 1 else None
        declarator = translator.child_by_field_name("declarator") if translator is not None and translator.type == "lambda_expression" else None
        parameters = declarator.child_by_field_name("parameters") if declarator is not None else None
        captures = translator.child_by_field_name("captures") if translator is not None else None
        params = [p for p in parameters.named_children if p.type == "parameter_declaration"] if parameters is not None else []
        if len(params) == 2:
            return  # already nanobind's shape
        if len(params) == 1 and captures is not None and squash(node_text(captures)) == "[]":
            name = params[0].child_by_field_name("declarator")
            name_text = node_text(name).lstrip("&* ") if name is not None else "p"
            yield self.finding(reference.node, "nanobind's exception translators take `(const std::exception_ptr &, void *)`",
                               self.fix("Use nanobind's translator parameters",
                                        node_edit(parameters, f"(const std::exception_ptr &{name_text}, void *)")))
            return
        yield self.finding(reference.node, "nanobind's exception translators are capture-less functions taking "
                           "`(const std::exception_ptr &p, void *payload)`: pass state through the payload argument")


def _in_catch(node) -> bool:
    node = node.parent
    while node is not None and node.type not in ("compound_statement", "translation_unit"):
        if node.type == "catch_clause":
            return True
        node = node.parent
    return False


def _python_str(node) -> bool:
    """`py::str("... {}").format(x)` or `py::str(o)`: a Python str, whose `.c_str()` is the text."""
    if node.type != "call_expression":
        return False
    text = squash(node_text(node))
    return text.startswith(("py::str(", "pybind11::str(", "nb::str(", "nanobind::str(")) and not text.endswith(".c_str()")


def _builds_string(ctx: Context, node) -> bool:
    """A `std::string` expression nbfix can see: `"a" + s`, `std::to_string(n)`, a `std::string`
    variable, `ss.str()` of a string stream (pytomlpp builds its messages so)."""
    if node.type == "binary_expression":
        operator = node.child_by_field_name("operator")
        return operator is not None and node_text(operator) == "+" and any(
            c.type in ("string_literal", "concatenated_string") or _builds_string(ctx, c) for c in node.named_children)
    if node.type == "call_expression":
        function = node.child_by_field_name("function")
        if function is not None and function.type == "field_expression":  # `ss.str()` of a string stream
            stream, field = function.child_by_field_name("argument"), function.child_by_field_name("field")
            declared = ctx.model.declared_type(node_text(stream), stream) if stream is not None and stream.type == "identifier" else None
            return (field is not None and node_text(field) == "str" and declared is not None
                    and squash(declared) in ("std::stringstream", "std::ostringstream"))
        return function is not None and squash(node_text(function)) in ("std::to_string", "std::string")
    if node.type == "identifier":
        declared = ctx.model.declared_type(node_text(node), node)
        return declared is not None and squash(declared).replace("const", "").rstrip("&") == "std::string"
    return False
