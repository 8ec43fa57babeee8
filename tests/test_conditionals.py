"""Preprocessor lines inside method chains are hidden from the parser (nbfix.cpp.conditionals)."""

from __future__ import annotations

from pathlib import Path

from nbfix.cpp.conditionals import blanked, hidden_lines
from nbfix.cpp.parsing import error_count, parse

CHAIN = b"""\
void bind(py::module_ &m) {
    py::class_<A>(m, "A")
        .def("f", &A::f)  // a comment: http://example.com
#if VERSION >= 2
        .def("g", &A::g)
#else
        .def("h", &A::h)
#endif
        EXPOSE_INT_PTR(cl_device_id)
#if 0
        .def("dead", &A::dead
#endif
        ;
}
"""


def test_a_chain_with_conditionals_parses_and_keeps_every_offset():
    assert error_count(parse(CHAIN.replace(b"#if VERSION", b"#if VERSION"))) == 0
    seen = blanked(CHAIN)
    assert len(seen) == len(CHAIN) and seen.count(b"\n") == CHAIN.count(b"\n")
    assert b"#" not in seen and b"EXPOSE_INT_PTR" not in seen
    assert b'.def("g", &A::g)' in seen and b'.def("h", &A::h)' in seen  # every live branch is parsed
    assert b"dead" not in seen  # an `#if 0` branch is not code at all


def test_the_plain_parse_of_that_chain_fails():
    # Why the module exists: without it the whole function is one parse error.
    from nbfix.cpp.parsing import _parser

    assert _parser().parse(CHAIN).root_node.has_error


def test_hidden_ranges_are_whole_lines_and_keep_crlf():
    crlf = CHAIN.replace(b"\n", b"\r\n")
    seen = blanked(crlf)
    assert seen.count(b"\r\n") == crlf.count(b"\r\n")
    for start, end in hidden_lines(crlf):
        assert crlf[start - 2:start] == b"\r\n"  # whole lines, from their start
        assert crlf[end:end + 2] == b"\r\n" or crlf[end - 2:end] == b"\r\n"
    assert error_count(parse(crlf)) == 0


def test_conditionals_between_statements_and_declarations_are_left_to_the_parser():
    code = b"""\
#ifdef _WIN32
#include <windows.h>
#endif
PYBIND11_NAMESPACE_BEGIN(detail)
#if defined(FEATURE)
template <typename T> struct caster {};
#endif
void f() {
    g();
#if FEATURE
    h();
#endif
}
"""
    assert hidden_lines(code) == ()


def test_a_macro_call_is_hidden_only_between_chain_links():
    code = b"CONST_NAME_TESTS(a, b)\n\n#ifdef X\nCONST_NAME_TESTS(c, d)\n#endif\nvoid f();\n"
    assert hidden_lines(code) == ()


def test_no_edit_lands_on_a_hidden_line(tmp_path: Path):
    """A port of the chain leaves every directive and macro line byte for byte."""
    from typer.testing import CliRunner

    from nbfix.cli.app import app

    source = b"#include <pybind11/pybind11.h>\nnamespace py = pybind11;\nstruct A { int f(); int g(); int h(); };\n" + (
        CHAIN.replace(b"void bind(py::module_ &m) {", b"PYBIND11_MODULE(ext, m) {")
        .replace(b'.def("dead", &A::dead', b'.def("dead", py::arg("x")')
    )
    path = tmp_path / "ext.cpp"
    path.write_bytes(source)
    run = CliRunner().invoke(app, ["port", "--no-lint", str(path)])
    assert run.exit_code in (0, 1), run.output
    ported = path.read_bytes()
    assert b"nb::class_<A>" in ported
    for line in source.splitlines():
        if line.lstrip().startswith((b"#if", b"#else", b"#endif", b"EXPOSE_INT_PTR", b'.def("dead"')):
            assert line in ported.splitlines()
