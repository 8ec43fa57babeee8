"""Which binding library a file uses, and the spellings of its binding methods and policies."""

import re
from typing import Literal, NamedTuple

from tree_sitter import Node, Tree

from nbfix.cpp.parsing import found_in, shared_nodes
from nbfix.cpp.syntax import node_text, squash
from nbfix.index import declarations

DialectName = Literal["nanobind", "pybind11"]

# Methods of class_/module_ that take a callable (or a member) and return the object itself.
# The value is how many arguments after the Python name are callables (getter, setter...).
BIND_METHODS: dict[str, int] = {
    "def": 1,
    "def_static": 1,
    "def_prop_ro": 1,
    "def_prop_rw": 2,
    "def_prop_ro_static": 1,
    "def_prop_rw_static": 2,
    "def_ro": 1,
    "def_rw": 1,
    "def_ro_static": 1,
    "def_rw_static": 1,
    # pybind11 spellings
    "def_readonly": 1,
    "def_readwrite": 1,
    "def_readonly_static": 1,
    "def_readwrite_static": 1,
    "def_property": 2,
    "def_property_readonly": 1,
    "def_property_static": 2,
    "def_property_readonly_static": 1,
}
STATIC_METHODS = frozenset(name for name in BIND_METHODS if name.endswith("_static"))
FIELD_METHODS = frozenset({"def_ro", "def_rw", "def_readonly", "def_readwrite"})
# Other chainable methods: the call returns the same class or module object.
CHAIN_METHODS = frozenset(BIND_METHODS) | {"value", "export_values", "def_buffer", "attr", "doc"}
CLASS_TEMPLATES = {"class_": "class", "enum_": "enum", "exception": "exception"}
INIT_CALLABLES = frozenset({"init", "init_implicit", "new_"})


def _file_matches(node: Node) -> list[dict]:
    kind = node.type
    if kind == "preproc_include":
        return declarations.include_matches(node)
    if kind == "namespace_alias_definition":
        name = node.child_by_field_name("name")
        return [{"alias": [name], "alias_definition": [node]}] if name is not None and name.type == "namespace_identifier" else []
    if kind == "using_declaration":
        return [{"using": [node]}]
    declarator = node.child_by_field_name("declarator")
    macro = declarator.child_by_field_name("declarator") if declarator is not None and declarator.type == "function_declarator" else None
    return [{"macro": [macro], "module_init": [node]}] if macro is not None and macro.type == "identifier" else []


_FILE_QUERY = shared_nodes("file", """
(preproc_include path: (_) @include)
(namespace_alias_definition name: (namespace_identifier) @alias) @alias_definition
(using_declaration) @using
(function_definition declarator: (function_declarator declarator: (identifier) @macro)) @module_init
""", ("preproc_include", "namespace_alias_definition", "using_declaration", "function_definition"), _file_matches)


# ---------------------------------------------------------------------------------------------
# Dialect


class Dialect(NamedTuple):
    """Which binding library a file uses and how it spells its namespace."""

    name: DialectName
    namespaces: frozenset[str]  # every qualifier that means this library (`nb`, `nanobind`, ...)
    unqualified: bool  # `using namespace nanobind;` lets names appear bare
    prefix: str  # what new code written into this file uses, e.g. `nb::`

    def strip(self, text: str) -> str | None:
        """`nb::rv_policy::reference` -> `rv_policy::reference`; None if not this library's name."""
        text = squash(text).removeprefix("::")
        head, sep, rest = text.partition("::")
        if sep and head in self.namespaces:
            return rest
        return text if self.unqualified or not sep else None

    def is_name(self, text: str, *names: str) -> bool:
        return self.strip(text) in names

    @property
    def policy_type(self) -> str:
        return "rv_policy" if self.name == "nanobind" else "return_value_policy"

    def policy(self, value: str) -> str:
        return f"{self.prefix}{self.policy_type}::{value}"


def file_captures(tree: Tree) -> dict[str, list[Node]]:
    """Includes, namespace aliases, using-directives and module-init macros of a file."""
    return found_in(tree).captures(_FILE_QUERY)


def detect_dialect(found: dict[str, list[Node]], text: str) -> Dialect:
    votes = {"nanobind": 0, "pybind11": 0}
    aliases: dict[str, set[str]] = {"nanobind": {"nanobind"}, "pybind11": {"pybind11"}}
    unqualified = {"nanobind": False, "pybind11": False}
    for node in found.get("include", []):
        path = node_text(node)
        for lib in votes:
            if f"{lib}/" in path:
                votes[lib] += 2
    for node in found.get("alias_definition", []):
        target = squash(node_text(node)).rstrip(";").partition("=")[2].removeprefix("::")
        alias = node_text(node.child_by_field_name("name"))
        if target in aliases:
            aliases[target].add(alias)
            votes[target] += 2
    for node in found.get("using", []):
        target = squash(node_text(node))
        for lib in votes:
            if target == f"usingnamespace{lib};":
                unqualified[lib] = True
                votes[lib] += 1
    for node in found.get("macro", []):
        name = node_text(node)
        if name == "NB_MODULE":
            votes["nanobind"] += 3
        elif name == "PYBIND11_MODULE":
            votes["pybind11"] += 3
    # Conventional aliases work even when the alias is declared in a header we were not given.
    conventional = {"nanobind": "nb", "pybind11": "py"}
    for lib, alias in conventional.items():
        if re.search(rf"\b{alias}::", text):
            aliases[lib].add(alias)
            votes[lib] += 1
    name: DialectName = "pybind11" if votes["pybind11"] > votes["nanobind"] else "nanobind"
    namespaces = aliases[name]
    usage = {ns: text.count(f"{ns}::") for ns in namespaces}
    preferred = max(sorted(namespaces), key=lambda ns: (usage[ns], ns != name))
    prefix = "" if unqualified[name] and usage[preferred] == 0 else f"{preferred}::"
    return Dialect(name, frozenset(namespaces), unqualified[name], prefix)
