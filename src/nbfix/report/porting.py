"""The port report: per file the rewrites made (counts per rule), what needs a person
(file:line + advice), and the command to run next."""

from __future__ import annotations

from typing import Iterable

from nbfix.core.result import FileResult
from nbfix.port.cpp import PORT_PREFIX
from nbfix.report.text import plural

NEXT_STEP = (
    "build with nanobind and run the tests (e.g. `pip install -e .` or `cmake -S . -B build && cmake --build build`)"
)


def counts(file: FileResult, port: bool) -> dict[str, int]:
    """rule code -> fixes applied to the file, for the port rules or for the others."""
    found: dict[str, int] = {}
    for item in file.fixed:
        if item.finding.code.startswith(PORT_PREFIX) == port:
            found[item.finding.code] = found.get(item.finding.code, 0) + 1
    return dict(sorted(found.items()))


def _counted(table: dict[str, int]) -> str:
    return ", ".join(f"{code} {count}" for code, count in table.items())


def text_report(files: Iterable[FileResult], wrote: bool) -> str:
    lines = []
    changed = needs = 0
    for file in files:
        port, lint = counts(file, True), counts(file, False)
        if not (port or lint or file.remaining):
            continue
        changed += bool(file.changed)
        needs += len(file.remaining)
        parts = [f"ported: {_counted(port)}"] if port else []
        parts += [f"then fixed: {_counted(lint)}"] if lint else []
        parts += [f"{plural(len(file.remaining), 'item')} for a person"] if file.remaining else []
        lines.append(f"{file.source.display}: {'; '.join(parts)}")
        for item in file.remaining:
            lines.append(f"  {file.source.display}:{item.line}:{item.column}: {item.finding.code} {item.finding.message}")
    verb = "Ported" if wrote else "Would port"
    lines.append(f"{verb} {plural(changed, 'file')}; {plural(needs, 'item')} for a person.")
    lines.append(f"Next: {NEXT_STEP}.")
    return "\n".join(lines) + "\n"


def json_report(files: Iterable[FileResult], wrote: bool) -> str:
    import json

    from nbfix.report.formats import finding_record

    records = []
    for file in files:
        port, lint = counts(file, True), counts(file, False)
        if not (port or lint or file.remaining):
            continue
        records.append({
            "path": file.source.display,
            "changed": file.changed,
            "rewritten": port,
            "lint_fixed": lint,
            "needs_a_person": [finding_record(file, item) for item in file.remaining],
        })
    return json.dumps({"written": wrote, "files": records, "next": NEXT_STEP}, indent=2) + "\n"


FORMATS = {"text": text_report, "json": json_report}
