"""NB405 operator-not-marked."""

from __future__ import annotations

import re
from typing import Iterator

from nbfix.cpp.syntax import code_text
from nbfix.cpp.text import add_argument
from nbfix.index.declarations import short_name
from nbfix.model.bindings import Binding, BindingModel
from nbfix.rules import Context, Finding, Priority, Rule, Safety

_ARITHMETIC = ("add", "sub", "mul", "matmul", "truediv", "floordiv", "mod", "divmod", "pow",
               "lshift", "rshift", "and", "xor", "or")
BINARY_DUNDERS = frozenset(
    [f"__{op}__" for op in _ARITHMETIC]
    + [f"__r{op}__" for op in _ARITHMETIC]
    + [f"__i{op}__" for op in _ARITHMETIC]
    + ["__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"]
)


_EQUALITY = frozenset({"__eq__", "__ne__"})
_SCALAR = re.compile(
    r"^(?:(?:un)?signed |long |short )*(?:bool|char|int|long|short|unsigned|float|double|size_t|ssize_t|"
    r"ptrdiff_t|u?int(?:8|16|32|64)_t|Py_ssize_t)$"
)
# Python wrappers that accept every operand (pybind11: None included).
_ANYTHING = frozenset({"object", "handle", "any"})


class OperatorNotMarked(Rule):
    """
    ## What it finds
    A hand-written binary operator binding (`.def("__add__", ...)`, `__eq__`, `__lt__`, the
    reflected `__radd__` and in-place `__iadd__` forms, ...) without `is_operator()`, when an
    operand can actually fail to convert: always for `==`/`!=` (nanobind converts None to no
    parameter type, not even `nb::object`; pybind11's `py::object` takes it), and for the others
    when the operand is a bound class or a scalar. An operand
    that takes nearly anything (`nb::object`, a variant, an alias nbfix cannot see through, a class
    that converts implicitly from any object) raises in the body, where `is_operator()` changes
    nothing: not reported; nor are the overloads of a name one of whose overloads takes every
    object (`nb::object` with `.none()`), since then no operand mismatches.

    ## Why it matters
    When the other operand's type does not match, an operator must return `NotImplemented` so
    that Python tries the reflected operation (`other.__radd__`) or falls back to identity for
    `==`. Without `is_operator()`, nanobind and pybind11 raise `TypeError` instead, so
    `Vec(1) + PyNumber()` fails even though `PyNumber` defines `__radd__`, and `vec == None`
    raises instead of returning False. `nb::self + nb::self` sets the flag automatically;
    hand-written lambdas and member pointers do not.

    ## Example
    ```cpp
    nb::class_<Vec>(m, "Vec")
        .def("__add__", [](const Vec &a, const Vec &b) { return a + b; });
    ```
    Use instead:
    ```cpp
    nb::class_<Vec>(m, "Vec")
        .def("__add__", [](const Vec &a, const Vec &b) { return a + b; }, nb::is_operator());
    ```

    ## Fix safety
    Safe. Calls with matching operands behave exactly as before; only mismatched operands change,
    from a `TypeError` raised by the binding to Python's normal operator protocol.
    """

    code = "NB405"
    name = "operator-not-marked"
    priority = Priority.MEDIUM
    fix_safety = Safety.SAFE
    summary = "Hand-written binary operator without is_operator(): reflected operands never tried"
    needles = (b"__",)

    def check(self, ctx: Context) -> Iterator[Finding]:
        model = ctx.model
        catch_all: dict[tuple[str, int], bool] = {}  # (name, owner): has a catch-all overload
        groups: dict[tuple[str, int], list[Binding]] = {}  # the overloads tried in turn
        for other in model.bindings:
            if other.python_name in BINARY_DUNDERS and other.callable is not None:
                groups.setdefault((other.python_name, id(other.owner)), []).append(other)
        for binding in model.bindings:
            if binding.python_name not in BINARY_DUNDERS or binding.extras_of("is_operator"):
                continue
            if binding.method != "def" or binding.callable is None:
                continue
            if not can_mismatch(model, binding):
                continue
            key = (binding.python_name, id(binding.owner))
            if key not in catch_all:
                catch_all[key] = any(takes_anything(model, o) for o in groups[key])
            if catch_all[key]:
                continue
            arguments = binding.call.child_by_field_name("arguments")
            edits = add_argument(ctx.content, arguments, f"{model.dialect.prefix}is_operator()")
            yield self.finding(
                binding.anchor,
                f'"{binding.python_name}" is bound without is_operator(): a mismatched operand raises '
                "TypeError instead of returning NotImplemented, so the reflected operation is never tried",
                self.fix("Add is_operator()", *edits),
            )


def other_operand(model: BindingModel, binding: Binding) -> str | None:
    """The C++ type of the operand that is not `self`, when visible."""
    target = binding.callable
    if target.kind == "lambda":
        return target.params[1].type if len(target.params) == 2 else None
    signatures = model.signatures(target)
    if not signatures or len(signatures) != 1:
        return None
    params = signatures[0].params
    wanted = 1 if target.kind == "member_pointer" and target.scope in model.project.classes else 2
    return params[-1] if len(params) == wanted else None


def takes_anything(model: BindingModel, binding: Binding) -> bool:
    """A catch-all overload: its operand converts every object, None included (pybind11's
    `py::object`; nanobind's only with `.none()`). Behind one, no operand ever mismatches."""
    operand = other_operand(model, binding)
    if operand is None or model.dialect.strip(bare(operand)) not in _ANYTHING:
        return False
    return model.dialect.name != "nanobind" or any(".none()" in code_text(e.node) for e in binding.extras_of("arg"))


def bare(operand: str) -> str:
    return " ".join(operand.replace("&", " ").replace("*", " ").split()).removeprefix("const ").removesuffix(" const")


def can_mismatch(model: BindingModel, binding: Binding) -> bool:
    """Can an operand fail to convert, so that is_operator() changes what happens? `None` fails
    every operand type (nanobind: wrappers too), so `==` and `!=` always can; the others only when
    the operand is visibly narrow: a bound class or a scalar (a variant, an alias or a class that
    converts implicitly from any object takes nearly everything, and raises in the body)."""
    operand = other_operand(model, binding)
    if operand is None:
        return binding.python_name in _EQUALITY
    core = bare(operand)
    if binding.python_name in _EQUALITY:
        # nanobind rejects None even for `nb::object`; pybind11's wrappers take it.
        return model.dialect.name == "nanobind" or model.dialect.strip(core) not in _ANYTHING
    if "<" in core:
        return False
    return bool(_SCALAR.match(core)) or short_name(core) in model.project.bound_short_names()[0]
