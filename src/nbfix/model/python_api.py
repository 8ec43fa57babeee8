"""What the bindings show Python: the facts a port of the Python side needs (NB509).

Which module-level functions and constructors take a `bool` or a pointer at which position or
keyword, whether that pointer accepts `None` (`.none()`), and which enums are arithmetic. Only
names bound on a `PYBIND11_MODULE` module or on a submodule of it (`m.def_submodule("linalg")`)
are described: those are the ones Python code can be seen to reach through the module's name
(nanobind bindings have nothing left to port).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from nbfix.cpp.syntax import node_text
from nbfix.model.bindings import Binding, BindingModel, ClassBinding, ModuleBinding
from nbfix.model.facts import extension_modules

_BOOL = re.compile(r"(?:const\s+)?bool(?:\s*const)?\s*&?")


class Callee(NamedTuple):
    """One bound overload as Python calls it: each parameter's C++ type, keyword and whether
    `None` may be passed for it."""

    types: tuple[str, ...]
    names: tuple[str | None, ...]
    accepts_none: tuple[bool, ...]

    def position_of(self, keyword: str) -> int | None:
        return self.names.index(keyword) if keyword in self.names else None

    def takes_bool(self, position: int) -> bool:
        return position < len(self.types) and _BOOL.fullmatch(self.types[position]) is not None

    def refuses_none(self, position: int) -> bool:
        """A raw pointer parameter without `.none()`: nanobind raises TypeError for None."""
        return position < len(self.types) and self.types[position].endswith("*") and not self.accepts_none[position]


class PythonApi(NamedTuple):
    modules: frozenset[str]  # extension module names, e.g. `_core`
    # module attribute -> overloads (a class: its constructors); a function of a submodule made
    # with `m.def_submodule("linalg")` is `linalg.norm`
    callables: dict[str, tuple[Callee, ...]]
    enums: dict[str, bool]  # enum Python name -> arithmetic (int() works)
    submodules: frozenset[str] = frozenset()  # names given to `def_submodule`


def python_api(models: Iterable[BindingModel]) -> PythonApi:
    """The facts of every given file's pybind11 bindings, merged."""
    modules: set[str] = set()
    callables: dict[str, list[Callee]] = {}
    enums: dict[str, bool] = {}
    for model in models:
        if model.dialect.name != "pybind11":
            continue  # nanobind bindings already are what the Python code meets: nothing to port
        modules.update(extension_modules(model.text.encode("utf-8")))
        for binding in model.bindings:
            attribute = _module_attribute(binding)
            callee = _callee(model, binding) if attribute is not None else None
            if attribute is not None and callee is not None:
                callables.setdefault(attribute, []).append(callee)
        for cls in model.classes:
            if cls.kind == "enum" and cls.creates and cls.python_name and isinstance(cls.scope, ModuleBinding):
                enums[cls.python_name] = "arithmetic" in node_text(cls.node)
    submodules = frozenset(name.rpartition(".")[0] for name in callables if "." in name)
    return PythonApi(frozenset(modules), {name: tuple(found) for name, found in callables.items()}, enums, submodules)


def _module_attribute(binding: Binding) -> str | None:
    """The module attribute a binding creates or extends: a function's name (`sub.f` for one
    bound on a `def_submodule("sub")`), a class's name for its constructors; None for anything
    else (methods, nested classes)."""
    owner = binding.owner
    if isinstance(owner, ModuleBinding) and binding.method == "def" and binding.python_name:
        if owner.submodule is None:
            return binding.python_name
        return f"{owner.submodule}.{binding.python_name}" if owner.variable is None and owner.submodule.isidentifier() else None
    constructor = binding.python_name == "__init__" or (binding.callable is not None and binding.callable.kind == "init")
    if isinstance(owner, ClassBinding) and constructor and isinstance(owner.scope, ModuleBinding):
        return owner.python_name
    return None


def _callee(model: BindingModel, binding: Binding) -> Callee | None:
    """The overload's parameters, when they are visible (a lambda, `init<...>`, or a function
    whose declaration is among the files); the `arg`s give the keywords."""
    target = binding.callable
    if target is None:
        return None
    if target.kind in ("lambda", "init"):
        types = [p.type for p in target.params]
    else:
        signatures = model.signatures(target)
        if not signatures or len(signatures) != 1:
            return None
        types = list(signatures[0].params)
    if binding.python_name == "__init__" and target.kind == "lambda":
        types = types[1:]  # nanobind's placement-new `__init__` takes `T *self` first
    args = binding.extras_of("arg")
    names = [a.value for a in args] + [None] * (len(types) - len(args))
    none = [".none(" in node_text(a.node) for a in args] + [False] * (len(types) - len(args))
    return Callee(tuple(types), tuple(names[: len(types)]), tuple(none[: len(types)]))
