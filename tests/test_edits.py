"""The shared editing helpers: arguments follow the call's layout, includes land once, in order."""

from __future__ import annotations

from nbfix.core.findings import Edit, Finding, Fix, Priority, Safety
from nbfix.cpp.parsing import captures, error_count, parse
from nbfix.cpp.text import add_argument, ensure_includes, indent_unit
from nbfix.engine.linter import apply_edits, resolve


def _add(source: str, text: str = "nb::is_operator()") -> str:
    content = source.encode()
    tree = parse(content)
    call = captures("(call_expression arguments: (argument_list) @args)", tree.root_node)["args"]
    outer = max(call, key=lambda n: n.start_byte)  # the last call in the snippet
    result = apply_edits(content, add_argument(content, outer, text)).decode()
    assert error_count(parse(result.encode())) == error_count(tree)
    return result


def test_inline_arguments_get_comma_space():
    assert _add('c.def("__add__", &V::add);') == 'c.def("__add__", &V::add, nb::is_operator());'


def test_one_argument_per_line_keeps_the_indentation():
    before = 'c.def(\n    "__add__",\n    &V::add);'
    assert _add(before) == 'c.def(\n    "__add__",\n    &V::add,\n    nb::is_operator());'


def test_arguments_aligned_to_the_parenthesis_stay_aligned():
    before = 'c.def("__add__",\n      &V::add);'
    assert _add(before) == 'c.def("__add__",\n      &V::add,\n      nb::is_operator());'


def test_trailing_comment_stays_with_its_argument():
    before = 'c.def(\n    "__add__",\n    &V::add // the sum\n);'
    assert _add(before) == 'c.def(\n    "__add__",\n    &V::add, // the sum\n    nb::is_operator()\n);'


def test_crlf_layout_uses_crlf():
    before = 'c.def(\r\n\t"__add__",\r\n\t&V::add);'
    assert _add(before) == 'c.def(\r\n\t"__add__",\r\n\t&V::add,\r\n\tnb::is_operator());'


def test_empty_argument_list():
    assert _add("f();", "x") == "f(x);"


def _include(source: str, headers: list[str], library: str = "nanobind") -> str:
    content = source.encode()
    edit = ensure_includes(content, parse(content).root_node, headers, library)
    return source if edit is None else apply_edits(content, [edit]).decode()


def test_include_goes_after_the_last_binding_include_sorted_and_once():
    source = "#include <vector>\n#include <nanobind/nanobind.h>\n#include \"mine.h\"\n\nint x;\n"
    result = _include(source, ["nanobind/stl/vector.h", "nanobind/stl/string.h", "nanobind/stl/string.h"])
    assert result == (
        "#include <vector>\n#include <nanobind/nanobind.h>\n"
        "#include <nanobind/stl/string.h>\n#include <nanobind/stl/vector.h>\n"
        "#include \"mine.h\"\n\nint x;\n"
    )


def test_present_include_is_not_added_again():
    source = "#include <nanobind/nanobind.h>\n#include <nanobind/stl/string.h>\n"
    assert _include(source, ["nanobind/stl/string.h"]) == source


def test_include_without_other_includes_goes_first_and_keeps_crlf():
    assert _include("int x;\r\n", ["pybind11/stl.h"], "pybind11") == "#include <pybind11/stl.h>\r\nint x;\r\n"


def test_include_after_last_line_without_newline():
    source = "#include <nanobind/nanobind.h>"
    assert _include(source, ["nanobind/stl/map.h"]) == "#include <nanobind/nanobind.h>\n#include <nanobind/stl/map.h>"


def _finding(*edits: Edit) -> tuple[Finding, Fix]:
    fix = Fix(tuple(edits), Safety.SAFE, "t")
    return Finding("NB000", "t", Priority.HIGH, "m", edits[0].start, edits[0].end, fix), fix


def test_overlapping_fixes_are_never_both_applied():
    first, second, third = _finding(Edit(0, 5, "a")), _finding(Edit(3, 8, "b")), _finding(Edit(8, 9, "c"))
    accepted = resolve([second, first, third])
    assert [fix.edits[0].text for _, fix in accepted] == ["a", "c"]


def test_insertions_at_the_same_point_conflict():
    accepted = resolve([_finding(Edit(4, 4, "x")), _finding(Edit(4, 4, "y"))])
    assert len(accepted) == 1


def test_a_fix_is_all_or_nothing():
    multi = _finding(Edit(0, 1, "a"), Edit(10, 11, "b"))
    blocker = _finding(Edit(10, 12, "c"))
    accepted = resolve([blocker, multi])
    # The multi-edit fix starts first and wins whole; the blocker waits for the next pass.
    assert [fix.edits for _, fix in accepted] == [multi[1].edits]


def test_indent_unit_is_the_common_step_not_a_comment_margin():
    # drjit's freeze.cpp: hundreds of ` * ` comment lines and a few aligned continuations
    comment = "/*\n * text\n * more\n */\n"
    code = "void f() {\n    int x = g(a,\n             b);\n    if (x) {\n        h();\n    }\n}\n"
    assert indent_unit((comment * 50 + code).encode()) == "    "
    assert indent_unit(b"a {\n  b {\n    c;\n  }\n}\n") == "  "
    assert indent_unit(b"a {\n\tb;\n\tc;\n}\n") == "\t"
    assert indent_unit(b"flat;\n") == "    "


def test_include_in_a_guarded_header_goes_inside_the_guard():
    source = "#ifndef G_H_\n#define G_H_\n#include <nanobind/nanobind.h>\nint x;\n#endif\n"
    assert _include(source, ["nanobind/stl/string.h"]) == (
        "#ifndef G_H_\n#define G_H_\n#include <nanobind/nanobind.h>\n#include <nanobind/stl/string.h>\nint x;\n#endif\n"
    )
    bare = "#pragma once\n#ifndef G_H_\n#define G_H_\nint x;\n#endif\n"
    assert _include(bare, ["nanobind/stl/string.h"]) == (
        "#pragma once\n#ifndef G_H_\n#define G_H_\n#include <nanobind/stl/string.h>\nint x;\n#endif\n"
    )


def test_include_never_lands_in_a_platform_branch():
    source = "#include <nanobind/nanobind.h>\n#ifdef _WIN32\n#include <windows.h>\n#else\n#include <unistd.h>\n#endif\nint x;\n"
    assert _include(source, ["nanobind/stl/vector.h"]) == source.replace(
        "#include <nanobind/nanobind.h>\n", "#include <nanobind/nanobind.h>\n#include <nanobind/stl/vector.h>\n")
