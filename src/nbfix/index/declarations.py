"""C++ declarations indexed across every file of a run, as small plain data (no trees kept).

Rules use it to see what a member pointer or function returns ("visible" types in RULES.md).
"""

import posixpath
import sys
from typing import TYPE_CHECKING, Any, Collection, Iterable, Iterator, Literal, Mapping, NamedTuple, Sequence

from nbfix.core.patterns import LazyPattern
from nbfix.core.records import Fields
from nbfix.cpp.parsing import disabled_regions, found_in, include_path, shared_nodes
from nbfix.cpp.returns import parameter_names, return_roots

if TYPE_CHECKING:  # facts are merged and cached without loading the parser
    from tree_sitter import Node, Tree

_QUERY = """
(preproc_include path: (_) @include)
(enum_specifier name: (_) @enum_name body: (enumerator_list)) @enum
(translation_unit (template_declaration) @template)
(namespace_definition body: (declaration_list (template_declaration) @template))
(class_specifier name: (_) @name body: (field_declaration_list) @body) @class
(struct_specifier name: (_) @name body: (field_declaration_list) @body) @class
(translation_unit (function_definition) @function)
(namespace_definition body: (declaration_list (function_definition) @function))
(translation_unit (declaration declarator: (_) @declarator) @declaration)
(namespace_definition body: (declaration_list (declaration declarator: (_) @declarator) @declaration))
(translation_unit (preproc_if (template_declaration) @template))
(translation_unit (preproc_ifdef (template_declaration) @template))
(namespace_definition body: (declaration_list (preproc_if (template_declaration) @template)))
(namespace_definition body: (declaration_list (preproc_ifdef (template_declaration) @template)))
(translation_unit (preproc_if (function_definition) @function))
(translation_unit (preproc_ifdef (function_definition) @function))
(namespace_definition body: (declaration_list (preproc_if (function_definition) @function)))
(namespace_definition body: (declaration_list (preproc_ifdef (function_definition) @function)))
(translation_unit (preproc_if (declaration declarator: (_) @declarator) @declaration))
(translation_unit (preproc_ifdef (declaration declarator: (_) @declarator) @declaration))
(namespace_definition body: (declaration_list (preproc_if (declaration declarator: (_) @declarator) @declaration)))
(namespace_definition body: (declaration_list (preproc_ifdef (declaration declarator: (_) @declarator) @declaration)))
"""


_CONDITIONAL_BLOCKS = ("preproc_if", "preproc_ifdef")


def _top_level(node: "Node") -> bool:
    """Directly in the file or in a namespace's body, or in the first branch of an `#if` there
    (pyopencl declares its version-dependent factories under `#if PYOPENCL_CL_VERSION >= ...`)."""
    parent = node.parent
    if parent is not None and parent.type in _CONDITIONAL_BLOCKS:
        parent = parent.parent
    if parent is None:
        return False
    if parent.type == "translation_unit":
        return True
    owner = parent.parent
    return parent.type == "declaration_list" and owner is not None and owner.type == "namespace_definition" and (
        owner.child_by_field_name("body") == parent
    )


def include_matches(node: "Node") -> list[dict]:
    """`(preproc_include path: (_) @include)` at an include directive."""
    path = node.child_by_field_name("path")
    return [{"include": [path]}] if path is not None and path.is_named else []


def _declaration_matches(node: "Node") -> list[dict]:
    kind = node.type
    if kind == "preproc_include":
        return include_matches(node)
    if kind in ("class_specifier", "struct_specifier", "enum_specifier"):
        name, body = node.child_by_field_name("name"), node.child_by_field_name("body")
        if name is None or body is None or not name.is_named:
            return []
        if kind == "enum_specifier":
            return [{"enum_name": [name], "enum": [node]}] if body.type == "enumerator_list" else []
        return [{"name": [name], "body": [body], "class": [node]}] if body.type == "field_declaration_list" else []
    if not _top_level(node):
        return []
    if kind == "template_declaration":
        return [{"template": [node]}]
    if kind == "function_definition":
        return [{"function": [node]}]
    return [{"declarator": [d], "declaration": [node]} for d in node.children_by_field_name("declarator") if d.is_named]


_DECLARATIONS = shared_nodes(
    "declarations", _QUERY,
    ("preproc_include", "enum_specifier", "template_declaration", "class_specifier", "struct_specifier",
     "function_definition", "declaration"),
    _declaration_matches,
)
_SPECIFIERS = LazyPattern(r"\b(static|virtual|inline|constexpr|explicit|friend|extern)\b|\[\[[^\]]*\]\]")
TypeKind = Literal["pointer", "reference", "value", "unknown"]
# The standard library's exception classes: a class deriving from any of them is an exception.
STD_EXCEPTIONS = frozenset({
    "exception", "bad_alloc", "bad_cast", "bad_typeid", "bad_function_call", "bad_optional_access",
    "bad_variant_access", "logic_error", "domain_error", "invalid_argument", "length_error",
    "out_of_range", "runtime_error", "range_error", "overflow_error", "underflow_error",
    "system_error", "ios_base::failure", "failure",
})


_TEMPLATE_ARGS = LazyPattern(r"<[^<>]*>")


# Folders that hold other people's code a project carries along (and their tests): what is
# declared there is not the project's to bind.
VENDORED_FOLDERS = frozenset({"third_party", "thirdparty", "3rdparty", "external", "extern", "vendor", "vendored", "deps"})


def vendored(path: str, beside: str) -> bool:
    """Does a (posix) path lie in a vendored folder (`third_party/json/...`) below the folder it
    shares with `beside` (the file asking)? A project that itself lives in `extern/` is not."""
    shared = posixpath.commonpath([path, beside]) if path.startswith("/") == beside.startswith("/") else ""
    below = path[len(shared):].lstrip("/") if shared else path
    return not VENDORED_FOLDERS.isdisjoint(below.lower().split("/")[:-1])


def short_name(text: str) -> str:
    """`ns::Outer::T<int, U<V>>` -> `T`."""
    while "<" in text:
        stripped = _TEMPLATE_ARGS.sub("", text)
        if stripped == text:
            break
        text = stripped
    return text.strip().rpartition("::")[2].strip()


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


_NOT_OWNING = LazyPattern(r"\*|&\s*$|\b(?:weak_ptr|reference_wrapper|span|string_view|observer_ptr)\b")


def holds_its_value(field_type: str) -> bool:
    """Does a member of this type own what it gives access to? A raw pointer, a reference, a
    view or a container of raw pointers points at objects someone else may own."""
    return not _NOT_OWNING.search(field_type)


class Param(NamedTuple):
    """One parameter: its type (with its `*`/`&`) and its name when it has one."""

    type: str
    name: str | None
    node: Any  # a tree_sitter Node; a string annotation would cost a compile() at import


class Signature(NamedTuple):
    returns: str
    params: tuple[str, ...] = ()


# A big project repeats the same few signatures and type spellings thousands of times: a merged
# in-memory index keeps one object for each (its memory stays a fraction of the source size).
Shared = dict["Signature", "Signature"]


def _shared(signature: Signature, shared: Shared | None) -> Signature:
    if shared is None:
        return signature
    found = shared.get(signature)
    if found is None:
        found = Signature(sys.intern(signature.returns), tuple(sys.intern(p) for p in signature.params))
        shared[found] = found
    return found


class ClassDecl(Fields):
    __slots__ = _fields = (
        "name", "bases", "methods", "templated_methods", "fields", "qualified", "defined_in", "static_methods",
        "method_returns",
    )

    def __init__(
        self,
        name: str,
        bases: list[str] | None = None,
        methods: dict[str, Sequence[Signature]] | None = None,  # one per overload
        templated_methods: set[str] | None = None,
        fields: dict[str, str] | None = None,  # name -> type
        qualified: str | None = None,  # `ns::Name` where the class body is defined
        defined_in: str | None = None,  # the file holding the class body
        static_methods: set[str] | None = None,  # methods with a `static` overload
        method_returns: dict[str, tuple[str, ...]] | None = None,  # method -> its bodies' return roots
    ) -> None:
        self.name = name
        self.bases = [] if bases is None else bases
        self.methods = {} if methods is None else methods
        self.templated_methods = set() if templated_methods is None else templated_methods
        self.fields = {} if fields is None else fields
        self.qualified = qualified
        self.defined_in = defined_in
        self.static_methods = set() if static_methods is None else static_methods
        self.method_returns = {} if method_returns is None else method_returns


def merge_class(mine: ClassDecl, decl: ClassDecl, shared: Shared | None = None) -> None:
    """Add one file's view of a class to the merged one (the first body seen names it)."""
    mine.bases.extend(b for b in decl.bases if b not in mine.bases)
    mine.qualified = mine.qualified or decl.qualified
    mine.defined_in = mine.defined_in or decl.defined_in
    for method, signatures in decl.methods.items():
        method = sys.intern(method) if shared is not None else method
        known = mine.methods.get(method, ())
        mine.methods[method] = (*known, *(_shared(s, shared) for s in signatures if s not in known))
    mine.templated_methods |= decl.templated_methods
    mine.static_methods |= decl.static_methods
    for method, roots in decl.method_returns.items():
        known_roots = mine.method_returns.get(method, ())
        mine.method_returns[method] = (*known_roots, *(r for r in roots if r not in known_roots))
    if shared is not None:
        mine.fields.update((sys.intern(k), sys.intern(v)) for k, v in decl.fields.items())
    else:
        mine.fields.update(decl.fields)


def merge_signatures(known: list[Signature], signatures: Iterable[Signature], shared: Shared | None = None) -> None:
    known.extend(_shared(s, shared) for s in signatures if s not in known)


def include_matches_path(path: str, include: str) -> bool:
    """Can `#include "<include>"` name the file at `path` (matched on trailing path components)?"""
    return path == include or path.endswith("/" + include)


class IndexQueries:
    """What rules ask of the merged index, over `classes`, `functions`, `reprs`, ... and two
    primitives: `resolve_include` and `included_by`. The index is either in memory
    (`ProjectIndex`) or, for big runs, in a file (`nbfix.stored_index.StoredIndex`)."""

    classes: Mapping[str, ClassDecl]
    functions: Mapping[str, list[Signature]]
    _exceptions: dict[str, bool]

    def resolve_include(self, include: str) -> list[str]:
        """The given files an include path can name."""
        raise NotImplementedError

    def included_by(self, path: str) -> list[str]:
        """The includes of a given file."""
        raise NotImplementedError

    def exception_classes(self, extra: Collection[str] = ()) -> list[str]:
        """Classes with a body that derive from a standard exception (or are named in `extra`),
        in the order the index first saw them."""
        raise NotImplementedError

    def reachable_files(self, own: Iterable[str]) -> set[str]:
        """The given files a file with includes `own` sees, directly or through other headers."""
        return {path for include in self.reachable_includes(own) for path in self.resolve_include(include)}

    def reachable_includes(self, own: Iterable[str]) -> set[str]:
        """Every include path seen from a file with includes `own`, through the given headers."""
        result = set(own)
        pending = list(result)
        visited: set[str] = set()
        while pending:
            for path in self.resolve_include(pending.pop()):
                if path in visited:
                    continue
                visited.add(path)
                for include in self.included_by(path):
                    if include not in result:
                        result.add(include)
                        pending.append(include)
        return result

    def lineage(self, name: str) -> Iterator[ClassDecl]:
        """The given class and its given bases, nearest first, each once."""
        seen: set[str] = set()
        pending = [short_name(name)]
        while pending:
            current = pending.pop(0)
            if current in seen:
                continue
            decl = self.classes.get(current)
            if decl is None:
                continue
            seen.add(current)
            yield decl
            pending.extend(decl.bases)

    def method_signatures(self, scope: str, member: str) -> Sequence[Signature] | None:
        """The overloads of `scope::member`, looked up through base classes; None if unknown
        or if the set contains a template."""
        for decl in self.lineage(scope):
            if member in decl.templated_methods:
                return None
            if member in decl.methods:
                return decl.methods[member]
        return None

    def bound_short_names(self) -> tuple[set[str], set[str]]:
        """(short names of every bound type, the bound `std::` types as written), computed once
        per index state (`merge` forgets them)."""
        memo = self.__dict__.get("_bound")
        if memo is None:
            names = list(self.bound_types)
            memo = ({short_name(n) for n in names}, {n for n in names if n.startswith("std::")})
            self.__dict__["_bound"] = memo
        return memo

    def is_static_method(self, scope: str, member: str) -> bool:
        return any(member in decl.static_methods for decl in self.lineage(scope))

    def points_into(self, scope: str, roots: Sequence[str], pointer_only: bool = False, depth: int = 0) -> bool:
        """Do results with these return roots demonstrably live inside an object of class
        `scope`: each one a member that holds its value (or part of one), what another such
        method returns, or null, and at least one not null? `pointer_only`: each must also be a
        pointer by its syntax (a lambda with a deduced result type returns anything else by value)."""
        inside = False
        for root in roots:
            if root == "null":
                continue
            pointer = root.startswith("&")
            kind, _, name = root.lstrip("&").partition(":")
            if pointer_only and not pointer:
                return False
            if kind == "member":
                field_type = self.field_type(scope, name)
                if field_type is None or not holds_its_value(field_type):
                    return False
            elif kind == "call" and depth < 3:
                if self.method_signatures(scope, name) is None or not self.returns_into_self(scope, name, depth + 1):
                    return False
            else:
                return False
            inside = True
        return inside

    def returns_into_self(self, scope: str, member: str, depth: int = 0) -> bool:
        """Does every visible body of method `scope::member` return something inside `*this`?
        False when it is static or no body is visible."""
        if self.is_static_method(scope, member):
            return False
        for decl in self.lineage(scope):
            if member in decl.methods:
                roots = decl.method_returns.get(member, ())
                return bool(roots) and self.points_into(decl.name, roots, depth=depth)
        return False

    def is_exception(self, name: str) -> bool:
        """Does class `name` derive from a standard exception, directly or through given classes?"""
        key = short_name(name)
        if key not in self._exceptions:
            self._exceptions[key] = any(STD_EXCEPTIONS.intersection(d.bases) for d in self.lineage(key))
        return self._exceptions[key]

    def derives_from(self, name: str, base: str) -> bool:
        """Does class `name` derive from `base` (short names), directly or through given classes?"""
        return any(base in decl.bases for decl in self.lineage(name))

    def function_signatures(self, name: str) -> list[Signature] | None:
        return self.functions.get(short_name(name))

    def field_type(self, scope: str, member: str) -> str | None:
        for decl in self.lineage(scope):
            if member in decl.fields:
                return decl.fields[member]
        return None


class RefreshedIndex(IndexQueries):
    """A project's index completed with the classes and functions of one file's current text
    that it lacks: a fix pass that mended a parse error shows the declarations the file's first
    parse hid, so a second run finds nothing more to do. What the index knew stays as it was."""

    def __init__(self, base: IndexQueries, fresh: "ProjectIndex") -> None:
        from collections import ChainMap

        self._base = base
        self.classes = ChainMap(base.classes, fresh.classes)  # type: ignore[arg-type]
        self.functions = ChainMap(base.functions, fresh.functions)  # type: ignore[arg-type]

    def __getattr__(self, name: str):
        return getattr(self._base, name)

    def resolve_include(self, include: str) -> list[str]:
        return self._base.resolve_include(include)

    def included_by(self, path: str) -> list[str]:
        return self._base.included_by(path)

    def exception_classes(self, extra: Collection[str] = ()) -> list[str]:
        return self._base.exception_classes(extra)


class ProjectIndex(Fields, IndexQueries):
    """Class and function declarations from every file nbfix was given, in memory: one file's
    facts, or the merged index of a small run."""

    _fields = (
        "classes", "functions", "includes", "reprs", "registered_exceptions", "enums", "templated_functions",
        "extension_modules", "bound_types", "private_callees", "public_callees", "none_values",
    )

    def __init__(self) -> None:
        self.classes: dict[str, ClassDecl] = {}
        self.functions: dict[str, list[Signature]] = {}
        self.includes: dict[str, list[str]] = {}  # file (posix path) -> its includes
        self.reprs: set[str] = set()  # classes (short names) some file binds __repr__ for
        self.registered_exceptions: set[str] = set()  # short names some file registers
        self.enums: dict[str, bool] = {}  # enum (short name) -> is scoped (enum class)
        self.templated_functions: set[str] = set()  # free function templates (short names)
        self.extension_modules: set[str] = set()  # NB_MODULE/PYBIND11_MODULE names
        self.bound_types: set[str] = set()  # types some file binds (class_, enum_, opaque), squashed
        self.private_callees: set[str] = set()  # functions some file binds `&f` on a `_Private` class
        self.public_callees: set[str] = set()  # functions some file binds `&f` elsewhere
        self.none_values: set[str] = set()  # `std::monostate` constants: what a variant gets for None
        self._exceptions: dict[str, bool] = {}  # memo
        self._signatures: Shared = {}  # see `_shared`

    def __getstate__(self) -> dict:  # the two tables above are rebuilt where needed, never sent
        return {k: v for k, v in self.__dict__.items() if k not in ("_exceptions", "_signatures", "_bound", "_resolved")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, _exceptions={}, _signatures={})

    @classmethod
    def from_files(cls, files: "Iterable[tuple[str, Tree]]") -> "ProjectIndex":
        index = cls()
        for path, tree in files:
            index.merge(file_declarations(tree, path))
        return index

    def resolve_include(self, include: str) -> list[str]:
        resolved = self.__dict__.setdefault("_resolved", {})  # forgotten by `merge`
        if include not in resolved:
            resolved[include] = [path for path in self.includes if include_matches_path(path, include)]
        return resolved[include]

    def included_by(self, path: str) -> list[str]:
        return self.includes[path]

    def exception_classes(self, extra: Collection[str] = ()) -> list[str]:
        return [
            decl.name for decl in self.classes.values()
            if decl.defined_in is not None and (decl.name in extra or self.is_exception(decl.name))
        ]

    def merge(self, other: "ProjectIndex") -> None:
        for name, decl in other.classes.items():
            merge_class(self.classes.setdefault(name, ClassDecl(name)), decl, self._signatures)
        self._exceptions.clear()
        self.__dict__.pop("_bound", None)
        self.__dict__.pop("_resolved", None)
        self.reprs |= other.reprs
        self.registered_exceptions |= other.registered_exceptions
        self.enums.update(other.enums)
        self.templated_functions |= other.templated_functions
        self.extension_modules |= other.extension_modules
        self.bound_types |= other.bound_types
        self.private_callees |= other.private_callees
        self.public_callees |= other.public_callees
        self.none_values |= other.none_values
        for path, includes in other.includes.items():
            self.includes[path] = includes
        for name, signatures in other.functions.items():
            merge_signatures(self.functions.setdefault(name, []), signatures, self._signatures)



def _text(node: "Node") -> str:
    return node.text.decode("utf-8", "replace") if node.text is not None else ""


def unwrap_declarator(declarator: "Node") -> "tuple[Node, str]":
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


def base_type(declaration: "Node", declarator: "Node") -> str:
    """The declared type as written before the declarator, without storage specifiers."""
    source = declaration.text or b""
    first = declaration.child_by_field_name("declarator")  # `int a, *b;`: the type ends at `a`
    end = min(declarator.start_byte, first.start_byte) if first is not None else declarator.start_byte
    prefix = source[: end - declaration.start_byte].decode("utf-8", "replace")
    prefix = _SPECIFIERS.sub(" ", prefix)
    return " ".join(prefix.split())


def parameter(node: "Node") -> Param:
    """A parameter declaration as a Param (type with its `*`/`&`, and its name)."""
    declarator = node.child_by_field_name("declarator")
    if declarator is None:
        return Param(" ".join(_text(node).split()), None, node)
    core, suffix = unwrap_declarator(declarator)
    if core.type in ("abstract_pointer_declarator", "abstract_reference_declarator"):
        return Param(" ".join(_text(node).split()), None, node)
    name = _text(core) if core.type == "identifier" else None
    return Param(f"{base_type(node, declarator)}{suffix}", name, node)


def file_declarations(tree: "Tree", path: str | None = None) -> ProjectIndex:
    index = ProjectIndex()
    found = found_in(tree).captures(_DECLARATIONS)
    if path is not None:
        index.includes[path] = [include_path(n) for n in found.get("include", [])]
    dead = disabled_regions(tree, tree.root_node.text or b"")
    if dead:  # a class under `#if 0` is not declared (gemmi's half-removed pegtl input_error)
        found = {key: [n for n in nodes if not any(a <= n.start_byte < b for a, b in dead)] for key, nodes in found.items()}
    for node in found.get("class", []):
        _add_class(index, node, path)
    for node in found.get("template", []):
        for item in node.named_children:
            for declarator in item.children_by_field_name("declarator"):
                core, _ = unwrap_declarator(declarator)
                name = core.child_by_field_name("declarator") if core.type == "function_declarator" else None
                if name is not None:
                    index.templated_functions.add(short_name(_text(name)))
                    if item.type == "declaration":  # basix: `template <class T> std::pair<...> geometry(...);`
                        _add_function(index, item, declarator)
    for node in found.get("enum", []):
        scoped = any(child.type in ("class", "struct") for child in node.children)
        index.enums[short_name(_text(node.child_by_field_name("name")))] = scoped
    for node in found.get("function", []):
        declarator = node.child_by_field_name("declarator")
        if declarator is not None:
            _add_function(index, node, declarator)
    for node in found.get("declaration", []):
        monostate = "".join(_text(node.child_by_field_name("type")).split()).removeprefix("::") in _MONOSTATE
        for declarator in node.children_by_field_name("declarator"):
            _add_function(index, node, declarator)
            if monostate and declarator.type in ("identifier", "init_declarator"):
                name = declarator.child_by_field_name("declarator") if declarator.type == "init_declarator" else declarator
                if name is not None and name.type == "identifier":
                    index.none_values.add(_text(name))
    return index


_MONOSTATE = frozenset({"std::monostate", "monostate"})


def _add_class(index: ProjectIndex, node: "Node", path: str | None = None) -> None:
    name = short_name(_text(node.child_by_field_name("name")))
    decl = index.classes.setdefault(name, ClassDecl(name))
    decl.qualified = "::".join([*enclosing_scopes(node), _text(node.child_by_field_name("name"))])
    decl.defined_in = path
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
                decl.methods.setdefault(method, []).append(Signature(type_text, parameter_types(core)))
                if any(c.type == "storage_class_specifier" and _text(c) == "static" for c in member.children):
                    decl.static_methods.add(method)
                _add_returns(decl, method, member, core)
            elif core.type == "array_declarator" and core.child_by_field_name("declarator") is not None:
                decl.fields[_text(core.child_by_field_name("declarator"))] = f"{type_text}[]"
            elif core.type in ("field_identifier", "identifier"):
                decl.fields[_text(core)] = type_text


def enclosing_scopes(node: "Node") -> list[str]:
    """Names of the namespaces and classes around a node, outermost first."""
    scopes = []
    current = node.parent
    while current is not None:
        if current.type in ("namespace_definition", "class_specifier", "struct_specifier"):
            name = current.child_by_field_name("name")
            if name is not None:
                scopes.append("".join(_text(name).split()))
        current = current.parent
    return scopes[::-1]


def _add_function(index: ProjectIndex, node: "Node", declarator: "Node") -> None:
    core, suffix = unwrap_declarator(declarator)
    if core.type != "function_declarator":
        return
    name_node = core.child_by_field_name("declarator")
    if name_node is None:
        return
    signature = Signature(f"{base_type(node, declarator)}{suffix}", parameter_types(core))
    name = _text(name_node)
    if name_node.type == "qualified_identifier":
        scope, _, member = "".join(name.split()).rpartition("::")
        owner = index.classes.setdefault(short_name(scope), ClassDecl(short_name(scope)))
        if signature not in owner.methods.get(member, []):  # declared in the class, defined outside
            owner.methods.setdefault(member, []).append(signature)
        _add_returns(owner, member, node, core)
    elif name_node.type == "identifier":
        if signature not in index.functions.get(name, []):
            index.functions.setdefault(name, []).append(signature)


def _add_returns(decl: ClassDecl, method: str, definition: "Node", declarator: "Node") -> None:
    """Record where a method's body gets its results from (nothing for a declaration alone)."""
    body = definition.child_by_field_name("body") if definition.type == "function_definition" else None
    if body is None:
        return
    roots = return_roots(body, params=parameter_names(declarator))
    known = decl.method_returns.get(method, ())
    decl.method_returns[method] = (*known, *(r for r in roots if r not in known))


def parameter_types(function_declarator: "Node") -> tuple[str, ...]:
    params = function_declarator.child_by_field_name("parameters")
    if params is None:
        return ()
    return tuple(
        parameter(p).type
        for p in params.named_children
        if p.type in ("parameter_declaration", "optional_parameter_declaration")
    )
