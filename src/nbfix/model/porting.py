"""What of a file is pybind11, for the port rules (NB5xx): the qualified names, macro tokens and
calls that `nbfix port` rewrites, found once per tree and shared by the rules."""

import re
from typing import TYPE_CHECKING, NamedTuple

# Not `from __future__ import annotations`: NamedTuple fields as strings cost a `compile()` at
# start-up (tests/test_cli.py).
from tree_sitter import Node

from nbfix.core.findings import Edit
from nbfix.cpp.conditionals import logical_line_end
from nbfix.cpp.parsing import descendants, found_in
from nbfix.cpp.syntax import node_text

if TYPE_CHECKING:
    from nbfix.model.bindings import BindingModel

NANOBIND_ALIAS = "nb"
# What each pybind11 qualifier becomes: the conventional alias follows nanobind's convention, the
# full name becomes the full name, any other alias is kept (its definition now names nanobind).
RENAMED_QUALIFIERS = {"py": NANOBIND_ALIAS, "pybind11": "nanobind"}
# Node types whose text is not code: nothing inside them is ever rewritten.
NOT_CODE = frozenset({
    "comment", "string_literal", "raw_string_literal", "char_literal", "string_content",
    "concatenated_string", "system_lib_string",
})
# Integer types a count is declared with (spelled without spaces, as `squash` leaves them): a
# value pybind11's sized constructors read as a number of items.
INTEGER_TYPES = frozenset({
    "int", "long", "unsigned", "unsignedint", "longlong", "size_t", "std::size_t", "ssize_t", "Py_ssize_t",
    "py::ssize_t", "pybind11::ssize_t", "int64_t", "std::int64_t", "uint64_t", "std::uint64_t",
})
_MACRO_TOKEN = re.compile(rb"\bPYBIND11_[A-Z0-9_]+\b")
_OVERRIDE_MACRO = re.compile(rb"\b(?:PYBIND11_OVERRIDE|PYBIND11_OVERLOAD|NB_OVERRIDE)(?:_PURE)?(?:_NAME)?\b")
_DEFINE = re.compile(rb"(?m)^[ \t]*#[ \t]*define\b")
_COMMENTS = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
_LEADING = re.compile(r"(?:\s|/\*.*?\*/|//[^\n]*)*", re.S)


class Reference(NamedTuple):
    """`py::return_value_policy::reference`: one qualified name that starts at a pybind11 qualifier."""

    node: Node  # the whole qualified name
    scope: Node  # the library qualifier (`py`)
    parts: tuple[Node, ...]  # the name's parts after it, without template arguments
    # False once the qualifier is nanobind's: a later fix pass, or the final check of a port, still
    # sees the names that exist only in pybind11 (`nb::prepend`) and reports or rewrites them.
    pybind11: bool = True

    @property
    def path(self) -> str:
        """`return_value_policy::reference`."""
        return "::".join(node_text(part) for part in self.parts)

    @property
    def head(self) -> str:
        return node_text(self.parts[0])


class Token(NamedTuple):
    """A `PYBIND11_*` macro name in code (not in a comment or a string)."""

    start: int
    end: int
    name: str


def _name_parts(name: Node) -> tuple[Node, ...]:
    """The identifier nodes of `return_value_policy::reference`, `class_<T>`, `type::of<T>`."""
    parts = []
    while name is not None and name.type == "qualified_identifier":
        scope = name.child_by_field_name("scope")
        if scope is not None:
            parts.append(_bare(scope))
        name = name.child_by_field_name("name")
    if name is not None:
        parts.append(_bare(name))
    return tuple(parts)


def _bare(node: Node) -> Node:
    """`class_<T>` -> `class_`; other names as they are."""
    if node.type in ("template_function", "template_type", "template_method"):
        inner = node.child_by_field_name("name")
        return inner if inner is not None else node
    return node


class PortView:
    """The pybind11 side of one file (one tree)."""

    def __init__(self, root: Node, content: bytes) -> None:
        self.root = root
        self.content = content
        self.qualifiers = pybind11_qualifiers(root)
        self.nanobind = nanobind_qualifiers(root) - self.qualifiers
        self.references = self._references()

    def _references(self) -> list[Reference]:
        found = []
        inner: set[int] = set()
        for node in descendants(self.root, {"qualified_identifier"}):
            if node.id in inner:
                continue
            name = node.child_by_field_name("name")
            if name is not None and name.type == "qualified_identifier":
                inner.add(name.id)
            scope = node.child_by_field_name("scope")
            if scope is None or scope.type != "namespace_identifier" or node.start_byte != scope.start_byte:
                continue  # `::py::x`: another namespace's `py`, or a global one; left alone
            qualifier = node_text(scope)
            if qualifier not in self.qualifiers and qualifier not in self.nanobind:
                continue
            parts = _name_parts(name) if name is not None else ()
            if parts:
                found.append(Reference(node, scope, parts, qualifier in self.qualifiers))
        return found

    @property
    def pybind11_references(self) -> list[Reference]:
        return [r for r in self.references if r.pybind11]

    def loose_qualifiers(self) -> list[Token]:
        """pybind11 qualifiers in text tree-sitter did not parse (error regions, `#define`
        bodies): `py::` followed by a name, outside comments and strings."""
        seen = {r.scope.start_byte for r in self.references}
        names = "|".join(re.escape(q) for q in sorted(self.qualifiers))
        pattern = re.compile(rf"(?<![\w:])({names})\s*::\s*[A-Za-z_]".encode())
        found = []
        for start, end in self._regions():
            for match in pattern.finditer(self.content, start, end):
                if match.start() not in seen and is_code(self.root, match.start(1), match.end(1)):
                    found.append(Token(match.start(1), match.end(1), match[1].decode()))
        return found

    def _regions(self) -> list[tuple[int, int]]:
        """Text tree-sitter did not parse into names: error regions and `#define`s, whole (a
        comment inside a macro splits its body and leaves text between the parts: pyopencl's
        `new TYPE(value, /*retain*/ true))); else return py::none();`)."""
        found = [(node.start_byte, node.end_byte) for node in descendants(self.root, {"ERROR", "preproc_arg"})]
        found += [(m.start(), logical_line_end(self.content, m.start())) for m in _DEFINE.finditer(self.content)]
        regions: list[tuple[int, int]] = []
        for start, end in sorted(found):
            if regions and start <= regions[-1][1]:
                regions[-1] = (regions[-1][0], max(regions[-1][1], end))
            else:
                regions.append((start, end))
        return regions

    def tokens(self) -> list[Token]:
        """Every `PYBIND11_*` macro name in code, in order."""
        found = []
        for match in _MACRO_TOKEN.finditer(self.content):
            if is_code(self.root, match.start(), match.end()):
                found.append(Token(match.start(), match.end(), match[0].decode()))
        return found

    def override_macros(self) -> list[Token]:
        """Every override macro in code, pybind11's or nanobind's (`NB_OVERRIDE*`): a class using
        one is a trampoline, in whichever fix pass it is looked at."""
        found = []
        for match in _OVERRIDE_MACRO.finditer(self.content):
            if is_code(self.root, match.start(), match.end()):
                found.append(Token(match.start(), match.end(), match[0].decode()))
        return found

    def uses_pybind11(self) -> bool:
        return bool(self.pybind11_references or self.tokens() or self.pybind11_includes())

    def pybind11_includes(self) -> list[tuple[Node, str]]:
        """(include node, path) of every `#include <pybind11/...>`."""
        from nbfix.cpp.parsing import include_path
        from nbfix.cpp.text import preprocessor_includes

        result = []
        for node in preprocessor_includes(self.root):
            path = include_path(node.child_by_field_name("path"))
            if path.startswith("pybind11/"):
                result.append((node, path))
        return result


def port_view(model: "BindingModel", content: bytes) -> "PortView":
    """The file's `PortView`, built once per tree for all the port rules."""
    memo = found_in(model.tree).memo
    key = "port_view"
    if key not in memo:
        memo[key] = PortView(model.tree.root_node, content)
    return memo[key]


def is_code(root: Node, start: int, end: int) -> bool:
    node = root.descendant_for_byte_range(start, end)
    while node is not None:
        if node.type in NOT_CODE:
            return False
        if node.type in ("translation_unit", "compound_statement", "field_declaration_list"):
            return True
        node = node.parent
    return True


def pybind11_qualifiers(root: Node) -> frozenset[str]:
    """The names that mean pybind11 in this file: `pybind11`, every alias of it, and `py` unless
    the file gives `py` another meaning (its own `namespace py { ... }` or an alias elsewhere)."""
    names = {"pybind11", "py"}
    for node in descendants(root, {"namespace_alias_definition", "namespace_definition"}):
        name = node.child_by_field_name("name")
        if name is None:
            continue
        if node.type == "namespace_definition":
            names.discard(node_text(name)) if node_text(name) == "py" else None
            continue
        target = node_text(node).rstrip(";").partition("=")[2].strip().removeprefix("::")
        if target == "pybind11":
            names.add(node_text(name))
        else:
            names.discard(node_text(name))
    return frozenset(names)


def nanobind_qualifiers(root: Node) -> frozenset[str]:
    """`nanobind`, `nb` and every alias of nanobind the file declares."""
    names = {"nanobind", NANOBIND_ALIAS}
    for node in descendants(root, {"namespace_alias_definition"}):
        name = node.child_by_field_name("name")
        if name is not None and node_text(node).rstrip(";").partition("=")[2].strip().removeprefix("::") == "nanobind":
            names.add(node_text(name))
    return frozenset(names)


def nanobind_qualifier(qualifier: str) -> str:
    return RENAMED_QUALIFIERS.get(qualifier, qualifier)


# ---------------------------------------------------------------------------------------------
# Calls and arguments


def call_of(node: Node) -> Node | None:
    """The call whose callee is `node` (a name or a member access), if it is one."""
    parent = node.parent
    if parent is not None and parent.type == "call_expression" and parent.child_by_field_name("function") == node:
        return parent
    return None


def arguments_of(call: Node) -> list[Node]:
    arguments = call.child_by_field_name("arguments")
    return [a for a in arguments.named_children if a.type != "comment"] if arguments is not None else []


def argument_spans(text: str, open_at: int = 0) -> tuple[list[tuple[int, int]], int] | None:
    """The top-level arguments of the parenthesised list at `text[open_at]` as (start, end)
    offsets without surrounding space, and the offset after its `)`; None if it does not close.
    For macro calls tree-sitter cannot parse as expressions (`PYBIND11_OVERRIDE(std::pair<int, int>, ...)`)."""
    spans: list[tuple[int, int]] = []
    depth, start = 0, open_at + 1
    for index in range(open_at, len(text)):
        char = text[index]
        if char in "([{<":
            depth += 1
        elif char in ")]}>":
            depth -= 1
        if depth == 0 or (depth == 1 and char == ","):
            piece = text[start:index]
            if _COMMENTS.sub("", piece).strip():  # a piece of comments only is no argument
                lead = _LEADING.match(piece).end()  # white space and comments before it
                spans.append((start + lead, start + len(piece.rstrip())))
            start = index + 1
            if depth == 0:
                return spans, index + 1
    return None


def macro_arguments(content: bytes, after: int) -> tuple[list[tuple[int, int]], int, int] | None:
    """The arguments of the macro call whose name ends at byte `after`, as byte spans, with the
    byte offsets of its `(` and just after its `)`."""
    window = content[after:after + 4000].decode("utf-8", "replace")
    open_at = len(window) - len(window.lstrip())
    if not window[open_at:].startswith("("):
        return None
    found = argument_spans(window, open_at)
    if found is None:
        return None
    spans, close = found

    def offset(i: int) -> int:
        return after + len(window[:i].encode())

    return [(offset(a), offset(b)) for a, b in spans], offset(open_at), offset(close)


def node_edit(node: Node, text: str) -> Edit:
    return Edit(node.start_byte, node.end_byte, text)


def target_version(options: dict) -> int:
    """The nanobind major version the port writes for (the `target-version` rule option)."""
    return int(options.get("target-version", 3))


# ---------------------------------------------------------------------------------------------
# Factories


def placement_new_lambda(content: bytes, factory: Node, self_type: str, target: str, address: str) -> str | None:
    """A factory lambda rewritten to construct into its new first parameter:
    `[](int n) { return T(n); }` -> `[](T *self, int n) { new (self) T(n); }` (`self_type` is
    `T *` or `T &`; `address` is `&` for the reference). Each return must give a `T` by value,
    or be `new T(...)`, `std::make_unique<T>(...)` or `std::make_shared<T>(...)` (then `T` is
    built in place from the same arguments). None if it cannot be done safely (no return, a
    parameter already named `self`, a pointer to something else)."""
    declarator = factory.child_by_field_name("declarator")
    body = factory.child_by_field_name("body")
    parameters = declarator.child_by_field_name("parameters") if declarator is not None else None
    if body is None or parameters is None or b"self" in (factory.text or b""):
        return None
    returns = [r for r in descendants(body, {"return_statement"}) if _lambda_of(r) == factory]
    if not returns or any(not r.named_children for r in returns):
        return None
    base = factory.start_byte
    edits: list[Edit] = []
    inner = content[parameters.start_byte + 1:parameters.end_byte - 1].decode("utf-8").strip()
    params = f"({self_type}self{', ' + inner if inner else ''})"
    edits.append(Edit(parameters.start_byte, declarator.end_byte, params))
    last = [c for c in body.named_children if c.type != "comment"][-1:]
    for statement in returns:
        value = statement.named_children[0]
        made = constructed(value, target)
        if made is None:
            return None
        construct = f"new ({address}self) {made};"
        at_end = bool(last) and statement == last[0]
        edits.append(Edit(statement.start_byte, statement.end_byte, construct if at_end else f"{{ {construct} return; }}"))
    text = content[base:factory.end_byte]
    for edit in sorted(edits, reverse=True):
        text = text[:edit.start - base] + edit.text.encode() + text[edit.end - base:]
    return text.decode("utf-8")


def constructed(value: Node, target: str) -> str | None:
    """How to build in place what a factory returns: `T(a)`, `T{a}`, `new T(a)`,
    `std::make_unique<T>(a)`, `std::make_shared<T>(a)` -> `T(a)`; another value `e` -> `T(e)`;
    None for a pointer or holder of something nbfix cannot see to be a `T`."""
    from nbfix.cpp.syntax import squash

    names = (squash(target), target.split("<")[0].rsplit("::", 1)[-1])
    text = squash(node_text(value))
    if value.type == "new_expression":
        made, arguments = value.child_by_field_name("type"), value.child_by_field_name("arguments")
        if made is not None and squash(node_text(made)) in names:
            return f"{target}{node_text(arguments) if arguments is not None else '()'}"
        return None
    if text.startswith(("std::make_unique<", "std::make_shared<")):
        function, arguments = value.child_by_field_name("function"), value.child_by_field_name("arguments")
        template = function.child_by_field_name("name") if function is not None else None
        listed = template.child_by_field_name("arguments") if template is not None else None
        if listed is not None and squash(node_text(listed))[1:-1] in names and arguments is not None:
            return f"{target}{node_text(arguments)}"
        return None
    if value.type == "call_expression":
        callee = value.child_by_field_name("function")
        if callee is not None and squash(node_text(callee)) in names:
            return f"{target}{node_text(value.child_by_field_name('arguments'))}"
    if value.type == "compound_literal_expression":
        callee, arguments = value.child_by_field_name("type"), value.child_by_field_name("value")
        if callee is not None and arguments is not None and squash(node_text(callee)) in names:
            return f"{target}{node_text(arguments)}"
    return f"{target}({node_text(value)})"


def forwarded_parameter_types(content: bytes, factory: Node, target: str) -> list[str] | None:
    """The parameter types of a factory lambda that only builds a `T` from its parameters, as
    given: `[](DataType d, const Span &s) { return std::make_shared<T>(d, s); }` ->
    `["DataType", "const Span &"]` (also `new T(...)`, `std::make_unique<T>(...)`, `T(...)`,
    each argument a parameter or `std::move` of it, in order). `init<DataType, const Span &>()`
    then does the same (nanobind 3 constructs with parentheses). None for anything else: a
    capture, a default value, a generic parameter, a braced construction, a comment."""
    from nbfix.cpp.syntax import squash

    if factory.type != "lambda_expression" or descendants(factory, {"comment"}):
        return None
    captures = factory.child_by_field_name("captures")
    if captures is not None and captures.named_children:
        return None
    declarator, body = factory.child_by_field_name("declarator"), factory.child_by_field_name("body")
    parameters = declarator.child_by_field_name("parameters") if declarator is not None else None
    if parameters is None or body is None or any(c.type not in ("parameter_list", "trailing_return_type", "(", ")")
                                                 and c != parameters for c in declarator.children):
        return None
    names, types = [], []
    for parameter in parameters.named_children:
        if parameter.type != "parameter_declaration":
            return None
        identifiers = [n for n in descendants(parameter, {"identifier"})
                       if n.parent is not None and n.parent.type in ("parameter_declaration", "reference_declarator",
                                                                      "pointer_declarator")]
        if len(identifiers) != 1 or "auto" in node_text(parameter).split():
            return None
        name = identifiers[0]
        text = content[parameter.start_byte:name.start_byte] + content[name.end_byte:parameter.end_byte]
        names.append(node_text(name))
        types.append(" ".join(text.decode("utf-8").split()))
    statements = body.named_children
    if len(statements) != 1 or statements[0].type != "return_statement" or not statements[0].named_children:
        return None
    value = statements[0].named_children[0]
    arguments = value.child_by_field_name("arguments")
    makes = value.type == "new_expression" or squash(node_text(value)).startswith(("std::make_unique<", "std::make_shared<"))
    if value.type == "call_expression" and not makes:
        callee = value.child_by_field_name("function")
        makes = squash(node_text(callee)) in (squash(target), target.split("<")[0].rsplit("::", 1)[-1])
    if not makes or arguments is None or arguments.type != "argument_list" or constructed(value, target) is None:
        return None
    given = list(arguments.named_children)  # comments were refused above
    if len(given) != len(names):
        return None
    for argument, name in zip(given, names):
        text = squash(node_text(argument))
        if text not in (name, f"std::move({name})"):
            return None
    return types


def _lambda_of(node: Node) -> Node | None:
    node = node.parent
    while node is not None and node.type != "lambda_expression":
        node = node.parent
    return node


def constructor_arguments(reference: Reference) -> list[Node] | None:
    """The arguments a wrapper is made from: `py::X(a, b)` or `py::X x(a, b);`; None if neither."""
    call = call_of(reference.node)
    if call is not None:
        return arguments_of(call)
    declaration = reference.node.parent
    if declaration is None or declaration.type != "declaration":
        return None
    for declarator in declaration.children_by_field_name("declarator"):
        value = declarator.child_by_field_name("value") if declarator.type == "init_declarator" else None
        if value is not None and value.type in ("argument_list", "initializer_list"):
            return [a for a in value.named_children if a.type != "comment"]
    return None
