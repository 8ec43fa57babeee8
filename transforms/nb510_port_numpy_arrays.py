"""NB510 port-numpy-arrays (PORTING.md rows 13 and 107: `py::array_t` to `nb::ndarray`)."""

from typing import Iterator, NamedTuple

from tree_sitter import Node

from nbfix.core.patterns import LazyPattern
from nbfix.cpp.parsing import FUNCTIONS, descendants
from nbfix.cpp.syntax import node_text, squash
from nbfix.model.porting import INTEGER_TYPES
from nbfix.rules import Context, Edit, Finding, Priority, Rule, Safety

# Qualifiers that can stand before pybind11's `array_t`/`array`: nanobind has neither name, so
# after an earlier pass renamed the qualifier (`nb::array_t`) the name is still pybind11's.
_LIBRARY = frozenset({"py", "pybind11", "nb", "nanobind"})
# What each pybind11 qualifier becomes (as NB501 renames them); any other alias is kept.
_RENAMED = {"py": "nb", "pybind11": "nanobind"}
# Members that keep their name and meaning on `nb::ndarray` (results are unsigned there: see
# `_SIGNED`), and those renamed.
_SAME = frozenset({"ndim", "data", "itemsize", "nbytes"})
_RENAMED_MEMBERS = {"mutable_data": "data"}
_SIGNED = frozenset({"shape", "size"})  # pybind11 returns ssize_t, nanobind size_t
_VIEWS = frozenset({"unchecked", "mutable_unchecked"})


class ArrayType(NamedTuple):
    node: Node  # the whole `py::array_t<T, flags>` type
    scope: str  # `py`
    element: str  # `T`
    flags: str  # `py::array::c_style | py::array::forcecast`, or ""


class Unported(Exception):
    """What in a function keeps nbfix from porting its arrays."""


class PortNumpyArrays(Rule):
    """
    ## What it finds
    Functions that take or return pybind11 NumPy arrays (`py::array_t<T>`), read them through
    `unchecked`/`mutable_unchecked` views, and return `py::array(n, pointer)`. nanobind has none
    of these: arrays are `nb::ndarray<...>`. Part of `nbfix port`; off for `check` and `apply`.

    ## Why it matters
    A ported file that still names `array_t` does not compile against nanobind. The rewrite is
    mechanical only where the function uses the array in the ways listed below; elsewhere nbfix
    says which use blocks it.

    ## Example
    ```cpp
    py::array_t<uint32_t> triangulate(py::array_t<double> vertices) {
        auto v = vertices.unchecked<2>();
        std::vector<uint32_t> out = run(v(0, 0), v.shape(0));
        return py::array(out.size(), out.data());
    }
    ```
    Use instead:
    ```cpp
    nb::object triangulate(nb::ndarray<double, nb::device::cpu> vertices) {
        auto v = vertices.template view<double, nb::ndim<2>>();
        std::vector<uint32_t> out = run(v(0, 0), Py_ssize_t(v.shape(0)));
        return nb::ndarray<nb::numpy, uint32_t>(out.data(), {out.size()}).cast();
    }
    ```
    A parameter becomes `nb::ndarray<T, nb::device::cpu>` (with `nb::c_contig`/`nb::f_contig`
    for `c_style`/`f_style`); nanobind converts other dtypes as pybind11's `forcecast` did, but
    it does not take Python lists: callers must pass arrays. `unchecked<N>()` becomes
    `template view<T, nb::ndim<N>>()`, with N from the template argument or from how the view is
    indexed. `shape(i)` and `size()` keep pybind11's signed result (`Py_ssize_t(...)`), except in
    an `==`/`!=` test against a number; the whole shape, `shape()` (a pointer to `ssize_t`), is
    `shape_ptr()` (a pointer to `int64_t`; dolfinx's `std::vector(g.shape(), g.shape() +
    g.ndim())`). `py::array(n, data)` copies, and so does
    `nb::ndarray<nb::numpy, T>(data, {n}).cast()` (an array without an owner is copied); the
    function then returns `nb::object`. So does `return py::array_t<T>(shape, data);` in a lambda
    whose result type is deduced (basix's style): the shape is a count, a braced list, or a
    container visibly of `size_t` (a declared variable, or a name of `auto [data, shape] = f(...)`
    where `f` is declared to return a pair or tuple), passed as `shape.size(), shape.data()`.

    ## Fix safety
    Safe: made only when every use of every array in the function is one of the above; the
    result was built and run against the project's own tests (mapbox_earcut 1.0.3). Any other
    use (`request()`, strides, `data(i, j)` (an element's address), an array passed on or stored, a local `array_t`, a shape whose
    type nbfix cannot see, a lambda that also returns something else) leaves the function as it
    is, with a finding that names the use. The shaped copy is proven in the compiled zoo
    (`tests/test_port_compile.py`: same values, shape, dtype and writability after the port).
    """

    code = "NB510"
    name = "port-numpy-arrays"
    priority = Priority.HIGH
    fix_safety = Safety.SAFE
    summary = "pybind11 NumPy arrays (array_t, unchecked views, py::array) to nb::ndarray (port to nanobind)"
    needles = (b"array",)
    opt_in = True

    def check(self, ctx: Context) -> Iterator[Finding]:
        if ctx.file_content is not None:  # a macro body: arrays in macros are ported by hand
            return
        for function in descendants(ctx.model.tree.root_node, FUNCTIONS):
            try:
                ported = _port_function(function, ctx)
            except Unported as reason:
                yield self.finding(_anchor(function), f"port NumPy arrays by hand: {reason}")
                continue
            if ported:
                yield self.finding(
                    _anchor(function), "pybind11 NumPy arrays: nanobind uses `nb::ndarray`",
                    self.fix("Use nb::ndarray", *ported),
                )
        for node in descendants(ctx.model.tree.root_node, {"qualified_identifier"}):
            if array_type(node) is not None and _owner(node) is None:
                yield self.finding(node, "port NumPy arrays by hand: `array_t` outside a function body "
                                   "(nanobind: `nb::ndarray<T, nb::device::cpu>`)")


def _anchor(function: Node) -> Node:
    declarator = function.child_by_field_name("declarator")
    return declarator if declarator is not None else function


def array_type(node: Node | None) -> ArrayType | None:
    """`py::array_t<T[, flags]>` (any library qualifier), or None."""
    if node is None or node.type != "qualified_identifier":
        return None
    scope, name = node.child_by_field_name("scope"), node.child_by_field_name("name")
    if scope is None or name is None or node_text(scope) not in _LIBRARY or name.type not in ("template_type", "template_function"):
        return None
    if node_text(name.child_by_field_name("name")) != "array_t":
        return None
    arguments = [a for a in name.child_by_field_name("arguments").named_children if a.type != "comment"]
    if not arguments or len(arguments) > 2:
        return None
    return ArrayType(node, node_text(scope), node_text(arguments[0]), node_text(arguments[1]) if len(arguments) == 2 else "")


def _is_array_call(node: Node) -> bool:
    """`py::array(...)` or `py::array_t<T>(...)`: a new array from C++ data."""
    if node.type != "call_expression":
        return False
    function = node.child_by_field_name("function")
    if array_type(function) is not None:
        return True
    if function is None or function.type != "qualified_identifier":
        return False
    scope, name = function.child_by_field_name("scope"), function.child_by_field_name("name")
    return scope is not None and node_text(scope) in _LIBRARY and name is not None and node_text(name) == "array"


def _port_function(function: Node, ctx: Context) -> list[Edit]:
    """The edits porting one function's arrays; [] when it has none; Unported when it has some
    nbfix cannot port."""
    declarator = function.child_by_field_name("declarator")
    body = function.child_by_field_name("body")
    if declarator is None or body is None:
        return []
    parameters = _parameters(function)
    returned = array_type(function.child_by_field_name("type"))
    own = [n for n in descendants(body, {"qualified_identifier", "call_expression"}) if _owner(n) == function]
    strays = [n for n in own if array_type(n) is not None or _is_array_call(n)]
    if not parameters and returned is None and not strays:
        return []
    local = next((n for n in strays if array_type(n) is not None and not _is_array_call(n.parent)), None)
    if local is not None:
        raise Unported(f"a local `{_short(local)}` (nanobind arrays are made from data: `nb::ndarray<...>(data, shape, owner)`)")
    edits: list[Edit] = []
    handled: set[int] = set()
    for name, kind in parameters.items():
        edits.append(Edit(kind.node.start_byte, kind.node.end_byte, _ndarray(kind)))
        edits += _uses(body, name, kind, handled)
    returns = [n for n in descendants(body, {"return_statement"}) if _owner(n) == function]
    if returned is not None:
        edits.append(Edit(returned.node.start_byte, returned.node.end_byte, f"{_prefix(returned.scope)}object"))
        for statement in returns:
            edits = _port_return(ctx, statement, returned, handled, edits)
    elif _deduces_result(function) and any(_returns_array_t(statement) for statement in returns):
        # basix: `[](cell::type c) { auto [x, shape] = f(c); return py::array_t<double>(shape, x.data()); }`
        for statement in returns:
            if not _returns_array_t(statement):
                raise Unported(f"`{_short(statement)}` beside `return py::array_t<T>(...)` (one result type per lambda)")
            edits = _port_return(ctx, statement, None, handled, edits)
    left = [n for n in strays if n.id not in handled]
    if left:
        raise Unported(f"`{_short(left[0])}` (nbfix ports array_t parameters, views and `return py::array(n, data)`)")
    return edits


def _owner(node: Node) -> Node | None:
    """The innermost function or lambda holding `node`, if any."""
    current = node.parent
    while current is not None and current.type not in FUNCTIONS:
        current = current.parent
    return current


def _parameters(function: Node) -> dict[str, ArrayType]:
    declarator = function.child_by_field_name("declarator")
    while declarator is not None and declarator.type != "function_declarator" and function.type != "lambda_expression":
        declarator = declarator.child_by_field_name("declarator")
    if declarator is None:
        return {}
    parameter_list = declarator.child_by_field_name("parameters")
    found = {}
    for parameter in parameter_list.named_children if parameter_list is not None else ():
        kind = array_type(parameter.child_by_field_name("type"))
        if kind is None:
            continue
        name = _declared_name(parameter.child_by_field_name("declarator"))
        if name is None:
            raise Unported(f"an unnamed or defaulted parameter `{_short(parameter)}`")
        found[name] = kind
    return found


def _declared_name(declarator: Node | None) -> str | None:
    while declarator is not None and declarator.type in ("reference_declarator", "pointer_declarator"):
        if declarator.type == "pointer_declarator":
            return None
        declarator = next((c for c in declarator.named_children if c.type != "comment"), None)
    return node_text(declarator) if declarator is not None and declarator.type == "identifier" else None


def _prefix(scope: str) -> str:
    return f"{_RENAMED.get(scope, scope)}::"


def _ndarray(kind: ArrayType) -> str:
    nb = _prefix(kind.scope)
    flags = squash(kind.flags)
    extra = [f"{nb}device::cpu"]
    if "c_style" in flags:
        extra.append(f"{nb}c_contig")
    elif "f_style" in flags:
        extra.append(f"{nb}f_contig")
    return f"{nb}ndarray<{kind.element}, {', '.join(extra)}>"


def _uses(body: Node, name: str, kind: ArrayType, handled: set[int]) -> list[Edit]:
    """Edits for every use of the array parameter `name` in `body`."""
    edits = []
    for identifier in descendants(body, {"identifier"}):
        if node_text(identifier) != name:
            continue
        call, member = _member_call(identifier)
        if call is None:
            use = identifier.parent
            if use is not None and use.type == "argument_list" and use.parent is not None:
                use = use.parent
            raise Unported(f"`{name}` is used as a whole (`{_short(use or identifier)}`)")
        given = [a for a in call.child_by_field_name("arguments").named_children if a.type != "comment"]
        if member in _VIEWS:
            edits += _port_view(body, call, kind, handled)
        elif member == "shape" and not given:
            # pybind11's `shape()` is the whole shape, a pointer to ssize_t: nanobind's `shape_ptr()`
            # (a pointer to int64_t); `shape(i)` is one extent in both.
            field = call.child_by_field_name("function").child_by_field_name("field")
            edits.append(Edit(field.start_byte, field.end_byte, "shape_ptr"))
        elif member in ("data", "mutable_data") and given:
            raise Unported(f"`{_short(call)}` (an element's address: write `x.data() + offset` from the strides)")
        elif member in _RENAMED_MEMBERS:
            field = call.child_by_field_name("function").child_by_field_name("field")
            edits.append(Edit(field.start_byte, field.end_byte, _RENAMED_MEMBERS[member]))
        elif member in _SIGNED:
            edits += _signed(call)
        elif member not in _SAME:
            raise Unported(f"`{_short(call)}`")
    return edits


def _member_call(identifier: Node) -> tuple[Node | None, str]:
    """(`x.f(...)`, `f`) when `identifier` is the object of a member call, else (None, "")."""
    field_expression = identifier.parent
    if field_expression is None or field_expression.type != "field_expression":
        return None, ""
    if field_expression.child_by_field_name("argument") != identifier or _text(field_expression, "operator") != ".":
        return None, ""
    call = field_expression.parent
    if call is None or call.type != "call_expression" or call.child_by_field_name("function") != field_expression:
        return None, ""
    field = field_expression.child_by_field_name("field")
    method = field
    if field is not None and field.type == "dependent_name":  # `x.template unchecked<1>`
        method = next((c for c in field.named_children if c.type == "template_method"), None)
    if method is not None and method.type == "template_method":
        method = method.child_by_field_name("name")
    return call, node_text(method) if method is not None else ""


def _text(node: Node, field: str) -> str:
    child = node.child_by_field_name(field)
    return node_text(child) if child is not None else ""


def _signed(call: Node) -> list[Edit]:
    """`Py_ssize_t(x.shape(i))`: pybind11's shape and size are signed, nanobind's are not; the
    sign does not matter in an equality test against a number."""
    parent = call.parent
    if parent is not None and parent.type == "binary_expression" and _text(parent, "operator") in ("==", "!="):
        other = parent.child_by_field_name("right" if parent.child_by_field_name("left") == call else "left")
        if other is not None and other.type == "number_literal":
            return []
    return [Edit(call.start_byte, call.start_byte, "Py_ssize_t("), Edit(call.end_byte, call.end_byte, ")")]


def _port_view(body: Node, call: Node, kind: ArrayType, handled: set[int]) -> list[Edit]:
    """`a.unchecked<N>()` -> `a.template view<T, nb::ndim<N>>()`, and the uses of the view."""
    function = call.child_by_field_name("function")
    arguments = call.child_by_field_name("arguments")
    if arguments is not None and arguments.named_children:
        raise Unported(f"`{_short(call)}`")
    dimensions = _template_argument(function.child_by_field_name("field"))
    view = _assigned_name(call)
    if view is None:
        raise Unported(f"the view `{_short(call)}` is not kept in a variable")
    indexed = set()
    edits = []
    for identifier in descendants(body, {"identifier"}):
        if node_text(identifier) != view or identifier.parent is None:
            continue
        parent = identifier.parent
        if parent.type == "init_declarator" and parent.child_by_field_name("declarator") == identifier:
            continue
        if parent.type == "call_expression" and parent.child_by_field_name("function") == identifier:
            indexed.add(len([a for a in parent.child_by_field_name("arguments").named_children if a.type != "comment"]))
            continue
        use, member = _member_call(identifier)
        if use is not None and member == "shape":
            edits += _signed(use)
        elif use is None or member != "ndim":
            raise Unported(f"the view `{view}` is used as `{_short(use or parent)}`")
    if dimensions is None:
        if len(indexed) != 1:
            raise Unported(f"the number of dimensions of `{view}` (give it: `unchecked<N>()`)")
        dimensions = str(indexed.pop())
    field = function.child_by_field_name("field")
    nb = _prefix(kind.scope)
    edits.append(Edit(field.start_byte, field.end_byte, f"template view<{kind.element}, {nb}ndim<{dimensions}>>"))
    if _text(function, "operator") != ".":
        raise Unported(f"`{_short(call)}`")
    handled.add(call.id)
    return edits


def _template_argument(field: Node | None) -> str | None:
    """`N` of `unchecked<N>` (also behind `template`), or None."""
    if field is not None and field.type == "dependent_name":
        field = next((c for c in field.named_children if c.type == "template_method"), None)
    if field is None or field.type != "template_method":
        return None
    arguments = [a for a in field.child_by_field_name("arguments").named_children if a.type != "comment"]
    return node_text(arguments[0]) if len(arguments) == 1 else None


def _assigned_name(call: Node) -> str | None:
    """`v` of `auto v = call;`."""
    parent = call.parent
    if parent is None or parent.type != "init_declarator" or parent.child_by_field_name("value") != call:
        return None
    declarator = parent.child_by_field_name("declarator")
    return node_text(declarator) if declarator is not None and declarator.type == "identifier" else None


def _port_return(ctx: Context, statement: Node, returned: ArrayType | None, handled: set[int], edits: list[Edit]) -> list[Edit]:
    """`return py::array(n, data);` or `return py::array_t<T>(shape, data);` (pybind11 copies the
    data: no base object) -> `return nb::ndarray<nb::numpy, T>(data, ...).cast();` (an ndarray
    without an owner is copied too), with the edits already made inside the arguments carried
    into the new text."""
    value = next((c for c in statement.named_children if c.type != "comment"), None)
    if value is None or not _is_array_call(value):
        raise Unported(f"`{_short(statement)}` (nbfix ports `return py::array(n, data);`)")
    arguments = [a for a in value.child_by_field_name("arguments").named_children if a.type != "comment"]
    if len(arguments) != 2:
        raise Unported(f"`{_short(value)}` (nbfix ports `py::array(n, data)` and `py::array_t<T>(shape, data)`)")
    made = array_type(value.child_by_field_name("function"))
    kind = made if made is not None else returned
    if kind is None:
        raise Unported(f"`{_short(value)}`: the element type is not written")
    inside = [e for e in edits if value.start_byte <= e.start and e.end <= value.end_byte]
    count, data = (_edited(a, inside) for a in arguments)
    nb = _prefix(kind.scope)
    shape = _shape(ctx, arguments[0], count, counts=made is None)
    handled.update({value.id, value.child_by_field_name("function").id})
    new = Edit(value.start_byte, value.end_byte, f"{nb}ndarray<{nb}numpy, {kind.element}>({data}, {shape}).cast()")
    return [e for e in edits if e not in inside] + [new]


_SIZE_CONTAINER = LazyPattern(r"^(?:std::)?(?:array<(?:std::)?size_t,[^,<>]+>|vector<(?:std::)?size_t>)$")


def _shape(ctx: Context, node: Node, text: str, counts: bool = False) -> str:
    """The shape arguments of nanobind's ndarray for pybind11's first argument: `{n}` for a count,
    `{a, b}` for a braced list, `s.size(), s.data()` for a container of `size_t` (the element
    type nanobind takes), visibly typed; anything else stays pybind11's to port by hand
    (`counts`: `py::array(n, data)`, whose first argument was always read as a count)."""
    squashed = squash(text)
    if node.type == "initializer_list":
        items = [a for a in node.named_children if a.type != "comment"]
        return "{" + ", ".join(_as_size(node_text(item)) for item in items) + "}"
    if node.type == "number_literal" or squashed.endswith(".size()"):
        return "{" + _as_size(text) + "}"
    declared = _declared_type(ctx, node) if node.type == "identifier" else None
    bare = squash(declared).replace("const", "").rstrip("&") if declared is not None else ""
    if _SIZE_CONTAINER.match(bare):
        return f"{text}.size(), {text}.data()"
    if bare in INTEGER_TYPES or counts:  # `py::array(n, data)`: read as a count, as before
        return "{" + _as_size(text) + "}"
    raise Unported(f"the shape `{_short(node)}` (its type is not visible: a count, or a container of `size_t`?)")


def _as_size(text: str) -> str:
    squashed = squash(text)
    return text if squashed.endswith(".size()") or squashed.isdigit() else f"static_cast<size_t>({text})"


def _declared_type(ctx: Context, node: Node) -> str | None:
    """A variable's declared type; for a name of `auto [a, b] = f(...)`, the element of the pair
    or tuple `f` is declared to return (every overload taking that many arguments alike)."""
    name = node_text(node)
    declared = ctx.model.declared_type(name, node)
    if declared is not None and squash(declared).replace("const", "").rstrip("&") != "auto":
        return declared
    binding = _structured_binding(node, name)
    if binding is None:
        return None
    index, call = binding
    function = call.child_by_field_name("function")
    while function is not None and function.type in ("qualified_identifier", "template_function"):
        function = function.child_by_field_name("name")
    signatures = ctx.model.project.function_signatures(node_text(function)) if function is not None else None
    arguments = call.child_by_field_name("arguments")
    arity = len([a for a in arguments.named_children if a.type != "comment"]) if arguments is not None else -1
    # Names are indexed without their namespace: basix has `polynomials::tabulate` and
    # `polyset::tabulate`; the call's argument count tells them apart.
    fitting = [s for s in signatures or () if len(s.params) == arity] or list(signatures or ())
    elements = {tuple(_template_arguments(s.returns)) for s in fitting}
    if len(elements) != 1:
        return None
    (element,) = elements
    return element[index] if index < len(element) else None


def _structured_binding(node: Node, name: str) -> tuple[int, Node] | None:
    """(position, initialising call) of `name` in an `auto [..., name, ...] = call;` before `node`
    in its function."""
    owner = _owner(node)
    for declaration in descendants(owner, {"declaration"}) if owner is not None else ():
        if declaration.start_byte >= node.start_byte or _owner(declaration) != owner:
            continue
        for declarator in declaration.children_by_field_name("declarator"):
            target = declarator.child_by_field_name("declarator") if declarator.type == "init_declarator" else None
            value = declarator.child_by_field_name("value") if declarator.type == "init_declarator" else None
            if target is None or target.type != "structured_binding_declarator" or value is None or value.type != "call_expression":
                continue
            names = [node_text(c) for c in target.named_children if c.type == "identifier"]
            if name in names:
                return names.index(name), value
    return None


def _template_arguments(spelling: str) -> list[str]:
    """`std::pair<A, B<C, D>>` -> [A, B<C, D>] (for a pair or tuple), else []."""
    text = squash(spelling).removeprefix("const")
    for head in ("std::pair<", "std::tuple<"):
        if text.startswith(head) and text.endswith(">"):
            inner, depth, parts, current = text[len(head):-1], 0, [], ""
            for char in inner:
                if char == "," and depth == 0:
                    parts.append(current)
                    current = ""
                    continue
                depth += (char == "<") - (char == ">")
                current += char
            return parts + [current]
    return []


def _deduces_result(function: Node) -> bool:
    """A lambda without `-> T`: its result type is whatever it returns."""
    declarator = function.child_by_field_name("declarator") if function.type == "lambda_expression" else None
    return function.type == "lambda_expression" and (
        declarator is None or not any(c.type == "trailing_return_type" for c in declarator.children))


def _returns_array_t(statement: Node) -> bool:
    value = next((c for c in statement.named_children if c.type != "comment"), None)
    return value is not None and _is_array_call(value) and array_type(value.child_by_field_name("function")) is not None


def _edited(node: Node, edits: list[Edit]) -> str:
    """The node's text with those of `edits` that lie inside it made."""
    text = node.text or b""
    for edit in sorted((e for e in edits if node.start_byte <= e.start and e.end <= node.end_byte), reverse=True):
        start, end = edit.start - node.start_byte, edit.end - node.start_byte
        text = text[:start] + edit.text.encode() + text[end:]
    return text.decode("utf-8", "replace")


def _short(node: Node) -> str:
    text = " ".join(node_text(node).split())
    return text if len(text) <= 60 else text[:57] + "..."
