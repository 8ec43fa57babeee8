"""NB203's own checks: docstring types become annotations, and no sig that nanobind would turn
into a renamed binding or an import-time abort is ever written."""

from __future__ import annotations

import pytest

from nbfix_transforms.nb203_signature_hints import docstring_sections, python_type, validate


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
