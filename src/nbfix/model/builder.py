"""Builds a file's binding model from its tree: module objects, class bindings, `.def*` calls and what they bind."""

import re
from typing import Iterator

from tree_sitter import Node, Tree

from nbfix.core.patterns import LazyPattern
from nbfix.core.phases import phase
from nbfix.cpp.macros import MacroBody, find_macros
from nbfix.cpp.parsing import FUNCTIONS, descendants, found_in, include_path, shared_nodes
from nbfix.cpp.syntax import code_text, node_text, squash, squash_type, string_value
from nbfix.index import declarations
from nbfix.index.declarations import IndexQueries, Param, ProjectIndex
from nbfix.model.bindings import (
    Binding,
    BindingModel,
    BoundCallable,
    ClassBinding,
    Extra,
    MacroBinding,
    ModuleBinding,
    Owner,
)
from nbfix.model.dialect import (
    BIND_METHODS,
    CHAIN_METHODS,
    CLASS_TEMPLATES,
    INIT_CALLABLES,
    Dialect,
    detect_dialect,
    file_captures,
)


def _binding_matches(call: Node) -> list[dict]:
    function, args = call.child_by_field_name("function"), call.child_by_field_name("arguments")
    if function is None or function.type != "field_expression" or args is None or args.type != "argument_list":
        return []
    target, method = function.child_by_field_name("argument"), function.child_by_field_name("field")
    if target is None or not target.is_named or method is None or method.type != "field_identifier":
        return []
    if not (method.text or b"").startswith(b"def"):
        return []
    return [{"object": [target], "method": [method], "args": [args], "call": [call]}]


BINDING_QUERY = shared_nodes("bindings", """
(call_expression
  function: (field_expression argument: (_) @object field: (field_identifier) @method)
  arguments: (argument_list) @args
  (#match? @method "^def")) @call
""", ("call_expression",), _binding_matches)


def _variable_matches(node: Node) -> list[dict]:
    found = []
    for declarator in node.children_by_field_name("declarator"):
        kind = declarator.type
        if kind == "identifier":
            found.append(declarator)
        elif kind == "init_declarator" and node.type == "declaration":
            inner = declarator.child_by_field_name("declarator")
            if inner is not None and inner.type == "identifier":
                found.append(inner)
        elif kind == "reference_declarator":
            found += [child for child in declarator.named_children if child.type == "identifier"]
        elif kind == "pointer_declarator" and node.type == "parameter_declaration":
            inner = declarator.child_by_field_name("declarator")
            if inner is not None and inner.type == "identifier":
                found.append(inner)
    return [{"name": [name], "declaration": [node]} for name in found]


_DECLARATION_QUERY = shared_nodes("variables", """
(declaration declarator: (init_declarator declarator: (identifier) @name)) @declaration
(declaration declarator: (identifier) @name) @declaration
(declaration declarator: (reference_declarator (identifier) @name)) @declaration
(parameter_declaration declarator: (reference_declarator (identifier) @name)) @declaration
(parameter_declaration declarator: (pointer_declarator declarator: (identifier) @name)) @declaration
(parameter_declaration declarator: (identifier) @name) @declaration
""", ("declaration", "parameter_declaration"), _variable_matches)


def _class_creation_matches(call: Node) -> list[dict]:
    function = call.child_by_field_name("function")
    if function is not None and function.type == "qualified_identifier":
        function = function.child_by_field_name("name")
    elif function is not None and function.type != "template_function":
        return []
    if function is None or function.type != "template_function":
        return []
    name = function.child_by_field_name("name")
    return [{"name": [name], "call": [call]}] if name is not None and name.type == "identifier" else []


_CLASS_QUERY = shared_nodes("class_creations", """
(call_expression function: (qualified_identifier name: (template_function name: (identifier) @name))) @call
(call_expression function: (template_function name: (identifier) @name)) @call
""", ("call_expression",), _class_creation_matches)
_MAY_DECLARE_OWNER = LazyPattern(rb"class_|enum_|exception|module|def_|\bauto\b")
_KEEP_ALIVE = LazyPattern(r"^keep_alive<(\d+),(\d+)>\(\)$")


_IMPORT = re.compile(r"module_?\s*::\s*import_?$")


class Builder:
    def __init__(self, tree: Tree, text: str, dialect: Dialect) -> None:
        self.tree = tree
        self.text = text
        self.dialect = dialect
        self.owners: dict[int, Owner | None] = {}  # node id -> resolved owner
        # function node id -> [(declaration start byte, name, owner)]
        self.variables: dict[int, list[tuple[int, str, Owner]]] = {}
        self.classes: list[ClassBinding] = []
        self.callables: dict[int, BoundCallable] = {}

    # -- scopes and variables -------------------------------------------------------------

    def enclosing_function(self, node: Node) -> Node | None:
        return found_in(self.tree).enclosing(node, FUNCTIONS)

    def lookup(self, name: str, at: Node) -> Owner | None:
        scope = self.enclosing_function(at)
        while scope is not None:
            best = None
            for start, var, owner in self.variables.get(scope.id, ()):
                if var == name and start <= at.start_byte:
                    best = owner
            if best is not None:
                return best
            scope = self.enclosing_function(scope)
        return None

    def collect_variables(self) -> None:
        pairs = sorted(
            ((m["declaration"][0], m["name"][0]) for m in found_in(self.tree).matches(_DECLARATION_QUERY)),
            key=lambda pair: pair[0].start_byte,
        )
        for decl, name_node in pairs:
            if not _MAY_DECLARE_OWNER.search(decl.text or b""):
                continue
            scope = self.enclosing_function(decl)
            owner = self.declared_owner(decl) if scope is not None else None
            if owner is None:
                continue
            name = node_text(name_node)
            if isinstance(owner, ClassBinding) and owner.variable is None:
                owner.variable = name
            self.variables.setdefault(scope.id, []).append((decl.start_byte, name, owner))

    def declared_owner(self, decl: Node) -> Owner | None:
        type_node = decl.child_by_field_name("type")
        type_text = squash(node_text(type_node)) if type_node is not None else ""
        stripped = self.dialect.strip(type_text.removeprefix("const")) if type_text else None
        declarator = decl.child_by_field_name("declarator")
        value = declarator.child_by_field_name("value") if declarator is not None and declarator.type == "init_declarator" else None
        if stripped is not None and stripped in ("module_", "module"):
            if value is not None and value.type != "argument_list":
                return self.resolve(value) if isinstance(self.resolve(value), ModuleBinding) else ModuleBinding(None)
            return ModuleBinding(None)
        template = self.class_template(type_node) if type_node is not None else None
        if template is not None:
            kind, cpp_type, extra_types = template
            python_name = scope = None
            if value is not None and value.type == "argument_list":
                args = value.named_children
                python_name = string_value(args[1]) if len(args) > 1 else None
                scope = self.resolve(args[0]) if args else None
            binding = ClassBinding(kind, cpp_type, python_name, decl, extra_types=extra_types, scope=scope, tree=self.tree)
            self.classes.append(binding)
            return binding
        if value is not None and value.type != "argument_list":
            owner = self.resolve(value)
            return owner
        return None

    def class_template(self, node: Node) -> tuple[str, str, tuple[str, ...]] | None:
        """`nb::class_<T, Base>` (as a type or a callee) -> ("class", "T")."""
        if node.type == "qualified_identifier":
            scope_text = node_text(node.child_by_field_name("scope") or node)
            name = node.child_by_field_name("name")
            if name is None or not (scope_text in self.dialect.namespaces or scope_text == ""):
                return None
            return self.class_template_name(name)
        if self.dialect.unqualified:
            return self.class_template_name(node)
        return None

    @staticmethod
    def class_template_name(node: Node) -> tuple[str, str, tuple[str, ...]] | None:
        if node.type not in ("template_function", "template_type"):
            return None
        kind = CLASS_TEMPLATES.get(node_text(node.child_by_field_name("name")))
        arguments = node.child_by_field_name("arguments")
        if kind is None or arguments is None or not arguments.named_children:
            return None
        types = [squash(node_text(a)) for a in arguments.named_children if a.type != "comment"]
        return kind, types[0], tuple(types[1:])

    # -- owners ---------------------------------------------------------------------------

    def resolve(self, node: Node) -> Owner | None:
        """What object an expression denotes: a class binding, a module, or neither."""
        if node.id in self.owners:
            return self.owners[node.id]
        owner = self._resolve(node)
        self.owners[node.id] = owner
        return owner

    def _resolve(self, node: Node) -> Owner | None:
        if node.type == "parenthesized_expression" and node.named_child_count == 1:
            return self.resolve(node.named_children[0])
        if node.type == "identifier":
            return self.lookup(node_text(node), node)
        if node.type != "call_expression":
            return None
        function = node.child_by_field_name("function")
        if function is None:
            return None
        if function.type == "field_expression":
            method = node_text(function.child_by_field_name("field"))
            target = function.child_by_field_name("argument")
            if method == "def_submodule":
                args = node.child_by_field_name("arguments")
                first = args.named_children[0] if args is not None and args.named_children else None
                return ModuleBinding(None, string_value(first) if first is not None else None)
            if method in CHAIN_METHODS and target is not None:
                return self.resolve(target)
            return None
        if function.type == "qualified_identifier" and _IMPORT.search(node_text(function)):
            args = node.child_by_field_name("arguments")
            first = args.named_children[0] if args is not None and args.named_children else None
            return ModuleBinding(None, string_value(first) if first is not None else None)
        template = self.class_template(function)
        if template is None:
            return None
        kind, cpp_type, extra_types = template
        args = node.child_by_field_name("arguments")
        named = args.named_children if args is not None else []
        python_name = string_value(named[1]) if len(named) > 1 else None
        scope = self.resolve(named[0]) if named else None
        binding = ClassBinding(kind, cpp_type, python_name, node, extra_types=extra_types, scope=scope, tree=self.tree)
        self.classes.append(binding)
        return binding

    def module_parameters(self, found: dict[str, list[Node]]) -> None:
        """NB_MODULE(name, m) / PYBIND11_MODULE(name, m): `m` is the module in that body."""
        for node in found.get("module_init", []):
            macro = node_text(node.child_by_field_name("declarator").child_by_field_name("declarator"))
            if macro not in ("NB_MODULE", "PYBIND11_MODULE"):
                continue
            params = node.child_by_field_name("declarator").child_by_field_name("parameters")
            named = params.named_children if params is not None else []
            if len(named) >= 2:
                name = squash(node_text(named[1]))
                self.variables.setdefault(node.id, []).append((node.start_byte, name, ModuleBinding(name)))

    def class_creations(self) -> None:
        """Every `class_<T>(...)`/`enum_<T>(...)` call, bound methods or not (`enum_` chains have
        only `.value(...)`)."""
        for match in found_in(self.tree).matches(_CLASS_QUERY):
            if node_text(match["name"][0]) in CLASS_TEMPLATES:
                self.resolve(match["call"][0])

    # -- bindings -------------------------------------------------------------------------

    def bindings(self) -> list[Binding]:
        found = found_in(self.tree).captures(BINDING_QUERY)
        result = []
        # In a chain every call starts where the chain starts: order by the method name instead.
        for call in sorted(found.get("call", []), key=lambda n: n.child_by_field_name("function").end_byte):
            function = call.child_by_field_name("function")
            method = node_text(function.child_by_field_name("field"))
            if method not in BIND_METHODS:
                continue
            owner = self.resolve(function.child_by_field_name("argument"))
            result.append(self.binding(call, method, owner))
        return result

    def binding(self, call: Node, method: str, owner: Owner | None) -> Binding:
        args = [a for a in call.child_by_field_name("arguments").named_children if a.type != "comment"]
        python_name = None
        rest = args
        if args and not self.is_unnamed_callable(args[0]):
            python_name = string_value(args[0])
            rest = args[1:]
        count = 1 if not args or rest is args else BIND_METHODS[method]
        callables = [self.callable_of(node) for node in rest[:count]]
        extras = [extra for node in rest[count:] for extra in self.extras_of(node)]
        return Binding(call, method, owner, python_name, args, callables, extras)

    def is_unnamed_callable(self, node: Node) -> bool:
        """`.def(nb::init<int>())` and `.def(nb::self + nb::self)` have no name argument."""
        kind = self.callable_of(node).kind
        return kind in ("init", "operator")

    def callable_of(self, node: Node) -> BoundCallable:
        if node.id not in self.callables:
            self.callables[node.id] = self._callable_of(node)
        return self.callables[node.id]

    def _callable_of(self, node: Node) -> BoundCallable:
        kind = node.type
        if kind == "pointer_expression" and node_text(node).lstrip().startswith("&"):
            target = node.child_by_field_name("argument")
            return self.named_callable(node, target)
        if kind in ("identifier", "qualified_identifier"):
            return self.named_callable(node, node)
        if kind == "lambda_expression":
            return lambda_callable(node)
        if kind == "binary_expression" and "self" in node_text(node):
            return BoundCallable("operator", node)
        if kind == "call_expression":
            function = node.child_by_field_name("function")
            name = self.dialect.strip(node_text(function)) or ""
            base = name.partition("<")[0]
            if base in INIT_CALLABLES:
                return BoundCallable("init", node, params=template_params(function))
            if base in ("overload_cast", "static_cast") or node_text(function).startswith("static_cast"):
                return cast_callable(node, self)
        if kind == "template_function" and self.dialect.strip(node_text(node)) is not None:
            base = (self.dialect.strip(node_text(node)) or "").partition("<")[0]
            if base in INIT_CALLABLES:
                return BoundCallable("init", node)
        return BoundCallable("other", node)

    def named_callable(self, node: Node, target: Node | None) -> BoundCallable:
        if target is None:
            return BoundCallable("other", node)
        name = squash(node_text(target))
        if target.type == "qualified_identifier":
            scope, _, member = name.rpartition("::")
            return BoundCallable("member_pointer", node, name=name, scope=scope or None)
        return BoundCallable("function", node, name=name)

    def extras_of(self, node: Node) -> list[Extra]:
        text = code_text(node)
        if node.type in ("string_literal", "raw_string_literal", "concatenated_string"):
            return [Extra("doc", node, string_value(node))]
        if node.type == "user_defined_literal" or _LITERAL_ARG.match(text):
            return [Extra("arg", node, arg_name(node))]
        stripped = self.dialect.strip(text)
        if stripped is None:
            return [Extra("other", node, text)]
        head, _, value = stripped.rpartition("::")
        if head in ("rv_policy", "return_value_policy"):
            return [Extra("policy", node, value)]
        match = _KEEP_ALIVE.match(stripped)
        if match:
            return [Extra("keep_alive", node, (int(match[1]), int(match[2])))]
        base = stripped.partition("(")[0].partition("<")[0]
        if base in ("for_getter", "for_setter") and node.type == "call_expression":
            inner_args = node.child_by_field_name("arguments").named_children
            side = base.removeprefix("for_")
            return [
                Extra(e.kind, e.node, e.value, side) for inner in inner_args for e in self.extras_of(inner)
            ]
        if base == "call_guard":
            return [Extra("call_guard", node, stripped)]
        if base == "arg":
            return [Extra("arg", node, arg_name(node))]
        if base in ("kw_only", "sig", "is_operator", "is_method", "keep_alive"):
            return [Extra(base, node, stripped)]
        return [Extra("other", node, stripped)]


# `"x"_a = 1`, `"x"_a.none()`, `"x"_a.noconvert() = v`: squashed text.
_LITERAL_ARG = LazyPattern(r'^"[^"]*"_a(?:\.\w+\(\))*(?:=|$)')


def arg_name(node: Node) -> str | None:
    """`nb::arg("x")`, `"x"_a`, `nb::arg("x") = 1`, `"x"_a.none()` -> "x"."""
    match = re.search(r'"([^"]*)"', node_text(node))
    return match[1] if match else None


def lambda_callable(node: Node) -> BoundCallable:
    declarator = node.child_by_field_name("declarator")
    params: list[Param] = []
    declared_return = None
    if declarator is not None:
        parameter_list = declarator.child_by_field_name("parameters")
        for param in parameter_list.named_children if parameter_list is not None else []:
            if param.type not in ("parameter_declaration", "optional_parameter_declaration"):
                continue
            params.append(declarations.parameter(param))
        for child in declarator.children:
            if child.type == "trailing_return_type":
                declared_return = squash_type(node_text(child).removeprefix("->"))
    return BoundCallable(
        "lambda", node, params=params, declared_return=declared_return, body=node.child_by_field_name("body")
    )


def cast_callable(node: Node, builder: Builder) -> BoundCallable:
    """`static_cast<R (C::*)(A) const>(&C::f)` / `overload_cast<A>(&C::f)`: the member it picks."""
    args = node.child_by_field_name("arguments")
    inner = args.named_children[0] if args is not None and args.named_children else None
    picked = builder.callable_of(inner) if inner is not None else BoundCallable("other", node)
    function_text = squash(node_text(node.child_by_field_name("function")))
    declared = None
    if function_text.startswith("static_cast<"):
        # The return type is what precedes the first parenthesis of the function type.
        declared = function_text.removeprefix("static_cast<").partition("(")[0] or None
    named = tuple(p.type for p in template_params(node.child_by_field_name("function"))) if not declared else None
    return BoundCallable(
        picked.kind, node, name=picked.name, scope=picked.scope, declared_return=declared, picked=named
    )


def template_params(node: Node) -> list[Param]:
    """`nb::init<std::string, int>` -> its argument types."""
    found = [n for n in _descendants(node) if n.type == "template_argument_list"]
    if not found:
        return []
    return [Param(squash_type(node_text(a)), None, a) for a in found[0].named_children if a.type != "comment"]


def _descendants(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def _invocation_matches(call: Node) -> list[dict]:
    function, args = call.child_by_field_name("function"), call.child_by_field_name("arguments")
    if function is None or function.type != "identifier" or args is None or args.type != "argument_list":
        return []
    return [{"name": [function], "args": [args], "call": [call]}]


_INVOCATIONS = shared_nodes(
    "invocations", "(call_expression function: (identifier) @name arguments: (argument_list) @args) @call",
    ("call_expression",), _invocation_matches,
)


def macro_seeds(builder: Builder, macro: MacroBody, identifiers: set[str]) -> dict[str, Owner]:
    """What the macro's parameters and free names denote, from the places this file invokes it.
    A name the invocations disagree on stays unknown."""
    seeds: dict[str, Owner | None] = {}
    for match in found_in(builder.tree).matches(_INVOCATIONS):
        if node_text(match["name"][0]) != macro.name:
            continue
        call = match["call"][0]
        args = [a for a in match["args"][0].named_children if a.type != "comment"]
        found = {param: builder.resolve(arg) for param, arg in zip(macro.params, args)}
        found.update({name: builder.lookup(name, call) for name in identifiers - set(macro.params)})
        for name, owner in found.items():
            if name in seeds and seeds[name] != owner:
                owner = None
            seeds[name] = owner
    return {name: owner for name, owner in seeds.items() if owner is not None}


@phase("model")
def build_model(
    tree: Tree,
    content: bytes,
    project: IndexQueries | None = None,
    seeds: dict[str, Owner] | None = None,  # a macro body's: what its invocations resolve
    dialect: Dialect | None = None,  # a macro body's: the file's
    includes: list[str] | None = None,  # a macro body's: the file's
) -> BindingModel:
    text = content.decode("utf-8")
    found = file_captures(tree)
    dialect = dialect or detect_dialect(found, text)
    builder = Builder(tree, text, dialect)
    if seeds:  # a macro body: names its invocations resolve, visible in the wrapper function
        wrapper = tree.root_node.named_children[0] if tree.root_node.named_children else tree.root_node
        builder.variables[wrapper.id] = [(0, name, owner) for name, owner in seeds.items()]
    builder.module_parameters(found)
    builder.collect_variables()
    builder.class_creations()
    bindings = builder.bindings()
    project = project if project is not None else ProjectIndex.from_files([("<file>", tree)])
    unique: dict[int, ClassBinding] = {}
    for cls in builder.classes:
        unique.setdefault(id(cls), cls)
    if includes is None:
        includes = [include_path(node) for node in found.get("include", [])]
    inits = [
        node for node in found.get("module_init", [])
        if node_text(node.child_by_field_name("declarator").child_by_field_name("declarator"))
        in ("NB_MODULE", "PYBIND11_MODULE")
    ]
    model = BindingModel(tree, text, dialect, bindings, list(unique.values()), project, includes, inits)
    for macro in find_macros(tree, content):
        names = {node_text(n) for n in descendants(macro.tree.root_node, {"identifier"})}
        seeds = macro_seeds(builder, macro, names)
        # The body sees what the file includes, in the file's dialect.
        inner = build_model(macro.tree, macro.snippet, project, seeds, dialect, includes)
        model.macros.append(MacroBinding(macro, inner))
    return model
