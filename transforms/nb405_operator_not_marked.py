"""NB405 operator-not-marked."""

from __future__ import annotations

from typing import Iterator

from nbfix.edits import add_argument
from nbfix.rule import Context, Finding, Priority, Rule, Safety

_ARITHMETIC = ("add", "sub", "mul", "matmul", "truediv", "floordiv", "mod", "divmod", "pow",
               "lshift", "rshift", "and", "xor", "or")
BINARY_DUNDERS = frozenset(
    [f"__{op}__" for op in _ARITHMETIC]
    + [f"__r{op}__" for op in _ARITHMETIC]
    + [f"__i{op}__" for op in _ARITHMETIC]
    + ["__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"]
)


class OperatorNotMarked(Rule):
    """
    ## What it finds
    A hand-written binary operator binding (`.def("__add__", ...)`, `__eq__`, `__lt__`, the
    reflected `__radd__` and in-place `__iadd__` forms, ...) without `is_operator()`.

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
        for binding in model.bindings:
            if binding.python_name not in BINARY_DUNDERS or binding.extras_of("is_operator"):
                continue
            if binding.method != "def" or binding.callable is None:
                continue
            arguments = binding.call.child_by_field_name("arguments")
            edits = add_argument(ctx.content, arguments, f"{model.dialect.prefix}is_operator()")
            yield self.finding(
                binding.anchor,
                f'"{binding.python_name}" is bound without is_operator(): a mismatched operand raises '
                "TypeError instead of returning NotImplemented, so the reflected operation is never tried",
                self.fix("Add is_operator()", *edits),
            )
