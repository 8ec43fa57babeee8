"""NB203 signature-hints."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterator

from nbfix.core.patterns import LazyPattern
from nbfix.cpp.syntax import code_text, string_value
from nbfix.cpp.text import add_argument
from nbfix.model.bindings import Binding, BindingModel
from nbfix.model.signatures import cpp_types, validate
from nbfix.rules import Context, Finding, Priority, Rule, Safety

if TYPE_CHECKING:
    from tree_sitter import Node

_SECTION = LazyPattern(r"^\s*(Parameters|Returns|Yields|Raises|See Also|Notes|Examples|Attributes)\s*\n\s*-{3,}\s*$", re.M)
_CONTAINERS = {
    "iterable": "collections.abc.Iterable",
    "iterator": "collections.abc.Iterator",
    "sequence": "collections.abc.Sequence",
    "mapping": "collections.abc.Mapping",
    "callable": "collections.abc.Callable",
    "list": "list",
    "set": "set",
    "tuple": "tuple",
    "dict": "dict",
}
_SCALARS = {"float": "float", "int": "int", "integer": "int", "str": "str", "string": "str", "bool": "bool",
            "boolean": "bool", "bytes": "bytes", "none": "None", "object": "object", "any": "typing.Any"}


def python_type(text: str, accepts_none: bool = True) -> str | None:
    """A numpy-docstring type -> a Python annotation: `iterable of float` ->
    `collections.abc.Iterable[float]`, `int, optional` -> `int | None`; None if not understood.
    `optional` adds `| None` only where the C++ side accepts None: otherwise the signature would
    advertise a None that every call rejects."""
    text = text.strip().rstrip(".")
    optional = False
    if text.endswith(", optional"):
        text, optional = text[: -len(", optional")].strip(), True
    result = _type(text)
    if result is None:
        return None
    return f"{result} | None" if optional and accepts_none and not result.endswith("| None") else result


def accepts_none(cpp_type: str, default: str | None) -> bool:
    squashed = "".join(cpp_type.split())
    return "optional<" in squashed or squashed.endswith("*") or default == "None"


def _type(text: str) -> str | None:
    if " or " in text:
        parts = [_type(p) for p in text.split(" or ")]
        return None if None in parts else " | ".join(parts)  # type: ignore[arg-type]
    head, _, element = text.partition(" of ")
    head = head.strip()
    container = _CONTAINERS.get(head.lower())
    if element:
        inner = _type(element.strip())
        if container is None or inner is None:
            return None
        if head.lower() == "tuple":
            return f"tuple[{inner}, ...]"
        if head.lower() == "dict":
            return None
        return f"{container}[{inner}]"
    if container is not None:
        return container
    if head.lower() in _SCALARS:
        return _SCALARS[head.lower()]
    if re.fullmatch(r"[A-Za-z_][\w.]*", head):
        return head  # a bound class name, as it is
    return None


def docstring_sections(doc: str) -> dict[str, list[tuple[str, str | None]]]:
    """numpy-style sections -> [(name or type line, type)], e.g. Parameters: [("x", "float")]."""
    import inspect  # a costly import: only when a docstring is read

    text = inspect.cleandoc(doc)
    matches = list(_SECTION.finditer(text))
    sections: dict[str, list[tuple[str, str | None]]] = {}
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        entries = []
        for line in text[match.end():end].splitlines():
            if not line.strip() or line.startswith((" ", "\t")):
                continue  # descriptions are indented under their entry
            name, colon, type_text = line.partition(":")
            entries.append((name.strip(), type_text.strip() if colon else None))
        sections[match[1]] = entries
    return sections


_FLOAT = LazyPattern(r"-?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?[fFlL]?|-?\d+[eE][-+]?\d+[fFlL]?")
_INT = LazyPattern(r"-?(0[xX][0-9a-fA-F]+|\d+)[uUlL]*")


def python_default(node: Node) -> str | None:
    """A C++ default value as nanobind shows it (the repr of the converted value), for literals
    only: None when nbfix cannot tell what the value's repr is."""
    text = code_text(node)
    if text in ("true", "false"):
        return text.capitalize()
    if text in ("nullptr", "std::nullopt") or text.endswith("none()"):
        return "None"
    if _INT.fullmatch(text):
        return repr(int(text.rstrip("uUlL"), 0))
    if _FLOAT.fullmatch(text):
        return repr(float(text.rstrip("fFlL")))
    value = string_value(node)
    return repr(value) if value is not None else None


# What nanobind renders for a C++ type (measured with nanobind 3.1, `__nb_signature__`).
_WRAPPERS = {
    "object": "object", "handle": "object", "list": "list", "dict": "dict", "tuple": "tuple", "set": "set",
    "frozenset": "frozenset", "iterable": "collections.abc.Iterable", "iterator": "collections.abc.Iterator",
    "callable": "collections.abc.Callable", "sequence": "collections.abc.Sequence",
    "mapping": "collections.abc.Mapping", "str": "str", "int_": "int", "float_": "float", "bool_": "bool",
    "bytes": "bytes", "slice": "slice", "type_object": "type", "any": "typing.Any",
}
# Renders without its element types: what a docstring may refine.
UNTYPED = frozenset({
    "object", "list", "dict", "tuple", "set", "frozenset", "collections.abc.Iterable", "collections.abc.Iterator",
    "collections.abc.Callable", "collections.abc.Sequence", "collections.abc.Mapping",
})
_INTEGER = LazyPattern(
    r"(?:(?:un)?signed|long|short|int|unsigned|size_t|ssize_t|ptrdiff_t|Py_ssize_t|std::size_t|u?int(?:8|16|32|64)_t|"
    r"std::u?int(?:8|16|32|64)_t)(?: (?:long|int|short))*"
)
_STRINGS = frozenset({"std::string", "std::string_view", "constchar*", "char*", "std::wstring"})
# Names a docstring annotation may use: nbfix cannot tell how a class name would be qualified
# (nanobind writes `module.Class`, and the module's import name is not in the sources).
_KNOWN_NAMES = frozenset({
    "int", "float", "str", "bool", "bytes", "None", "object", "list", "dict", "tuple", "set", "frozenset",
    "collections.abc.Iterable", "collections.abc.Iterator", "collections.abc.Callable", "collections.abc.Sequence",
    "collections.abc.Mapping", "typing.Any",
})


def rendered_type(model: BindingModel, cpp_type: str, result: bool) -> str | None:
    """The annotation nanobind renders for `cpp_type` as a parameter (or a result), or None
    when nbfix cannot tell (a bound class, whose module prefix nbfix does not know, an alias,
    a template it does not model)."""
    squashed = "".join(cpp_type.replace("const ", " ").replace("volatile ", " ").split())
    squashed = squashed.removeprefix("const").rstrip("&")
    if squashed in _STRINGS or "".join(cpp_type.split()) in _STRINGS:
        return "str"
    spaced = " ".join(cpp_type.replace("&", " ").replace("const ", " ").split()).removesuffix(" const")
    if spaced in ("double", "float", "long double"):
        return "float"
    if spaced == "bool":
        return "bool"
    if spaced == "char":
        return "str"
    if spaced == "void":
        return "None" if result else None
    if _INTEGER.fullmatch(spaced):
        return "int"
    wrapper = model.dialect.strip(squashed)
    if wrapper in _WRAPPERS and ("::" in squashed or model.dialect.unqualified):
        return _WRAPPERS[wrapper]
    template = _TEMPLATE.fullmatch(squashed)
    if template is None:
        return None
    name, inner = template[1], split_template(template[2])
    parts = [rendered_type(model, part, result) for part in inner]
    if not parts or None in parts:
        return None
    if name == "std::vector" and len(parts) in (1, 2):
        return f"list[{parts[0]}]" if result else f"collections.abc.Sequence[{parts[0]}]"
    if name == "std::optional" and len(parts) == 1:
        return parts[0] if parts[0].endswith("| None") else f"{parts[0]} | None"
    if name in ("std::tuple", "std::pair"):
        return f"tuple[{', '.join(parts)}]"
    if name in ("std::map", "std::unordered_map") and len(parts) >= 2:
        key, value = parts[:2]
        return f"dict[{key}, {value}]" if result else f"collections.abc.Mapping[{key}, {value}]"
    return None


_TEMPLATE = LazyPattern(r"([\w:]+)<(.*)>")


def split_template(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += (char in "<([") - (char in ">)]")
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current] if current else parts


def refines(documented: str, rendered: str) -> bool:
    """Does the docstring's annotation say more than nanobind's, without contradicting it?
    `object` takes any annotation; a bare container only the same container with elements."""
    names = re.findall(r"[A-Za-z_][\w.]*", documented)
    if not names or any(name not in _KNOWN_NAMES for name in names):
        return False
    if rendered == "object":
        return documented not in ("object", "typing.Any")
    return documented.startswith(f"{rendered}[")


class SignatureHints(Rule):
    """
    ## What it finds
    A nanobind binding whose signature, as nanobind renders it from the C++ types, has an
    untyped parameter or result (`object`, a bare `list`/`dict`/`tuple`/`set`, `Iterable`,
    `Sequence`, `Callable`) that its numpy-style docstring refines (`iterable of float`,
    `list of str`, or any builtin type for an `object`).

    ## Why it matters
    Type checkers, IDEs and generated stubs see `def execute(self, inputs: Iterable) -> list`
    where the docstring promises `Iterable[float] -> list[float]`. The information exists; the
    signature just does not carry it.

    ## Example
    ```cpp
    .def("execute", &run, "inputs"_a, R"(
        Parameters
        ----------
        inputs : iterable of float

        Returns
        -------
        list of float
    )")
    ```
    Use instead: the same binding plus
    `nb::sig("def execute(self, inputs: collections.abc.Iterable[float]) -> list[float]")`.

    ## Fix safety
    Unsafe: it changes stubs, `__doc__` and `__nb_signature__`. The sig is nanobind's own
    rendering (measured against `__nb_signature__`: scalars, strings, wrappers, `std::vector`,
    `std::optional`, tuples, maps, `.none()`, `kw_only`, literal defaults as their reprs) with only
    the refined annotations replaced: a C++-derived type is never replaced by a docstring's (a
    class name in a docstring is never used: nbfix cannot tell its module prefix) and no
    annotation is dropped. A binding with a parameter or result nbfix cannot render (a bound
    class, an alias, a deduced result it cannot see, a default that is not a literal, a
    parameter without an `arg` name) is not reported. nanobind never checks a sig string, and a
    bad one silently renames the binding or aborts at import, so nbfix also validates it: the
    name equals the bound name, `self` is there for methods, the parameter count equals the C++
    count. pybind11 has no `sig`: no finding there.
    """

    code = "NB203"
    name = "signature-hints"
    priority = Priority.MEDIUM
    fix_safety = Safety.UNSAFE
    summary = "Untyped wrapper parameters or result while the docstring states the types"
    needles = (b"Parameters", b"Returns")

    def check(self, ctx: Context) -> Iterator[Finding]:
        model = ctx.model
        if model.dialect.name != "nanobind":
            return
        for binding in model.bindings:
            if binding.method not in ("def", "def_static") or not binding.python_name or binding.extras_of("sig"):
                continue
            docs = [e.value for e in binding.extras_of("doc") if isinstance(e.value, str)]
            if not docs or binding.python_name in ("__init__", "__new__"):
                continue
            types = cpp_types(model, binding)
            if types is None or types[1] is None:
                continue
            signature = improved_signature(model, binding, types[0], types[1], docstring_sections(docs[0]))
            if signature is None:
                continue
            problem = validate(signature, binding.python_name, binding.is_method, len(types[0]))
            if problem is not None:
                continue  # never write a sig that could rename the binding or abort the import
            arguments = binding.call.child_by_field_name("arguments")
            text = f'{model.dialect.prefix}sig("{signature}")'
            yield self.finding(
                binding.anchor,
                f'"{binding.python_name}" renders untyped in signatures and stubs while its docstring '
                f"states the types: add `sig(\"{signature}\")`",
                self.fix("Add a typed signature", *add_argument(ctx.content, arguments, text)),
            )


class Parameter:
    """One parameter as nanobind renders it (a plain class: a NamedTuple here would compile its
    string annotations at import, see tests/test_cli.py)."""

    __slots__ = ("name", "rendered", "default", "none", "keyword_only")

    def __init__(self, name: str, rendered: str, default: str | None, none: bool, keyword_only: bool) -> None:
        self.name = name
        self.rendered = rendered  # what nanobind shows today
        self.default = default
        self.none = none  # `.none()`: nanobind adds `| None`
        self.keyword_only = keyword_only


def parameters(model: BindingModel, binding: Binding, cpp_params: list[str]) -> list[Parameter] | None:
    """The parameters as nanobind renders them, from the `arg` annotations: None when one is
    missing (nanobind then shows positional-only `arg0`), or nbfix cannot tell a type or default."""
    found, keyword_only = [], False
    args = [e for e in binding.extras if e.kind in ("arg", "kw_only")]
    for extra in args:
        if extra.kind == "kw_only":
            keyword_only = True
            continue
        if len(found) == len(cpp_params) or not isinstance(extra.value, str):
            return None
        rendered = rendered_type(model, cpp_params[len(found)], result=False)
        default = None
        if extra.node.type == "assignment_expression":
            right = extra.node.child_by_field_name("right")
            default = python_default(right) if right is not None else None
            if default is None:
                return None
        none = ".none()" in code_text(extra.node) or default == "None"
        if rendered is None:
            return None
        found.append(Parameter(extra.value, rendered, default, none, keyword_only))
    return found if len(found) == len(cpp_params) else None


def with_none(annotation: str, none: bool) -> str:
    return f"{annotation} | None" if none and not annotation.endswith("| None") else annotation


def improved_signature(model: BindingModel, binding: Binding, cpp_params: list[str], cpp_result: str, sections) -> str | None:
    """nanobind's own signature, with each untyped parameter or result replaced by what the
    docstring says where that refines it; None when nothing improves or nbfix cannot tell."""
    params = parameters(model, binding, cpp_params)
    result = rendered_type(model, cpp_result, result=True)
    if params is None or result is None:
        return None
    documented = dict(sections.get("Parameters", []))
    improved = False
    rendered = ["self"] if binding.is_method else []
    star = False
    for param in params:
        annotation = param.rendered
        doc_type = documented.get(param.name)
        if annotation in UNTYPED and doc_type:
            better = python_type(doc_type, accepts_none=False)
            if better is not None and refines(better, annotation):
                annotation, improved = better, True
        if param.keyword_only and not star:
            rendered.append("*")
            star = True
        text = f"{param.name}: {with_none(annotation, param.none)}"
        rendered.append(f"{text} = {param.default}" if param.default is not None else text)
    returns = sections.get("Returns", [])
    if result in UNTYPED and returns:
        line, type_text = returns[0]
        better = python_type(type_text or line, accepts_none=False)
        if better is not None and refines(better, result):
            result, improved = better, True
    return f"def {binding.python_name}({', '.join(rendered)}) -> {result}" if improved else None
