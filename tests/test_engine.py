"""The engine's guarantees, exercised with deliberately misbehaving rules."""

from __future__ import annotations

from pathlib import Path

from nbfix.core.findings import Edit, Priority, Safety
from nbfix.core.source import read_source
from nbfix.cpp.parsing import parse
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
