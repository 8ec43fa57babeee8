"""The binding model: the one place that understands nanobind and pybind11 syntax.

Rules ask it questions ("method bindings with a `reference` policy") instead of walking trees.
"""

import re
from functools import cached_property
from typing import Iterator, Literal, NamedTuple, Sequence

from tree_sitter import Node, Tree

from nbfix.core.records import Fields
from nbfix.cpp.macros import MacroBody
from nbfix.cpp.parsing import FUNCTIONS, STATEMENTS, found_in, shared_nodes
from nbfix.cpp.returns import return_roots, returned_expressions
from nbfix.cpp.syntax import code_text, node_text, squash, squash_type
from nbfix.index import declarations
from nbfix.index.declarations import IndexQueries, Param, Signature, classify_type
from nbfix.model.dialect import FIELD_METHODS, STATIC_METHODS, Dialect

_STRING_MAKERS = frozenset({"std::string", "std::to_string", "std::format", "fmt::format"})
_STRING_STREAMS = frozenset({"stringstream", "ostringstream", "basic_stringstream", "basic_ostringstream"})


# ---------------------------------------------------------------------------------------------
# Model types


# Only names that say so: `_core`/`_ext` are often the extension module the package re-exports.
_INTERNAL_MODULE = re.compile(r"(?:^|\.)_?(?:detail|internal|impl)$")




_LOCAL_QUERY = shared_nodes("locals", """
(parameter_declaration) @declaration
(optional_parameter_declaration) @declaration
(declaration) @declaration
""", ("parameter_declaration", "optional_parameter_declaration", "declaration"), lambda node: [{"declaration": [node]}])


def _direct_initialised(declaration: Node, declarator: Node) -> bool:
    """`T name(x, y);` in a function body, which tree-sitter reads as the declaration of a
    function taking types `x` and `y`: a variable made from other variables (a local function
    declaration with only named types for parameters is rare enough to read so)."""
    parent = declaration.parent
    parameters = declarator.child_by_field_name("parameters")
    if parent is None or parent.type != "compound_statement" or parameters is None or not parameters.named_children:
        return False
    return all(
        p.type == "parameter_declaration" and p.child_by_field_name("declarator") is None
        and (p.child_by_field_name("type") is not None and p.child_by_field_name("type").type == "type_identifier")
        for p in parameters.named_children
    )


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


def _bare(type_text: str) -> str:
    """`const std::vector<int> &` -> `std::vector<int>`."""
    return squash(type_text).replace("const", "").rstrip("&*")


_RANGE_LOOPS = frozenset({"for_range_loop"})
_SEQUENCES = ("std::vector<", "std::list<", "std::deque<", "std::set<", "std::unordered_set<", "std::array<", "std::span<")


def _element(container: str | None) -> str | None:
    """`std::vector<std::string>` -> `std::string` (the first template argument of a sequence)."""
    bare = _bare(container) if container is not None else ""
    if not bare.startswith(_SEQUENCES) or not bare.endswith(">"):
        return None
    inner, depth = bare[bare.index("<") + 1:-1], 0
    for i, char in enumerate(inner):
        depth += (char == "<") - (char == ">")
        if char == "," and depth == 0:
            return inner[:i]
    return inner


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
        macros: "list[MacroBinding] | None" = None,  # `#define` bodies that bind, modelled
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
                    if core.type == "function_declarator" and _direct_initialised(node, core):
                        core = core.child_by_field_name("declarator")  # `std::string_view word(text);`
                    if core is not None and core.type == "identifier" and node_text(core) == name:
                        best = (node, f"{declarations.base_type(node, declarator)}{suffix}", value)
            if best is not None:
                return best
            scope = found.enclosing(scope, FUNCTIONS)
        return None

    def value_type(self, name: str, at: Node, depth: int = 0) -> str | None:
        """The type of the local or parameter `name` as seen from `at`: as declared, or for
        `auto` what nbfix can see its initialiser give (a method the project declares, called on
        a typed variable: xgrammar's `const auto &vocab = tokenizer.GetDecodedVocab();`), or for a
        range-for variable the element of a typed `std::` sequence it runs over."""
        found = self.declaration_of(name, at)
        if found is not None:
            _, declared, value = found
            if _bare(declared) != "auto":
                return declared
            return self._expression_type(value, depth) if value is not None and depth < 4 else None
        loop = found_in(self.tree).enclosing(at, _RANGE_LOOPS)
        while loop is not None:
            declarator, right = loop.child_by_field_name("declarator"), loop.child_by_field_name("right")
            if declarator is not None and node_text(declarator).lstrip("&* ") == name and right is not None:
                written = loop.child_by_field_name("type")
                if written is not None and _bare(node_text(written)) != "auto":
                    return node_text(written)
                return _element(self._expression_type(right, depth)) if depth < 4 else None
            loop = found_in(self.tree).enclosing(loop, _RANGE_LOOPS)
        return None

    def _expression_type(self, node: Node, depth: int) -> str | None:
        """The type of a variable, or of `v.method()` / `p->method()` where the method's class and
        its one declared result are known."""
        if node.type == "identifier":
            return self.value_type(node_text(node), node, depth + 1)
        if node.type != "call_expression" or (node.child_by_field_name("arguments") is None):
            return None
        function = node.child_by_field_name("function")
        if function is None or function.type != "field_expression":
            return None
        receiver, field = function.child_by_field_name("argument"), function.child_by_field_name("field")
        if receiver is None or field is None or receiver.type != "identifier":
            return None
        owner = self.value_type(node_text(receiver), receiver, depth + 1)
        if owner is None:
            return None
        scope = _bare(owner).split("<")[0].rsplit("::", 1)[-1]
        results = {squash(s.returns): s.returns for s in self.project.method_signatures(scope, node_text(field)) or ()}
        return next(iter(results.values())) if len(results) == 1 else None

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


def same_parameters(picked: Sequence[str], declared: Sequence[str]) -> bool:
    """Do an `overload_cast`'s types name these declared parameters (qualifiers aside)?"""
    def core(text: str) -> str:
        return declarations.short_name(text.replace("&", " ").replace("*", " ").replace("const ", " "))
    return len(picked) == len(declared) and all(core(a) == core(b) for a, b in zip(picked, declared))


class MacroBinding(NamedTuple):
    """A `#define` body that binds something, with the binding model of its snippet."""

    body: MacroBody
    model: BindingModel
