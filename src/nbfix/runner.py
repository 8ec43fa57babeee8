"""One run, in one direction: discover -> read -> parse -> index -> rules -> results."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pathspec

from nbfix.config import Settings, codes_for, selected_rules
from nbfix.discovery import discover
from nbfix.engine import Decide, FileResult, Linter, project_index
from nbfix.parsing import parse
from nbfix.source import Source, SourceError, display_path, read_source


@dataclass
class RunResult:
    files: list[FileResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one line each; any error makes the exit code 2
    python_moves: bool = False  # fixes moved names: C++ and Python files are written together or not at all

    @property
    def remaining(self) -> int:
        return sum(len(f.remaining) for f in self.files)


def _per_file_ignores(settings: Settings) -> list[tuple[pathspec.PathSpec, set[str]]]:
    return [
        (pathspec.GitIgnoreSpec.from_lines([pattern]), codes_for(selectors))
        for pattern, selectors in settings.per_file_ignores.items()
    ]


Progress = Callable[[int, int], None]  # (files done, files in total)


def run(
    paths: list[Path],
    settings: Settings,
    fix: bool,
    decide: Decide | None = None,
    progress: Progress | None = None,
) -> RunResult:
    rules = [rule() for rule in selected_rules(settings)]
    ignores = _per_file_ignores(settings)
    found = discover(paths, settings)
    result = RunResult(errors=list(found.errors))
    sources: list[Source] = []
    for path in found.files:
        try:
            sources.append(read_source(path, display_path(path)))
        except SourceError as exc:
            result.errors.append(str(exc))
    trees = {source.path: parse(source.content) for source in sources}
    index = project_index((s.path.as_posix(), trees[s.path], s.content) for s in sources)
    linter = Linter(rules, settings.rule_options, index, settings.unsafe_fixes)
    for source in sources:
        ignored: set[str] = set()
        try:
            relative = source.path.relative_to(settings.root).as_posix()
        except ValueError:
            relative = source.path.as_posix()
        for spec, codes in ignores:
            if spec.match_file(relative):
                ignored |= codes
        file_result = linter.run(source, trees.pop(source.path), fix, ignored, decide)
        if progress is not None:
            progress(len(result.files) + 1, len(sources))
        if file_result.error:
            result.errors.append(f"{source.display}: {file_result.error}")
        result.files.append(file_result)
    moves = [m for f in result.files for item in f.fixed if item.finding.fix for m in item.finding.fix.python_moves]
    if moves:
        result.python_moves = True
        rewrite_python(result, settings, moves)
    return result


def rewrite_python(result: RunResult, settings: Settings, moves: list) -> None:
    """Follow-up edits of the Python code in `python-paths` for names moved by fixes."""
    from nbfix.python_side import PythonSyntaxError, python_files, rewrite  # libcst: only when needed

    roots = []
    for configured in settings.python_paths:
        path = settings.root / configured
        if not path.exists():
            result.errors.append(f"{configured}: python-paths entry does not exist")
        roots.append(path)
    for path in python_files(roots):
        try:
            source = read_source(path, display_path(path))
            new = rewrite(source.content.decode("utf-8"), moves).encode("utf-8")
        except SourceError as exc:
            result.errors.append(str(exc))
            continue
        except PythonSyntaxError as exc:
            result.errors.append(f"{display_path(path)}: cannot rewrite, not valid Python ({exc})")
            continue
        if new != source.content:
            result.files.append(FileResult(source, new_content=new))


def python_preview(settings: Settings, moves: list) -> str:
    """The diff the Python side of `moves` would make in `python-paths` (for interactive review)."""
    from nbfix.report import unified_diff

    scratch = RunResult()
    rewrite_python(scratch, settings, moves)
    return "".join(
        unified_diff(f.source.display, f.source.raw, f.source.with_content(f.new_content)) for f in scratch.files
    )
