"""nbfix results as LSP data: diagnostics, text edits and code actions for one linted buffer."""

from __future__ import annotations

from typing import NamedTuple

from lsprotocol import types

from nbfix.core.findings import Edit, Fix, Priority, Safety, fixable
from nbfix.core.result import FileResult, Located
from nbfix.engine.linter import suppression_edit
from nbfix.server.links import rule_docs_url
from nbfix.server.positions import Positions, changed_span

SOURCE = "nbfix"
FIX_ALL_KIND = "source.fixAll.nbfix"
SEVERITY = {
    Priority.HIGH: types.DiagnosticSeverity.Error,
    Priority.MEDIUM: types.DiagnosticSeverity.Warning,
    Priority.LOW: types.DiagnosticSeverity.Information,
}


class Linted(NamedTuple):
    """One lint of one version of a buffer. `result` is None when nbfix does not check the file
    (excluded, another extension); `problem` says why bytes could not be linted at all."""

    uri: str
    version: int | None
    raw: bytes
    result: FileResult | None
    positions: Positions
    unsafe_fixes: bool = False
    problem: str | None = None


def lsp_range(linted: Linted, start: int, end: int) -> types.Range:
    """The range of content bytes [start, end) (offsets after the BOM, as findings and edits are)."""
    bom = len(linted.result.source.bom) if linted.result is not None else 0
    first, last = linted.positions.at(bom + start), linted.positions.at(bom + end)
    return types.Range(types.Position(*first), types.Position(*last))


def text_edits(linted: Linted, edits: tuple[Edit, ...]) -> list[types.TextEdit]:
    return [types.TextEdit(lsp_range(linted, e.start, e.end), e.text) for e in sorted(edits)]


def diagnostics(linted: Linted) -> list[types.Diagnostic]:
    if linted.problem is not None:
        start = types.Position(0, 0)
        return [types.Diagnostic(types.Range(start, start), f"nbfix: {linted.problem}",
                                 types.DiagnosticSeverity.Warning, source=SOURCE)]
    if linted.result is None:
        return []
    return [diagnostic(linted, item) for item in linted.result.remaining]


def diagnostic(linted: Linted, item: Located) -> types.Diagnostic:
    finding = item.finding
    url = rule_docs_url(finding.code)
    data = {"fix": _fix_data(linted, finding.fix)} if finding.fix is not None and finding.fix.edits else None
    return types.Diagnostic(
        range=lsp_range(linted, finding.start, finding.end),
        message=finding.message,
        severity=SEVERITY[finding.priority],
        code=finding.code,
        code_description=types.CodeDescription(href=url) if url else None,
        source=SOURCE,
        data=data,
    )


def _fix_data(linted: Linted, fix: Fix) -> dict:
    """The fix as plain JSON: what a client needs to apply it without asking the server."""
    edits = [
        {"range": _plain_range(edit.range), "newText": edit.new_text} for edit in text_edits(linted, fix.edits)
    ]
    return {"title": fix.title, "safety": fix.safety.value, "edits": edits}


def _plain_range(r: types.Range) -> dict:
    return {"start": {"line": r.start.line, "character": r.start.character},
            "end": {"line": r.end.line, "character": r.end.character}}


def overlaps(a: types.Range, b: types.Range) -> bool:
    """Whether two ranges share a position (an empty range, the cursor, touches what it is in)."""
    return (a.start.line, a.start.character) <= (b.end.line, b.end.character) and \
        (b.start.line, b.start.character) <= (a.end.line, a.end.character)


def quick_fixes(linted: Linted, wanted: types.Range) -> list[types.CodeAction]:
    """For each finding under `wanted`: its fix (preferred when safe) and its suppression."""
    actions = []
    for item in linted.result.remaining if linted.result is not None else []:
        shown = diagnostic(linted, item)
        if not overlaps(shown.range, wanted):
            continue
        fix = item.finding.fix
        if fix is not None and fix.edits:
            actions.append(types.CodeAction(
                title=_fix_title(item.finding.code, fix),
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[shown],
                is_preferred=fix.safety is Safety.SAFE,
                edit=_workspace_edit(linted, text_edits(linted, fix.edits)),
            ))
        suppress = suppression_edit(linted.result.content, item.finding.start, item.finding.code)
        if suppress is not None:
            actions.append(types.CodeAction(
                title=f"Suppress {item.finding.code} on this line",
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[shown],
                edit=_workspace_edit(linted, text_edits(linted, (suppress,))),
            ))
    return actions


def _fix_title(code: str, fix: Fix) -> str:
    if fix.safety is Safety.UNSAFE:
        return f"{code}: {fix.title} (unsafe fix: check the behaviour it changes)"
    if fix.safety is Safety.SUGGEST:
        return f"{code}: {fix.title} (suggestion: review before keeping)"
    return f"{code}: {fix.title}"


def can_fix_all(linted: Linted) -> bool:
    """Whether `nbfix apply` would change the buffer (some remaining finding has a fix it makes)."""
    remaining = linted.result.remaining if linted.result is not None else []
    return any(item.finding.fix is not None and item.finding.fix.edits and fixable(item.finding.fix, linted.unsafe_fixes)
               for item in remaining)


def fix_all(linted: Linted, fixed: FileResult) -> types.CodeAction | None:
    """The action giving the buffer the bytes `nbfix apply` writes: one edit, from the first byte
    that changes to the last."""
    if not fixed.changed:
        return None
    new = fixed.source.with_content(fixed.new_content)
    start, old_end, new_end = changed_span(linted.raw, new)
    first, last = linted.positions.at(start), linted.positions.at(old_end)
    edit = types.TextEdit(types.Range(types.Position(*first), types.Position(*last)), new[start:new_end].decode("utf-8"))
    which = "nbfix findings (unsafe fixes included)" if linted.unsafe_fixes else "safe nbfix findings"
    return types.CodeAction(title=f"Fix all {which} in this file", kind=FIX_ALL_KIND,
                            edit=_workspace_edit(linted, [edit]))


def _workspace_edit(linted: Linted, edits: list[types.TextEdit]) -> types.WorkspaceEdit:
    return types.WorkspaceEdit(changes={linted.uri: edits})
