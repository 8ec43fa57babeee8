"""The binding model: the one place that understands nanobind and pybind11 syntax.

Rules ask it questions ("method bindings with a `reference` policy") instead of walking trees.
"""

import re
from functools import cached_property
from typing import Iterator, Literal, NamedTuple, Sequence

from tree_sitter import Node, Tree

from nbfix import declarations
from nbfix.casters import first_template_argument, opaque_types
from nbfix.declarations import IndexQueries, ProjectIndex, Signature, classify_type
from nbfix.macros import MacroBody, find_macros
from nbfix.parsing import FUNCTIONS, STATEMENTS, descendants, found_in, parse, shared_nodes
from nbfix.patterns import LazyPattern
from nbfix.records import Fields
from nbfix.returns import returned_expressions, return_roots

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


_BINDING_QUERY = shared_nodes("bindings", """
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
_LOCAL_QUERY = shared_nodes("locals", """
(parameter_declaration) @declaration
(optional_parameter_declaration) @declaration
(declaration) @declaration
""", ("parameter_declaration", "optional_parameter_declaration", "declaration"), lambda node: [{"declaration": [node]}])


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
_MAY_DECLARE_OWNER = LazyPattern(rb"class_|enum_|exception|module|def_|\bauto\b")
_WS = LazyPattern(r"\s+")
_STRING_MAKERS = frozenset({"std::string", "std::to_string", "std::format", "fmt::format"})
_STRING_STREAMS = frozenset({"stringstream", "ostringstream", "basic_stringstream", "basic_ostringstream"})
_BOUND_TYPE = LazyPattern(r"\b(?:class_|enum_)\s*(<)")
_KEEP_ALIVE = LazyPattern(r"^keep_alive<(\d+),(\d+)>\(\)$")


def squash(text: str) -> str:
    """Text with all white space removed, for comparing C++ spellings."""
    return _WS.sub("", text)


def node_text(node: Node) -> str:
    text = node.text  # a new copy of the bytes each time it is asked for
    return text.decode("utf-8", "replace") if text is not None else ""


def code_text(node: Node) -> str:
    """A node's tokens without comments or white space: `nb::rv_policy:: /* x */ reference`
    -> `nb::rv_policy::reference`."""
    text = node_text(node)
    if "/" not in text:
        return squash(text)
    parts = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "comment":
            continue
        if current.child_count == 0 or current.type in ("string_literal", "raw_string_literal"):
            parts.append(node_text(current))
        else:
            stack.extend(reversed(current.children))
    return squash("".join(parts))


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


# ---------------------------------------------------------------------------------------------
# Model types


# Only names that say so: `_core`/`_ext` are often the extension module the package re-exports.
_INTERNAL_MODULE = re.compile(r"(?:^|\.)_?(?:detail|internal|impl)$")


_IMPORT = re.compile(r"module_?\s*::\s*import_?$")


class ModuleBinding(NamedTuple):
    """A module object: the NB_MODULE/PYBIND11_MODULE parameter, a `module_&`, or a submodule."""

    variable: str | None
    submodule: str | None = None


class ClassBinding(Fields):
    """A `class_<T>`/`enum_<T>` binding: the creating expression and where it lives."""

    _fields = ("kind", "cpp_type", "python_name", "node", "variable", "extra_types", "scope")

    def __init__(
        self,
        kind: str,  # "class", "enum" or "exception"
        cpp_type: str,
        python_name: str | None,
        node: Node,  # the class_ call, the declaration creating it, or the parameter receiving it
        variable: str | None = None,
        extra_types: tuple[str, ...] = (),  # further template arguments: bases, trampolines, holders
        scope: "Owner | None" = None,  # what the class is created in: a module or an enclosing class
        tree: Tree | None = None,  # the file's tree, for questions about the chain around `node`
    ) -> None:
        self.kind = kind
        self.cpp_type = cpp_type
        self.python_name = python_name
        self.node = node
        self.variable = variable
        self.extra_types = extra_types
        self.scope = scope
        self.tree = tree

    @property
    def internal(self) -> bool:
        """A `_Private` class, or one created in a `detail`/`_private` module: the package's own
        plumbing, which users meet only through its Python wrappers."""
        if self.python_name is not None and self.python_name.startswith("_"):
            return True
        scope = self.scope
        if isinstance(scope, ClassBinding):
            return scope.internal
        module = scope.submodule if isinstance(scope, ModuleBinding) else None
        return module is not None and _INTERNAL_MODULE.search(module) is not None

    @cached_property
    def short_type(self) -> str:
        """`ns::Outer::T<int>` -> `T`: how declarations index it."""
        return declarations.short_name(self.cpp_type)

    @property
    def creates(self) -> bool:
        """True where the Python class is created (not a `class_<T>&` parameter receiving it)."""
        return self.node.type != "parameter_declaration" and self.python_name is not None

    def statement(self) -> Node:
        """The statement that creates the class (declaration or expression statement)."""
        if self.node.type in STATEMENTS:
            return self.node
        found = self._found()
        if found is not None:
            return found.enclosing(self.node, STATEMENTS) or self.node
        node = self.node
        while node.parent is not None and node.type not in ("declaration", "expression_statement"):
            node = node.parent
        return node

    def _found(self):
        return found_in(self.tree) if self.tree is not None else None

    def chain(self) -> list[Node]:
        """The calls of the `.def(...)` chain that starts at the creating call, innermost (the
        creating call) first. Read by one descent from the statement: walking up with `.parent`
        costs tree-sitter a descent from the root per step, quadratic in a long chain."""
        statement = self.statement()
        path = [statement]
        while path[-1].id != self.node.id:
            child = path[-1].child_with_descendant(self.node)
            if child is None:
                return [self.node]
            path.append(child)
        calls, index = [self.node], len(path) - 1
        while (
            index >= 2 and path[index - 1].type == "field_expression" and path[index - 2].type == "call_expression"
            and path[index - 1].child_by_field_name("argument") == path[index]
        ):
            calls.append(path[index - 2])
            index -= 2
        return calls

    def chain_end(self) -> Node:
        """The outermost call of the `.def(...)` chain that starts at the creating call."""
        return self.chain()[-1]

    def last_binding_call(self) -> Node:
        """The outermost `.def*(...)` call of the chain, before any call that is not a binding
        method (`.freeze()`, `.doc()`): what nbfix appends after, so that the model still sees
        the new call on this class (after a terminator it would not, and every pass would add one)."""
        calls = self.chain()
        last = calls[0]
        for call in calls[1:]:
            field = call.child_by_field_name("function").child_by_field_name("field")
            name = field.text or b"" if field is not None else b""
            if not (name.startswith(b"def") or name in (b"value", b"export_values")):
                break
            last = call
        return last


Owner = ClassBinding | ModuleBinding


class Param(NamedTuple):
    type: str
    name: str | None
    node: Node


class BoundCallable(Fields):
    """What a binding calls: a member pointer, a function, a lambda, an `init<...>`..."""

    __slots__ = _fields = ("kind", "node", "name", "scope", "params", "declared_return", "body", "picked")

    def __init__(
        self,
        kind: Literal["member_pointer", "function", "lambda", "init", "operator", "other"],
        node: Node,
        name: str | None = None,  # `Parent::child` for member pointers, `make` for functions
        scope: str | None = None,  # `Parent` for member pointers
        params: list[Param] | None = None,
        declared_return: str | None = None,  # a lambda's trailing return type or a cast's return type
        body: Node | None = None,
        picked: tuple[str, ...] | None = None,  # the parameter types an `overload_cast<...>` names
    ) -> None:
        self.kind = kind
        self.node = node
        self.name = name
        self.scope = scope
        self.params = [] if params is None else params
        self.declared_return = declared_return
        self.body = body
        self.picked = picked


class Extra(NamedTuple):
    """One annotation after the callable: policy, keep_alive, call_guard, arg, docstring, ..."""

    kind: str  # policy, keep_alive, call_guard, arg, kw_only, doc, sig, is_operator, other
    node: Node  # the annotation's node (for a policy inside for_getter: the inner policy)
    value: object = None  # policy name, (nurse, patient), arg name, guard text
    side: str | None = None  # "getter"/"setter" when wrapped in for_getter/for_setter


class Binding(Fields):
    """One `.def*` call on a class or module object."""

    __slots__ = _fields = ("call", "method", "owner", "python_name", "arguments", "callables", "extras")

    def __init__(
        self,
        call: Node,
        method: str,
        owner: Owner | None,
        python_name: str | None,
        arguments: list[Node],
        callables: list[BoundCallable],
        extras: list[Extra],
    ) -> None:
        self.call = call
        self.method = method
        self.owner = owner
        self.python_name = python_name
        self.arguments = arguments
        self.callables = callables
        self.extras = extras

    @property
    def anchor(self) -> Node:
        """Where to report the binding: its method name (`def` in `.def(`)."""
        return self.call.child_by_field_name("function").child_by_field_name("field")

    @property
    def callable(self) -> BoundCallable | None:
        return self.callables[0] if self.callables else None

    @property
    def is_method(self) -> bool:
        """A binding whose first argument is `self` (RULES.md: method binding)."""
        if not isinstance(self.owner, ClassBinding) or self.method in STATIC_METHODS:
            return False
        if self.python_name in ("__init__", "__new__"):
            return False
        return self.callable is None or self.callable.kind not in ("init", "operator")

    @property
    def is_module_function(self) -> bool:
        return isinstance(self.owner, ModuleBinding)

    def extras_of(self, kind: str) -> list[Extra]:
        return [extra for extra in self.extras if extra.kind == kind]

    @property
    def policy(self) -> Extra | None:
        """The effective return value policy annotation: nanobind and pybind11 take the last one."""
        policies = [e for e in self.extras_of("policy") if e.side in (None, "getter")]
        return policies[-1] if policies else None

    def keeps_alive(self, nurse: int, patient: int) -> bool:
        return any(e.value == (nurse, patient) for e in self.extras_of("keep_alive"))


# ---------------------------------------------------------------------------------------------
# Building the model


class BindingModel(Fields):
    """Everything nbfix knows about the bindings of one file."""

    _fields = ("tree", "text", "dialect", "bindings", "classes", "project", "includes", "module_inits", "macros")

    def __init__(
        self,
        tree: Tree,
        text: str,
        dialect: Dialect,
        bindings: list[Binding],
        classes: list[ClassBinding],
        project: IndexQueries,
        includes: list[str] | None = None,  # this file's include paths, as written
        module_inits: list[Node] | None = None,  # NB_MODULE / PYBIND11_MODULE definitions
        macros: list[MacroBody] | None = None,  # `#define` bodies that bind, parsed
    ) -> None:
        self.tree = tree
        self.text = text
        self.dialect = dialect
        self.bindings = bindings
        self.classes = classes
        self.project = project
        self.includes = [] if includes is None else includes
        self.module_inits = [] if module_inits is None else module_inits
        self.macros = [] if macros is None else macros

    def method_bindings(self) -> Iterator[Binding]:
        return (b for b in self.bindings if b.is_method)

    def bindings_of(self, cls: ClassBinding) -> list[Binding]:
        """Every binding in this file on the same C++ class, wherever its class_ object came from."""
        return self._by_class.get(cls.short_type, [])

    @cached_property
    def _by_class(self) -> dict[str, list[Binding]]:
        grouped: dict[str, list[Binding]] = {}
        for binding in self.bindings:
            if isinstance(binding.owner, ClassBinding):
                grouped.setdefault(binding.owner.short_type, []).append(binding)
        return grouped

    def classes_with(self, python_name: str) -> list[ClassBinding]:
        return [b.owner for b in self.bindings if b.python_name == python_name and isinstance(b.owner, ClassBinding)]

    def has_repr(self, cls: ClassBinding) -> bool:
        """A `__repr__` bound for this class or a bound base, in this file or any file of the run."""
        names = {cls.short_type, *(declarations.short_name(t) for t in cls.extra_types)}
        return any(name in self._reprs_here or name in self.project.reprs for name in names)

    @cached_property
    def _reprs_here(self) -> set[str]:
        return {c.short_type for c in self.classes_with("__repr__")}

    def signatures(self, target: BoundCallable) -> Sequence[Signature] | None:
        """The declared overloads of a member pointer or function, from the project index; only
        those an `overload_cast<...>` picks, when it names parameter types."""
        found = self._declared_overloads(target)
        if found is None or target.picked is None:
            return found
        return [s for s in found if same_parameters(target.picked, s.params)] or None

    def _declared_overloads(self, target: BoundCallable) -> Sequence[Signature] | None:
        if target.kind == "member_pointer" and target.scope and target.name:
            member = self.project.method_signatures(target.scope, declarations.short_name(target.name))
            if member is not None or target.scope in self.project.classes:
                return member
            # `&ns::f` looks like a member pointer but names a function in a namespace.
            return self.project.function_signatures(target.name)
        if target.kind == "function" and target.name:
            return self.project.function_signatures(target.name)
        return None

    def return_types(self, binding: Binding) -> list[str] | None:
        """The visible C++ return types of what a binding calls (one per overload), or None."""
        target = binding.callable
        if target is None:
            return None
        if target.declared_return is not None:
            return [target.declared_return]
        if binding.method in FIELD_METHODS:
            return None  # a field getter returns a reference to the field
        signatures = self.signatures(target)
        return [s.returns for s in signatures] if signatures else None

    def declarations_of(self, node: Node, type_name: str) -> list[Node]:
        """Declarations below `node` whose type is this dialect's `type_name`
        (e.g. `nb::gil_scoped_release release;`), in source order."""
        return [
            d for d in found_in(self.tree).within(_LOCAL_QUERY, "declaration", node)
            if d.type == "declaration" and d.child_by_field_name("type") is not None
            and self.dialect.strip(code_text(d.child_by_field_name("type"))) == type_name
        ]

    def declared_type(self, name: str, at: Node) -> str | None:
        """The type a local variable or parameter `name` was declared with, as seen from `at`
        (the nearest declaration before it in the enclosing functions), with `*`/`&` kept."""
        found = self.declaration_of(name, at)
        return found[1] if found is not None else None

    def declaration_of(self, name: str, at: Node) -> tuple[Node, str, Node | None] | None:
        """(declaration, type, initial value) of the local variable or parameter `name` as seen
        from `at`: the nearest declaration before it in the enclosing functions."""
        found = found_in(self.tree)
        scope = found.enclosing(at, FUNCTIONS)
        while scope is not None:
            best = None
            for node in found.within(_LOCAL_QUERY, "declaration", scope):
                if node.start_byte > at.start_byte or found.enclosing(node, FUNCTIONS) != scope and node.type == "declaration":
                    continue
                for declarator in node.children_by_field_name("declarator"):
                    core, suffix = declarations.unwrap_declarator(declarator)
                    value = None
                    if core.type == "init_declarator":
                        value = core.child_by_field_name("value")
                        inner = core.child_by_field_name("declarator")
                        core, more = declarations.unwrap_declarator(inner) if inner is not None else (core, "")
                        suffix += more
                    if core.type == "identifier" and node_text(core) == name:
                        best = (node, f"{declarations.base_type(node, declarator)}{suffix}", value)
            if best is not None:
                return best
            scope = found.enclosing(scope, FUNCTIONS)
        return None

    def touches_python(self, node: Node) -> bool:
        """Does this code visibly use the binding library (wrappers, casts, attributes)?"""
        text = code_text(node)
        return any(f"{ns}::" in text for ns in self.dialect.namespaces) or ".attr(" in text or "cast<" in text

    def exchanged_types(self, binding: Binding) -> list[str]:
        """Every visible C++ type a binding passes between C++ and Python: parameters and
        results of its callables (lambdas, declared members and functions), constructor
        arguments, and field types."""
        types: list[str] = []
        for target in binding.callables:
            types.extend(p.type for p in target.params)
            if target.declared_return:
                types.append(target.declared_return)
            if target.kind == "member_pointer" and binding.method in FIELD_METHODS and target.scope and target.name:
                field_type = self.project.field_type(target.scope, declarations.short_name(target.name))
                types.extend([field_type] if field_type else [])
                continue
            if target.kind == "lambda" and not target.declared_return:
                types.extend(self.deduced_returns(target))
            if target.kind == "lambda" or target.declared_return:
                continue
            # Overloads nbfix cannot tell apart (or same-named functions of other namespaces,
            # which the index does not separate): only the types every one of them exchanges.
            per_overload = [[s.returns, *s.params] for s in self.signatures(target) or []]
            if per_overload:
                types.extend(t for t in per_overload[0] if all(t in other for other in per_overload[1:]))
        return types

    def returns_into_self(self, binding: Binding) -> bool:
        """Does the result of a method binding demonstrably live inside `self`: a member that
        holds its value, an element of one, or what such an accessor of the class returns?
        False whenever nbfix cannot tell (static methods, `this`, bodies it cannot see)."""
        target, owner = binding.callable, binding.owner
        if target is None or not isinstance(owner, ClassBinding):
            return False
        if target.kind == "member_pointer" and target.scope and target.name:
            member = declarations.short_name(target.name)
            if binding.method in FIELD_METHODS:
                field_type = self.project.field_type(target.scope, member)
                return field_type is not None and declarations.holds_its_value(field_type)
            return self.project.returns_into_self(target.scope, member)
        if target.kind == "lambda" and target.body is not None and target.params and target.params[0].name:
            names = tuple(p.name for p in target.params)
            roots = return_roots(target.body, self_name=names[0], params=names[1:])
            return self.project.points_into(owner.short_type, roots, pointer_only=target.declared_return is None)
        return False

    def deduced_returns(self, target: BoundCallable) -> list[str]:
        """The types a lambda without a `-> T` result returns, where its `return` expressions
        show them: `ss.str()` of a string stream, `std::string(...)`, `std::to_string(...)`, a
        method of a parameter's class whose declaration is given, a local of declared type."""
        if target.body is None:
            return []
        params = {p.name: p.type for p in target.params if p.name}
        found = []
        for statement in returned_expressions(target.body):
            type_text = self.expression_type(statement, params)
            if type_text is not None and type_text not in found:
                found.append(type_text)
        return found

    def expression_type(self, node: Node, params: dict[str, str]) -> str | None:
        while node.type == "parenthesized_expression" and node.named_children:
            node = node.named_children[0]
        if node.type == "binary_expression" and node.child_by_field_name("operator") is not None and (
            node_text(node.child_by_field_name("operator")) == "+"
        ):
            sides = [node.child_by_field_name("left"), node.child_by_field_name("right")]
            kinds = [self.expression_type(side, params) for side in sides if side is not None]
            return "std::string" if "std::string" in kinds else None
        if node.type == "identifier":
            name = node_text(node)
            return params.get(name) or self.declared_type(name, node)
        if node.type != "call_expression":
            return None
        function = node.child_by_field_name("function")
        if function is None:
            return None
        callee = squash(node_text(function))
        if callee in _STRING_MAKERS:
            return "std::string"
        if function.type != "field_expression":
            return None
        obj, field = function.child_by_field_name("argument"), function.child_by_field_name("field")
        if obj is None or field is None or obj.type != "identifier":
            return None
        method = node_text(field)
        obj_type = params.get(node_text(obj)) or self.declared_type(node_text(obj), node)
        if obj_type is None:
            return None
        class_name = declarations.short_name(squash_type(obj_type).replace("const", "").rstrip("*& "))
        if method == "str" and class_name in _STRING_STREAMS:
            return "std::string"
        signatures = self.project.method_signatures(class_name, method)
        returns = {s.returns for s in signatures or ()}
        return returns.pop() if len(returns) == 1 else None

    def returns_value_only(self, binding: Binding) -> bool:
        """True when every visible return type is a plain value: no policy can make it dangle."""
        types = self.return_types(binding)
        return bool(types) and all(classify_type(t) == "value" for t in types)


class _Builder:
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
        found = found_in(self.tree).captures(_BINDING_QUERY)
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


def string_value(node: Node | None) -> str | None:
    """The text of a string literal (raw or not, concatenated or not), or None."""
    if node is None:
        return None
    if node.type == "string_literal":
        return "".join(
            _unescape(node_text(c)) if c.type == "escape_sequence" else node_text(c)
            for c in node.named_children
            if c.type in ("string_content", "escape_sequence")
        )
    if node.type == "raw_string_literal":
        content = [c for c in node.named_children if c.type == "raw_string_content"]
        return node_text(content[0]) if content else ""
    if node.type == "concatenated_string":
        parts = [string_value(c) for c in node.named_children]
        return "".join(p for p in parts if p is not None)
    return None


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'", "?": "?", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def _unescape(sequence: str) -> str:
    """A C escape sequence as the character it stands for (unknown ones stay as written)."""
    return _ESCAPES.get(sequence[1:], sequence) if len(sequence) == 2 else sequence


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


def cast_callable(node: Node, builder: _Builder) -> BoundCallable:
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


def same_parameters(picked: Sequence[str], declared: Sequence[str]) -> bool:
    """Do an `overload_cast`'s types name these declared parameters (qualifiers aside)?"""
    def core(text: str) -> str:
        return declarations.short_name(text.replace("&", " ").replace("*", " ").replace("const ", " "))
    return len(picked) == len(declared) and all(core(a) == core(b) for a, b in zip(picked, declared))


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


def inside_try(node: Node, stop: Node | None = None) -> bool:
    """Is `node` inside a `try` block, looking up to `stop` or the enclosing function?"""
    current = node.parent
    while current is not None and current != stop:
        if current.type == "try_statement":
            return True
        if current.type in ("function_definition", "lambda_expression"):
            return False
        current = current.parent
    return False


def squash_type(text: str) -> str:
    return " ".join(text.split())


_EXTENSION = LazyPattern(rb"\b(?:NB_MODULE|PYBIND11_MODULE)\s*\(\s*(\w+)")
_MODULE_SUFFIX = LazyPattern(rb"_MODULE\b")
_REGISTERED = LazyPattern(rb"\b(?:exception|register_exception|register_local_exception)\s*<\s*([\w:]+)\s*>\s*\(")
_CAUGHT = LazyPattern(rb"\bcatch\s*\(\s*(?:const\s+)?([\w:]+)\s*&")


def registered_exceptions(content: bytes) -> set[str]:
    """Exception classes a file registers: `exception<T>(...)`, `register_exception<T>(...)`, or
    a `register_exception_translator` that catches `T&`."""
    if b"exception" not in content:  # in every spelling; a scan for the pattern costs about 15 ms per MB
        return set()
    names = {declarations.short_name(m[1].decode()) for m in _REGISTERED.finditer(content)}
    if b"register_exception_translator" in content:
        names |= {declarations.short_name(m[1].decode()) for m in _CAUGHT.finditer(content)}
    return names


def bound_types(content: bytes) -> set[str]:
    """The C++ types this file binds: `class_<T>`, `enum_<T>`, opaque containers (squashed).
    No file of the project may add a type caster for a bound `std::` type (nanobind refuses to
    compile one, and elsewhere it silently takes over its conversions); a bound type converts."""
    if b"class_" not in content and b"enum_" not in content and b"OPAQUE" not in content and b"bind_" not in content:
        return set()
    text = content.decode("utf-8", "replace")
    found = opaque_types(text) if b"OPAQUE" in content or b"bind_" in content else set()
    for hit in _BOUND_TYPE.finditer(text):
        found.add(first_template_argument(text, hit.start(1)))
    if b"using" in content or b"typedef" in content:  # `NB_MAKE_OPAQUE(info_map)` binds what the alias names
        aliases = {m["name"] or m["name2"]: "".join((m["type"] or m["type2"]).split()) for m in _TYPE_ALIAS.finditer(text)}
        found |= {aliases[t] for t in found if t in aliases}
    return {t.lstrip(":") for t in found if t}


_TYPE_ALIAS = LazyPattern(
    r"\busing\s+(?P<name>\w+)\s*=\s*(?:typename\s+)?(?P<type>[^;{}]+);|\btypedef\s+(?P<type2>[^;{}]+?)\s*\b(?P<name2>\w+)\s*;"
)


def extension_modules(content: bytes) -> set[str]:
    """The names in `NB_MODULE(name, m)` and `PYBIND11_MODULE(name, m)`: what `_EXTENSION.finditer`
    finds, but the pattern is tried only where `_MODULE` is (ten times faster than a scan)."""
    names = set()
    end = 0
    for hit in _MODULE_SUFFIX.finditer(content):
        for start in (hit.start() - len(b"PYBIND11"), hit.start() - len(b"NB")):
            found = _EXTENSION.match(content, start) if start >= max(end, 0) else None
            if found is not None:
                names.add(found[1].decode())
                end = found.end()
    return names


_PRIVATE_CLASS = LazyPattern(rb'\bclass_\s*<[^;]{0,300}?>\s*\w*\s*\(\s*[\w:]+\s*,\s*"_')
_BOUND_POINTER = LazyPattern(rb'\.def\w*\s*\(\s*"[^"]*"\s*,\s*&\s*((?:\w+\s*::\s*)*\w+)')


def callees_by_visibility(content: bytes) -> tuple[set[str], set[str]]:
    """(private, public): the functions (short names) bound as `&f` in a chain on a class whose
    Python name starts with `_`, and those bound as `&f` anywhere else. A private class is the
    package's own plumbing: its Python wrapper checks what users pass."""
    private: set[str] = set()
    # The chain's extent from the text: an `#if` inside a chain splits it in the tree.
    hits = _PRIVATE_CLASS.finditer(content) if b'"_' in content else ()
    spans = [(hit.start(), statement_end(content, hit.start())) for hit in hits]
    public = set()
    for hit in _BOUND_POINTER.finditer(content):
        name = declarations.short_name(re.sub(r"\s+", "", hit[1].decode()))
        (private if any(a <= hit.start() < b for a, b in spans) else public).add(name)
    return private - public, public


_OPEN, _CLOSE = b"([{", b")]}"


def statement_end(content: bytes, start: int) -> int:
    """Where the statement that starts at `start` ends: its first `;` outside brackets, string
    and character literals and comments (or the end of the content)."""
    depth, i, n = 0, start, len(content)
    while i < n:
        c = content[i]
        if c in b"\"'":
            i += 1
            while i < n and content[i] != c:
                i += 2 if content[i] == 0x5C else 1  # backslash escapes
        elif content.startswith(b"//", i):
            i = content.find(b"\n", i)
            i = n if i < 0 else i
        elif content.startswith(b"/*", i):
            i = content.find(b"*/", i + 2)
            i = n if i < 0 else i + 1
        elif c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth -= 1
        elif c == 0x3B and depth <= 0:  # ;
            return i
        i += 1
    return n


def binding_facts(tree: Tree, content: bytes) -> ProjectIndex:
    """What other files need to know about this file's bindings, as plain data:
    the C++ classes it binds a `__repr__` for, and the exceptions it registers."""
    facts = ProjectIndex()
    facts.registered_exceptions = registered_exceptions(content)
    facts.extension_modules = extension_modules(content)
    facts.bound_types = bound_types(content)
    if b".def" in content:
        facts.private_callees, facts.public_callees = callees_by_visibility(content)
    if b"__repr__" in content:
        facts.reprs = repr_classes(tree, content)
    return facts


def repr_classes(tree: Tree, content: bytes) -> set[str]:
    """Classes this file binds `__repr__` for: only those calls' owners are resolved, not the
    whole model (this runs for every file before any rule does)."""
    text = content.decode("utf-8")
    found_captures = file_captures(tree)
    builder = _Builder(tree, text, detect_dialect(found_captures, text))
    builder.module_parameters(found_captures)
    builder.collect_variables()
    found = set()
    for match in found_in(tree).matches(_BINDING_QUERY):
        args = [a for a in match["args"][0].named_children if a.type != "comment"]
        if node_text(match["method"][0]) == "def" and args and string_value(args[0]) == "__repr__":
            owner = builder.resolve(match["object"][0])
            if isinstance(owner, ClassBinding):
                found.add(owner.short_type)
    return found


def _invocation_matches(call: Node) -> list[dict]:
    function, args = call.child_by_field_name("function"), call.child_by_field_name("arguments")
    if function is None or function.type != "identifier" or args is None or args.type != "argument_list":
        return []
    return [{"name": [function], "args": [args], "call": [call]}]


_INVOCATIONS = shared_nodes(
    "invocations", "(call_expression function: (identifier) @name arguments: (argument_list) @args) @call",
    ("call_expression",), _invocation_matches,
)


def macro_seeds(builder: _Builder, macro: MacroBody, identifiers: set[str]) -> dict[str, Owner]:
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


def build_model(
    tree: Tree, content: bytes, project: IndexQueries | None = None, seeds: dict[str, Owner] | None = None
) -> BindingModel:
    text = content.decode("utf-8")
    found = file_captures(tree)
    dialect = detect_dialect(found, text)
    builder = _Builder(tree, text, dialect)
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
    includes = [declarations.include_path(node) for node in found.get("include", [])]
    inits = [
        node for node in found.get("module_init", [])
        if node_text(node.child_by_field_name("declarator").child_by_field_name("declarator"))
        in ("NB_MODULE", "PYBIND11_MODULE")
    ]
    model = BindingModel(tree, text, dialect, bindings, list(unique.values()), project, includes, inits)
    for macro in find_macros(tree, content):
        snippet_tree = parse(macro.snippet)
        names = {node_text(n) for n in descendants(snippet_tree.root_node, {"identifier"})}
        macro.seeds = macro_seeds(builder, macro, names)
        macro.model = build_model(snippet_tree, macro.snippet, project, macro.seeds)
        macro.model.dialect = dialect
        macro.model.includes = includes  # what the file includes, the macro body sees
        model.macros.append(macro)
    return model
