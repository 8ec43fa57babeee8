"""NB203's own checks: docstring types become annotations, and no sig that nanobind would turn
into a renamed binding or an import-time abort is ever written."""

from __future__ import annotations

import pytest
from nbfix.model.signatures import validate
from nbfix_transforms.nb203_signature_hints import docstring_sections, python_default, python_type, refines


@pytest.mark.parametrize(
    "doc_type, expected",
    [
        ("iterable", "collections.abc.Iterable"),
        ("iterable of float", "collections.abc.Iterable[float]"),
        ("int, optional", "int | None"),
        ("list of str", "list[str]"),
        ("tuple of int", "tuple[int, ...]"),
        ("callable", "collections.abc.Callable"),
        ("Model", "Model"),
        ("geometry.Point", "geometry.Point"),
        ("int or str", "int | str"),
        ("dict of str to int", None),
        ("array-like (n, 3)", None),
    ],
)
def test_docstring_types(doc_type, expected):
    assert python_type(doc_type) == expected


def test_optional_adds_none_only_where_cpp_accepts_it():
    assert python_type("bool, optional", accepts_none=False) == "bool"


@pytest.mark.parametrize(
    "signature, problem",
    [
        ("def f(self, a: int) -> int", None),
        ("def g(self, a: int) -> int", "names `g` instead of `f`"),
        ("def f(self, a: int) -> int:", "not of the form `def name(...) -> T`"),
        ("def f (self, a: int)", "not of the form `def name(...) -> T`"),
        ("f(self, a: int)", "not of the form `def name(...) -> T`"),
        ("def f(a: int)", "lacks `self`"),
        ("def f(self, a: int, b: int)", "has 2 parameters where C++ has 1"),
        ("def f(self, *, a: dict[str, int] = {}) -> None", None),
    ],
)
def test_validation(signature, problem):
    assert validate(signature, "f", is_method=True, count=1) == problem


def test_numpy_sections():
    doc = """
        Do it.

        Parameters
        ----------
        x : float
            The x.
        flag : bool, optional

        Returns
        -------
        list of float
            Values.
    """
    sections = docstring_sections(doc)
    assert sections["Parameters"] == [("x", "float"), ("flag", "bool, optional")]
    assert sections["Returns"] == [("list of float", None)]


@pytest.mark.parametrize(
    "documented, rendered, expected",
    [
        ("collections.abc.Iterable[float]", "collections.abc.Iterable", True),
        ("list[int]", "list", True),
        ("str", "object", True),
        ("ArgumentHolder", "collections.abc.Iterable", False),  # a docstring class name never replaces C++
        ("Model", "object", False),  # nbfix cannot tell the module prefix nanobind writes
        ("list[int]", "collections.abc.Iterable", False),  # another container contradicts C++
        ("tuple[float, ...]", "tuple[bool, str]", False),  # never loosen a precise type
        ("object", "object", False),
    ],
)
def test_only_refinements_replace_what_nanobind_renders(documented, rendered, expected):
    assert refines(documented, rendered) is expected


@pytest.mark.parametrize(
    "literal, shown",
    [("1e-3", "0.001"), ("2.", "2.0"), ("0.5f", "0.5"), ("-1", "-1"), ("3u", "3"), ("0x10", "16"),
     ("true", "True"), ("nb::none()", "None"), ('"a"', "'a'"), ("Thing{1}", None), ("kDefault", None)],
)
def test_defaults_are_shown_as_nanobind_shows_them(literal, shown):
    from nbfix.cpp.parsing import parse

    tree = parse(f"auto x = {literal};".encode())
    value = tree.root_node.children[0].child_by_field_name("declarator").child_by_field_name("value")
    assert python_default(value) == shown
