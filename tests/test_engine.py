"""The engine's guarantees, exercised with deliberately misbehaving rules."""

from __future__ import annotations

from pathlib import Path

from nbfix.core.findings import Edit, Priority, Safety
from nbfix.core.source import read_source
from nbfix.cpp.parsing import error_regions, parse
from nbfix.engine.linter import Linter
from nbfix.model.facts import project_index
from nbfix.rules.rule import Rule

SOURCE = b"int a = 1;\nint b = 2;\n"


class Grows(Rule):
    """Always inserts another character: never converges."""

    code, name, priority, fix_safety, summary = "NB991", "grows", Priority.HIGH, Safety.SAFE, "t"

    def check(self, ctx):
        yield self.finding(ctx.model.tree.root_node, "grow", self.fix("grow", Edit(0, 0, "/**/")))


class Breaks(Rule):
    """Its fix deletes a semicolon: the result has more parse errors than the input."""

    code, name, priority, fix_safety, summary = "NB992", "breaks", Priority.HIGH, Safety.SAFE, "t"

    def check(self, ctx):
        if b";" in ctx.content:
            at = ctx.content.index(b";")
            yield self.finding(ctx.model.tree.root_node, "break", self.fix("break", Edit(at, at + 1, "")))


class Twice(Rule):
    """Two findings whose fixes overlap, and one unsafe fix."""

    code, name, priority, fix_safety, summary = "NB993", "twice", Priority.HIGH, Safety.SAFE, "t"

    def check(self, ctx):
        if ctx.content.startswith(b"int a"):
            node = ctx.model.tree.root_node
            yield self.finding(node, "first", self.fix("x", Edit(0, 5, "int x")))
            yield self.finding(node, "second", self.fix("y", Edit(4, 5, "y")))
        if b"// u" not in ctx.content:
            unsafe = self.fix("u", Edit(11, 11, "// u\n"), safety=Safety.UNSAFE)
            yield self.finding(ctx.model.tree.root_node, "unsafe", unsafe)


def lint(tmp_path: Path, rule: Rule, unsafe: bool = False, content: bytes = SOURCE):
    path = tmp_path / "f.cpp"
    path.write_bytes(content)
    source = read_source(path, "f.cpp")
    tree = parse(source.content)
    return Linter([rule], {}, project_index([("f.cpp", tree, source.content)]), unsafe).run(source, tree, True, set())


def test_fixes_that_never_converge_are_an_error_naming_the_rule(tmp_path):
    result = lint(tmp_path, Grows())
    assert result.new_content is None
    assert "did not converge" in result.error and "NB991" in result.error


class Renames(Rule):
    """A fix that converges: `int a` -> `int b`."""

    code, name, priority, fix_safety, summary = "NB994", "renames", Priority.HIGH, Safety.SAFE, "r"

    def check(self, ctx):
        if ctx.content.startswith(b"int a"):
            yield self.finding(ctx.model.tree.root_node, "rename", self.fix("b", Edit(4, 5, "b")))


def test_a_rule_that_never_converges_keeps_the_other_rules_fixes(tmp_path):
    path = tmp_path / "f.cpp"
    path.write_bytes(SOURCE)
    source = read_source(path, "f.cpp")
    tree = parse(source.content)
    linter = Linter([Grows(), Renames()], {}, project_index([("f.cpp", tree, source.content)]), False)
    result = linter.run(source, tree, True, set())
    assert result.new_content is not None and result.new_content.startswith(b"int b")
    assert [item.finding.code for item in result.fixed] == ["NB994"]
    assert "NB991" in result.error and "NB994" not in result.error


def test_fixes_that_add_parse_errors_leave_the_file_untouched(tmp_path):
    result = lint(tmp_path, Breaks())
    assert result.new_content is None
    assert "internal error" in result.error and "NB992" in result.error


def test_overlapping_fixes_wait_for_the_next_pass_and_unsafe_needs_opt_in(tmp_path):
    result = lint(tmp_path, Twice())
    assert result.error is None
    # Pass 1 applies "first"; the overlapping "second" no longer fires on the new content.
    assert result.new_content == b"int x = 1;\nint b = 2;\n"
    assert [f.finding.message for f in result.fixed] == ["first"]
    assert [f.finding.message for f in result.remaining] == ["unsafe"]
    with_unsafe = lint(tmp_path, Twice(), unsafe=True)
    assert with_unsafe.new_content == b"int x = 1;\n// u\nint b = 2;\n"
    assert len(with_unsafe.passes) == 1


class Widens(Rule):
    """Replaces the first `int` by `long`."""

    code, name, priority, fix_safety, summary = "NB994", "widens", Priority.HIGH, Safety.SAFE, "t"

    def check(self, ctx):
        if ctx.content.startswith(b"int"):
            yield self.finding(ctx.model.tree.root_node, "widen", self.fix("w", Edit(0, 3, "long")))


def test_a_fix_touching_a_parse_error_is_reported_without_its_edit(tmp_path):
    broken = b"int a = 1 int b = 2;\n"  # the missing ';' makes `int a = 1` a parse error
    assert lint(tmp_path, Widens()).new_content == b"long a = 1;\nint b = 2;\n"
    result = lint(tmp_path, Widens(), content=broken)
    assert result.new_content is None and result.error is None
    assert [f.finding.fix for f in result.remaining] == [None]


class Crashes(Rule):
    """Raises on every file: a bug in a rule."""

    code, name, priority, fix_safety, summary = "NB995", "crashes", Priority.HIGH, Safety.SAFE, "c"

    def check(self, ctx):
        raise KeyError("no such binding")


def test_a_rule_that_crashes_is_skipped_with_a_warning_and_the_others_still_fix(tmp_path):
    path = tmp_path / "f.cpp"
    path.write_bytes(SOURCE)
    source = read_source(path, "f.cpp")
    tree = parse(source.content)
    index = project_index([("f.cpp", tree, source.content)])
    result = Linter([Crashes(), Renames()], {}, index).run(source, tree, True, set())
    assert result.new_content == b"int b = 1;\nint b = 2;\n"
    assert [item.finding.code for item in result.fixed] == ["NB994"]
    assert len(result.warnings) == 1  # once, though every fix pass ran the rule again
    assert result.warnings[0].startswith("warning: f.cpp: rule NB995 crashed (KeyError: 'no such binding' at test_engine.py:")
    assert result.error is None


def test_a_suppression_edit_suppresses_the_code_on_the_findings_line():
    from nbfix.core.result import LineIndex
    from nbfix.engine.linter import apply_edits, suppression_edit, suppressions

    cases = [
        b'int a;\r\nm.def("x", &f); // why\r\nint b;',  # CRLF, a comment already on the line
        b"#define BIND(m) \\\n  m.def(1) \\\n  .def(2)\n",  # a macro line continues: /* */ before the backslash
        b"m.def(1); // nbfix: ignore[NB102]\n",  # added to the line's list
        b"m.def(1);",  # no newline at the end
    ]
    for content in cases:
        offset = content.index(b"m.def")
        edit = suppression_edit(content, offset, "NB101")
        fixed = apply_edits(content, [edit])
        lines = LineIndex(fixed)
        assert "NB101" in suppressions(lines)[lines.line_of(offset)], fixed
        assert edit.is_insertion and fixed.count(b"\n") == content.count(b"\n"), fixed
    assert suppression_edit(b"m.def(1); // nbfix: ignore\n", 0, "NB101") is None  # every rule is suppressed already


def test_parse_errors_are_new_outside_the_old_ones_and_mended_when_nothing_covers_them():
    from nbfix.cpp.parsing import error_changes

    # A fix that mends a chain splits one error over the whole file into small ones: none is new.
    renames = [Edit(10, 12, "nb"), Edit(40, 42, "nb")]
    assert error_changes([(0, 100)], [(10, 12), (50, 55)], [renames]) == ([], [])
    # Deleting the `;` of a line that parsed makes an error there, whatever the count does.
    before = b"int a = 1;\nint z = 3;\nint b = (;\n"
    after = b"int a = 1\nint z = 3;\nint b = (;\n"
    old, new = error_regions(parse(before)), error_regions(parse(after))
    assert len(new) == len(old) + 1
    assert error_changes(old, new, [[Edit(9, 10, "")]]) == ([(0, 9)], [])
    # Positions are the original text's: inside inserted text, where the insertion was made.
    insert = [[Edit(5, 5, "((((")]]
    assert error_changes([], [(5, 9)], insert) == ([(5, 6)], [])
    assert error_changes([(20, 30)], [(24, 34)], insert) == ([], [])
    assert error_changes([(20, 30)], [(35, 40)], insert) == ([(31, 36)], [(20, 30)])
    # Through two passes: the second pass's offsets are in the first pass's result.
    assert error_changes([(0, 3)], [(12, 14)], [[Edit(0, 3, "abcdef")], [Edit(0, 0, "xyz")]]) == ([(6, 8)], [(0, 3)])


def test_fixes_that_shrink_a_file_wide_parse_error_are_applied(tmp_path):
    """pybind11's test_gil_scoped.cpp: one error over 4 KB became eleven small ones; the old
    check (more error regions than before) refused the whole port of that file."""
    content = (b"namespace n {\nstruct P : S {\n  int s() const override { OVR(int, S, s, ); }\n};\n}\n"
               b"void f() { g(1 2); }\nvoid h() { g(3 4); }\n")
    regions = error_regions(parse(content))

    class Mends(Rule):
        code, name, priority, fix_safety, summary = "NB995", "mends", Priority.HIGH, Safety.SAFE, "m"
        edits_parse_errors = True  # as the porting rules that rename tokens

        def check(self, ctx):
            if b"s, )" in ctx.content:
                at = ctx.content.index(b"s, )")
                yield self.finding(ctx.model.tree.root_node, "mend", self.fix("m", Edit(at + 1, at + 3, "")))

    result = lint(tmp_path, Mends(), content=content)
    assert result.error is None, result.error
    assert result.new_content == content.replace(b"s, )", b"s)")
    assert len(regions) == 1 and len(error_regions(parse(result.new_content))) == 3


class Declared(Rule):
    """Mends the first line's stray `{`, then reports `rename` once the index knows it."""

    code, name, priority, fix_safety, summary = "NB995", "declared", Priority.HIGH, Safety.SAFE, "t"
    edits_parse_errors = True  # as NB501 does, which rewrites include lines wherever they are

    def check(self, ctx):
        stray = ctx.content.find(b">{")
        if stray >= 0:
            yield self.finding(ctx.model.tree.root_node, "mend", self.fix("mend", Edit(stray + 1, stray + 2, "")))
        elif ctx.model.project.function_signatures("rename") and b"// renamed" not in ctx.content:
            at = len(ctx.content)
            yield self.finding(ctx.model.tree.root_node, "use", self.fix("use", Edit(at, at, "// renamed\n")))


def test_a_pass_that_mends_a_parse_error_sees_the_declarations_it_hid(tmp_path):
    # The stray `{` makes the rest of the file one parse error, where `rename` is not indexed; once
    # a pass removes it, the next pass of the same run must see `rename`, as a second run would.
    content = b"#include <vector>{\nstruct Pet { int n; };\nPet rename(const Pet &pet);\n"
    assert error_regions(parse(content))
    result = lint(tmp_path, Declared(), content=content)
    assert result.new_content == b"#include <vector>\nstruct Pet { int n; };\nPet rename(const Pet &pet);\n// renamed\n"
