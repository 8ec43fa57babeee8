"""NB102 missing-repr."""

from __future__ import annotations

import re
from typing import Iterator

from nbfix.core.patterns import LazyPattern
from nbfix.cpp.parsing import STATEMENTS, Unparsed, error_regions, found_in
from nbfix.cpp.syntax import node_text
from nbfix.cpp.text import indent_unit
from nbfix.index.casters import available_includes
from nbfix.index.declarations import short_name
from nbfix.model.bindings import Binding, BindingModel, ClassBinding
from nbfix.model.dialect import FIELD_METHODS, Dialect
from nbfix.model.edits import append_to_class
from nbfix.rules import Context, Finding, Option, Priority, Rule, Safety

READABLE = frozenset({
    "def_ro", "def_rw", "def_prop_ro", "def_prop_rw",
    "def_readonly", "def_readwrite", "def_property", "def_property_readonly",
})
STRING_MEMBERS = ("__str__", "to_string", "toString", "str", "to_str", "describe")


class MissingRepr(Rule):
    """
    ## What it finds
    A class binding (not an `enum_`, not an exception) with no `__repr__` bound for it, or for a
    bound base class, in any of the files nbfix was given: the same class may get its `__repr__`
    later through its variable, in another function, or in another file. A class named `_Like`
    this, or created in a module named `detail`, `internal` or `impl`, is the package's plumbing:
    reported only as noise.

    ## Why it matters
    Without `__repr__`, Python shows `<mod.Point object at 0x7f...>` in the REPL, in logs, in
    test failures and in debuggers: nothing of the object's state. nanobind and pybind11 add no
    default representation.

    ## Example
    ```cpp
    nb::class_<Point>(m, "Point")
        .def_rw("x", &Point::x)
        .def_rw("y", &Point::y);
    ```
    Use instead:
    ```cpp
    nb::class_<Point>(m, "Point")
        .def_rw("x", &Point::x)
        .def_rw("y", &Point::y)
        .def("__repr__", [](nb::handle self) {
            return nb::str("{}(x={!r}, y={!r})").format(nb::inst_name(self), self.attr("x"), self.attr("y"));
        });
    ```
    The repr shows the runtime type's name (a Python subclass shows its own; a nested class its
    `Outer.Inner` qualified name, which `nb::inst_name` drops) and each readable field and
    property, in binding order, through its Python `repr`. When it could show fewer than half of
    the readable attributes (the others are containers, pointers or getter functions), or when
    part of the class's binding could not be parsed (a `__repr__` may be in there), the finding is
    noise. A class without readable
    fields but with a string-producing member (`__str__`, `to_string`, `toString`, `str`) gets a
    `__repr__` that delegates to it. Otherwise nbfix only suggests writing one.

    ## Fix safety
    Safe. It adds a method that did not exist, built only from attributes the class already
    exposes, returning a Python `str` (no caster header needed); a delegating `__repr__` that
    returns `std::string` gets `<nanobind/stl/string.h>` added if the file lacks it. The new
    `.def` goes at the end of the class's chain, or after the last statement binding on the
    class's variable.
    """

    code = "NB102"
    name = "missing-repr"
    priority = Priority.HIGH
    fix_safety = Safety.SAFE
    summary = "Class binding without __repr__ (Python shows <mod.T object at 0x...>)"
    needles = (b"class_",)
    options = {
        "report-noise": Option(
            False, "also report classes with nothing nbfix can put in a __repr__ (findings without a fix)"
        ),
    }

    def check(self, ctx: Context) -> Iterator[Finding]:
        model = ctx.model
        seen: set[int] = set()
        unparsed = Unparsed(error_regions(model.tree) if model.tree.root_node.has_error else [])
        for cls in model.classes:
            if id(cls) in seen or cls.kind != "class" or not cls.creates or model.has_repr(cls):
                continue
            seen.add(id(cls))
            if model.project.is_exception(cls.short_type) or bound_bases(model, cls):
                continue  # exceptions print their message; a subclass inherits its base's __repr__
            bindings = model.bindings_of(cls)
            message = f'class "{cls.python_name}" has no __repr__: Python shows <{cls.python_name} object at 0x...>'
            if cls.internal:
                yield self.finding(cls.node, message + "; it is internal (users see its Python wrapper)", noise=True)
                continue
            if unparsed and hides_a_repr(ctx.content, cls, bindings, unparsed):
                yield self.finding(cls.node, message + "; part of its binding could not be parsed", noise=True)
                continue
            unit = indent_unit(ctx.content)
            delegate = string_member(model, bindings)
            if delegate is not None:
                lines = repr_lines(model.dialect, delegate_repr(model.dialect, delegate), unit)
                yield self.finding(cls.node, message, self.fix(
                    f'Add a __repr__ delegating to "{delegate}"', append_to_class(ctx.content, cls, lines)
                ))
                continue
            fields = [b.python_name for b in bindings if shows_safely(model, cls, b)]
            readable = [b for b in bindings if b.method in READABLE and b.python_name and not b.python_name.startswith("_")]
            if fields and 2 * len(fields) >= len(readable) and not constructed_unseen(bindings, fields):
                nested = isinstance(cls.scope, ClassBinding)
                lines = repr_lines(model.dialect, field_repr(model.dialect, fields, unit, nested), unit)
                yield self.finding(cls.node, message, self.fix(
                    "Add a __repr__ showing the fields", append_to_class(ctx.content, cls, lines)
                ))
                continue
            yield self.finding(cls.node, message + "; bind one that shows the object's state", noise=True)


def hides_a_repr(content: bytes, cls: ClassBinding, bindings: list[Binding], unparsed: Unparsed) -> bool:
    """Could a `__repr__` of this class sit where tree-sitter failed (gemmi's C-style member
    pointer casts turn whole chains into parse errors)? Then nbfix cannot tell: say nothing."""
    found = found_in(cls.tree) if cls.tree is not None else None
    statements = [cls.statement(), *(statement_of(found, b.call) for b in bindings)]
    if any(unparsed.overlaps(s.start_byte, s.end_byte) for s in statements):
        return True
    if cls.variable is None:
        return False
    memo = found.memo if found is not None else {}
    if "nb102.words_beside_a_repr" not in memo:  # once per file, not once per class
        memo["nb102.words_beside_a_repr"] = words_beside_a_repr(content, unparsed.regions)
    return cls.variable.encode() in memo["nb102.words_beside_a_repr"]


def words_beside_a_repr(content: bytes, unparsed: list[tuple[int, int]]) -> frozenset[bytes]:
    """The identifiers in unparsed regions that also name `__repr__` or `__str__`."""
    words: set[bytes] = set()
    for a, b in unparsed:
        if _REPR_NAME.search(content, a, b):
            words.update(_WORD.findall(content, a, b))
    return frozenset(words)


_WORD = re.compile(rb"\b[A-Za-z_]\w*\b")


def constructed_unseen(bindings: list[Binding], fields: list[str]) -> bool:
    """Does a constructor take more named arguments the repr would not show than fields it shows
    (gemmi's `cif.Ddl(logger, print_unknown_tags, use_regex, ...)` against one bool field)? Then
    the repr misses the state that matters."""
    for binding in bindings:
        first = binding.arguments[0] if binding.arguments else None
        if binding.python_name != "__init__" and not (first is not None and b"init" in (first.text or b"")[:40]):
            continue
        names = [extra.value for extra in binding.extras_of("arg") if extra.value]
        if len([n for n in names if n not in fields]) > len(fields):
            return True
    return False


def statement_of(found, node):
    if node.type in STATEMENTS:
        return node
    return (found.enclosing(node, STATEMENTS) if found is not None else None) or node


_REPR_NAME = re.compile(rb'"__(?:repr|str)__"')




_HOLDERS = LazyPattern(r"\b(?:shared_ptr|unique_ptr|intrusive_ptr|ref|Ref|holder)\b|_ptr\b")
# Field types whose Python repr is cheap and cannot fail: no caster header needed. Not `char`: its
# repr is a one-character str, often a flag such as gemmi's altloc, `\x00` when unset.
_SCALARS = LazyPattern(
    r"^(?:(?:un)?signed |long |short )*(?:bool|int|long|short|unsigned|float|double|(?:std::)?size_t|ssize_t|"
    r"(?:std::)?ptrdiff_t|(?:std::)?u?int(?:8|16|32|64)_t|Py_ssize_t)$"
)
_CONTAINERS = LazyPattern(
    r"\b(?:vector|map|unordered_map|set|unordered_set|multimap|multiset|list|deque|array|span|valarray|"
    r"ndarray|Tensor|Eigen|Matrix)\b|\[\]$"
)
_STRINGS = frozenset({"std::string", "std::string_view"})


def bound_bases(model: BindingModel, cls: ClassBinding) -> list[str]:
    """The bases a class binding names (`class_<D, B>`), without holders and trampolines."""
    return [
        t for t in cls.extra_types
        if not _HOLDERS.search(t) and not model.project.derives_from(short_name(t), cls.short_type)
    ]


def string_member(model: BindingModel, bindings: list[Binding]) -> str | None:
    """The Python name of a bound `__str__`, or of a `to_string`-like method that takes no
    argument: what a delegating `__repr__` can call."""
    for binding in bindings:
        target = binding.callable
        if target is None or binding.method != "def" or not binding.python_name:
            continue
        if binding.python_name == "__str__":
            return "__str__"
        member = (target.name or "").rpartition("::")[2]
        if binding.python_name not in STRING_MEMBERS and member not in STRING_MEMBERS:
            continue
        if target.kind == "lambda" and len(target.params) == 1:
            return binding.python_name
        if target.kind == "member_pointer" and target.scope:
            signatures = model.project.method_signatures(target.scope, short_name(target.name or ""))
            if signatures and all(not s.params for s in signatures):
                return binding.python_name
    return None


def shows_safely(model: BindingModel, cls: ClassBinding, binding: Binding) -> bool:
    """Can a `__repr__` read this attribute without raising? A field (`def_ro`/`def_rw`, or a
    property whose lambda getter only reads one) whose type converts for sure: a scalar, a string
    with its caster, or a type the project binds; not a whole container."""
    if binding.method not in READABLE or not binding.python_name or binding.python_name.startswith("_"):
        return False
    target = binding.callable
    if target is None:
        return False
    if binding.method in FIELD_METHODS and target.kind == "member_pointer" and target.scope and target.name:
        field = short_name(target.name)
        scope = target.scope
    elif target.kind == "lambda" and target.body is not None and target.params and target.params[0].name:
        field = plain_field_read(target.body, target.params[0].name)
        scope = cls.short_type
    else:
        return False  # a getter function may throw (state not ready yet)
    field_type = model.project.field_type(scope, field) if field else None
    return field_type is not None and converts(model, field_type)


def converts(model: BindingModel, field_type: str) -> bool:
    text = " ".join(field_type.replace("const ", " ").split())
    if "*" in text or "&" in text or _CONTAINERS.search(text):
        return False
    if _SCALARS.match(text):
        return True
    if text in _STRINGS:
        return model.dialect.name != "nanobind" or bool(
            {"nanobind/stl/string.h", "nanobind/stl/string_view.h"} & available_includes(model.project, model.includes)
        )
    return short_name(text) in model.project.bound_short_names()[0]


def plain_field_read(body, self_name: str) -> str | None:
    """`{ return self.x; }` / `{ return self->x; }`: the field it reads, else None."""
    statements = [c for c in body.named_children if c.type != "comment"]
    if len(statements) != 1 or statements[0].type != "return_statement":
        return None
    value = next((c for c in statements[0].named_children if c.type != "comment"), None)
    if value is None or value.type != "field_expression":
        return None
    obj, field = value.child_by_field_name("argument"), value.child_by_field_name("field")
    if obj is None or field is None or obj.type != "identifier" or node_text(obj) != self_name:
        return None
    return node_text(field)


def delegate_repr(dialect: Dialect, member: str) -> list[str]:
    """The lambda body of a `__repr__` that returns what `str(self)` or `self.member()` gives."""
    ns = dialect.prefix
    if member == "__str__":
        return [f"return {ns}str(self);"]
    return [f'return {ns}str(self.attr("{member}")());']


def field_repr(dialect: Dialect, fields: list[str], unit: str, nested: bool = False) -> list[str]:
    """The lambda body lines of a `__repr__` showing `fields` through their Python repr.
    A long `return` continues `.format(...)` on the next line. A nested class shows its
    `__qualname__` (`Outer.Inner`): `inst_name` drops the outer class."""
    ns = dialect.prefix
    pattern = ", ".join(f"{name}={{!r}}" for name in fields)
    attrs = ", ".join(f'self.attr("{name}")' for name in fields)
    if dialect.name == "nanobind" and nested:
        lines = [f"{ns}handle type = self.type();"]
        head = f'return {ns}str("{{}}.{{}}({pattern})")'
        arguments = f'type.attr("__module__"), type.attr("__qualname__"), {attrs}'
    elif dialect.name == "nanobind":
        lines = []
        head, arguments = f'return {ns}str("{{}}({pattern})")', f"{ns}inst_name(self), {attrs}"
    else:
        lines = [f"auto type = {ns}type::handle_of(self);"]
        head = f'return {ns}str("{{}}.{{}}({pattern})")'
        arguments = f'type.attr("__module__"), type.attr("__qualname__"), {attrs}'
    if len(head) + len(arguments) > 80:
        return [*lines, head, f"{unit}.format({arguments});"]
    return [*lines, f"{head}.format({arguments});"]


def repr_lines(dialect: Dialect, body: list[str], unit: str) -> list[str]:
    """`def("__repr__", ...)` as lines without the leading `.`, indented from column 0."""
    return [f'def("__repr__", []({dialect.prefix}handle self) {{', *(unit + line for line in body), "})"]
