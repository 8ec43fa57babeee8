"""NB204 caster-robustness."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from nbfix.cpp.parsing import descendants, found_in, shared_nodes
from nbfix.cpp.syntax import code_text, inside_try, node_text
from nbfix.cpp.text import indent_unit, line_indent, newline_of
from nbfix.rules import Context, Edit, Finding, Priority, Rule, Safety

if TYPE_CHECKING:
    from tree_sitter import Node

def _caster_matches(node: Node) -> list[dict]:
    name, body = node.child_by_field_name("name"), node.child_by_field_name("body")
    if name is None or name.type != "template_type" or body is None or body.type != "field_declaration_list":
        return []
    template = name.child_by_field_name("name")
    return [{"name": [template], "body": [body], "caster": [node]}] if template is not None and template.type == "type_identifier" else []


_CASTERS = shared_nodes(
    "nb204.casters",
    "(struct_specifier name: (template_type name: (type_identifier) @name) body: (field_declaration_list) @body) @caster",
    ("struct_specifier",), _caster_matches,
)
_CALLS = frozenset({"call_expression", "new_expression", "throw_statement"})
_NULLABLE = ("optional", "*", "shared_ptr", "unique_ptr", "nullptr_t", "variant")
# Calls that cannot raise a C++ exception: nanobind's noexcept helpers and handle methods, the
# protocol of inner casters, and container growth (which throws only when memory runs out).
# Anything named `Py*`/`_Py*` is the C API, which reports errors, never throws.
_CANNOT_THROW = frozenset({
    "isinstance", "hasattr", "borrow", "steal", "ptr", "is_none", "is_valid", "is_type", "inc_ref",
    "dec_ref", "release", "seq_get", "seq_get_with_size", "flags_for_local_caster", "from_python",
    "load", "can_cast", "move", "forward", "addressof", "size", "empty", "data", "begin", "end",
    "clear", "reserve", "push_back", "emplace_back", "resize", "max", "min", "lowest", "epsilon",
})
# How an author raises on purpose: a caster without noexcept that does so lets it escape knowingly.
_RAISES = frozenset({"raise_python_error", "raise", "raise_type_error", "raise_from"})
_LAMBDA = "lambda_expression"


class CasterRobustness(Rule):
    """
    ## What it finds
    A `type_caster` specialisation whose `from_python` (pybind11: `load`) can throw: it calls
    something outside a `try` that may raise (the C API, nanobind's noexcept helpers, inner
    casters and container growth do not; calls inside a lambda it stores do not run there). A
    caster without `noexcept` that raises on purpose (`throw`, `raise_python_error()`) is left
    alone: its author chose to stop overload resolution. Also a nanobind `from_cpp` that throws,
    and a `from_cpp` (pybind11: `cast`) that returns `none()` for a type that is not optional or a
    pointer.

    ## Why it matters
    `from_python` reports failure by returning `false`, so that the next overload is tried. An
    exception thrown there instead escapes as `RuntimeError` and stops overload resolution: the
    overload that would have accepted the argument is never tried. If the function is marked
    `noexcept`, the exception calls `std::terminate` and the process aborts. `from_cpp` must not
    throw either: the STL casters that convert elements (`std::vector<T>`, `std::optional<T>`) call
    it from `noexcept` code, so the exception aborts the process. A `from_cpp` that returns `None`
    for a value it should convert makes Python silently receive `None`.

    ## Example
    ```cpp
    bool from_python(handle src, uint8_t flags, cleanup_list *cleanup) {
        value = Celsius{nb::cast<double>(src)};  // throws for a str
        return true;
    }
    ```
    Use instead:
    ```cpp
    bool from_python(handle src, uint8_t flags, cleanup_list *cleanup) noexcept {
        try {
            value = Celsius{nb::cast<double>(src)};
            return true;
        } catch (...) {
            PyErr_Clear();
            return false;
        }
    }
    ```

    ## Fix safety
    Safe for `from_python`/`load`: a conversion that threw now reports "not convertible", which is
    what the protocol asks for; conversions that succeeded are unchanged. A throwing `from_cpp` is only
    reported (which Python error to set is the author's call), and so is one returning `None`:
    whether `None` is right depends on the type.
    """

    code = "NB204"
    name = "caster-robustness"
    priority = Priority.MEDIUM
    fix_safety = Safety.SAFE
    summary = "type_caster from_python that can throw, or from_cpp returning None for a value"
    needles = (b"type_caster",)

    def check(self, ctx: Context) -> Iterator[Finding]:
        model = ctx.model
        for match in found_in(model.tree).matches(_CASTERS):
            caster, name = match["caster"][0], match["name"][0]
            if node_text(name) != "type_caster":
                continue
            template = caster.child_by_field_name("name")
            target = code_text(template).removeprefix("type_caster<").removesuffix(">")
            body = caster.child_by_field_name("body")
            for function in body.named_children:
                if function.type != "function_definition":
                    continue
                method = function_name(function)
                if method in ("from_python", "load"):
                    finding = self.check_from_python(ctx, function, method, target)
                    if finding is not None:
                        yield finding
                elif method == "from_cpp" and (raised := deliberate_raises(function)):
                    yield self.finding(
                        raised[0],
                        f"from_cpp of type_caster<{target}> throws here: "
                        + ("std::terminate (it is noexcept)" if is_noexcept(function) else
                           "std::terminate whenever the value is converted inside a std::vector, "
                           "std::optional or any other caster, whose from_cpp is noexcept")
                        + "; set a Python error and return an empty handle() instead",
                    )
                elif method in ("from_cpp", "cast") and not any(n in target for n in _NULLABLE):
                    returns_none = [
                        r for r in descendants(function, {"return_statement"})
                        if code_text(r).replace("nb::", "").replace("py::", "").startswith(("returnnone()", "returnnanobind::none()", "returnpybind11::none()"))
                    ]
                    if returns_none:
                        yield self.finding(
                            returns_none[0],
                            f"{method} for `{target}` returns None for a value it should convert: Python "
                            "silently gets None; set a Python error and return an empty handle instead",
                        )

    def check_from_python(self, ctx: Context, function: Node, method: str, target: str) -> Finding | None:
        body = function.child_by_field_name("body")
        if body is None:
            return None
        noexcept = is_noexcept(function)
        if not noexcept and deliberate_raises(function):
            return None
        risky = [c for c in reached(body, _CALLS) if not cannot_throw(c)]
        if not risky:
            return None
        declarator = function.child_by_field_name("declarator")
        consequence = "std::terminate (noexcept)" if noexcept else "an escaping exception that stops overload resolution"
        edits = [wrap_in_try(ctx.content, function, body)]
        if not noexcept and declarator is not None:
            edits.append(Edit(declarator.end_byte, declarator.end_byte, " noexcept"))
        return self.finding(
            risky[0],
            f"{method} of type_caster<{target}> can throw here (`{code_text(risky[0])[:40]}`): "
            f"{consequence} instead of returning false",
            self.fix("Return false on any exception and mark noexcept", *edits),
        )


def reached(body: Node, types: frozenset[str]) -> list[Node]:
    """Nodes of these types that run when `body` runs outside a `try`: not in a nested lambda."""
    found = []
    for node in descendants(body, types):
        current = node.parent
        while current is not None and current != body and current.type != _LAMBDA:
            current = current.parent
        if current == body and not inside_try(node, body):
            found.append(node)
    return found


def callee(call: Node) -> str:
    """The called name without qualifiers or template arguments: `nb::detail::seq_get` -> `seq_get`."""
    function = call.child_by_field_name("function")
    if function is None:
        return ""
    if function.type == "field_expression":
        function = function.child_by_field_name("field") or function
    text = code_text(function)
    return text.split("<", 1)[0].rsplit("::", 1)[-1].rsplit(".", 1)[-1].rsplit("->", 1)[-1]


def cannot_throw(node: Node) -> bool:
    if node.type != "call_expression":
        return False
    name = callee(node)
    return name.startswith(("Py", "_Py")) or name in _CANNOT_THROW or name.startswith("operator")


def deliberate_raises(function: Node) -> list[Node]:
    body = function.child_by_field_name("body")
    if body is None:
        return []
    return [
        n for n in reached(body, _CALLS)
        if n.type == "throw_statement" or (n.type == "call_expression" and callee(n) in _RAISES)
    ]


def is_noexcept(function: Node) -> bool:
    declarator = function.child_by_field_name("declarator")
    while declarator is not None and declarator.type != "function_declarator":
        declarator = declarator.child_by_field_name("declarator")
    return declarator is not None and any(c.type == "noexcept" for c in declarator.children)


def function_name(function: Node) -> str | None:
    declarator = function.child_by_field_name("declarator")
    while declarator is not None and declarator.type != "function_declarator":
        declarator = declarator.child_by_field_name("declarator")
    name = declarator.child_by_field_name("declarator") if declarator is not None else None
    return node_text(name) if name is not None else None


def wrap_in_try(content: bytes, function: Node, body: Node) -> Edit:
    """Replace a function body with the same statements inside try { } catch (...) { return false; }."""
    newline, unit = newline_of(content), indent_unit(content)
    outer = line_indent(content, function.start_byte)
    inner = content[body.start_byte + 1:body.end_byte - 1].decode("utf-8")
    lines = inner.replace("\r\n", "\n").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) == 1 and body.start_point.row == body.end_point.row:
        lines = [outer + unit + lines[0].strip()]
    shifted = [unit + line if line.strip() else "" for line in lines]
    parts = [
        "{",
        f"{outer}{unit}try {{",
        *shifted,
        f"{outer}{unit}}} catch (...) {{",
        f"{outer}{unit}{unit}PyErr_Clear();",
        f"{outer}{unit}{unit}return false;",
        f"{outer}{unit}}}",
        f"{outer}}}",
    ]
    return Edit(body.start_byte, body.end_byte, newline.join(parts))
