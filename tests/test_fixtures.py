"""Every fixture: reported findings, exact output, idempotence, parse cleanliness, untouched bytes."""

from __future__ import annotations

import pytest

from conftest import FIXTURES
from fixture_harness import Case, cases, expected_findings, parse_errors, run_rule

CASES = cases(FIXTURES)


def test_fixtures_exist_for_every_folder():
    assert CASES, "no fixtures found"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_reported_findings(case: Case):
    original = case.path.read_bytes()
    result = run_rule(case.code, case.path, fix=False)
    assert result.error is None
    reported = sorted((item.line, item.finding.code) for item in result.remaining)
    assert reported == expected_findings(original)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_fixed_output(case: Case):
    original = case.path.read_bytes()
    expected = case.expected_path.read_bytes() if case.expected_path.exists() else original
    result = run_rule(case.code, case.path, fix=True)
    assert result.error is None
    output = result.source.with_content(result.new_content) if result.new_content is not None else original
    assert output.decode("utf-8") == expected.decode("utf-8")
    assert output == expected  # byte for byte: BOM, CRLF, trailing newline


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_second_run_changes_nothing(case: Case):
    first = run_rule(case.code, case.path, fix=True)
    if first.new_content is None:
        return
    second = run_rule(case.code, case.path, fix=True, content=first.new_content)
    assert second.new_content is None
    assert second.error is None


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_no_new_parse_errors(case: Case):
    result = run_rule(case.code, case.path, fix=True)
    if result.new_content is not None:
        assert parse_errors(result.new_content) <= parse_errors(result.source.content)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bytes_outside_edits_unchanged(case: Case):
    """Replaying the recorded edits pass by pass: every byte between two edits reappears
    unchanged in the next content, and the last content is the output."""
    result = run_rule(case.code, case.path, fix=True)
    if result.new_content is None:
        return
    content = result.source.content
    for edits in result.passes:
        rebuilt, position = [], 0
        for edit in edits:
            assert edit.start >= position, "overlapping edits in one pass"
            rebuilt.append(content[position:edit.start])
            rebuilt.append(edit.text.encode())
            position = edit.end
        rebuilt.append(content[position:])
        content = b"".join(rebuilt)
    assert content == result.new_content


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_crlf_copy_gets_only_crlf(case: Case):
    """The same fixture with CRLF line ends: every line a fix inserts ends in CRLF too (a
    multi-line insert once came out with bare CRs, `\\r\\r\\n`)."""
    original = case.path.read_bytes()
    if b"\r" in original:
        return
    crlf = original.replace(b"\n", b"\r\n")
    result = run_rule(case.code, case.path, fix=True, content=crlf)
    assert result.error is None
    if result.new_content is None:
        return
    output = result.source.with_content(result.new_content)
    assert b"\r\r" not in output
    assert output.count(b"\n") == output.count(b"\r\n"), "a bare LF was inserted"
