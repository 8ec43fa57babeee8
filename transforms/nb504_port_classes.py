"""NB504 port-classes-constructors-enums-holders (PORTING.md 1.4)."""

from __future__ import annotations

from typing import Iterator

from nbfix.cpp.parsing import descendants
from nbfix.cpp.syntax import node_text, squash
from nbfix.cpp.text import remove_argument
from nbfix.model.porting import (
    Reference,
    arguments_of,
    call_of,
    forwarded_parameter_types,
    nanobind_qualifier,
    node_edit,
    port_view,
    placement_new_lambda,
    target_version,
)
from nbfix.rules import TARGET_VERSION, Context, Edit, Finding, Priority, Rule, Safety

MANUAL = {
    "multiple_inheritance": "nanobind binds one base class per class: drop the other bases from `class_<...>` "
    "(their methods can be bound on this class directly)",
    "buffer_protocol": "nanobind has no buffer protocol: return an `nb::ndarray` view of the data instead",
    "buffer_info": "nanobind has no `buffer_info`: describe the data as an `nb::ndarray`",
    "buffer": "nanobind has no `buffer` wrapper: take an `nb::ndarray` parameter",
    "metaclass": "nanobind has no custom metaclasses",
    "custom_type_setup": "nanobind's closest is `nb::type_slots(...)` (a different API: PyType_Slot entries)",
    "release_gil_before_calling_cpp_dtor": "nanobind has no such annotation: release the GIL inside the destructor",
    "init_alias": "nanobind has no `init_alias`: bind `nb::init<...>()`; nanobind constructs the trampoline "
    "when Python subclasses the class",
    "options": "nanobind has no docstring options: delete the `options` object",
    "native_enum": "`nb::enum_<E>(m, \"E\", nb::is_arithmetic())` (for `\"enum.Flag\"`: `nb::is_flag()`), "
    "without `.finalize()`",
    "nodelete": "nanobind has no holders: drop `std::unique_ptr<T, py::nodelete>` from `class_<...>` and add the "
    "`nb::never_destruct()` class annotation",
}
ITERATORS = frozenset({"make_iterator", "make_key_iterator", "make_value_iterator"})
STANDARD_HOLDERS = frozenset({"unique_ptr", "shared_ptr"})


class PortClasses(Rule):
    """
    ## What it finds
    pybind11 class bindings that nanobind writes differently (PORTING.md section 1.4): holder
    arguments of `class_<T, Holder>`, factory constructors `py::init(factory)`, `py::pickle`,
    `py::arithmetic()`, `py::module_local()`, `make_iterator` inside a class's bindings,
    `bind_vector`/`bind_map` of class elements (nanobind's `__getitem__` copies them), and
    what nanobind does not have (multiple bases, buffer protocol, metaclasses, `init_alias`,
    `nodelete`, `native_enum`, docstring options). Only run by `nbfix port` (or when selected by
    its code).

    ## Why it matters
    nanobind has no holder types (ownership is decided per call) and no `py::init(factory)`:
    a factory returning a value becomes a placement-new `__init__`, one returning a pointer or a
    holder becomes `nb::new_(factory)`. `py::pickle(get, set)` becomes `__getstate__` and a
    `__setstate__` that constructs in place. `make_iterator` needs the iterator's type scope and
    name first.

    ## Example
    ```cpp
    py::class_<Pet, std::shared_ptr<Pet>>(m, "Pet")
        .def(py::init([](std::string name) { return std::make_shared<Pet>(name); }), py::arg("name"))
        .def(py::init([](int age) { return Pet("pet", age); }), py::arg("age"));
    ```
    Use instead:
    ```cpp
    nb::class_<Pet>(m, "Pet")
        .def(nb::init<std::string>(), nb::arg("name"))
        .def("__init__", [](Pet *self, int age) { new (self) Pet("pet", age); }, nb::arg("age"));
    ```

    ## Fix safety
    Safe: a factory lambda that only passes its parameters, in order, to `T`'s constructor
    (`return std::make_shared<T>(a, b);`, `new T(a, b)`, `T(a, b)`) becomes `init<A, B>()` for
    nanobind 3, whose `init` constructs with parentheses as the factory did (2.x's braces may pick
    an `initializer_list` constructor, so there it becomes an `__init__` as below).
    Other factory lambdas become a placement-new `__init__` when each `return` makes a `T`: by
    value (`return e;` becomes `new (self) T(e);`), or as `new T(...)`, `make_unique<T>(...)`,
    `make_shared<T>(...)` (the same arguments build `T` in place). A `return f(...)` counts by
    the result type `f` is declared with in the given files (`T` by value; `T *` or a smart
    pointer to `T`), every overload agreeing; so does `py::init(&f)` for a function `f` declared
    so (a value result is moved into the new object). Other pointer or holder factories become
    `nb::new_(factory)` only on a class with no other constructor: every construction then goes
    through `__new__`, so an `init<int>()` beside a `new_` raises TypeError and an `init<>()`
    leaves objects uninitialised (built and run with nanobind 3.1); there the factory is
    reported. A follow-up note says that trampolines cannot override objects `new_` makes. `py::pickle` is rewritten when its setter is
    a one-parameter lambda. `shared_ptr` holders are dropped (the caster header comes with
    NB501); custom holders are dropped with a note, since nanobind has no equivalent;
    `module_local()` is dropped with a note (a type bound twice now clashes). `bind_vector` and
    `bind_map` of class elements get `rv_policy::reference_internal` (`..._v` for nanobind 3),
    so that `v[0].x = 1` still changes the stored element as with pybind11 (nanobind's default
    returns a copy; PORTING.md row 128; proven in the compiled zoo), with a note that such a
    reference dangles once the container reallocates, as it did before. The rest is reported
    with the rewrite to make.
    """

    code = "NB504"
    name = "port-classes-constructors-enums-holders"
    priority = Priority.HIGH
    fix_safety = Safety.SAFE
    summary = "pybind11 class bindings: holders, factory init, pickle, enums, module_local..."
    needles = (b"::", b".def_buffer")
    opt_in = True
    options = {"target-version": TARGET_VERSION}

    def check(self, ctx: Context) -> Iterator[Finding]:
        view = port_view(ctx.model, ctx.content)
        for reference in view.references:
            head = reference.head
            if head == "class_" and reference.pybind11:
                yield from self._holders(ctx, reference)
            elif head == "init" and reference.parts[0].parent.type != "template_function":
                yield from self._factory(ctx, reference)
            elif head == "pickle":
                yield from self._pickle(ctx, reference)
            elif head == "arithmetic":
                yield self.finding(reference.parts[0], "`arithmetic()` is `is_arithmetic()` in nanobind",
                                   self.fix("Use `is_arithmetic()`", node_edit(reference.parts[0], "is_arithmetic")))
            elif head == "module_local":
                yield from self._module_local(reference)
            elif head in ITERATORS:
                yield from self._iterator(ctx, reference)
            elif head in ("bind_vector", "bind_map") and reference.pybind11:
                yield from self._opaque_container(ctx, reference)
            elif head in MANUAL:
                yield self.finding(reference.node, f"`{reference.path}`: {MANUAL[head]}")
        for field in descendants(view.root, {"field_identifier"}):
            if node_text(field) == "def_buffer":
                yield self.finding(field, f"`.def_buffer`: {MANUAL['buffer_protocol']}")

    # -- class_<T, ...> ----------------------------------------------------------------------

    def _holders(self, ctx: Context, reference: Reference) -> Iterator[Finding]:
        template = reference.parts[0].parent
        arguments_node = template.child_by_field_name("arguments") if template is not None else None
        if arguments_node is None:
            return
        arguments = [a for a in arguments_node.named_children if a.type != "comment"]
        bases = 0
        for argument in arguments[1:]:
            text = squash(node_text(argument))
            kind = _holder_kind(text)
            if kind is None:
                bases += 1
                continue
            fix = self.fix("Drop the holder", Edit(arguments[arguments.index(argument) - 1].end_byte, argument.end_byte, ""))
            if "nodelete" in text:
                fix = fix._replace(follow_up=MANUAL["nodelete"])
            elif kind not in STANDARD_HOLDERS:
                fix = fix._replace(follow_up=(
                    f"custom holder `{node_text(argument)}` dropped: nanobind has none; share ownership through "
                    "`std::shared_ptr` or `nb::intrusive_ptr`, and check functions taking or returning the holder"))
            yield self.finding(argument, f"nanobind has no holder types: `{node_text(argument)}` goes", fix)
        if bases > 2:
            yield self.finding(reference.node, f"`class_` with {bases} bases: {MANUAL['multiple_inheritance']}")

    # -- py::init(factory) ----------------------------------------------------------------------

    def _factory(self, ctx: Context, reference: Reference) -> Iterator[Finding]:
        call = call_of(reference.node)
        if call is None:
            return
        arguments = arguments_of(call)
        cls = _class_around(ctx, call)
        if len(arguments) == 2:
            yield self.finding(call, "`init(factory, alias_factory)`: nanobind's `new_` cannot construct trampolines; "
                               "bind `nb::init<...>()` (or `__init__` with placement new) instead")
            return
        if len(arguments) != 1 or cls is None:
            return
        factory = arguments[0]
        target = cls.cpp_type
        qualifier = nanobind_qualifier(node_text(reference.scope))
        kind = _factory_kind(ctx, factory, target, _local_alias(call, target))
        function = _function_reference(factory)
        if kind is None and function is not None:
            # `py::init(&make)`: a function the project declares, returning `T` or a pointer or
            # holder to it; `new_` takes it as it is (a value result is moved into the object).
            names = _spellings(target, _local_alias(call, target))
            kind = "pointer" if _declared_result_kind(ctx, function, names) in ("value", "pointer") else None
        forwarded = forwarded_parameter_types(ctx.content, factory, target) if kind in ("value", "made") else None
        if forwarded is not None and target_version(ctx.options) >= 3 and not descendants(call, {"comment"}):
            # nanobind 3's `init<...>` constructs with parentheses, as the factory did (2.x uses
            # braces, which may pick an initializer_list constructor instead).
            yield self.finding(
                reference.node, "nanobind has no factory `init`: a factory that only passes its parameters to the "
                "constructor is `init<...>()`",
                self.fix("Use `init<...>()`", Edit(reference.parts[0].start_byte, call.end_byte, f"init<{', '.join(forwarded)}>()")),
            )
            return
        if kind in ("value", "made") and call.parent is not None and call.parent.type == "argument_list":
            # In place where every return makes a `T` (by value, `new T`, `make_unique<T>`): an
            # `__init__`, which overloads with the class's other constructors.
            rewritten = placement_new_lambda(ctx.content, factory, f"{target} *", target, "")
            if rewritten is not None:
                yield self.finding(
                    reference.node, "nanobind has no factory `init`: the factory becomes an `__init__` that "
                    "constructs in place", self.fix("Use a placement-new `__init__`", node_edit(call, f'"__init__", {rewritten}')),
                )
                return
        if kind in ("made", "pointer"):
            others = _other_constructors(ctx, cls, call)
            if others:
                # `new_` makes `__new__` overloads, which every construction then goes through:
                # beside it `init<int>()` raises TypeError and `init<>()` leaves the object
                # uninitialised (built and run: nanobind 3.1, tests/test_port_compile.py).
                yield self.finding(
                    reference.node, f"factory `init` returning a pointer or holder, on a class with other constructors "
                    f"(line {others[0].start_point.row + 1}): beside `{qualifier}::new_(factory)` they would fail at "
                    f"run time; write `.def(\"__init__\", []({target} *self, <args>) {{ new (self) {target}(...); }})` "
                    "building the object in place, or make every constructor a `new_`")
                return
            fix = self.fix("Use `new_(factory)`", node_edit(reference.parts[0], "new_"))._replace(follow_up=(
                "`nb::new_` makes a `__new__` overload: an `__init__` constructor added to this class later would "
                "fail at run time, and objects it makes cannot be overridden from Python through a trampoline"))
            yield self.finding(reference.node, "nanobind has no factory `init`: a factory returning a pointer or "
                               f"holder is `{qualifier}::new_(factory)`", fix)
            return
        yield self.finding(
            reference.node, f"factory `init`: write `.def(\"__init__\", []({target} *self, <args>) {{ new (self) "
            f"{target}(<factory(args)>); }})`, or `.def({qualifier}::new_(factory))` when it returns a pointer or holder",
        )

    # -- bind_vector / bind_map ------------------------------------------------------------------

    def _opaque_container(self, ctx: Context, reference: Reference) -> Iterator[Finding]:
        """PORTING.md row 128: nanobind's `__getitem__` copies each element (2.0 and later) where
        pybind11's returned a reference into the container."""
        template = reference.parts[0].parent
        arguments = template.child_by_field_name("arguments") if template is not None and template.type == "template_function" else None
        given = [a for a in arguments.named_children if a.type != "comment"] if arguments is not None else []
        if len(given) != 1:
            return  # a policy is given already, or the container is not visible
        container = squash(node_text(given[0]))
        element = _element_type(container, reference.head)
        if element is None or element.removeprefix("const") in _VALUE_ELEMENTS:
            return
        # nanobind 3 takes the policy as a value (`..._v`), 2.x as the enum.
        policy = "reference_internal_v" if target_version(ctx.options) >= 3 else "reference_internal"
        fix = self.fix("Keep pybind11's references", Edit(given[0].end_byte, given[0].end_byte,
                                                          f", {node_text(reference.scope)}::rv_policy::{policy}"))
        yield self.finding(
            reference.node, f"nanobind's `{reference.head}` returns a copy of each `{element}` from `__getitem__` "
            "where pybind11 returned a reference into the container (`v[0].x = 1` changed the element)",
            fix._replace(follow_up=(
                f"`{reference.head}` keeps pybind11's references into the container (`reference_internal`): a Python "
                "reference to an element dangles once the container reallocates, as it did with pybind11; drop the "
                "policy for nanobind's copies")))

    # -- py::pickle(get, set) -----------------------------------------------------------------

    def _pickle(self, ctx: Context, reference: Reference) -> Iterator[Finding]:
        call = call_of(reference.node)
        cls = _class_around(ctx, call) if call is not None else None
        arguments = arguments_of(call) if call is not None else []
        outer = call.parent if call is not None else None
        advice = ("`pickle(get, set)`: bind `.def(\"__getstate__\", get)` and "
                  "`.def(\"__setstate__\", [](T &self, State state) { new (&self) T(set(state)); })`")
        if cls is None or len(arguments) != 2 or outer is None or outer.type != "argument_list" or len(outer.named_children) != 1:
            yield self.finding(reference.node, advice)
            return
        getter, setter = arguments
        rewritten = None
        if setter.type == "lambda_expression" and _factory_kind(ctx, setter, cls.cpp_type) == "value":
            rewritten = placement_new_lambda(ctx.content, setter, f"{cls.cpp_type} &", cls.cpp_type, "&")
        if rewritten is None:
            yield self.finding(reference.node, advice)
            return
        comma = next((c for c in call.child_by_field_name("arguments").children
                      if c.type == "," and getter.end_byte <= c.start_byte < setter.start_byte), None)
        if comma is None:
            yield self.finding(reference.node, advice)
            return
        # Piece by piece, so that comments and line breaks between the two functions stay.
        yield self.finding(
            reference.node, "nanobind has no `pickle(get, set)`: `__getstate__` and a `__setstate__` that constructs in place",
            self.fix("Use `__getstate__`/`__setstate__`",
                     Edit(call.start_byte, getter.start_byte, '"__getstate__", '),
                     Edit(getter.end_byte, comma.end_byte, ').def("__setstate__",'),
                     node_edit(setter, rewritten), Edit(setter.end_byte, call.end_byte, "")),
        )

    def _module_local(self, reference: Reference) -> Iterator[Finding]:
        call = call_of(reference.node)
        if call is None or call.parent is None or call.parent.type != "argument_list":
            yield self.finding(reference.node, "nanobind has no module-local types")
            return
        fix = self.fix("Drop `module_local()`", remove_argument(call.parent, call))._replace(
            follow_up="`module_local()` dropped: nanobind has no module-local types; if another extension binds the "
            "same C++ type, the second registration now fails (give one of them `NB_DOMAIN` in CMake)")
        yield self.finding(reference.node, "nanobind has no module-local types", fix)

    def _iterator(self, ctx: Context, reference: Reference) -> Iterator[Finding]:
        call = call_of(reference.node)
        cls = _class_around(ctx, call) if call is not None else None
        arguments = call.child_by_field_name("arguments") if call is not None else None
        qualifier = nanobind_qualifier(node_text(reference.scope))
        given = arguments_of(call) if call is not None else []
        if len(given) >= 2 and (given[1].type == "string_literal" or "type<" in squash(node_text(given[0]))):
            return  # nanobind's form already: scope and name first
        if cls is None or arguments is None or not given:
            yield self.finding(reference.node, f"`{reference.head}` in nanobind takes the iterator's scope and name "
                               f"first: `{qualifier}::{reference.head}(nb::type<Cls>(), \"iterator\", begin, end)`")
            return
        first = given[0]
        scope = f'{qualifier}::type<{cls.cpp_type}>(), "{reference.head.removeprefix("make_")}", '
        yield self.finding(reference.node, f"`{reference.head}` in nanobind takes the iterator's scope and name first",
                           self.fix("Pass the scope and name", Edit(first.start_byte, first.start_byte, scope)))


# Element types whose Python value is a copy in both libraries: nothing to write through.
_VALUE_ELEMENTS = frozenset({
    "bool", "char", "int", "unsigned", "long", "short", "float", "double", "size_t", "std::size_t", "std::string",
    "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t", "std::int8_t",
    "std::int16_t", "std::int32_t", "std::int64_t", "std::uint8_t", "std::uint16_t", "std::uint32_t", "std::uint64_t",
    "unsignedint", "longlong", "unsignedlong", "unsignedchar", "std::complex<double>", "std::complex<float>",
})


def _element_type(container: str, head: str) -> str | None:
    """`std::vector<Atom>` -> `Atom`; `std::map<K, V>` -> `V` (what `__getitem__` returns)."""
    if "<" not in container or not container.endswith(">"):
        return None
    inner = container[container.index("<") + 1:-1]
    depth, parts, start = 0, [], 0
    for i, char in enumerate(inner):
        depth += char == "<"
        depth -= char == ">"
        if char == "," and depth == 0:
            parts.append(inner[start:i])
            start = i + 1
    parts.append(inner[start:])
    index = 0 if head == "bind_vector" else 1
    return parts[index].strip() if len(parts) > index else None


def _holder_kind(text: str) -> str | None:
    """`std::shared_ptr<T>` -> "shared_ptr"; a custom holder -> its name; a base or trampoline -> None."""
    name = text.split("<")[0].rsplit("::", 1)[-1]
    if "<" in text and (name.endswith("_ptr") or name.endswith("Ptr") or name.endswith("Holder") or name.endswith("holder")):
        return name
    return None


def _class_around(ctx: Context, node):
    """The class binding whose `.def` call holds `node`."""
    from nbfix.model.bindings import ClassBinding

    for binding in ctx.model.bindings:
        if binding.call.start_byte <= node.start_byte and node.end_byte <= binding.call.end_byte:
            if isinstance(binding.owner, ClassBinding):
                return binding.owner
    return None


def _function_reference(node) -> str | None:
    """`&make` or `make` (also qualified): the function's name; None for anything else."""
    if node.type == "pointer_expression" and node_text(node).startswith("&"):
        node = node.child_by_field_name("argument")
    if node is not None and node.type in ("identifier", "qualified_identifier"):
        return node_text(node)
    return None


def _other_constructors(ctx: Context, cls, call) -> list:
    """The other constructors bound on `cls` (`init<...>()`, a factory that becomes an
    `__init__`, an `"__init__"` method), as the `.def` calls binding them."""
    found = []
    for binding in ctx.model.bindings:
        if binding.owner is not cls or binding.method != "def" or not binding.arguments:
            continue
        if binding.call.start_byte <= call.start_byte and call.end_byte <= binding.call.end_byte:
            continue  # the factory's own `.def`
        first = squash(node_text(binding.arguments[0]))
        template = first.split("::")[-1]
        if first == '"__init__"' or template.startswith(("init<", "init(", "init_alias<")):
            if not template.startswith("new_("):
                found.append(binding.call)
    return found


def _factory_kind(ctx: Context, factory, target: str, aliased: str | None = None) -> str | None:
    """What a factory lambda's returns give: "value" (each a `T`, or some made by `new`), "made"
    (each `new T`/`make_unique<T>`/`make_shared<T>`: constructible in place too), "pointer" (an
    existing pointer or holder of a `T` among them: only `new_` takes it), or None (not a lambda,
    or a result nbfix cannot type)."""
    if factory.type != "lambda_expression":
        return None
    kinds = set()
    for statement in descendants(factory, {"return_statement"}):
        if _owner_lambda(statement) != factory:
            continue
        value = statement.named_children[0] if statement.named_children else None
        kinds.add(_result_kind(ctx, value, target, aliased) if value is not None else None)
    declarator = factory.child_by_field_name("declarator")
    trailing = next((c for c in declarator.children if c.type == "trailing_return_type"), None) if declarator else None
    if trailing is not None and (None in kinds or not kinds):
        text = squash(node_text(trailing))
        return "pointer" if text.endswith("*") or "_ptr<" in text else "value"
    if not kinds or None in kinds:
        return None
    if kinds <= {"value", "made"}:
        return "value" if "value" in kinds else "made"
    return "pointer" if kinds <= {"made", "pointer"} else None


def _result_kind(ctx: Context, value, target: str, aliased: str | None = None) -> str | None:
    """What one `return` gives: a `T` made there or declared as one ("value"), a new object
    ("made"), a pointer or holder a declared function returns ("pointer"), or something nbfix
    cannot type (None)."""
    text = squash(node_text(value))
    if value.type == "new_expression" or text.startswith(("std::make_unique", "std::make_shared")):
        return "made"
    names = _spellings(target, aliased)
    callee = value.child_by_field_name("function") if value.type == "call_expression" else (
        value.child_by_field_name("type") if value.type == "compound_literal_expression" else None)
    if callee is not None and squash(node_text(callee)) in names:
        return "value"
    if callee is not None and value.type == "call_expression" and callee.type in ("identifier", "qualified_identifier"):
        return _declared_result_kind(ctx, node_text(callee), names)
    if value.type == "identifier":
        declared = ctx.model.declared_type(node_text(value), value)
        return "value" if declared is not None and squash(declared) in names else None
    return None


def _local_alias(node, name: str) -> str | None:
    """The type a `typedef T name;` or `using name = T;` in a block around `node`, before it,
    stands for (pyopencl binds each class as `{ typedef program cls; py::class_<cls>(...) }`).
    Where the block is a parse error the nearest such declaration before `node` counts."""
    scope = node.parent
    while scope is not None:
        if scope.type in ("compound_statement", "ERROR"):
            # A block's own statements; in a parse error the structure is lost: any before `node`.
            statements = scope.named_children if scope.type == "compound_statement" else descendants(
                scope, {"type_definition", "alias_declaration"})
            found = None
            for statement in statements:
                if statement.end_byte <= node.start_byte:
                    found = _alias_of(statement, name) or found
            if found is not None:
                return found
        scope = scope.parent
    return None


def _alias_of(statement, name: str) -> str | None:
    if statement.type == "type_definition":
        declarator, aliased = statement.child_by_field_name("declarator"), statement.child_by_field_name("type")
    elif statement.type == "alias_declaration":
        declarator, aliased = statement.child_by_field_name("name"), statement.child_by_field_name("type")
    else:
        return None
    if declarator is None or aliased is None or node_text(declarator) != name:
        return None
    return squash(node_text(aliased))


def _spellings(target: str, aliased: str | None = None) -> tuple[str, ...]:
    """How code names the bound class: `ns::Pet<int>` and `Pet`, and the same for its alias."""
    return tuple(name for t in (target, aliased) if t for name in (squash(t), t.split("<")[0].rsplit("::", 1)[-1]))


def _declared_result_kind(ctx: Context, function: str, names: tuple[str, ...]) -> str | None:
    """What a call to a declared function gives (pyopencl's `return create_program_with_source(...)`
    declared `program *create_program_with_source(...)` in a header): every overload of that name
    must return the class itself ("value"), or a raw or smart pointer to it ("pointer")."""
    signatures = ctx.model.project.function_signatures(function)
    kinds = {_type_kind(signature.returns, names) for signature in signatures or ()}
    return kinds.pop() if len(kinds) == 1 else None


def _type_kind(spelling: str, names: tuple[str, ...]) -> str | None:
    text = squash(spelling).removeprefix("const ").strip()
    if text in names:
        return "value"
    if text.endswith("*") and text[:-1].strip() in names:
        return "pointer"
    for holder in ("std::unique_ptr<", "std::shared_ptr<"):
        if text.startswith(holder) and text.endswith(">") and text[len(holder):-1].strip() in names:
            return "pointer"
    return None


def _owner_lambda(node):
    node = node.parent
    while node is not None and node.type != "lambda_expression":
        node = node.parent
    return node
