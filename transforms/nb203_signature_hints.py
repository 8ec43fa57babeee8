"""NB203 signature-hints."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterator

from nbfix.edits import add_argument
from nbfix.model import Binding, BindingModel, code_text, string_value
from nbfix.patterns import LazyPattern
from nbfix.rule import Context, Finding, Priority, Rule, Safety

if TYPE_CHECKING:
    from tree_sitter import Node

# Wrapper types that render without element types in signatures and stubs.
UNTYPED = frozenset({"object", "handle", "list", "dict", "tuple", "callable", "iterable", "sequence", "set"})
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


def python_default(node: Node) -> str:
    """The Python text for a C++ default value: literals as Python literals, otherwise `...`."""
    text = code_text(node)
    if re.fullmatch(r"-?\d+(\.\d*)?([eE]-?\d+)?[fFlLuU]*", text):
        return re.sub(r"[fFlLuU]+$", "", text)
    if text in ("true", "false"):
        return text.capitalize()
    if text in ("nullptr",) or text.endswith("none()"):
        return "None"
    value = string_value(node)
    return repr(value) if value is not None else "..."


def validate(signature: str, name: str, is_method: bool, count: int) -> str | None:
    """nanobind does not check a sig: a bad one renames the binding or aborts at import."""
    match = re.fullmatch(r"def ([A-Za-z_]\w*)\((.*)\)(?: -> .+)?", signature)
    if signature.rstrip().endswith(":") or match is None:
        return "not of the form `def name(...) -> T`"
    if match[1] != name:
        return f"names `{match[1]}` instead of `{name}`"
    params = [p.strip() for p in split_params(match[2]) if p.strip() not in ("*", "/")]
    if is_method:
        if not params or params[0] != "self":
            return "lacks `self`"
        params = params[1:]
    if len(params) != count:
        return f"has {len(params)} parameters where C++ has {count}"
    return None


def split_params(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char in "[(" and 1 or (char in "])" and -1 or 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current] if current.strip() else parts


class SignatureHints(Rule):
    """
    ## What it finds
    A nanobind binding whose parameters or result render as untyped in signatures and stubs
    (`object`, bare `list`/`dict`/`tuple`, `Callable`, `Iterable`) while its numpy-style
    docstring states the types (a `Parameters` and/or `Returns` section).

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
    Unsafe: it changes stubs, `__doc__` and `__nb_signature__`. nanobind never checks a sig
    string, and a bad one silently renames the binding or aborts at import, so nbfix validates it
    before writing: the name equals the bound name, `self` is there for methods, the parameter
    count equals the C++ count, no trailing colon, no space before the parenthesis. Names come
    from the `arg` annotations (or the docstring when there are none), defaults are written as
    Python literals, and `kw_only()` becomes `*`. pybind11 has no `sig`: no finding there.
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
            if types is None or not any(is_untyped(model, t) for t in [*types[0], types[1] or ""]):
                continue
            signature = build_signature(model, binding, types[0], docstring_sections(docs[0]))
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


def is_untyped(model: BindingModel, type_text: str) -> bool:
    core = "".join(type_text.replace("const ", " ").split()).rstrip("&*")
    stripped = model.dialect.strip(core)
    return stripped is not None and "<" not in core and stripped in UNTYPED and "::" in core


def cpp_types(model: BindingModel, binding: Binding) -> tuple[list[str], str | None] | None:
    """(parameter types without self, result type) of what a binding calls, or None."""
    target = binding.callable
    if target.kind == "lambda":
        params = [p.type for p in target.params]
        return (params[1:] if binding.is_method else params), target.declared_return
    signatures = model.signatures(target)
    if not signatures or len(signatures) != 1:
        return None
    params = list(signatures[0].params)
    if target.kind == "function" and binding.is_method:
        params = params[1:]
    return params, signatures[0].returns


def build_signature(model: BindingModel, binding: Binding, params: list[str], sections) -> str | None:
    documented = dict(sections.get("Parameters", []))
    returns = sections.get("Returns", [])
    args = [e for e in binding.extras if e.kind in ("arg", "kw_only")]
    names = [e.value for e in args if e.kind == "arg"]
    if not names:
        names = list(documented)
    if len(names) != len(params) or not (documented or returns):
        return None
    def render(name: str, extra) -> str:
        default = default_of(extra.node) if extra is not None else None
        cpp_type = params[names.index(name)]
        doc_type = documented.get(name)
        annotation = python_type(doc_type, accepts_none(cpp_type, default)) if doc_type else None
        text = f"{name}: {annotation}" if annotation else name
        return f"{text} = {default}" if default is not None else text

    rendered = ["self"] if binding.is_method else []
    arg_extras = [e for e in args if e.kind == "arg"]
    if not arg_extras:
        rendered += [render(name, None) for name in names]
    star = False
    for extra in args if arg_extras else []:
        if extra.kind == "kw_only":
            star = True
            continue
        if star:
            rendered.append("*")
            star = False
        rendered.append(render(extra.value, extra))
    result = ""
    if returns:
        line, type_text = returns[0]
        annotation = python_type(type_text or line)
        result = f" -> {annotation}" if annotation else ""
    return f"def {binding.python_name}({', '.join(rendered)}){result}"


def default_of(node: Node) -> str | None:
    if node.type == "assignment_expression":
        right = node.child_by_field_name("right")
        return python_default(right) if right is not None else None
    return None
