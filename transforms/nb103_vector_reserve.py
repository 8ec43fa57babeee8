"""NB103 vector-reserve."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterator

from nbfix.core.patterns import LazyPattern
from nbfix.cpp.parsing import descendants, found_in, shared_nodes
from nbfix.cpp.syntax import code_text, node_text
from nbfix.cpp.text import insert_line_before
from nbfix.model.bindings import BindingModel
from nbfix.rules import Context, Finding, Priority, Rule, Safety

if TYPE_CHECKING:
    from tree_sitter import Node

_BLOCKS = shared_nodes(
    "nb103.blocks", "(compound_statement) @block", ("compound_statement",), lambda node: [{"block": [node]}]
)
_GROWTH = {"push_back", "emplace_back"}
_MORE = {"insert", "emplace", "resize", "append_range", "insert_range"}
# Member calls that leave the size alone; any other use of the vector in the loop is not counted.
_READS = {"back", "front", "size", "empty", "data", "capacity", "at"}
_JUMPS = frozenset({"break_statement", "continue_statement", "return_statement", "goto_statement", "throw_statement"})
_SIZED = LazyPattern(
    r"^(?:const)?std::(?:vector|array|deque|list|forward_list|set|multiset|map|multimap|unordered_map|"
    r"unordered_set|unordered_multimap|unordered_multiset|span|basic_string|string|string_view|valarray)\b"
)
_PYTHON_SIZED = {"list", "tuple", "dict", "set", "sequence", "args", "kwargs"}
_INDEX_BOUND = LazyPattern(r"^[A-Za-z_][\w.]*(?:->\w+)*(?:\.size\(\)|\.length\(\))?$|^\d+[uUlL]*$")


class VectorReserve(Rule):
    """
    ## What it finds
    A `std::vector` declared empty and then grown by exactly one unconditional `push_back` or
    `emplace_back` per iteration of the loop that follows it, when the loop's trip count is known:
    a range-for over a sized STL container or span (`.size()`), over a Python list, tuple, dict
    or sequence wrapper (`len(...)` of the file's dialect), or an index loop from 0 to a bound.
    Not reported: conditional or nested growth, several growth calls per iteration, loops that may
    leave early, `iterable`/generator sources, vectors used before the loop, loops already preceded
    by `reserve`.

    ## Why it matters
    Conversion helpers in binding code copy whole containers element by element. Without
    `reserve`, the vector reallocates and moves its contents about log2(n) times, which dominates
    the cost of converting large inputs.

    ## Example
    ```cpp
    std::vector<double> out;
    for (nb::handle item : items)   // items: nb::list
        out.push_back(nb::cast<double>(item));
    ```
    Use instead:
    ```cpp
    std::vector<double> out;
    out.reserve(nb::len(items));
    for (nb::handle item : items)
        out.push_back(nb::cast<double>(item));
    ```

    ## Fix safety
    Safe. `reserve` changes capacity, never contents or size, and the count expression has no side
    effects (a variable, a field, a literal, `.size()` or `len()`).
    """

    code = "NB103"
    name = "vector-reserve"
    priority = Priority.HIGH
    fix_safety = Safety.SAFE
    summary = "Vector grown once per iteration of a counted loop without reserve"
    needles = (b"push_back", b"emplace_back")

    def check(self, ctx: Context) -> Iterator[Finding]:
        model = ctx.model
        for block in found_in(model.tree).captures(_BLOCKS).get("block", []):
            statements = [s for s in block.named_children if s.type != "comment"]
            for index, statement in enumerate(statements):
                name = empty_vector(statement)
                if name is None:
                    continue
                loop = first_use(name, statements[index + 1:])
                if loop is None or loop.type not in ("for_range_loop", "for_statement"):
                    continue
                if not grows_once(name, loop) or grown_later(name, statements[statements.index(loop) + 1:]):
                    continue
                count = trip_count(model, loop)
                if count is None:
                    continue
                yield self.finding(
                    statement,
                    f"`{name}` grows by one element per iteration of a loop of known length; "
                    f"reserve `{count}` first to avoid repeated reallocation",
                    self.fix("Reserve before the loop", insert_line_before(ctx.content, loop, f"{name}.reserve({count});")),
                )


def empty_vector(statement: Node) -> str | None:
    """`std::vector<T> v;` / `std::vector<T> v{};` -> "v"."""
    if statement.type != "declaration":
        return None
    type_node = statement.child_by_field_name("type")
    if type_node is None or not code_text(type_node).startswith(("std::vector<", "vector<")):
        return None
    declarators = statement.children_by_field_name("declarator")
    if len(declarators) != 1:
        return None
    declarator = declarators[0]
    if declarator.type == "identifier":
        return node_text(declarator)
    if declarator.type == "init_declarator":
        value = declarator.child_by_field_name("value")
        name = declarator.child_by_field_name("declarator")
        empty = value is not None and code_text(value) in ("{}", "()")
        if empty and name is not None and name.type == "identifier":
            return node_text(name)
    return None


def mentions(node: Node, name: str) -> list[Node]:
    return [n for n in descendants(node, {"identifier"}) if node_text(n) == name]


def first_use(name: str, statements: list[Node]) -> Node | None:
    for statement in statements:
        if mentions(statement, name):
            return statement
    return None


def growth_call(statement: Node, name: str) -> bool:
    if statement.type != "expression_statement" or statement.named_child_count != 1:
        return False
    call = statement.named_children[0]
    function = call.child_by_field_name("function") if call.type == "call_expression" else None
    if function is None or function.type != "field_expression":
        return False
    target = function.child_by_field_name("argument")
    method = node_text(function.child_by_field_name("field"))
    return target is not None and target.type == "identifier" and node_text(target) == name and method in _GROWTH


def grown_later(name: str, statements: list[Node]) -> bool:
    """Does the vector grow again after the loop? Then the loop's count is not its final size."""
    for statement in statements:
        for use in mentions(statement, name):
            field = use.parent
            if field.type == "field_expression" and node_text(field.child_by_field_name("field")) in _GROWTH | _MORE:
                return True
    return False


def grows_once(name: str, loop: Node) -> bool:
    body = loop.child_by_field_name("body")
    if body is None or descendants(body, _JUMPS):
        return False
    statements = body.named_children if body.type == "compound_statement" else [body]
    statements = [s for s in statements if s.type != "comment"]
    growth = [s for s in statements if growth_call(s, name)]
    if len(growth) != 1:
        return False
    for use in mentions(body, name):
        if growth[0].start_byte <= use.start_byte < growth[0].end_byte:
            if use.parent.type == "field_expression" and use.parent.parent.parent == growth[0]:
                continue  # the growth call itself (its arguments may not use the vector)
            return False
        field = use.parent
        if field.type == "subscript_expression" and field.child_by_field_name("argument") == use:
            continue
        if field.type == "field_expression" and node_text(field.child_by_field_name("field")) in _READS:
            continue
        return False
    # The loop header must not use the vector either (`for (x : v)` never ends).
    header_end = body.start_byte
    return not any(u.start_byte < header_end for u in mentions(loop, name))


def trip_count(model: BindingModel, loop: Node) -> str | None:
    if loop.type == "for_range_loop":
        source = loop.child_by_field_name("right")
        if source is None or source.type != "identifier":
            return None
        name = node_text(source)
        declared = model.declared_type(name, loop)
        if declared is None:
            return None
        squashed = "".join(declared.split())
        if _SIZED.match(squashed):
            return f"{name}.size()"
        wrapper = model.dialect.strip(squashed.removeprefix("const").rstrip("&"))
        if "::" in squashed and wrapper in _PYTHON_SIZED:
            return f"{model.dialect.prefix}len({name})"
        return None
    return index_bound(loop)


def loop_index(init: Node) -> str | None:
    """`size_t i = 0` or `i = 0` -> "i"."""
    if init.type == "declaration":
        declarators = init.children_by_field_name("declarator")
        if len(declarators) != 1 or declarators[0].type != "init_declarator":
            return None
        name = declarators[0].child_by_field_name("declarator")
        value = declarators[0].child_by_field_name("value")
    elif init.type == "assignment_expression" and code_text(init).count("=") == 1:
        name, value = init.child_by_field_name("left"), init.child_by_field_name("right")
    else:
        return None
    if name is None or value is None or name.type != "identifier":
        return None
    return node_text(name) if re.fullmatch(r"0[uUlL]*", code_text(value)) else None


def index_bound(loop: Node) -> str | None:
    """`for (size_t i = 0; i < n; ++i)` with a body that leaves `i` alone -> "n"."""
    init = loop.child_by_field_name("initializer")
    condition = loop.child_by_field_name("condition")
    update = loop.child_by_field_name("update")
    body = loop.child_by_field_name("body")
    if init is None or condition is None or update is None or body is None:
        return None
    index = loop_index(init)
    if index is None or condition.type != "binary_expression":
        return None
    left, right = condition.child_by_field_name("left"), condition.child_by_field_name("right")
    operator = condition.child_by_field_name("operator")
    if left is None or right is None or operator is None or code_text(left) != index:
        return None
    if node_text(operator) not in ("<", "!=") or code_text(update) not in (f"++{index}", f"{index}++", f"{index}+=1"):
        return None
    bound = code_text(right)
    if not _INDEX_BOUND.match(bound) or index in re.findall(r"\w+", bound):
        return None
    for use in mentions(body, index):
        parent = use.parent
        if parent.type == "update_expression" or (
            parent.type == "assignment_expression" and parent.child_by_field_name("left") == use
        ):
            return None  # the body moves the index: the count is not the bound
    return node_text(right)
