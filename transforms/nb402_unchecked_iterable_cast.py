"""NB402 unchecked-iterable-cast."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from nbfix.core.patterns import LazyPattern
from nbfix.cpp.parsing import descendants, found_in, shared_nodes
from nbfix.cpp.syntax import code_text, inside_try, node_text
from nbfix.index.declarations import short_name
from nbfix.rules import Context, Finding, Priority, Rule, Safety

if TYPE_CHECKING:
    from tree_sitter import Node

_LOOPS = shared_nodes("nb402.loops", "(for_range_loop) @loop", ("for_range_loop",), lambda node: [{"loop": [node]}])
_WRAPPERS = {"iterable", "list", "tuple", "sequence", "handle", "object", "args", "set", "iterator"}
_SPACED_CAST = LazyPattern(r"cast\s*<(.+)>")
_CAST = LazyPattern(r"^(?:(?P<ns>[\w:]+)::)?cast<(?P<type>.+)>$")


class UncheckedIterableCast(Rule):
    """
    ## What it finds
    `cast<T>(item)` (or pybind11's `item.cast<T>()`) on the items of a Python `iterable`, `list`,
    `tuple`, `sequence` or `handle` that a range-for walks, with no `isinstance` check and no `try`
    around it. A function bound only on a class whose Python name starts with `_` is not
    reported: users call the package's Python wrapper, which prepares the items. Nor is code
    under `#if 0`.

    ## Why it matters
    One item of the wrong type makes the cast throw a bare cast error: the caller learns neither
    which item was wrong nor what was expected (nanobind: `RuntimeError` "bad cast"; pybind11:
    `RuntimeError: Unable to cast Python instance ...`), and it is not a `TypeError`, so code
    written to catch wrong input misses it.

    ## Example
    ```cpp
    for (nb::handle item : items)
        out.push_back(nb::cast<double>(item));
    ```
    Use instead:
    ```cpp
    size_t i = 0;
    for (nb::handle item : items) {
        try {
            out.push_back(nb::cast<double>(item));
        } catch (const nb::cast_error &) {
            throw nb::type_error(("item " + std::to_string(i) + ": expected float").c_str());
        }
        ++i;
    }
    ```
    Not `isinstance<T>(item)` before the cast: it tests without implicit conversion, so it
    rejects what the cast converts (`True` or a NumPy integer for an integer type, `1` for a
    float; measured with nanobind 3.1), and on pybind11 it is false for every scalar type.

    ## Fix safety
    Suggestion only: the right check and message depend on what the function accepts.
    """

    code = "NB402"
    name = "unchecked-iterable-cast"
    priority = Priority.MEDIUM
    fix_safety = Safety.SUGGEST
    summary = "cast<T>() on items of a Python iterable without an isinstance check or try"
    needles = (b"cast",)

    def check(self, ctx: Context) -> Iterator[Finding]:
        model = ctx.model
        for loop in found_in(model.tree).captures(_LOOPS).get("loop", []):
            source = loop.child_by_field_name("right")
            variable = loop.child_by_field_name("declarator")
            body = loop.child_by_field_name("body")
            if source is None or variable is None or body is None or source.type != "identifier":
                continue
            declared = model.declared_type(node_text(source), loop)
            wrapper = model.dialect.strip("".join((declared or "").split()).removeprefix("const").rstrip("&"))
            if not declared or "::" not in declared and not model.dialect.unqualified or wrapper not in _WRAPPERS:
                continue
            if "isinstance" in code_text(body) or inside_try(loop) or privately_bound(model, loop):
                continue
            if not from_caller(model, node_text(source), loop):
                continue  # items the function built itself have the types it put there
            item = node_text(variable)
            for call in descendants(body, {"call_expression"}):
                target = cast_target(call, item, model.dialect)
                if target is None or inside_try(call, stop=loop) or type_checked(call, loop, item):
                    continue
                shown = spaced(call)
                expected = _SPACED_CAST.search(shown)
                yield self.finding(
                    call,
                    f"`{shown}` on an item of `{node_text(source)}` ({declared}) fails with a bare "
                    f"cast error; catch `{model.dialect.prefix}cast_error` around it and raise TypeError naming "
                    f"the item's position and the expected type (`{expected[1] if expected else target}`)",
                )


def spaced(node: Node) -> str:
    """The node's text on one line, single-spaced (`code_text` drops the spaces `const T &` needs)."""
    return " ".join(node_text(node).split())


def privately_bound(model, node: Node) -> bool:
    """Is the function around `node` bound only on classes whose Python name starts with `_`?
    Users never call it directly: the package's Python wrapper prepares what it is given."""
    function = node.parent
    while function is not None and function.type != "function_definition":
        function = function.parent
    declarator = function.child_by_field_name("declarator") if function is not None else None
    while declarator is not None and declarator.type != "function_declarator":
        declarator = declarator.child_by_field_name("declarator")
    name = declarator.child_by_field_name("declarator") if declarator is not None else None
    if name is None:
        return False
    short = short_name(code_text(name))
    return short in model.project.private_callees and short not in model.project.public_callees


_TYPE_TEST = LazyPattern(r"\bPy\w+_Check\w*\s*\(|&\s*Py\w+_Type\b|\bis_none\s*\(|isinstance")


def type_checked(call: Node, loop: Node, item: str) -> bool:
    """Is `call` in the branch of an `if` that tests the item's Python type (`PyLong_Check(item)`,
    `tp.is(&PyLong_Type)` with `tp = item.type()`)? Then only an out-of-range value can fail."""
    names = {item} | {
        node_text(d.child_by_field_name("declarator"))
        for d in descendants(loop.child_by_field_name("body"), {"init_declarator"})
        if d.start_byte < call.start_byte and _mentions(d.child_by_field_name("value"), {item})
    }
    node = call
    while node is not None and node != loop:
        parent = node.parent
        if parent is not None and parent.type == "if_statement" and node == parent.child_by_field_name("consequence"):
            condition = parent.child_by_field_name("condition")
            if condition is not None and _TYPE_TEST.search(code_text(condition)) and _mentions(condition, names):
                return True
        node = parent
    return False


def from_caller(model, name: str, at: Node, depth: int = 3) -> bool:
    """Does the iterable come from the caller: a parameter, or a local computed from one (its
    initial value or an assignment to it names a parameter or such a local)?"""
    found = model.declaration_of(name, at)
    if found is None:
        return False
    declaration, _, value = found
    if declaration.type != "declaration":
        return True  # a parameter
    if depth == 0:
        return False
    sources = [value] if value is not None else []
    scope = declaration.parent
    for assignment in descendants(scope, {"assignment_expression"}) if scope is not None else ():
        left = assignment.child_by_field_name("left")
        if left is not None and left.type == "identifier" and node_text(left) == name:
            sources.append(assignment.child_by_field_name("right"))
    return any(
        from_caller(model, node_text(ident), at, depth - 1)
        for source in sources if source is not None
        for ident in descendants(source, {"identifier"}) if node_text(ident) != name
    )


def _mentions(node: Node | None, names: set[str]) -> bool:
    return node is not None and any(node_text(i) in names for i in descendants(node, {"identifier"}))


def cast_target(call: Node, item: str, dialect) -> str | None:
    """The T of `ns::cast<T>(item)` or `item.cast<T>()`, else None."""
    function = call.child_by_field_name("function")
    arguments = call.child_by_field_name("arguments")
    if function is None or arguments is None:
        return None
    args = [a for a in arguments.named_children if a.type != "comment"]
    if function.type == "field_expression":
        target = function.child_by_field_name("argument")
        field = function.child_by_field_name("field")
        match = _CAST.match(code_text(field)) if field is not None else None
        if target is not None and node_text(target) == item and match and not args:
            return match["type"]
        return None
    match = _CAST.match(code_text(function))
    if match and args and node_text(args[0]) == item and (match["ns"] is None or dialect.strip(code_text(function))):
        return match["type"]
    return None

