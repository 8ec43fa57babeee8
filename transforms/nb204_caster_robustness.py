"""NB204 caster-robustness."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from nbfix.edits import indent_unit, line_indent, newline_of
from nbfix.model import code_text, inside_try, node_text
from nbfix.parsing import descendants, found_in, shared_nodes
from nbfix.rule import Context, Edit, Finding, Priority, Rule, Safety

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


class CasterRobustness(Rule):
    """
    ## What it finds
    A `type_caster` specialisation whose `from_python` (pybind11: `load`) can throw: it calls
    something outside a `try`. Also a `from_cpp` (pybind11: `cast`) that returns `none()` for a
    type that is not optional or a pointer.

    ## Why it matters
    `from_python` reports failure by returning `false`, so that the next overload is tried. An
    exception thrown there instead escapes as `RuntimeError` and stops overload resolution: the
    overload that would have accepted the argument is never tried. If the function is marked
    `noexcept`, the exception calls `std::terminate` and the process aborts. A `from_cpp` that
    returns `None` for a value it should convert makes Python silently receive `None`.

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
    what the protocol asks for; conversions that succeeded are unchanged. `from_cpp` returning
    `None` is only reported: whether `None` is right depends on the type.
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
        risky = [c for c in descendants(body, _CALLS) if not inside_try(c, body)]
        if not risky:
            return None
        declarator = function.child_by_field_name("declarator")
        noexcept = any(c.type == "noexcept" for c in declarator.children) if declarator is not None else False
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
