"""C++ declarations indexed across every file of a run, as small plain data (no trees kept).

Rules use it to see what a member pointer or function returns ("visible" types in RULES.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Literal

from tree_sitter import Node, Tree

from nbfix.parsing import captures

_QUERY = """
(class_specifier name: (_) @name body: (field_declaration_list) @body) @class
(struct_specifier name: (_) @name body: (field_declaration_list) @body) @class
(translation_unit (function_definition) @function)
(namespace_definition body: (declaration_list (function_definition) @function))
(translation_unit (declaration declarator: (_) @declarator) @declaration)
(namespace_definition body: (declaration_list (declaration declarator: (_) @declarator) @declaration))
"""
_SPECIFIERS = re.compile(r"\b(static|virtual|inline|constexpr|explicit|friend|extern)\b|\[\[[^\]]*\]\]")
TypeKind = Literal["pointer", "reference", "value", "unknown"]


def short_name(text: str) -> str:
    """`ns::Outer::T<int, U<V>>` -> `T`."""
    depth = 0
    plain = []
    for char in text:
        if char == "<":
            depth += 1
        elif char == ">":
            depth -= 1
        elif depth == 0:
            plain.append(char)
    return "".join(plain).strip().rpartition("::")[2].strip()


def classify_type(text: str) -> TypeKind:
    """How a return type hands out its object: through a pointer, a reference, or by value.

    Containers of pointers count as pointers: nanobind applies the policy to every element.
    """
    squashed = "".join(text.split())
    if not squashed or "auto" in squashed or "decltype" in squashed:
        return "unknown"
    if "*" in squashed:
        return "pointer"
    if "&" in squashed or "reference_wrapper" in squashed:
        return "reference"
    return "value"


@dataclass
class ClassDecl:
    name: str
    bases: list[str] = field(default_factory=list)
    methods: dict[str, list[str]] = field(default_factory=dict)  # name -> return type per overload
    templated_methods: set[str] = field(default_factory=set)
    fields: dict[str, str] = field(default_factory=dict)  # name -> type


@dataclass
class ProjectIndex:
    """Class and function declarations from every file nbfix was given."""

    classes: dict[str, ClassDecl] = field(default_factory=dict)
    functions: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_trees(cls, trees: Iterable[Tree]) -> ProjectIndex:
        index = cls()
        for tree in trees:
            index.merge(file_declarations(tree))
        return index

    def merge(self, other: ProjectIndex) -> None:
        for name, decl in other.classes.items():
            mine = self.classes.setdefault(name, ClassDecl(name))
            mine.bases.extend(b for b in decl.bases if b not in mine.bases)
            for method, returns in decl.methods.items():
                mine.methods.setdefault(method, []).extend(returns)
            mine.templated_methods |= decl.templated_methods
            mine.fields.update(decl.fields)
        for name, returns in other.functions.items():
            self.functions.setdefault(name, []).extend(returns)

    def method_returns(self, scope: str, member: str) -> list[str] | None:
        seen: set[str] = set()
        pending = [short_name(scope)]
        while pending:
            name = pending.pop()
            if name in seen or name not in self.classes:
                continue
            seen.add(name)
            decl = self.classes[name]
            if member in decl.templated_methods:
                return None
            if member in decl.methods:
                return decl.methods[member]
            pending.extend(decl.bases)
        return None

    def function_returns(self, name: str) -> list[str] | None:
        return self.functions.get(short_name(name))


def _text(node: Node) -> str:
    return node.text.decode("utf-8", "replace") if node.text is not None else ""


def unwrap_declarator(declarator: Node) -> tuple[Node, str]:
    """Peel `*` and `&` off a declarator: (innermost declarator, the suffix they add to the type)."""
    suffix = ""
    while declarator.type in ("pointer_declarator", "reference_declarator"):
        if declarator.type == "pointer_declarator":
            suffix += "*"
        else:
            suffix += "&&" if _text(declarator).lstrip().startswith("&&") else "&"
        inner = declarator.child_by_field_name("declarator")
        if inner is None:
            named = [c for c in declarator.named_children if c.type != "type_qualifier"]
            if not named:
                break
            inner = named[-1]
        declarator = inner
    return declarator, suffix


def base_type(declaration: Node, declarator: Node) -> str:
    """The declared type as written before the declarator, without storage specifiers."""
    source = declaration.text or b""
    prefix = source[: declarator.start_byte - declaration.start_byte].decode("utf-8", "replace")
    prefix = _SPECIFIERS.sub(" ", prefix)
    return " ".join(prefix.split())


def parameter(node: Node):
    """A parameter declaration as a model Param (type with its `*`/`&`, and its name)."""
    from nbfix.model import Param  # the model's type; declarations stays below the model

    declarator = node.child_by_field_name("declarator")
    if declarator is None:
        return Param(" ".join(_text(node).split()), None, node)
    core, suffix = unwrap_declarator(declarator)
    if core.type in ("abstract_pointer_declarator", "abstract_reference_declarator"):
        return Param(" ".join(_text(node).split()), None, node)
    name = _text(core) if core.type == "identifier" else None
    return Param(f"{base_type(node, declarator)}{suffix}", name, node)


def file_declarations(tree: Tree) -> ProjectIndex:
    index = ProjectIndex()
    found = captures(_QUERY, tree.root_node)
    for node in found.get("class", []):
        _add_class(index, node)
    for node in found.get("function", []):
        declarator = node.child_by_field_name("declarator")
        if declarator is not None:
            _add_function(index, node, declarator)
    for node in found.get("declaration", []):
        for declarator in node.children_by_field_name("declarator"):
            _add_function(index, node, declarator)
    return index


def _add_class(index: ProjectIndex, node: Node) -> None:
    name = short_name(_text(node.child_by_field_name("name")))
    decl = index.classes.setdefault(name, ClassDecl(name))
    for child in node.children:
        if child.type == "base_class_clause":
            decl.bases.extend(
                short_name(_text(b)) for b in child.named_children if b.type not in ("access_specifier",)
            )
    body = node.child_by_field_name("body")
    for member in body.named_children if body is not None else []:
        if member.type == "template_declaration":
            inner = [c for c in member.named_children if c.type in ("declaration", "field_declaration", "function_definition")]
            for item in inner:
                for declarator in item.children_by_field_name("declarator"):
                    core, _ = unwrap_declarator(declarator)
                    if core.type == "function_declarator":
                        decl.templated_methods.add(short_name(_text(core.child_by_field_name("declarator"))))
            continue
        if member.type not in ("field_declaration", "function_definition", "declaration"):
            continue
        for declarator in member.children_by_field_name("declarator"):
            core, suffix = unwrap_declarator(declarator)
            type_text = f"{base_type(member, declarator)}{suffix}"
            if core.type == "function_declarator":
                method = short_name(_text(core.child_by_field_name("declarator")))
                decl.methods.setdefault(method, []).append(type_text)
            elif core.type in ("field_identifier", "identifier"):
                decl.fields[_text(core)] = type_text


def _add_function(index: ProjectIndex, node: Node, declarator: Node) -> None:
    core, suffix = unwrap_declarator(declarator)
    if core.type != "function_declarator":
        return
    name_node = core.child_by_field_name("declarator")
    if name_node is None:
        return
    type_text = f"{base_type(node, declarator)}{suffix}"
    name = _text(name_node)
    if name_node.type == "qualified_identifier":
        scope, _, member = "".join(name.split()).rpartition("::")
        owner = index.classes.setdefault(short_name(scope), ClassDecl(short_name(scope)))
        owner.methods.setdefault(member, []).append(type_text)
    elif name_node.type == "identifier":
        index.functions.setdefault(name, []).append(type_text)
