"""Which type-caster header a C++ type needs to cross into Python, per dialect.

A missing caster header is not a compile error: the module builds, then fails on every call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from nbfix.core.patterns import LazyPattern

if TYPE_CHECKING:
    from nbfix.index.declarations import IndexQueries

_NANOBIND = {
    "string": "string", "basic_string": "string", "string_view": "string_view", "wstring": "wstring",
    "vector": "vector", "list": "list", "array": "array", "map": "map", "unordered_map": "unordered_map",
    "set": "set", "unordered_set": "unordered_set", "optional": "optional", "variant": "variant",
    "pair": "pair", "tuple": "tuple", "function": "function", "shared_ptr": "shared_ptr",
    "unique_ptr": "unique_ptr", "complex": "complex", "filesystem::path": "filesystem",
    "chrono::duration": "chrono", "chrono::time_point": "chrono", "chrono::seconds": "chrono",
    "chrono::milliseconds": "chrono", "chrono::microseconds": "chrono", "chrono::nanoseconds": "chrono",
}
NANOBIND_HEADERS = {name: f"nanobind/stl/{header}.h" for name, header in _NANOBIND.items()}
# pybind11 converts strings, pairs, tuples and smart pointers in its core.
PYBIND11_HEADERS = {
    **{name: "pybind11/stl.h" for name in (
        "vector", "list", "deque", "array", "valarray", "map", "unordered_map", "set", "unordered_set",
        "optional", "variant",
    )},
    "function": "pybind11/functional.h",
    "complex": "pybind11/complex.h",
    "filesystem::path": "pybind11/stl/filesystem.h",
    **{f"chrono::{unit}": "pybind11/chrono.h" for unit in (
        "duration", "time_point", "seconds", "milliseconds", "microseconds", "nanoseconds",
    )},
}
_STD_NAME = LazyPattern(r"(?<![\w:])(?:::)?std::((?:filesystem|chrono)::\w+|\w+)")
_BINDING_HELPER = LazyPattern(r"(?i)pybind|nanobind")
_QUALIFIERS = LazyPattern(r"\b(?:const|volatile|typename)\b")
_OPAQUE = LazyPattern(r"\b(?:NB_MAKE_OPAQUE|PYBIND11_MAKE_OPAQUE)\s*(\()|\bbind_(?:vector|map)\s*(<)")


_SCOPE = LazyPattern(r"(?<![\w:])(?:::)?(?!std::)(?:\w+::)+")


def loose_type(squashed: str) -> str:
    """`std::vector<NeighborSearch::Mark*>` -> `std::vector<Mark*>`: a squashed type with every
    non-`std::` qualifier dropped, to match a type as written inside its class against how a
    binding file names it."""
    return _SCOPE.sub("", squashed.lstrip(":"))


def headers_for(dialect: str) -> dict[str, str]:
    return NANOBIND_HEADERS if dialect == "nanobind" else PYBIND11_HEADERS


def opaque_types(text: str) -> set[str]:
    """Types the file binds as opaque classes (`NB_MAKE_OPAQUE`, `bind_vector<...>`): no caster."""
    if "OPAQUE" not in text and "bind_vector" not in text and "bind_map" not in text:
        return set()  # a scan for the pattern costs about 35 ms per MB
    found = set()
    for match in _OPAQUE.finditer(text):
        if match[1]:  # the macro's whole argument: its commas belong to the type
            found.add(balanced_argument(text, match.start(1)))
        else:
            found.add(first_template_argument(text, match.start(2)))
    return found - {""}


def balanced_argument(text: str, open_paren: int) -> str:
    """The text between the parenthesis at `open_paren` and its match, squashed ("" if unclosed)."""
    span = bracketed(text, open_paren)
    return "".join(span[1:-1].split()) if span[-1:] in (")", ">", "]") and len(span) > 1 else ""


def first_template_argument(text: str, open_angle: int) -> str:
    """The first argument of the template argument list opened at `open_angle`, squashed."""
    depth = 0
    for index in range(open_angle, len(text)):
        char = text[index]
        if char in "<([":
            depth += 1
        elif char in ">)]":
            depth -= 1
        if depth == 0 or (depth == 1 and char == ","):
            return "".join(text[open_angle + 1:index].split())
    return ""


def needed_headers(types: Iterable[str], dialect: str, opaque: set[str] = frozenset()) -> dict[str, str]:
    """header -> the first type that needs it, for every std:: type in `types`."""
    table = headers_for(dialect)
    needed: dict[str, str] = {}
    for type_text in types:
        squashed = "".join(_QUALIFIERS.sub(" ", type_text).split())
        for opaque_type in opaque:
            squashed = loose_type(squashed).replace(loose_type(opaque_type), "")
        for match in _STD_NAME.finditer(without_user_template_arguments(squashed)):
            header = table.get(match[1])
            if header is not None and header not in needed:
                needed[header] = " ".join(type_text.split())
    return needed


# The library's own headers that include caster headers (read off nanobind 3.1 and pybind11 2.13).
LIBRARY_INCLUDES = {
    "nanobind/make_iterator.h": ("nanobind/stl/pair.h",),
    "nanobind/stl/bind_vector.h": ("nanobind/make_iterator.h",),
    "nanobind/stl/bind_map.h": ("nanobind/make_iterator.h",),
    "pybind11/numpy.h": ("pybind11/complex.h",),
    "pybind11/eigen.h": ("pybind11/numpy.h",),
    "pybind11/eigen/matrix.h": ("pybind11/numpy.h",),
    "pybind11/eigen/tensor.h": ("pybind11/numpy.h",),
}


def with_library_includes(includes: Iterable[str]) -> set[str]:
    """`includes` and what the binding library's headers among them include in turn."""
    seen = set(includes)
    pending = list(seen)
    while pending:
        for implied in LIBRARY_INCLUDES.get(pending.pop(), ()):
            if implied not in seen:
                seen.add(implied)
                pending.append(implied)
    return seen


_TEMPLATE_NAME = LazyPattern(r"(?<![\w:])((?:::)?(?:\w+::)*\w+)<")


def without_user_template_arguments(squashed: str) -> str:
    """`AsuData<std::complex<float>>&` -> `AsuData&`: a class template of the project (or
    `nb::ndarray<std::complex<float>>`) crosses by its own binding or caster, whatever its
    arguments; only the arguments of `std::` templates need casters of their own."""
    out, index = [], 0
    while (match := _TEMPLATE_NAME.search(squashed, index)) is not None:
        if match[1].lstrip(":").startswith("std::"):
            out.append(squashed[index:match.end()])
            index = match.end()
            continue
        end = match.end() - 1 + len(bracketed(squashed, match.end() - 1))
        out.append(squashed[index:match.end() - 1])
        index = end
    out.append(squashed[index:])
    return "".join(out)


def bracketed(text: str, open_at: int) -> str:
    """The bracketed text opened at `open_at` (`<`, `(` or `[`), brackets included (to the end if
    it is never closed)."""
    depth = 0
    for index in range(open_at, len(text)):
        if text[index] in "<([":
            depth += 1
        elif text[index] in ">)]":
            depth -= 1
            if depth == 0:
                return text[open_at:index + 1]
    return text[open_at:]


def available_includes(project: IndexQueries, includes: Iterable[str]) -> set[str]:
    """Include paths a file sees: its own, those of the given headers it includes, and those the
    binding library's headers bring (`bind_vector.h` brings the `std::pair` caster)."""
    return with_library_includes(project.reachable_includes(includes))


def unseen_binding_headers(project: IndexQueries, includes: Iterable[str]) -> list[str]:
    """Included headers that are not among the given files and look like binding helpers
    (`torch/csrc/utils/pybind.h`, `my_nanobind_helpers.h`): any caster may come from them."""
    return sorted(
        include for include in includes
        if not include.startswith(("nanobind/", "pybind11/")) and _BINDING_HELPER.search(include)
        and not project.resolve_include(include)
    )
