"""NB404 missing-stl-caster."""

from __future__ import annotations

from typing import Iterator

from nbfix.index.casters import available_includes, needed_headers, opaque_types, unseen_binding_headers
from nbfix.rules import Context, Finding, Priority, Rule, Safety


class MissingStlCaster(Rule):
    """
    ## What it finds
    A binding file that passes an STL type between C++ and Python (`std::string`, `std::vector`,
    `std::optional`, `std::map`, `std::function`, ...: in a lambda's parameters or result, in the
    declaration of a bound member function, field or free function found in the given files, or in
    `init<...>`) while neither the file nor any header it includes (among the given files) includes
    the matching type-caster header.

    ## Why it matters
    A missing caster header is not a compile error. The module builds and imports, and then every
    call raises `TypeError`: "Unable to convert function return value to a Python type!" for a
    result, "incompatible function arguments" for a parameter. The C++ type name
    (`std::__cxx11::basic_string<...>`) shows up in the signature instead of `str`.

    ## Example
    ```cpp
    #include <nanobind/nanobind.h>
    // std::string crosses to Python, but <nanobind/stl/string.h> is missing
    m.def("greet", [](const std::string &name) { return "hi " + name; });
    ```
    Use instead:
    ```cpp
    #include <nanobind/nanobind.h>
    #include <nanobind/stl/string.h>
    ```
    For pybind11 the headers are `pybind11/stl.h` (containers, optional, variant),
    `pybind11/functional.h`, `pybind11/complex.h`, `pybind11/chrono.h` and
    `pybind11/stl/filesystem.h`; strings, pairs, tuples and smart pointers need none.

    ## Fix safety
    Safe. The include is added next to the file's other binding includes, in sorted order, once per
    header. It only makes conversions work that failed on every call before. Types bound as
    classes anywhere in the given files (`class_<std::filesystem::path>`, `NB_MAKE_OPAQUE`,
    `bind_vector`, `bind_map`) are left alone in every file: nanobind refuses to compile a caster
    for a bound type, and where it compiles, the caster silently takes over conversions (a `str`
    meant for a `std::string` overload goes to the path one). A file that includes a binding
    helper header nbfix was not given (`torch/csrc/utils/pybind.h`, which brings
    `pybind11/stl.h`) is not reported: the caster may come from there.
    """

    code = "NB404"
    name = "missing-stl-caster"
    priority = Priority.HIGH
    fix_safety = Safety.SAFE
    summary = "STL type crosses to Python without its type-caster header (TypeError on every call)"
    needles = (b".def",)  # the STL types may come from declarations in other files

    def check(self, ctx: Context) -> Iterator[Finding]:
        model = ctx.model
        if not model.bindings:
            return
        present = available_includes(model.project, model.includes)
        if unseen_binding_headers(model.project, present):
            return  # a binding helper header nbfix was not given may bring any caster
        opaque = opaque_types(model.text) | model.project.bound_short_names()[1]
        reported: set[str] = set()
        for binding in model.bindings:
            needed = needed_headers(model.exchanged_types(binding), model.dialect.name, opaque)
            for header, type_text in needed.items():
                if header in present or header in reported:
                    continue
                reported.add(header)
                edit = ctx.ensure_includes([header], model.dialect.name)
                what = f'"{binding.python_name}"' if binding.python_name else "this binding"
                yield self.finding(
                    binding.anchor,
                    f"{what} exchanges `{type_text}` with Python but <{header}> is not included: "
                    "it compiles, then raises TypeError on every call",
                    self.fix(f"Include <{header}>", edit) if edit is not None else None,
                )
