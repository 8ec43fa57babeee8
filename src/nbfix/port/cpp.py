"""The C++ side of a port: the NB5xx rules through the engine's fix passes, then the other
rules (NB1xx-NB4xx) over the ported text, with a project index made from the ported files."""

from __future__ import annotations

from pathlib import Path

from nbfix.core.result import FileResult, LineIndex
from nbfix.port.audit import with_unknown_names
from nbfix.port.sides import PortSide
from nbfix.run.config import Settings, all_rules, selected_rules

PORT_PREFIX = "NB5"


def port_rule_codes() -> tuple[str, ...]:
    """The port rules: opt-in rules with an NB5xx code."""
    return tuple(r.code for r in all_rules() if r.code.startswith(PORT_PREFIX) and r.opt_in)


def port_settings(settings: Settings, target_version: int) -> Settings:
    """The user's settings with the port rules selected (and told the target version)."""
    codes = port_rule_codes()
    options = {code: dict(settings.rule_options.get(code, {})) for code in codes}
    for code in codes:
        options[code]["target-version"] = target_version
    return settings.replace(select=codes, priority=None, rule_options={**settings.rule_options, **options})


def port_cpp(paths: list[Path], settings: Settings, target_version: int, lint: bool = True) -> PortSide:
    from nbfix.run.runner import run

    porting = port_settings(settings, target_version)
    first = run(paths, porting, True, use_cache=False)
    files, errors = _lint(first.files, settings, porting) if lint else (first.files, [])
    files = [with_unknown_names(with_follow_ups(f), target_version) for f in files]
    return PortSide(files, first.errors + errors, first.warnings)


def _lint(files: list[FileResult], settings: Settings, porting: Settings) -> tuple[list[FileResult], list[str]]:
    """Each file again, ported: the user's rules fix what they fix, and the port rules report what
    still needs a person at its place in the final text."""
    from nbfix.cpp.parsing import parse
    from nbfix.engine.linter import Linter
    from nbfix.model.facts import project_index

    trees = [parse(f.content) for f in files]
    index = project_index([(f.source.path.as_posix(), tree, f.content) for f, tree in zip(files, trees)])
    chosen = {r.code: r for r in [*selected_rules(settings), *selected_rules(porting)]}
    rules = [chosen[code]() for code in sorted(chosen)]
    linter = Linter(rules, porting.rule_options, index, settings.unsafe_fixes)
    results, errors = [], []
    for file, tree in zip(files, trees):
        if file.error:
            results.append(file)
            continue
        ported = file.source._replace(raw=file.source.bom + file.content)
        again = linter.run(ported, tree, True, set())
        if again.error:
            errors.append(f"{file.source.display}: {again.error}")
        final = again.new_content if again.new_content is not None else file.new_content
        results.append(FileResult(
            file.source, again.remaining, file.fixed + again.fixed, final, file.passes + again.passes,
            None, again.hidden, file.warnings + again.warnings,
        ))
    return results, errors


def with_follow_ups(file: FileResult) -> FileResult:
    """The file with a remaining item for each fix that left work for a person (`Fix.follow_up`),
    placed where the fixed text ended up after the later passes."""
    from nbfix.engine.linter import locate

    lines = LineIndex(file.content)
    items = list(file.remaining)
    for item in file.fixed:
        fix = item.finding.fix
        if fix is None or not fix.follow_up:
            continue
        made = next((i for i, edits in enumerate(file.passes) if fix.edits and fix.edits[0] in edits), len(file.passes))
        start, end = (_moved(offset, file.passes[made:]) for offset in (item.finding.start, item.finding.end))
        advice = item.finding._replace(message=fix.follow_up, fix=None, start=start, end=min(end, len(file.content)))
        items.append(locate(advice, lines))
    return file.replace(remaining=sorted(items, key=lambda i: (i.line, i.column)))


def _moved(offset: int, passes: list) -> int:
    """Where `offset` is after the edits of `passes` (each pass's edits apply to the previous result)."""
    for edits in passes:
        offset += sum(len(e.text.encode()) - (e.end - e.start) for e in edits if e.end <= offset)
    return offset
