"""Where a function's `return` statements get their object from, as far as the syntax shows.

NB101 may only tie a result to `self` when the result demonstrably lives inside `self`. A body's
return expressions are reduced to *roots*, short strings kept in the project index:

- `self`: the object itself (`this`, `*this`, a lambda's `self` parameter);
- `member:NAME`: reached from one of the object's members (`xs_[i].get()`, `this->x`, `self.x`);
- `call:NAME`: what one of the object's own methods returns (`get_x()`, `self.get_x()`);
- `null`: `nullptr`, `NULL` or `0`;
- `other`: anything else (a local, a parameter, a global, a free function's result).

A root starting with `&` is pointer-valued by its own syntax (`&x`, `x.get()`): that matters for
lambdas whose result type is deduced, where `auto` drops references but keeps pointers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:
    from tree_sitter import Node

_NESTED = ("lambda_expression", "function_definition", "class_specifier", "struct_specifier")
_WRAPPERS = ("parenthesized_expression",)


def _text(node: Node) -> str:
    return node.text.decode("utf-8", "replace") if node.text is not None else ""


def return_roots(body: Node, self_name: str | None = None, params: tuple[str | None, ...] = ()) -> tuple[str, ...]:
    """The roots of every `return` in a function body (not in nested lambdas or classes), in
    order, each once. `self_name` is the parameter that stands for the object (lambdas and free
    functions bound as methods); without it, unqualified names may be members (`this->`)."""
    local = {p for p in params if p} | set(_local_names(body))
    roots: list[str] = []
    for statement in _returns(body):
        value = next((c for c in statement.named_children if c.type != "comment"), None)
        for root in _roots(value, self_name, local) if value is not None else ["other"]:
            if root not in roots:
                roots.append(root)
    return tuple(roots)


def parameter_names(function_declarator: Node | None) -> tuple[str, ...]:
    """The names of a function's or lambda's parameters, in order (None for unnamed ones)."""
    params = function_declarator.child_by_field_name("parameters") if function_declarator is not None else None
    names = []
    for param in params.named_children if params is not None else []:
        if param.type in ("parameter_declaration", "optional_parameter_declaration"):
            declarator = param.child_by_field_name("declarator")
            names.append(_declared_name(declarator) if declarator is not None else None)
    return tuple(names)


def returned_expressions(body: Node) -> Iterator[Node]:
    """The expression of every `return` in a body (not in nested lambdas or classes)."""
    for statement in _returns(body):
        value = next((c for c in statement.named_children if c.type != "comment"), None)
        if value is not None:
            yield value


def _returns(body: Node) -> Iterator[Node]:
    stack = [body]
    while stack:
        node = stack.pop()
        if node.type == "return_statement":
            yield node
            continue
        stack.extend(reversed([c for c in node.children if c.type not in _NESTED]))


def _local_names(body: Node) -> Iterator[str]:
    """Names declared inside the body: they shadow members."""
    stack = [body]
    while stack:
        node = stack.pop()
        if node.type in ("declaration", "for_range_loop", "condition_clause", "init_statement"):
            for declarator in node.children_by_field_name("declarator"):
                name = _declared_name(declarator)
                if name is not None:
                    yield name
        stack.extend(c for c in node.children if c.type not in _NESTED)


def _declared_name(declarator: Node) -> str | None:
    while declarator is not None and declarator.type != "identifier":
        if declarator.type in ("init_declarator", "pointer_declarator", "reference_declarator", "array_declarator"):
            declarator = declarator.child_by_field_name("declarator") or (
                declarator.named_children[-1] if declarator.named_children else None
            )
        else:
            return None
    return _text(declarator) if declarator is not None else None


def _roots(node: Node, self_name: str | None, local: set[str]) -> list[str]:
    while node.type in _WRAPPERS and node.named_children:
        node = node.named_children[0]
    if node.type == "conditional_expression":
        consequence, alternative = node.child_by_field_name("consequence"), node.child_by_field_name("alternative")
        if consequence is None or alternative is None:
            return ["other"]
        return _roots(consequence, self_name, local) + _roots(alternative, self_name, local)
    root = _root(node, self_name, local)
    return [f"&{root}" if root not in ("null", "other", "self") and _is_pointer_syntax(node) else root]


def _is_pointer_syntax(node: Node) -> bool:
    if node.type == "pointer_expression":
        return _text(node).lstrip().startswith("&")
    if node.type == "call_expression":
        function = node.child_by_field_name("function")
        arguments = node.child_by_field_name("arguments")
        field = function.child_by_field_name("field") if function is not None and function.type == "field_expression" else None
        return field is not None and _text(field) == "get" and arguments is not None and not arguments.named_children
    return False


def _root(node: Node, self_name: str | None, local: set[str]) -> str:
    """Follow an expression inward (through `*`, `&`, `[i]`, `.f`, `->f`, `.m()`) to what it is
    reached from."""
    hop: str | None = None  # the innermost `.name` seen so far: the first one reached from the object
    called = False  # the next `.name` inward is a method being called
    while True:
        kind = node.type
        if kind in _WRAPPERS and node.named_children:
            node = node.named_children[0]
        elif kind in ("pointer_expression", "subscript_expression"):
            argument = node.child_by_field_name("argument")
            if argument is None:
                return "other"
            node, called = argument, False
        elif kind == "field_expression":
            argument, field = node.child_by_field_name("argument"), node.child_by_field_name("field")
            if argument is None or field is None:
                return "other"
            hop, called = f"{'call' if called else 'member'}:{_text(field)}", False
            node = argument
        elif kind == "call_expression":
            function = node.child_by_field_name("function")
            if function is not None and function.type == "field_expression":
                node, called = function, True
            elif function is not None and function.type == "identifier" and self_name is None and _text(function) not in local:
                return f"call:{_text(function)}"
            else:
                return "other"
        elif kind == "this":
            return hop or "self"
        elif kind == "identifier":
            name = _text(node)
            if name == "NULL":
                return "null"
            if self_name is not None:
                return (hop or "self") if name == self_name else "other"
            return "other" if name in local else f"member:{name}"
        elif kind == "null" or (kind == "number_literal" and _text(node) == "0"):
            return "null"
        else:
            return "other"
