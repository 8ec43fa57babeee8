"""NB101 reference-lifetime."""

from __future__ import annotations

from typing import Iterator

from nbfix.cpp.text import replace_policy
from nbfix.rules import Context, Finding, Priority, Rule, Safety


class ReferenceLifetime(Rule):
    """
    ## What it finds
    Method bindings (`.def`, `.def_prop_ro/rw`, `.def_ro/rw` on a class binding, not `def_static`
    and not `__init__`) whose return value policy is `reference` while nothing ties the result to
    `self` (no `reference_internal`, no `keep_alive<0, 1>`), and whose result demonstrably lives
    inside `self`: a field that holds its value, an element of one (`items_[i]`, `*parts_.at(i)`,
    `child_.get()` of a `unique_ptr` member), or what another accessor of the class with such a
    body returns. nbfix reads the method's body (in the class, or defined in any given file) or
    the lambda's. It says nothing when it cannot tell:
    - static member functions (bound with `.def` or not): there is no `self` to tie to;
    - methods returning `this` / `*this`: nanobind hands back the existing wrapper;
    - raw pointer, reference and view members, and containers of raw pointers: the object they
      point at may belong to someone else (an IR container, a registry);
    - lambdas without a `-> T&` / `-> T*` result type that return a reference: `auto` decays it
      to a value, which is moved into Python;
    - bodies it cannot see (declared in a header, defined in a file it was not given), locals,
      parameters and free functions' results.
    Results that are visibly returned by value are left alone too: no policy can make them dangle.

    ## Why it matters
    `reference` wraps the returned object without owning it and without keeping its owner alive.
    Once the last Python reference to the parent goes away, the parent is destroyed and the child
    wrapper points into freed memory: a use after free that often "works" until it crashes.
    For containers of pointers the policy applies to every element, so each element dangles.

    ## Example
    ```cpp
    nb::class_<Parent>(m, "Parent")
        .def("child", &Parent::child, nb::rv_policy::reference);
    ```
    Use instead:
    ```cpp
    nb::class_<Parent>(m, "Parent")
        .def("child", &Parent::child, nb::rv_policy::reference_internal);
    ```

    ## Fix safety
    Safe. `reference_internal` is `reference` plus a lifetime link from the result to `self`, so the
    object is shared exactly as before and the parent now lives as long as the child. The rule never
    adds `keep_alive<0, 1>` instead: that raises RuntimeError for list, tuple, str or int results and
    does not stop a pointer result from being taken over. Module functions and static methods are
    not reported: there `reference_internal` has no `self` and fails on every call.
    """

    code = "NB101"
    name = "reference-lifetime"
    priority = Priority.HIGH
    fix_safety = Safety.SAFE
    summary = "Method returns with rv_policy::reference and nothing ties the result to self"
    needles = (b"reference",)

    def check(self, ctx: Context) -> Iterator[Finding]:
        model = ctx.model
        for binding in model.method_bindings():
            policy = binding.policy
            if policy is None or policy.value != "reference" or binding.keeps_alive(0, 1):
                continue
            if model.returns_value_only(binding) or not model.returns_into_self(binding):
                continue
            what = f'"{binding.python_name}"' if binding.python_name else "this binding"
            yield self.finding(
                policy.node,
                f"{what} returns with rv_policy::reference but nothing ties the result to `self`; "
                "it dangles once the parent is freed",
                self.fix("Use reference_internal", replace_policy(policy.node, "reference_internal")),
            )
