"""`LazyPattern`: a regular expression compiled on first use, then the compiled pattern's own methods."""

from __future__ import annotations

import importlib
import pkgutil
import re

import nbfix_transforms
import pytest

import nbfix
from nbfix.core.patterns import LazyPattern

CASES = [
    (r"(\w+)=(\d+)", 0, "a=1, b=22; c=x"),
    (r"^\s*(Returns|Notes)\s*$", re.M, "x\n  Returns \nNotes\ny"),
    (rb"\bstatic_cast\s*<", 0, b"int a = static_cast <int>(b); static_cast<X>(y)"),
]


@pytest.mark.parametrize("pattern, flags, text", CASES)
def test_every_method_answers_as_the_compiled_pattern(pattern, flags, text):
    lazy, compiled = LazyPattern(pattern, flags), re.compile(pattern, flags)
    empty = text[:0]

    def span(match):
        return match.span() if match is not None else None

    assert span(lazy.search(text)) == span(compiled.search(text)) is not None
    assert [m.span() for m in lazy.finditer(text)] == [m.span() for m in compiled.finditer(text)]
    assert lazy.findall(text) == compiled.findall(text)
    assert lazy.sub(empty, text) == compiled.sub(empty, text)
    assert lazy.subn(empty, text) == compiled.subn(empty, text)
    assert lazy.split(text) == compiled.split(text)
    assert span(lazy.match(text)) == span(compiled.match(text))
    assert span(lazy.fullmatch(text)) == span(compiled.fullmatch(text))


def test_compiles_on_first_use_only():
    lazy = LazyPattern(r"a+b")
    assert "search" not in vars(lazy)  # nothing compiled yet
    assert lazy.fullmatch("aab")
    first = lazy.search
    assert isinstance(first.__self__, re.Pattern) and first.__self__.pattern == r"a+b"
    assert lazy.match.__self__ is first.__self__  # every method from the one compiled pattern
    assert lazy.search is first  # later uses do not compile again


def test_unknown_attribute_is_an_attribute_error_without_compiling():
    lazy = LazyPattern(r"(")  # not a valid pattern: compiling it would raise re.error
    with pytest.raises(AttributeError):
        lazy.groupindex
    with pytest.raises(re.error):
        lazy.search("x")


def _modules():
    for package in (nbfix, nbfix_transforms):
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if not info.name.endswith("__main__"):
                yield importlib.import_module(info.name)


def test_every_pattern_nbfix_and_its_rules_define_compiles():
    """A pattern is compiled when first used, so a typo would surface late: compile them all here."""
    found = [(module.__name__, name, value) for module in _modules()
             for name, value in vars(module).items() if isinstance(value, LazyPattern)]
    assert len(found) >= 20
    for module, name, value in found:
        assert isinstance(re.compile(value.pattern, value.flags), re.Pattern), (module, name)
