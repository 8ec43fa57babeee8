"""NB403 keep-alive-on-value."""

from __future__ import annotations

import re
from typing import Iterator

from nbfix.core.patterns import LazyPattern
from nbfix.cpp.text import remove_argument, replace, replace_policy
from nbfix.index.casters import loose_type
from nbfix.index.declarations import classify_type
from nbfix.model.bindings import Binding, Extra
from nbfix.model.dialect import Dialect
from nbfix.rules import Context, Finding, Priority, Rule, Safety

_NUMBER = LazyPattern(
    r"^(?:unsigned|signed)?(?:bool|char|wchar_t|short|int|long|longlong|float|double|longdouble|"
    r"(?:std::)?u?int(?:8|16|32|64)_t|(?:std::)?size_t|ssize_t|Py_ssize_t|unsignedint|unsignedlong)$"
)
_STD_VALUES = {
    "string", "basic_string", "string_view", "wstring", "vector", "map", "unordered_map", "set",
    "unordered_set", "list", "deque", "array", "tuple", "pair", "complex",
}
_PYTHON_VALUES = {"list", "tuple", "dict", "str", "int_", "float_", "bytes", "set", "bool_"}


def _core(type_text: str) -> str:
    squashed = "".join(type_text.split())
    squashed = re.sub(r"\bconst\b|\bvolatile\b", "", type_text)
    return "".join(squashed.split()).rstrip("&*")


def is_value_result(type_text: str, dialect: Dialect) -> bool:
    """A result that is visibly not a bound-class instance: a number, string, STL container or
    Python list/tuple/dict/str wrapper. keep_alive cannot use it as the nurse."""
    core = _core(type_text)
    if _NUMBER.match(core):
        return True
    template = core.partition("<")[0]
    if template.startswith("std::") and template.removeprefix("std::") in _STD_VALUES:
        return True
    wrapper = dialect.strip(template)
    return "::" in template and wrapper in _PYTHON_VALUES


def is_bare_pointer(type_text: str) -> bool:
    squashed = "".join(type_text.split())
    return squashed.endswith("*") and "<" not in squashed


class KeepAliveOnValue(Rule):
    """
    ## What it finds
    `keep_alive<0, N>` on a binding whose result (from a lambda's declared return type, or from the
    declaration of the bound member or function in the given files) is visibly not an instance of
    a bound class: a number, `std::string`, an STL container, a `list`/`tuple`/`dict`/`str`.
    Also `keep_alive<0, N>` on a plain pointer result without a `reference` policy.

    ## Why it matters
    `keep_alive<0, N>` makes the result the nurse, which needs a weak reference to it. A list,
    tuple, str or int cannot be weakly referenced, so every call raises
    `RuntimeError: ... could not create a weak reference!` (and leaks the result). keep_alive also
    does not change the return value policy: a pointer result under the default policy is taken
    over by Python and later deleted, so the process aborts with `free(): invalid pointer`.

    ## Example
    ```cpp
    nb::class_<Scene>(m, "Scene")
        .def("names", &Scene::names, nb::keep_alive<0, 1>())     // std::vector<std::string>
        .def("camera", &Scene::camera, nb::keep_alive<0, 1>());  // Camera *
    ```
    Use instead:
    ```cpp
    nb::class_<Scene>(m, "Scene")
        .def("names", &Scene::names, nb::rv_policy::reference_internal)
        .def("camera", &Scene::camera, nb::rv_policy::reference_internal);
    ```

    ## Fix safety
    Safe for method bindings with `keep_alive<0, 1>`: `reference_internal` ties the result (or
    each element of a container result) to `self` exactly where that is possible, and is ignored
    for plain values. Module functions, static methods and other patients (`keep_alive<0, 2>`)
    get a suggestion instead: there `reference_internal` has no `self`, and the right fix is
    `rv_policy::reference` with keep_alive for a bound-class result, or no keep_alive for a value.
    """

    code = "NB403"
    name = "keep-alive-on-value"
    priority = Priority.HIGH
    fix_safety = Safety.SAFE
    summary = "keep_alive<0, N> on a value result (RuntimeError) or on a pointer without reference (abort)"
    needles = (b"keep_alive",)

    def check(self, ctx: Context) -> Iterator[Finding]:
        model = ctx.model
        for binding in model.bindings:
            for keep_alive in binding.extras_of("keep_alive"):
                nurse, patient = keep_alive.value
                if nurse != 0:
                    continue
                returns = model.return_types(binding)
                if not returns:
                    continue
                bound = {loose_type(t) for t in model.project.bound_short_names()[1]}
                if any(loose_type(_core(t)) in bound for t in returns):
                    continue  # an opaque container (`bind_vector`) is a bound-class instance
                problem = self.problem(binding, returns, model.dialect)
                if problem is None:
                    continue
                yield self.report(ctx, binding, keep_alive, patient, problem)

    @staticmethod
    def problem(binding: Binding, returns: list[str], dialect: Dialect) -> str | None:
        if all(is_value_result(t, dialect) for t in returns):
            return (
                f"on a `{returns[0]}` result, which is not a bound-class instance and cannot be the "
                "nurse: RuntimeError on every call"
            )
        policy = binding.policy.value if binding.policy is not None else None
        if policy in (None, "automatic") and all(
            classify_type(t) == "pointer" and is_bare_pointer(t) for t in returns
        ):
            return (
                f"on a `{returns[0]}` result without a reference policy: keep_alive does not change "
                "the policy, so Python takes the pointer over and deletes it (abort)"
            )
        return None

    def report(self, ctx: Context, binding: Binding, keep_alive: Extra, patient: int, problem: str) -> Finding:
        model = ctx.model
        what = f'"{binding.python_name}"' if binding.python_name else "this binding"
        message = f"{what}: keep_alive<0, {patient}> {problem}"
        if not (binding.is_method and patient == 1):
            advice = (
                "; return by value without keep_alive, or use rv_policy::reference with keep_alive "
                "for a bound-class result"
            )
            return self.finding(keep_alive.node, message + advice)
        policy = binding.policy
        if policy is None:
            edits = [replace(keep_alive.node, model.dialect.policy("reference_internal"))]
        else:
            arguments = binding.call.child_by_field_name("arguments")
            edits = [replace_policy(policy.node, "reference_internal"), remove_argument(arguments, keep_alive.node)]
        return self.finding(keep_alive.node, message, self.fix("Use reference_internal", *edits))
