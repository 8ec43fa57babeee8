"""Run rules over sources: select, suppress, resolve overlapping edits, apply in passes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

from nbfix.core.findings import Edit, Finding, Fix, fixable
from nbfix.core.patterns import LazyPattern
from nbfix.core.phases import phase, timed
from nbfix.core.result import FileResult, LineIndex, Located
from nbfix.core.source import Source
from nbfix.cpp.conditionals import hidden_lines
from nbfix.cpp.parsing import Unparsed, disabled_regions, error_changes, error_regions, parse
from nbfix.index.declarations import IndexQueries, RefreshedIndex, file_declarations
from nbfix.model.builder import build_model
from nbfix.rules.rule import Context, Rule

if TYPE_CHECKING:
    from tree_sitter import Tree

MAX_PASSES = 10
# `nbfix: ignore[...]` anywhere inside a // or /* comment.
_SUPPRESSION = LazyPattern(rb"(?://|/\*)[^\n]*?\bnbfix:\s*ignore(?:\[([^\]]*)\])?")


def suppressions(lines: LineIndex) -> dict[int, set[str] | None]:
    """0-based line -> the codes/names suppressed there (None: all).

    A trailing `nbfix: ignore[...]` comment covers its own line; a comment on a line of its own
    also covers the next line.
    """
    result: dict[int, set[str] | None] = {}

    def add(line: int, names: set[str] | None) -> None:
        if names is None or result.get(line, set()) is None:
            result[line] = None
        else:
            result.setdefault(line, set()).update(names)

    for match in _SUPPRESSION.finditer(lines.content):
        line = lines.line_of(match.start())
        names = None
        if match[1] is not None:
            names = {part.strip() for part in match[1].decode("utf-8", "replace").split(",") if part.strip()}
        add(line, names)
        if not lines.content[lines.starts[line]:match.start()].strip():
            add(line + 1, names)
    return result


def suppression_edit(content: bytes, offset: int, code: str) -> Edit | None:
    """The edit that suppresses `code` on the line holding `offset`, the line `suppressions`
    checks for a finding starting there: the code added to the line's `nbfix: ignore[...]`
    comment, else a new comment at the line's end (a `/* */` one before a macro's line
    continuation). None if the line suppresses every rule already."""
    lines = LineIndex(content)
    line = lines.line_of(offset)
    start = lines.starts[line]
    end = start + len(lines.line(line).rstrip(b"\r\n"))
    existing = _SUPPRESSION.search(content, start, end)
    if existing is not None:
        if existing[1] is None:
            return None
        close = existing.end(1)
        return Edit(close, close, f", {code}" if existing[1].strip() else code)
    body = content[start:end].rstrip()
    at = start + len(body)
    if body.endswith(b"\\"):
        return Edit(at - 1, at - 1, f"/* nbfix: ignore[{code}] */ ")
    return Edit(at, at, f"  // nbfix: ignore[{code}]")


def unknown_suppressions(source: Source) -> list[str]:
    """A warning for each `nbfix: ignore[...]` entry that names no rule (it suppresses nothing)."""
    if b"nbfix" not in source.content:
        return []
    from nbfix.rules.registry import all_rules, did_you_mean

    known = {r.code for r in all_rules()} | {r.name for r in all_rules()}
    lines = LineIndex(source.content)
    warnings = []
    for match in _SUPPRESSION.finditer(source.content):
        for part in (match[1] or b"").decode("utf-8", "replace").split(","):
            name = part.strip()
            if name and name not in known:
                line = lines.line_of(match.start()) + 1
                warnings.append(f"warning: {source.display}:{line}: `nbfix: ignore[{name}]` names no rule{did_you_mean(name, listing=False)}")
    return warnings


def _suppressed(finding: Finding, line: int, table: dict[int, set[str] | None]) -> bool:
    if line not in table:
        return False
    codes = table[line]
    return codes is None or finding.code in codes or finding.name in codes


def _breaks_more_than_it_mends(errors_before: list[tuple[int, int]], tree: Tree, passes) -> bool:
    """More parse errors where the text parsed than errors of the original mended: a port may
    move an error (tree-sitter reads `NB_TRAMPOLINE(Base, 2);` in a class as one) while it mends
    the one it replaces, but no fix may break code that parsed for nothing."""
    new, mended = error_changes(errors_before, error_regions(tree), passes)
    return len(new) > len(mended)


def apply_edits(content: bytes, edits: Iterable[Edit]) -> bytes:
    out = []
    position = 0
    for edit in sorted(edits):
        out.append(content[position:edit.start])
        out.append(edit.text.encode("utf-8"))
        position = edit.end
    out.append(content[position:])
    return b"".join(out)


def resolve(fixes: Sequence[tuple[Finding, Fix]]) -> list[tuple[Finding, Fix]]:
    """Fixes whose edits overlap no earlier accepted fix; the rest wait for the next pass."""
    import bisect

    accepted: list[tuple[Finding, Fix]] = []
    # Accepted edits never conflict, so they are disjoint and their starts and ends both sorted:
    # an edit can only conflict with those just before where it would go.
    starts: list[int] = []
    taken: list[Edit] = []

    def conflicts(edit: Edit) -> bool:
        index = bisect.bisect_right(starts, edit.end) - 1
        while index >= 0 and taken[index].end >= edit.start:
            if edit.conflicts(taken[index]):
                return True
            index -= 1
        return False

    for finding, fix in sorted(fixes, key=lambda item: (item[1].edits[0].start, item[0].code)):
        own = sorted(fix.edits)
        if any(a.conflicts(b) for a, b in zip(own, own[1:])) or any(conflicts(edit) for edit in own):
            continue  # (a fix whose own edits overlap is malformed: never applied)
        accepted.append((finding, fix))
        for edit in fix.edits:
            index = bisect.bisect_right(starts, edit.start)
            starts.insert(index, edit.start)
            taken.insert(index, edit)
    return accepted


class Linter:
    """Applies a fixed selection of rules to files, with one project-wide declaration index."""

    def __init__(
        self,
        rules: list[Rule],
        rule_options: dict[str, dict],
        project: IndexQueries,
        unsafe_fixes: bool = False,
        prefilter: bool = True,  # skip rules whose needles a file lacks (results are the same)
    ) -> None:
        self.rules = [rule for rule in rules if rule.files == "cpp"]  # porting rules read other files
        self.rule_options = rule_options
        self.project = project
        self.unsafe_fixes = unsafe_fixes
        self.prefilter = prefilter

    def active(self, content: bytes, ignored: set[str]) -> list[Rule]:
        """The rules that could fire on this content (the pre-filter: each rule's needles)."""
        return [r for r in self.rules if r.code not in ignored and (not self.prefilter or r.may_fire(content))]

    def findings(
        self, source: Source, content: bytes, tree: Tree, ignored: set[str], crashes: set[str] | None = None,
        project: IndexQueries | None = None,
    ) -> list[Finding]:
        """The findings of the active rules, suppressed ones left out. A rule that raises loses
        its findings in this file, and one warning line goes to `crashes`: the others still run."""
        active = self.active(content, ignored)
        if not active:
            return []  # nothing could fire here: no binding model needed
        model = build_model(tree, content, project or self.project)
        lines = LineIndex(content)
        table = suppressions(lines)
        regions = Unparsed(error_regions(tree) + list(hidden_lines(content)))  # hidden: not code to edit
        dead = disabled_regions(tree, content)
        found: list[Finding] = []
        for rule in active:
            options = {name: option.default for name, option in rule.options.items()}
            options.update(self.rule_options.get(rule.code, {}))
            try:
                with timed(rule.code):
                    candidates = _candidates(rule, source, content, model, options)
            except Exception as exc:  # one broken rule must not take the file's other findings with it
                if crashes is not None:
                    crashes.add(crash_warning(source, rule, exc))
                continue
            for finding in candidates:
                if _suppressed(finding, lines.line_of(finding.start), table):
                    continue
                if any(start <= finding.start < end for start, end in dead):
                    continue
                if finding.noise and options.get("report-noise"):
                    finding = finding._replace(noise=False)
                if finding.fix is not None and not getattr(rule, "edits_parse_errors", False):
                    if any(regions.touched_by(e) for e in finding.fix.edits):
                        finding = finding._replace(fix=None)
                found.append(finding)
        found.sort(key=lambda f: (f.start, f.code, f.end))
        return found

    def applicable(self, finding: Finding) -> bool:
        return finding.fix is not None and bool(finding.fix.edits) and fixable(finding.fix, self.unsafe_fixes)

    @phase("lint")
    def run(
        self, source: Source, tree: Tree | None, fix: bool, ignored: set[str], decide: Decide | None = None
    ) -> FileResult:
        """Lint one file; with `fix`, apply fixes in passes until nothing changes. `decide`
        (interactive review) is asked about each fix before it is applied; a declined fix is
        not offered again."""
        result = FileResult(source, warnings=unknown_suppressions(source))
        if not self.active(source.content, ignored):
            return result  # no rule could fire, and fixes only come from rules: nothing to parse
        declined: set[tuple] = set()
        crashes: set[str] = set()
        content = source.content
        tree = tree if tree is not None else parse(content)
        errors_before = error_regions(tree)
        applied: list[tuple[Finding, bytes]] = []
        project = None  # after a pass on a file that did not parse: its declarations read again
        for _ in range(MAX_PASSES):
            found = self.findings(source, content, tree, ignored, crashes, project)
            if not fix:
                break
            candidates = [(f, f.fix) for f in found if self.applicable(f) and f.fix is not None]
            if decide is not None:
                candidates = [(f, fx) for f, fx in candidates if _identity(f, content) not in declined]
            accepted = resolve(candidates)
            if decide is not None:
                for finding, fx in accepted:
                    if not decide(source, finding, content):
                        declined.add(_identity(finding, content))
                accepted = [(f, fx) for f, fx in accepted if _identity(f, content) not in declined]
            if not accepted:
                break
            applied.extend((finding, content) for finding, _ in accepted)
            edits = tuple(sorted(e for _, fx in accepted for e in fx.edits))
            result.passes.append(edits)
            content = apply_edits(content, edits)
            tree = parse(content)
            if errors_before:
                project = RefreshedIndex(self.project, file_declarations(tree))
        else:
            # Keep what the other rules fix: run again without the rules that kept firing.
            stuck = {f.code for f in found if self.applicable(f)}
            retry = self.run(source, None, fix, ignored | stuck, decide) if stuck - ignored else result
            problem = (
                f"fixes by {', '.join(sorted(stuck))} did not converge after {MAX_PASSES} passes; "
                "they were left out (please report this)"
            )
            retry.error = f"{problem}; {retry.error}" if retry.error else problem
            return retry
        result.warnings += sorted(crashes)
        if fix and content != source.content and _breaks_more_than_it_mends(errors_before, tree, result.passes):
            codes = sorted({f.code for f, _ in applied})
            result.error = (
                f"internal error: fixes by {', '.join(codes)} would add parse errors; file left unchanged"
            )
            return result
        final_lines = LineIndex(content)
        result.remaining = [locate(f, final_lines) for f in found if not f.noise]
        for finding in found:
            if finding.noise:
                result.hidden[finding.code] = result.hidden.get(finding.code, 0) + 1
        indexes: dict[int, LineIndex] = {}  # one per pass's content, not one per fix
        result.fixed = [
            locate(f, indexes.get(id(before)) or indexes.setdefault(id(before), LineIndex(before))) for f, before in applied
        ]
        if content != source.content:
            result.new_content = content
        return result


Decide = Callable[[Source, Finding, bytes], bool]


def _candidates(rule: Rule, source: Source, content: bytes, model, options: dict) -> list[Finding]:
    """What the rule finds in the file and in its `#define` bodies (mapped back to the file)."""
    candidates = list(rule.check(Context(source, content, model, options)))
    for macro in model.macros:
        snippet = Context(source, macro.body.snippet, macro.model, options, content, model.tree.root_node)
        mapped = (macro.body.map_finding(f, getattr(rule, "edits_parse_errors", False)) for f in rule.check(snippet))
        candidates += [f for f in mapped if f is not None]
    return candidates


def crash_warning(source: Source, rule: Rule, exc: Exception) -> str:
    """One line naming the rule, the exception and where it was raised."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return (f"warning: {source.display}: rule {rule.code} crashed ({type(exc).__name__}: {exc}{where}); "
            "its findings in this file were skipped (please report this)")


def _identity(finding: Finding, content: bytes) -> tuple:
    """What a fix is, independent of offsets that earlier edits shift: the rule, the message, the
    replacement texts and the text around the first edit."""
    assert finding.fix is not None
    first = finding.fix.edits[0]
    context = content[max(0, first.start - 40):first.end + 40]
    return finding.code, finding.message, tuple(e.text for e in finding.fix.edits), context


def locate(finding: Finding, lines: LineIndex) -> Located:
    line, column = lines.position(finding.start)
    end_line, end_column = lines.position(finding.end)
    return Located(finding, line, column, end_line, end_column)

