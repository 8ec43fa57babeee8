"""One run, in one direction: discover -> read -> parse -> index -> rules -> results."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pathspec

from nbfix.config import Settings, codes_for, selected_rules
from nbfix.declarations import ProjectIndex
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
# Below this much work a process pool costs more than it saves (measured: benchmarks/README.md).
PARALLEL_MIN_BYTES = 500_000
PARALLEL_MIN_FILES = 4


def _ignored_codes(source: Source, settings: Settings, ignores) -> set[str]:
    try:
        relative = source.path.relative_to(settings.root).as_posix()
    except ValueError:
        relative = source.path.as_posix()
    return {code for spec, codes in ignores if spec.match_file(relative) for code in codes}


def workers_for(sources: list[Source], jobs: int | None) -> int:
    """How many processes: `jobs` if given, else one per core for big runs, else 1."""
    if jobs is not None:
        return max(1, jobs)
    size = sum(len(s.raw) for s in sources)
    if size < PARALLEL_MIN_BYTES or len(sources) < PARALLEL_MIN_FILES:
        return 1
    return max(1, min(os.cpu_count() or 1, len(sources)))


def run(
    paths: list[Path],
    settings: Settings,
    fix: bool,
    decide: Decide | None = None,
    progress: Progress | None = None,
    jobs: int | None = None,
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
    workers = 1 if decide is not None else workers_for(sources, jobs)
    work = [(source, _ignored_codes(source, settings, ignores)) for source in sources]
    if workers > 1:
        files = _run_parallel(work, settings, fix, workers, progress)
    else:
        files = _run_serial(work, rules, settings, fix, decide, progress)
    for file_result in files:
        if file_result.error:
            result.errors.append(f"{file_result.source.display}: {file_result.error}")
        result.files.append(file_result)
    moves = [m for f in result.files for item in f.fixed if item.finding.fix for m in item.finding.fix.python_moves]
    if moves:
        result.python_moves = True
        rewrite_python(result, settings, moves)
    return result


def _run_serial(work, rules, settings: Settings, fix: bool, decide, progress) -> list[FileResult]:
    """One process: each file is parsed once; its tree is freed as soon as the file is done."""
    trees = {source.path: parse(source.content) for source, _ in work}
    index = project_index((s.path.as_posix(), trees[s.path], s.content) for s, _ in work)
    linter = Linter(rules, settings.rule_options, index, settings.unsafe_fixes)
    files = []
    for source, ignored in work:
        files.append(linter.run(source, trees.pop(source.path), fix, ignored, decide))
        if progress is not None:
            progress(len(files), len(work))
    return files


# Worker processes: the project index is gathered as small plain data per file and merged in the
# parent; trees never cross processes, so each worker parses the files it lints.
_worker_linter: Linter | None = None


def _file_facts(item: tuple[str, bytes]) -> ProjectIndex:
    path, content = item
    return project_index([(path, parse(content), content)])


def _start_worker(settings: Settings, index: ProjectIndex) -> None:
    global _worker_linter
    rules = [rule() for rule in selected_rules(settings)]
    _worker_linter = Linter(rules, settings.rule_options, index, settings.unsafe_fixes)


def _lint_in_worker(item: tuple[Source, set[str], bool]) -> FileResult:
    source, ignored, fix = item
    assert _worker_linter is not None
    return _worker_linter.run(source, None, fix, ignored)


def _run_parallel(work, settings: Settings, fix: bool, workers: int, progress) -> list[FileResult]:
    from concurrent.futures import ProcessPoolExecutor

    index = ProjectIndex()
    with ProcessPoolExecutor(workers) as pool:
        chunk = max(1, len(work) // (workers * 8))
        for facts in pool.map(_file_facts, [(s.path.as_posix(), s.content) for s, _ in work], chunksize=chunk):
            index.merge(facts)
    files: list[FileResult] = []
    with ProcessPoolExecutor(workers, initializer=_start_worker, initargs=(settings, index)) as pool:
        items = [(source, ignored, fix) for source, ignored in work]
        for file_result in pool.map(_lint_in_worker, items, chunksize=chunk):  # input order: deterministic
            files.append(file_result)
            if progress is not None:
                progress(len(files), len(work))
    return files


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
