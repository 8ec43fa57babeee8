"""Property-based: binding files mutated at random (hypothesis) never crash nbfix, never hang it,
never get a new parse error from its fixes, are fixed once for all (fix(fix(x)) = fix(x)), and keep
every line no fix touched byte for byte.

The seeds are the shipped example project and the rule fixtures (real binding patterns of every
rule, nanobind and pybind11, LF and CRLF); the mutations are what editing does to code: a range
deleted, a line duplicated or dropped, a token typed in (braces, parentheses, `.def(`,
`rv_policy::reference`, a CRLF), two lines swapped.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from conftest import FIXTURES, ROOT  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st

from nbfix.core.source import Source  # noqa: E402
from nbfix.cpp.parsing import error_changes, error_regions, parse  # noqa: E402
from nbfix.engine.linter import Linter, apply_edits  # noqa: E402
from nbfix.model.facts import project_index  # noqa: E402
from nbfix.rules.registry import all_rules  # noqa: E402

SEEDS = sorted(
    [p for p in FIXTURES.glob("NB*/*.cpp") if ".expected." not in p.name]
    + list((ROOT / "examples").rglob("*.cpp"))
)
TOKENS = [b"{", b"}", b"(", b")", b";", b",", b"\r\n", b"\n", b'.def("f", &C::f)', b"nb::rv_policy::reference",
          b"[](C &c) { return c.x; }", b"nb::class_<C>(m, \"C\")", b"#if 0\n", b"#endif\n", b"\\\n", b"/*", b"*/",
          b'"__repr__"', b"template <class T>", b"static_cast<int (C::*)(int)>(&C::f)", b"\xc3\xa9"]
HANG_SECONDS = 120  # a guard against an endless loop, not a speed limit: speed is the benchmark's


@st.composite
def mutated(draw) -> tuple[str, bytes]:
    path = draw(st.sampled_from(SEEDS))
    content = path.read_bytes()
    lines = content.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["delete", "insert", "duplicate", "drop", "swap"]))
        content = b"".join(lines)
        if kind == "delete" and content:
            start = draw(st.integers(0, len(content) - 1))
            content = content[:start] + content[start + draw(st.integers(1, 40)):]
        elif kind == "insert":
            at = draw(st.integers(0, len(content)))
            content = content[:at] + draw(st.sampled_from(TOKENS)) + content[at:]
        elif lines:
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            if kind == "duplicate":
                lines.insert(i, lines[i])
            elif kind == "drop":
                del lines[i]
            else:
                lines[i], lines[j] = lines[j], lines[i]
            content = b"".join(lines)
        lines = content.splitlines(keepends=True)
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        content = content.decode("utf-8", "ignore").encode("utf-8")  # nbfix refuses such files anyway
    return path.name, content


def _linter(tree, content: bytes) -> Linter:
    index = project_index([("mutated.cpp", tree, content)])
    return Linter([rule() for rule in all_rules()], {}, index, unsafe_fixes=True)


def _fix(content: bytes):
    source = Source(Path("mutated.cpp"), "mutated.cpp", content, b"", "\n", 0o644)
    tree = parse(content)
    return _linter(tree, content).run(source, tree, True, set())


def _untouched_lines_kept(before: bytes, edits, after: bytes) -> bool:
    """Every line of `before` that no edit of the pass touches is in `after`, in order."""
    kept, start = [], 0
    for line in before.splitlines(keepends=True):
        end = start + len(line)
        if not any(e.start <= end and start <= e.end for e in edits):
            kept.append(line)
        start = end
    remaining = iter(after.splitlines(keepends=True))
    return all(any(line == other for other in remaining) for line in kept)


def _alarm(signum, frame):
    raise AssertionError(f"nbfix did not finish within {HANG_SECONDS} s: a hang")


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_binding_files(case):
    name, content = case
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(HANG_SECONDS)
    try:
        result = _fix(content)
        if result.error is not None and "would add parse errors" in result.error:
            # The engine's last guard: the file is left as it was. Only ever on input that does
            # not parse already (a fix next to an error can extend it).
            assert result.new_content is None and error_regions(parse(content)), name
            return
        fixed = result.new_content if result.new_content is not None else content
        # No parse error where the text parsed: errors after the fix, mapped back through its
        # passes, lie in errors of the input, or are no more than the input's errors it mended
        # (a mended chain may leave several small errors inside one that spanned the file).
        new, mended = error_changes(error_regions(parse(content)), error_regions(parse(fixed)), result.passes)
        assert len(new) <= len(mended), (name, new, mended)
        step = content
        for edits in result.passes:
            after = apply_edits(step, edits)
            assert _untouched_lines_kept(step, edits, after), name
            step = after
        assert step == fixed, name
        again = _fix(fixed)
        assert again.new_content in (None, fixed), f"{name}: a second run changed the fixed file"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
