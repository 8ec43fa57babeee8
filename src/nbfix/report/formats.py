"""Machine- and human-readable findings: text, concise, json, json-lines, sarif, github."""

from __future__ import annotations

from collections import Counter
from typing import Iterable

from nbfix import __version__
from nbfix.core.findings import Priority, Safety, fixable
from nbfix.core.phases import phase
from nbfix.core.result import FileResult, LineIndex, Located
from nbfix.report.text import finding_line, plural

FORMATS = ("text", "concise", "json", "json-lines", "sarif", "github")
LINE_FORMATS = ("text", "concise", "github")  # output formats that need no file contents

_GITHUB_LEVEL = {Priority.HIGH: "error", Priority.MEDIUM: "warning", Priority.LOW: "notice"}
_SARIF_LEVEL = {Priority.HIGH: "error", Priority.MEDIUM: "warning", Priority.LOW: "note"}


def _items(files: Iterable[FileResult]) -> list[tuple[FileResult, Located]]:
    return [(f, item) for f in files for item in f.remaining]


def _position(lines: LineIndex, offset: int) -> dict[str, int]:
    line, column = lines.position(offset)
    return {"line": line, "column": column}


def finding_record(file: FileResult, item: Located) -> dict:
    """One finding as plain data (the json and json-lines formats)."""
    finding = item.finding
    fix = None
    if finding.fix is not None:
        lines = LineIndex(file.content)
        fix = {
            "safety": finding.fix.safety.value,
            "title": finding.fix.title,
            "edits": [
                {"start": _position(lines, e.start), "end": _position(lines, e.end), "content": e.text}
                for e in finding.fix.edits
            ],
        }
    return {
        "code": finding.code,
        "name": finding.name,
        "message": finding.message,
        "path": file.source.display,
        "start": {"line": item.line, "column": item.column},
        "end": {"line": item.end_line, "column": item.end_column},
        "priority": finding.priority.value,
        "fix": fix,
    }


@phase("report")
def render(fmt: str, files: list[FileResult], unsafe_fixes: bool, summary: str | None = None) -> str:
    """All findings that remain in `files`, in one format. `summary` replaces the check summary."""
    if fmt in LINE_FORMATS:
        return _line_report(fmt, files, unsafe_fixes, summary=summary)
    import json  # only the machine formats need it: start-up matters for one-file runs

    items = _items(files)
    if fmt == "json":
        return json.dumps([finding_record(f, i) for f, i in items], indent=2) + "\n"
    if fmt == "json-lines":
        return "".join(json.dumps(finding_record(f, i)) + "\n" for f, i in items)
    assert fmt == "sarif", fmt
    return json.dumps(sarif_log(items), indent=2) + "\n"


class LineReport:
    """A line-based format (text, concise, github) or the statistics table, written file by file
    to `write` (else kept in `kept`): a big `check` never holds its findings."""

    def __init__(self, fmt: str, unsafe_fixes: bool, statistics: bool = False, write=None) -> None:
        self.fmt = fmt
        self.unsafe_fixes = unsafe_fixes
        self.statistics = statistics
        self.kept: list[str] = []
        self.write = write if write is not None else self.kept.append
        self.counts: Counter[str] = Counter()
        self.fixable: Counter[str] = Counter()
        self.names: dict[str, str] = {}
        self.safe = self.unsafe = 0

    def add(self, file: FileResult) -> None:
        for item in file.remaining:
            finding, fix = item.finding, item.finding.fix
            self.counts[finding.code] += 1
            self.names[finding.code] = finding.name
            self.fixable[finding.code] += fixable(fix, self.unsafe_fixes)
            self.safe += fix is not None and fix.safety is Safety.SAFE
            self.unsafe += fix is not None and fix.safety is Safety.UNSAFE
            if self.statistics:
                continue
            if self.fmt == "github":
                self.write(github_annotation(file, item) + "\n")
            else:
                self.write(finding_line(file.source.display, item, self.unsafe_fixes) + "\n")

    def summary(self) -> str:
        total = sum(self.counts.values())
        if not total:
            return "All checks passed!"
        fixable = self.safe + self.unsafe if self.unsafe_fixes else self.safe
        text = f"Found {plural(total, 'finding')} ({fixable} fixable"
        if self.unsafe and not self.unsafe_fixes:
            text += f"; {self.unsafe} more with --unsafe-fixes"
        return text + ")."

    def close(self, summary: str | None = None) -> None:
        """Write what follows the findings: the summary line, or the statistics table."""
        if self.statistics:
            self.write(self._table())
        elif self.fmt in ("text", "github"):
            line = summary if summary is not None else self.summary()
            if line:
                self.write(line + "\n")

    def _table(self) -> str:
        """Counts per rule, most frequent first: code, count, fixable count, name."""
        counts = self.counts
        rows = sorted(counts, key=lambda code: (-counts[code], code))
        width = max([len(str(counts[c])) for c in rows] + [5])
        out = [f"{'count':>{width}}  {'fixable':>7}  code   name"]
        out += [f"{counts[c]:>{width}}  {self.fixable[c]:>7}  {c}  {self.names[c]}" for c in rows]
        return "\n".join(out) + "\n"


def hidden_note(hidden: dict[str, int]) -> str:
    """One line after the findings: how many findings with nothing to act on were not shown,
    and how to see them ("" when none were)."""
    if not hidden:
        return ""
    codes = sorted(hidden)
    counts = ", ".join(f"{code}: {hidden[code]}" for code in codes)
    return (
        f"{plural(sum(hidden.values()), 'finding')} with nothing to act on not shown ({counts}); "
        f"to see them, set `report-noise = true` under [tool.nbfix.rules.{codes[0]}]"
        + (" (and the other rules')" if len(codes) > 1 else "") + ".\n"
    )


def _line_report(fmt: str, files: list[FileResult], unsafe_fixes: bool, statistics: bool = False,
                 summary: str | None = None) -> str:
    report = LineReport(fmt, unsafe_fixes, statistics)
    for file in files:
        report.add(file)
    report.close(summary)
    return "".join(report.kept)


def github_annotation(file: FileResult, item: Located) -> str:
    finding = item.finding

    def escape(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    def escape_property(text: str) -> str:
        return escape(text).replace(":", "%3A").replace(",", "%2C")

    level = _GITHUB_LEVEL[finding.priority]
    properties = (
        f"file={escape_property(file.source.display)},line={item.line},col={item.column},"
        f"endLine={item.end_line},endColumn={item.end_column},"
        f"title={escape_property(f'{finding.code} {finding.name}')}"
    )
    return f"::{level} {properties}::{escape(f'{finding.code} {finding.message}')}"


def fingerprint(file: FileResult, item: Located, occurrence: int) -> str:
    """Stable across runs and unrelated edits: the rule, the file, the reported line's text (not
    its number) and which occurrence of that text it is."""
    lines = LineIndex(file.content)
    text = lines.line(item.line - 1).decode("utf-8", "replace").strip()
    key = f"{item.finding.code}\0{file.source.display}\0{text}\0{occurrence}"
    import hashlib

    return hashlib.sha256(key.encode()).hexdigest()[:32]


def sarif_log(items: list[tuple[FileResult, Located]]) -> dict:
    from nbfix.rules.registry import all_rules

    rules = list(all_rules())
    index = {rule.code: i for i, rule in enumerate(rules)}
    seen: Counter[tuple[str, str, str]] = Counter()
    results = []
    for file, item in items:
        finding = item.finding
        lines = LineIndex(file.content)
        key = (finding.code, file.source.display, lines.line(item.line - 1).decode("utf-8", "replace").strip())
        occurrence = seen[key]
        seen[key] += 1
        result = {
            "ruleId": finding.code,
            "ruleIndex": index.get(finding.code, 0),
            "level": _SARIF_LEVEL[finding.priority],
            "message": {"text": finding.message},
            "locations": [{"physicalLocation": _physical(file, item.line, item.column, item.end_line, item.end_column)}],
            "partialFingerprints": {"nbfix/v1": fingerprint(file, item, occurrence)},
        }
        if finding.fix is not None and finding.fix.edits:
            result["fixes"] = [_sarif_fix(file, lines, finding.fix)]
        results.append(result)
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "nbfix",
                        "version": __version__,
                        "informationUri": "https://pypi.org/project/nbfix/",
                        "rules": [_sarif_rule(rule) for rule in rules],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def _physical(file: FileResult, line: int, column: int, end_line: int, end_column: int) -> dict:
    return {
        "artifactLocation": {"uri": file.source.display},
        "region": {"startLine": line, "startColumn": column, "endLine": end_line, "endColumn": end_column},
    }


def _sarif_fix(file: FileResult, lines: LineIndex, fix) -> dict:
    replacements = []
    for edit in fix.edits:
        start_line, start_column = lines.position(edit.start)
        end_line, end_column = lines.position(edit.end)
        replacements.append(
            {
                "deletedRegion": {
                    "startLine": start_line, "startColumn": start_column,
                    "endLine": end_line, "endColumn": end_column,
                },
                "insertedContent": {"text": edit.text},
            }
        )
    return {
        "description": {"text": f"{fix.title} ({fix.safety.value})"},
        "artifactChanges": [{"artifactLocation": {"uri": file.source.display}, "replacements": replacements}],
    }


def _sarif_rule(rule) -> dict:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.documentation()},
        "help": {"text": rule.documentation(), "markdown": rule.documentation()},
        "defaultConfiguration": {"level": _SARIF_LEVEL[rule.priority]},
        "properties": {"priority": rule.priority.value, "fixSafety": rule.fix_safety.value},
    }


def statistics(files: list[FileResult], unsafe_fixes: bool) -> str:
    """Counts per rule, most frequent first: code, count, fixable count, name."""
    return _line_report("text", files, unsafe_fixes, statistics=True)


def fixes_applied(files: list[FileResult]) -> str:
    """What `apply --show-fixes` lists: each fixed finding with its fix title, by file."""
    out = []
    for file in files:
        if not file.fixed:
            continue
        out.append(f"Fixed in {file.source.display}:")
        for item in file.fixed:
            out.append(f"  {item.line}:{item.column} {item.finding.code} {item.finding.fix.title if item.finding.fix else ''}")
    return "".join(line + "\n" for line in out) if out else ""


__all__ = ["FORMATS", "LineReport", "fixes_applied", "plural", "render", "statistics"]
