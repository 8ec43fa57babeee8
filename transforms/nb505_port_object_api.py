"""NB505 port-object-api (PORTING.md 1.5)."""

from __future__ import annotations

from typing import Iterator

from nbfix.cpp.parsing import descendants
from nbfix.cpp.syntax import node_text, squash
from nbfix.model.porting import (
    INTEGER_TYPES,
    PortView,
    Reference,
    arguments_of,
    call_of,
    constructor_arguments,
    node_edit,
    port_view,
)
from nbfix.rules import TARGET_VERSION, Context, Edit, Finding, Priority, Rule, Safety

# Wrapper classes: a value of one of these types is a Python object (`.cast<T>()` on it is the
# wrapper's member, not a user type's).
WRAPPERS = frozenset({
    "object", "handle", "none", "tuple", "list", "dict", "set", "frozenset", "int_", "float_", "bool_", "str",
    "bytes", "bytearray", "slice", "capsule", "iterable", "iterator", "sequence", "mapping", "args", "kwargs",
    "module_", "module", "function", "callable", "type", "type_object", "memoryview", "weakref", "detail::item_accessor",
})
MANUAL = {
    "array_t": "`nb::ndarray<T, nb::numpy, nb::shape<...>, nb::c_contig>`: `.data()`, `.shape(i)`, `.ndim()`, "
    "`.view()`; a new array needs an `nb::capsule` owner",
    "array": "`nb::ndarray<nb::numpy, ...>` (see nanobind's ndarray documentation)",
    "dtype": "nanobind has no `dtype` object: `nb::ndarray` carries `.dtype()` (an `nb::dlpack::dtype`)",
    "vectorize": "nanobind has no `vectorize`: loop over an `nb::ndarray` in C++",
    "eval_file": "nanobind has no `eval_file`: read the file and pass its text to `nb::exec`",
    "get_internals": "pybind11 internals have no nanobind equivalent",
    "gil_safe_call_once_and_store": "nanobind has none: initialise once under the GIL (a function-local static)",
    "scoped_interpreter": "nanobind cannot embed an interpreter: use the CPython C API (Py_Initialize)",
    "scoped_ostream_redirect": "nanobind has no stream redirection: write through `nb::print`",
    "add_ostream_redirect": "nanobind has no stream redirection: write through `nb::print`",
    "method_adaptor": "nanobind has no `method_adaptor`: bind a lambda taking the derived class by reference",
    "type_id": "nanobind has no `type_id<T>()`: `nb::type_name(nb::type<T>())` names a bound type",
}
RENAMED = {"module": "module_", "function": "callable"}


class PortObjectApi(Rule):
    """
    ## What it finds
    pybind11's object API where nanobind differs (PORTING.md section 1.5): `module` (the
    deprecated alias), `module_::import`, `function`, `ssize_t`, `m.add_object(...)`, the member
    `.cast<T>()` on Python objects, `str`/`bytes` made from a `std::string`, `std::string` made
    from a `str`, multi-argument `print`, capsule destructors without `noexcept`, `tuple t(n)`
    and `list l(n)`, `.get_type()`, `.size()` of a `sequence`, `.ref_count()`, a Python object
    written to a C++ stream (`os << obj`), `detail::` internals and the NumPy API. Only run by
    `nbfix port` (or when selected by its code).

    ## Why it matters
    nanobind's wrappers are thinner: there is no `.cast<T>()` member (`nb::cast<T>(o)` is a free
    function), no `std::string` constructor or conversion on `str`, `print` takes one value, and
    a capsule's destructor must be `noexcept`. pybind11's `stl.h` defines `os << handle` (the
    object's `str()`); nanobind does not, so such a line does not compile.

    ## Example
    ```cpp
    int n = obj.attr("size").cast<int>();
    py::str s(name);                       // std::string name
    py::print("x =", x);
    ```
    Use instead:
    ```cpp
    int n = nb::cast<int>(obj.attr("size"));
    nb::str s(name.c_str(), name.size());
    nb::print(nb::str("{} {}").format("x =", x));
    ```

    ## Fix safety
    Safe. `.cast<T>()` is rewritten only when the receiver is visibly a Python object (a
    wrapper-typed variable or parameter, an `.attr(...)`, an item of one, a wrapper
    constructor); a user type with a `cast` member is left alone. Where the result of
    `.cast<py::str>()` (`int_`, `float_`, `bool_`) initialises a `std::string` (an integer,
    `double`/`float`, `bool`), which pybind11's wrapper converted to implicitly, the cast is to
    that declared type: nanobind's wrappers have no such conversion. `str(s)` is rewritten only
    when `s` is declared `std::string` (or `std::string_view`, read through `.data()`).
    `os << obj` becomes `os << nb::str(obj).c_str()` (the same text) only when `os` is `std::cout`/`cerr`/`clog` or declared a standard stream type and
    `obj` is visibly a Python object; `obj << x` between Python objects is left alone.
    `tuple t(n)` (filled by index: nanobind tuples are immutable), `list l(n)` with a visible
    count (nanobind lists have no size constructor), `detail::` internals and the NumPy API are
    reported with the rewrite to make.
    """

    code = "NB505"
    name = "port-object-api"
    priority = Priority.HIGH
    fix_safety = Safety.SAFE
    summary = "pybind11 object API: .cast<T>() member, str(std::string), print, module, import..."
    needles = (b"::", b"add_object", b".cast<", b"get_type", b"<<", b".size()", b"ref_count")
    opt_in = True
    options = {"target-version": TARGET_VERSION}

    def check(self, ctx: Context) -> Iterator[Finding]:
        view = port_view(ctx.model, ctx.content)
        qualifier = _new_qualifier(view)
        for reference in view.references:
            yield from self._reference(ctx, reference, qualifier)
        for field in descendants(view.root, {"field_identifier"}):
            yield from self._member(ctx, view, field, qualifier)
        yield from self._string_conversions(ctx, view)
        yield from self._stream_writes(ctx, view, qualifier)

    def _reference(self, ctx: Context, reference: Reference, qualifier: str) -> Iterator[Finding]:
        head, parts = reference.head, reference.parts
        if head in RENAMED and node_text(parts[0]) == head:
            new = RENAMED[head]
            yield self.finding(parts[0], f"`{head}` is `{new}` in nanobind", self.fix(f"Use `{new}`", node_edit(parts[0], new)))
        if head in ("module", "module_") and len(parts) == 2 and node_text(parts[1]) == "import":
            yield self.finding(parts[1], "`module_::import` is `module_::import_` in nanobind",
                               self.fix("Use `import_`", node_edit(parts[1], "import_")))
        elif head == "ssize_t" and reference.pybind11:
            yield self.finding(reference.node, "`ssize_t` is CPython's `Py_ssize_t` in nanobind",
                               self.fix("Use `Py_ssize_t`", node_edit(reference.node, "Py_ssize_t")))
        elif head in ("str", "bytes"):
            yield from self._from_string(ctx, reference)
            yield from self._from_literal(reference, qualifier)
        elif head == "print":
            yield from self._print(reference, qualifier)
        elif head == "len":
            yield from self._len(reference, qualifier)
        elif head == "capsule":
            yield from self._capsule(reference)
        elif head == "tuple":
            yield from self._sized_tuple(reference)
        elif head == "list":
            yield from self._sized_list(ctx, reference)
        elif head == "detail" and not _in_caster(reference.node):
            yield self.finding(reference.node, f"`{reference.path}`: pybind11 internals differ in nanobind or are absent")
        elif head in MANUAL:
            yield self.finding(reference.node, f"`{reference.path}`: {MANUAL[head]}")

    def _from_string(self, ctx: Context, reference: Reference) -> Iterator[Finding]:
        """`py::str(s)` / `py::bytes(s)` for a `std::string s` (nanobind has no such constructor)."""
        arguments = constructor_arguments(reference) or []
        kind = _std_string_kind(ctx, arguments[0]) if len(arguments) == 1 else None
        if kind is None:
            return
        value = node_text(arguments[0])
        data = "c_str" if reference.head == "str" and kind == "std::string" else "data"
        yield self.finding(
            arguments[0], f"nanobind's `{reference.head}` has no `{kind}` constructor",
            self.fix(f"Pass `.{data}()` and `.size()`", node_edit(arguments[0], f"{value}.{data}(), {value}.size()")),
        )

    def _from_literal(self, reference: Reference, qualifier: str) -> Iterator[Finding]:
        """`py::str f() { return "x"; }`, `py::str s = "x";`: pybind11 converts a string literal
        implicitly, nanobind's constructor is explicit."""
        holder = reference.node.parent
        if holder is None or holder.child_by_field_name("type") != reference.node or len(reference.parts) != 1:
            return
        literals = []
        if holder.type == "function_definition" and holder.child_by_field_name("body") is not None:
            literals = [r.named_children[0] for r in descendants(holder.child_by_field_name("body"), {"return_statement"})
                        if r.named_children and r.named_children[0].type in ("string_literal", "concatenated_string")
                        and _function_of(r) == holder]
        elif holder.type == "declaration":
            literals = [d.child_by_field_name("value") for d in holder.children_by_field_name("declarator")
                        if d.type == "init_declarator" and d.child_by_field_name("value") is not None
                        and d.child_by_field_name("value").type in ("string_literal", "concatenated_string")]
        for literal in literals:
            yield self.finding(literal, f"nanobind's `{reference.head}` is not made implicitly from a string literal",
                               self.fix(f"Construct the `{reference.head}`",
                                        node_edit(literal, f"{qualifier}::{reference.head}({node_text(literal)})")))

    def _print(self, reference: Reference, qualifier: str) -> Iterator[Finding]:
        call = call_of(reference.node)
        arguments = arguments_of(call) if call is not None else []
        if len(arguments) <= 1:
            return
        if any(a.type == "assignment_expression" or "_a" in node_text(a).split("=")[0][-3:] for a in arguments):
            yield self.finding(reference.node, "nanobind's `print` takes one value (and `end`, `file`): format the "
                               f"text first, `{qualifier}::print({qualifier}::str(\"{{}} {{}}\").format(a, b))`")
            return
        values = ", ".join(node_text(a) for a in arguments)
        formatted = f'{qualifier}::str("{" ".join("{}" for _ in arguments)}").format({values})'
        yield self.finding(reference.node, "nanobind's `print` takes one value",
                           self.fix("Format the values into one string",
                                    node_edit(call.child_by_field_name("arguments"), f"({formatted})")))

    def _len(self, reference: Reference, qualifier: str) -> Iterator[Finding]:
        """`len(o.attr("x"))`: nanobind's `len` overloads make an accessor argument ambiguous."""
        call = call_of(reference.node)
        arguments = arguments_of(call) if call is not None else []
        if len(arguments) == 1 and _is_accessor(arguments[0]):
            yield self.finding(arguments[0], "nanobind's `len` is ambiguous for an attribute or item accessor",
                               self.fix("Make it an object", node_edit(arguments[0], f"{qualifier}::object({node_text(arguments[0])})")))

    def _capsule(self, reference: Reference) -> Iterator[Finding]:
        for argument in constructor_arguments(reference) or []:
            if argument.type != "lambda_expression":
                continue
            declarator = argument.child_by_field_name("declarator")
            if declarator is None or "noexcept" in node_text(declarator):
                continue
            parameters = declarator.child_by_field_name("parameters")
            if parameters is not None:
                yield self.finding(argument, "nanobind's capsule destructor must be `noexcept`",
                                   self.fix("Add `noexcept`", Edit(parameters.end_byte, parameters.end_byte, " noexcept")))

    def _sized_tuple(self, reference: Reference) -> Iterator[Finding]:
        arguments = constructor_arguments(reference)
        if call_of(reference.node) is None and arguments is not None and len(arguments) == 1:
            yield self.finding(reference.node, "nanobind tuples are immutable: build the values first and make the "
                               "tuple with `nb::make_tuple(...)` (or a `nb::list`, then `nb::tuple(list)`)")

    def _size_or_refs(self, ctx: Context, view: PortView, expression, field, qualifier: str) -> Iterator[Finding]:
        """`seq.size()` on a `py::sequence` (nanobind's has no `size`: `nb::len(seq)`, also a
        `size_t`) and `obj.ref_count()` (nanobind has none: `Py_REFCNT(obj.ptr())`)."""
        call = call_of(expression)
        receiver = expression.child_by_field_name("argument")
        operator = next((c for c in expression.children if c.type in (".", "->")), None)
        if call is None or arguments_of(call) or receiver is None or operator is None or node_text(operator) != ".":
            return
        if node_text(field) == "size":
            declared = ctx.model.declared_type(node_text(receiver), receiver) if receiver.type == "identifier" else None
            bare = squash(declared).replace("const", "").rstrip("&") if declared is not None else ""
            if bare in {f"{q}::sequence" for q in (*view.qualifiers, *view.nanobind)}:
                yield self.finding(field, "nanobind's `sequence` has no `size()`: `len(seq)` is the same `size_t`",
                                   self.fix("Use `len(...)`", node_edit(call, f"{qualifier}::len({node_text(receiver)})")))
        elif _is_wrapper(ctx, view, receiver):
            yield self.finding(field, "nanobind objects have no `ref_count()`: CPython's `Py_REFCNT` reads it",
                               self.fix("Use `Py_REFCNT`", node_edit(call, f"Py_REFCNT({node_text(receiver)}.ptr())")))

    def _sized_list(self, ctx: Context, reference: Reference) -> Iterator[Finding]:
        """`py::list out(n)`: pybind11 makes n empty slots to fill by index (pytomlpp); nanobind's
        list has no size constructor (g++: "conversion from size_t to handle is ambiguous")."""
        arguments = constructor_arguments(reference)
        if call_of(reference.node) is not None or arguments is None or len(arguments) != 1:
            return
        count = arguments[0]
        declared = ctx.model.declared_type(node_text(count), count) if count.type == "identifier" else None
        if not (count.type == "number_literal" or squash(node_text(count)).endswith(".size()")
                or declared is not None and squash(declared).replace("const", "") in INTEGER_TYPES):
            return
        yield self.finding(reference.node, "nanobind lists have no size constructor: start from an empty list and "
                           "`append` each value (in index order), or fill a `std::vector` and `nb::cast` it")

    def _member(self, ctx: Context, view: PortView, field, qualifier: str) -> Iterator[Finding]:
        expression = field.parent
        if expression is None:
            return
        if expression.type == "template_method" and node_text(field) == "cast":
            access = expression.parent
            call = call_of(access) if access is not None and access.type == "field_expression" else None
            arguments = expression.child_by_field_name("arguments")
            receiver = access.child_by_field_name("argument") if call is not None else None
            if receiver is None or arguments_of(call) or not _is_wrapper(ctx, view, receiver):
                return
            operator = next((c for c in access.children if c.type in (".", "->")), None)
            target = node_text(receiver) if operator is None or node_text(operator) == "." else f"*{node_text(receiver)}"
            declared = _scalar_declared_from(view, call, arguments)
            cast_to = f"<{declared}>" if declared is not None else node_text(arguments)
            yield self.finding(field, "nanobind has no `.cast<T>()` member: `cast<T>(o)` is a free function",
                               self.fix("Use the free function",
                                        node_edit(call, f"{qualifier}::cast{cast_to}({target})")))
        elif expression.type == "field_expression" and node_text(field) in ("size", "ref_count"):
            yield from self._size_or_refs(ctx, view, expression, field, qualifier)
        elif expression.type == "field_expression" and node_text(field) == "get_type":
            call = call_of(expression)
            receiver = expression.child_by_field_name("argument")
            if call is not None and not arguments_of(call) and receiver is not None and _is_wrapper(ctx, view, receiver):
                yield self.finding(field, "`.get_type()` is `.type()` in nanobind",
                                   self.fix("Use `.type()`", node_edit(field, "type")))
        elif expression.type == "field_expression" and node_text(field) == "add_object":
            call = call_of(expression)
            arguments = arguments_of(call) if call is not None else []
            if len(arguments) == 2 and call.parent is not None and call.parent.type == "expression_statement":
                module = node_text(expression.child_by_field_name("argument"))
                yield self.finding(field, "nanobind's module has no `add_object`",
                                   self.fix("Set the attribute", node_edit(call, f"{module}.attr({node_text(arguments[0])}) = "
                                                                                 f"{node_text(arguments[1])}")))

    def _stream_writes(self, ctx: Context, view: PortView, qualifier: str) -> Iterator[Finding]:
        """`stream << obj`: pybind11's stl.h writes a Python object to a C++ stream as its `str()`;
        nanobind has no such operator, so the text is written: `stream << nb::str(obj).c_str()`."""
        for node in descendants(view.root, {"binary_expression"}):
            operator, right = node.child_by_field_name("operator"), node.child_by_field_name("right")
            if operator is None or node_text(operator) != "<<" or right is None or not _is_wrapper(ctx, view, right):
                continue
            if not _is_stream(ctx, _leftmost_shifted(node)):
                continue
            yield self.finding(right, "nanobind has no `operator<<` writing a Python object to a C++ stream",
                               self.fix("Write its `str()`", Edit(right.start_byte, right.start_byte, f"{qualifier}::str("),
                                        Edit(right.end_byte, right.end_byte, ").c_str()")))

    def _string_conversions(self, ctx: Context, view: PortView) -> Iterator[Finding]:
        """`std::string(py::str(o))` and `std::string s = py::str(o);`: nanobind's `str` has no
        conversion to `std::string`; `.c_str()` gives the text."""
        for reference in view.references:
            if reference.head != "str" or len(reference.parts) != 1:
                continue
            call = call_of(reference.node)
            if call is None or not arguments_of(call):
                continue
            parent = call.parent
            outer = parent.parent if parent is not None else None
            converted = (
                parent is not None and parent.type == "argument_list" and len(parent.named_children) == 1
                and outer is not None and outer.type == "call_expression"
                and squash(node_text(outer.child_by_field_name("function"))) in ("std::string", "string")
            ) or (
                parent is not None and parent.type == "init_declarator" and outer is not None
                and outer.type == "declaration" and squash(node_text(outer.child_by_field_name("type"))) in ("std::string", "string")
            )
            if converted:
                yield self.finding(call, "nanobind's `str` does not convert to `std::string`",
                                   self.fix("Take `.c_str()`", Edit(call.end_byte, call.end_byte, ".c_str()")))


def _new_qualifier(view: PortView) -> str:
    """How ported code in this file names nanobind: `nb`, or `nanobind` where the file spelled
    pybind11 out."""
    names = [node_text(r.scope) for r in view.references]
    if names and all(n in ("pybind11", "nanobind") for n in names):
        return "nanobind"
    return "nb"


# pybind11's `str`, `int_`, `float_` and `bool_` convert implicitly to these C++ types; nanobind's
# do not. `std::string s = o.cast<py::str>();` therefore casts to the declared type.
_SCALARS = {
    "str": frozenset({"std::string"}),
    "int_": frozenset({
        "int", "long", "longlong", "short", "unsigned", "unsignedint", "unsignedlong", "unsignedlonglong",
        "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t",
        "std::int8_t", "std::int16_t", "std::int32_t", "std::int64_t", "std::uint8_t", "std::uint16_t",
        "std::uint32_t", "std::uint64_t", "size_t", "std::size_t", "ssize_t", "Py_ssize_t",
    }),
    "float_": frozenset({"double", "float"}),
    "bool_": frozenset({"bool"}),
}


def _scalar_declared_from(view: PortView, call, arguments) -> str | None:
    """`T x = o.cast<py::W>();` with `T` a C++ type pybind11's `W` converted to implicitly: `T`."""
    declarator = call.parent
    if declarator is None or declarator.type != "init_declarator" or declarator.child_by_field_name("value") != call:
        return None
    name = declarator.child_by_field_name("declarator")
    declaration = declarator.parent
    if name is None or name.type != "identifier" or declaration is None or declaration.type != "declaration":
        return None
    wrapped = squash(node_text(arguments))[1:-1]
    head, _, wrapper = wrapped.rpartition("::")
    kind = declaration.child_by_field_name("type")
    if head not in (*view.qualifiers, *view.nanobind) or wrapper not in _SCALARS or kind is None:
        return None
    declared = node_text(kind)
    qualifiers = [c for c in declaration.children if c.type == "type_qualifier"]
    return declared if squash(declared) in _SCALARS[wrapper] and len(qualifiers) <= 1 else None


# Library functions that return a Python object (the wrappers' constructors aside).
_OBJECT_MAKERS = frozenset({"cast", "borrow", "steal", "reinterpret_borrow", "reinterpret_steal", "make_tuple",
                            "globals", "eval", "getattr", "none", "type"})


def _makes_object(reference: Reference, function) -> bool:
    """Does calling this library name give a Python object? A wrapper's constructor does, and so
    does `cast(x)`, but not `cast<std::string>(x)`, `len(x)` or `isinstance<T>(x)`."""
    head = reference.head
    if len(reference.parts) > 1:
        return reference.path in ("module_::import", "module_::import_", "module::import") or head == "type"
    if head in WRAPPERS:
        return True
    if head not in _OBJECT_MAKERS:
        return False
    template = function
    while template is not None and template.type == "qualified_identifier":
        template = template.child_by_field_name("name")
    if head == "cast" and template is not None and template.type == "template_function":
        arguments = template.child_by_field_name("arguments")
        inner = squash(node_text(arguments))[1:-1] if arguments is not None else ""
        _, _, name = inner.rpartition("::")
        return inner.split("::")[0] in ("py", "pybind11", "nb", "nanobind") and name.split("<")[0] in WRAPPERS
    return True


def _leftmost_shifted(node):
    """`a` of `a << b << c`."""
    while node.type == "binary_expression" and node.child_by_field_name("operator") is not None and node_text(
            node.child_by_field_name("operator")) == "<<":
        node = node.child_by_field_name("left")
    return node


_STANDARD_STREAMS = frozenset({"std::cout", "std::cerr", "std::clog"})


def _is_stream(ctx: Context, node) -> bool:
    """A C++ output stream: `std::cout`/`cerr`/`clog`, or a variable or parameter declared as a
    standard stream type (`std::ostringstream msg`, `std::ostream &os`)."""
    if node.type == "qualified_identifier":
        return squash(node_text(node)) in _STANDARD_STREAMS
    if node.type != "identifier":
        return False
    declared = ctx.model.declared_type(node_text(node), node)
    bare = squash(declared).replace("const", "").rstrip("&*") if declared is not None else ""
    return bare in {"std::ostream", "std::ostringstream", "std::stringstream", "std::ofstream", "std::fstream"}


def _is_wrapper(ctx: Context, view: PortView, node) -> bool:
    """Is this expression visibly a Python object?"""
    if node.type == "parenthesized_expression" and node.named_children:
        return _is_wrapper(ctx, view, node.named_children[0])
    if node.type == "call_expression":
        function = node.child_by_field_name("function")
        if function is not None and function.type == "field_expression":
            field = function.child_by_field_name("field")
            return field is not None and node_text(field) in ("attr", "get_type", "begin")
        if function is not None and function.type == "identifier" and _is_wrapper(ctx, view, function):
            return True  # calling a Python object (`fn()` of a `py::function fn`) gives one
        return function is not None and any(
            (r.node == function or r.node.parent == function) and _makes_object(r, function) for r in view.references)
    if node.type == "field_expression":  # `p.second` of a `std::pair<py::handle, py::handle>`
        base, field = node.child_by_field_name("argument"), node.child_by_field_name("field")
        if base is None or base.type != "identifier" or field is None or node_text(field) not in ("first", "second"):
            return False
        if _dict_item(ctx, view, base):  # `for (auto &&it : dict)`: each item is a (key, value) pair
            return True
        declared = ctx.model.declared_type(node_text(base), base)
        wrappers = [f"{q}::{w}" for q in (*view.qualifiers, *view.nanobind) for w in ("handle", "object")]
        return (declared is not None and squash(declared).startswith(("std::pair<", "conststd::pair<"))
                and any(w in declared for w in wrappers))
    if node.type == "subscript_expression":
        inner = node.child_by_field_name("argument")
        return inner is not None and _is_wrapper(ctx, view, inner)
    if node.type in ("identifier", "pointer_expression"):
        name = node if node.type == "identifier" else node.child_by_field_name("argument")
        found = ctx.model.declaration_of(node_text(name), node) if name is not None else None
        declared = found[1] if found is not None else _range_element(ctx, view, node)
        if declared is None:
            return False
        if found is not None and found[2] is not None and squash(declared).replace("const", "").rstrip("&*") == "auto":
            return found[2].start_byte < node.start_byte and _is_wrapper(ctx, view, found[2])  # `auto v = it.second;`
        bare = squash(declared).replace("const", "").rstrip("&*")
        head, _, rest = bare.partition("::")
        return (head in view.qualifiers or head in view.nanobind) and rest.split("<")[0] in WRAPPERS
    return False


def _function_of(node):
    node = node.parent
    while node is not None and node.type not in ("function_definition", "lambda_expression"):
        node = node.parent
    return node


def _is_accessor(node) -> bool:
    """`o.attr("x")` or `o[i]`: a lazy accessor, not an object."""
    if node.type == "subscript_expression":
        return True
    function = node.child_by_field_name("function") if node.type == "call_expression" else None
    field = function.child_by_field_name("field") if function is not None and function.type == "field_expression" else None
    return field is not None and node_text(field) == "attr"


def _range_element(ctx: Context, view: PortView, node) -> str | None:
    """`for (auto item : list)` over a wrapper: the items are handles."""
    right = _loop_range(node)
    return "nb::handle" if right is not None and _is_wrapper(ctx, view, right) else None


def _dict_item(ctx: Context, view: PortView, node) -> bool:
    """Is `node` the variable of a range-for over a dict or `kwargs` (visibly declared one)?"""
    right = _loop_range(node)
    if right is None or right.type != "identifier":
        return False
    declared = ctx.model.declared_type(node_text(right), right)
    bare = squash(declared).replace("const", "").rstrip("&") if declared is not None else ""
    return bare in {f"{q}::{kind}" for q in (*view.qualifiers, *view.nanobind) for kind in ("dict", "kwargs")}


def _loop_range(node):
    """What the enclosing range-for iterates over, when `node` names its variable."""
    loop = node.parent
    while loop is not None and loop.type != "for_range_loop":
        loop = loop.parent
    if loop is None:
        return None
    declarator, right = loop.child_by_field_name("declarator"), loop.child_by_field_name("right")
    if declarator is None or right is None or node_text(declarator).lstrip("&* ") != node_text(node):
        return None
    return right


def _is_std_string(ctx: Context, node) -> bool:
    return _std_string_kind(ctx, node) == "std::string"


def _std_string_kind(ctx: Context, node) -> str | None:
    """"std::string" or "std::string_view" for a variable visibly declared so, else None."""
    if node.type != "identifier":
        return None
    declared = ctx.model.value_type(node_text(node), node)
    bare = squash(declared).replace("const", "").rstrip("&") if declared is not None else ""
    if bare in ("std::string", "string"):
        return "std::string"
    return "std::string_view" if bare in ("std::string_view", "string_view") else None


def _in_caster(node) -> bool:
    """Inside a `type_caster` specialisation or `namespace pybind11 { ... }` (NB507's)."""
    node = node.parent
    while node is not None:
        if node.type == "namespace_definition":
            name = node.child_by_field_name("name")
            if name is not None and node_text(name).split("::")[0] in ("pybind11", "nanobind"):
                return True
        node = node.parent
    return False
