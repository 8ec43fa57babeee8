"""One run, in one direction: discover -> read -> parse -> index -> rules -> results."""

import os
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, NamedTuple

from nbfix.core.fingerprint import digest
from nbfix.core.phases import phase
from nbfix.core.result import FileResult, Located
from nbfix.core.source import Source, SourceError, display_path, read_source
from nbfix.cpp.parsing import forget_trees
from nbfix.index.declarations import IndexQueries, ProjectIndex
from nbfix.run.cache import Cache, canonical
from nbfix.run.config import Settings, codes_for, selected_rules
from nbfix.run.discovery import discover

if TYPE_CHECKING:  # the parser and the rules load only when a file has to be parsed
    from tree_sitter import Tree

    from nbfix.engine.linter import Decide, Linter


class RunResult:
    def __init__(self, files: list[FileResult] | None = None, errors: list[str] | None = None) -> None:
        self.files = [] if files is None else files
        self.errors = [] if errors is None else errors  # one line each; any error makes the exit code 2
        self.python_moves = False  # fixes moved names: C++ and Python files are written together or not at all
        self.consumed = 0  # findings in the results handed to `run(consume=...)` instead of `files`
        self.hidden: dict[str, int] = {}  # rule code -> findings with nothing to act on, not shown
        self.warnings: list[str] = []  # "warning: ..." lines: printed with the errors, never exit 2

    @property
    def remaining(self) -> int:
        return self.consumed + sum(len(f.remaining) for f in self.files)


def _per_file_ignores(settings: Settings) -> list:
    if not settings.per_file_ignores:
        return []
    import pathspec

    return [
        (pathspec.GitIgnoreSpec.from_lines([pattern]), codes_for(selectors))
        for pattern, selectors in settings.per_file_ignores.items()
    ]


Progress = Callable[[int, int], None]  # (files done, files in total)
# Below this much work a process pool costs more than it saves (measured: benchmarks/README.md).
PARALLEL_MIN_BYTES = 300_000
PARALLEL_MIN_FILES = 4


def _ignored_codes(path: Path, settings: Settings, ignores) -> set[str]:
    try:
        relative = path.relative_to(settings.root).as_posix()
    except ValueError:
        relative = path.as_posix()
    return {code for spec, codes in ignores if spec.match_file(relative) for code in codes}


def workers_for(sizes: list[int], jobs: int | None) -> int:
    """How many processes: `jobs` if given, else one per core for big runs, else 1."""
    if jobs is not None:
        return max(1, jobs)
    if sum(sizes) < PARALLEL_MIN_BYTES or len(sizes) < PARALLEL_MIN_FILES:
        return 1
    return max(1, min(os.cpu_count() or 1, len(sizes)))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # reported when the file is read


class Task(NamedTuple):
    """One file to process, with the rule codes its per-file ignores switch off."""

    path: Path
    display: str
    ignored: frozenset[str]


def run(
    paths: list[Path],
    settings: Settings,
    fix: bool,
    decide: "Decide | None" = None,
    progress: Progress | None = None,
    jobs: int | None = None,
    use_cache: bool = True,
    keep_content: bool = True,
    consume: Callable[[FileResult], None] | None = None,
) -> RunResult:
    """Two passes over the files: gather each file's facts (merged into one project index), then
    lint each file against that index. `keep_content=False` drops file contents from results that
    do not need them (line-based output of `check`). `consume` takes each file's result, in file
    order, as it is ready, instead of `RunResult.files`: memory stays flat on big trees (the
    Python files that moved names need rewritten still come in `RunResult.files`)."""
    rules = selected_rules(settings)
    ignores = _per_file_ignores(settings)
    found = discover(paths, settings)
    result = RunResult(errors=list(found.errors))
    tasks = [Task(p, display_path(p), frozenset(_ignored_codes(p, settings, ignores))) for p in found.files]
    sizes = [_size(p) for p in found.files]
    cache = None
    if use_cache and decide is None:
        settings_text = canonical((settings.unsafe_fixes, settings.rule_options))
        cache = Cache.for_run(settings.root, settings_text, rules)
    small = sum(sizes) <= KEEP_TREES_BYTES
    work = FileWork(settings, cache, fix, keep_content, keep_trees=small)
    workers = 1 if decide is not None else workers_for(sizes, jobs)
    moves = []
    for file_result in _results(tasks, work, workers, decide, progress, in_file=not small or workers > 1):
        if isinstance(file_result, str):
            result.errors.append(file_result)
            continue
        if file_result.error:
            result.errors.append(f"{file_result.source.display}: {file_result.error}")
        result.warnings += file_result.warnings
        moves += [m for item in file_result.fixed if item.finding.fix for m in item.finding.fix.python_moves]
        for code, count in file_result.hidden.items():
            result.hidden[code] = result.hidden.get(code, 0) + count
        if consume is None:
            result.files.append(file_result)
        else:
            result.consumed += len(file_result.remaining)
            consume(file_result)
    if moves:
        result.python_moves = True
        rewrite_python(result, settings, moves)
    return result


def _results(tasks: list[Task], work: "FileWork", workers: int, decide, progress, in_file: bool) -> Iterator[FileResult | str]:
    """Each file's result (or read error) in file order. `in_file`: the project index goes to a
    file, so memory stays flat."""
    folder = _index_folder() if in_file else None
    if folder is None:  # small, or no temporary folder to be had: in memory, in this process
        yield from _run_serial(tasks, work, decide, progress, None)
        return
    import shutil

    try:
        if workers > 1:
            yield from _run_parallel(tasks, work, workers, progress, folder)
        else:
            yield from _run_serial(tasks, work, decide, progress, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _index_folder() -> Path | None:
    """A new temporary folder for the index file, or None if none can be made (or Python was
    built without sqlite3). Its name carries this process's id: folders of runs that were
    killed (their process is gone) are removed here."""
    import tempfile

    try:
        import sqlite3  # noqa: F401

        _remove_abandoned(Path(tempfile.gettempdir()))
        return Path(tempfile.mkdtemp(prefix=f"nbfix-{os.getpid()}-"))
    except (ImportError, OSError):
        return None


def _remove_abandoned(temp: Path) -> None:
    """Remove `nbfix-<pid>-*` folders whose process no longer exists (a run killed with -9)."""
    import shutil

    try:
        entries = list(temp.glob("nbfix-*-*"))
    except OSError:
        return
    for folder in entries:
        pid = folder.name.split("-")[1]
        if not pid.isdigit() or int(pid) == os.getpid() or not folder.is_dir():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue  # alive, but someone else's


# Serial runs up to this much source parse each file once (the facts pass keeps its trees, about
# 20x the source in memory, for the lint pass) and merge the project index in memory. Bigger runs
# parse again and keep the index in a file, so memory stays flat.
KEEP_TREES_BYTES = 2_000_000


class FileWork:
    """The per-file steps of a run, the same in this process and in worker processes."""

    def __init__(self, settings: Settings, cache: Cache | None, fix: bool, keep_content: bool, keep_trees: bool):
        self.settings = settings
        self.cache = cache
        self.fix = fix
        self.keep_content = keep_content
        self.keep_trees = keep_trees
        self.trees: dict[Path, Tree] = {}
        self.linter: Linter | None = None  # made on the first file the cache does not answer
        self.index: IndexQueries = ProjectIndex()
        self.project = ""  # digest of the merged project index (part of every result key)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "trees": {}, "linter": None, "index": ProjectIndex()}

    @phase("facts")
    def facts(self, task: Task) -> tuple[ProjectIndex, str] | None:
        """The file's declarations and binding facts, with a digest of them (with a cache only);
        None if the file cannot be read: the lint pass says why."""
        try:
            source = read_source(task.path, task.display)
        except SourceError:
            return None
        return self.facts_of(task.path, source.content)

    def facts_of(self, path: Path, content: bytes) -> tuple[ProjectIndex, str]:
        """`facts` of content read from disk or from an editor's buffer."""
        posix = path.as_posix()
        key = self.cache.facts_key(posix, content) if self.cache else ""
        found = self.cache.load(key) if self.cache else None
        if isinstance(found, tuple) and len(found) == 2 and isinstance(found[0], ProjectIndex):
            return found
        from nbfix.cpp.parsing import parse
        from nbfix.model.facts import project_index

        with without_cyclic_gc():
            tree = parse(content)
            facts = project_index([(posix, tree, content)])
        if self.keep_trees:
            self.trees[path] = tree
        else:
            self._done_with_trees()
        if not self.cache:
            return facts, ""
        entry = (facts, digest(canonical(facts)))
        self.cache.store(key, entry)
        return entry

    def start_lint(self, index: IndexQueries, project: str) -> None:
        self.index = index
        self.project = project

    def stop_lint(self) -> None:
        close = getattr(self.index, "close", None)
        if close is not None:
            close()
        self.index = ProjectIndex()
        self.linter = None

    def _done_with_trees(self) -> None:
        forget_trees()
        if not self.keep_trees:
            _trim_heap()

    def _linter(self) -> "Linter":
        if self.linter is None:
            from nbfix.engine.linter import Linter

            rules = [rule() for rule in selected_rules(self.settings)]
            self.linter = Linter(rules, self.settings.rule_options, self.index, self.settings.unsafe_fixes)
        return self.linter

    @phase("lint")
    def lint(self, task: Task, decide: "Decide | None" = None) -> FileResult | str:
        """The file's result, or its one-line read error."""
        try:
            source = read_source(task.path, task.display)
        except SourceError as exc:
            return str(exc)
        return self.lint_source(source, set(task.ignored), decide)

    def lint_source(self, source: Source, ignored: set[str], decide: "Decide | None" = None) -> FileResult:
        """`lint` of a source read from disk or from an editor's buffer (`ignored`: the rule codes
        its per-file ignores switch off)."""
        tree = self.trees.pop(source.path, None)
        key = ""
        if self.cache:
            key = self.cache.result_key(source.path.as_posix(), source.content, self.fix, ignored, self.project)
            cached = self.cache.load(key)
            if isinstance(cached, dict):
                return self._slim(FileResult(source, **cached))
        with without_cyclic_gc():
            file_result = self._linter().run(source, tree, self.fix, ignored, decide)
        self._done_with_trees()
        if self.cache:
            stored = {name: getattr(file_result, name) for name in _RESULT_FIELDS}
            self.cache.store(key, stored)
        return self._slim(file_result)

    def _slim(self, file_result: FileResult) -> FileResult:
        """For line-based reports: no file content, and fixes without their edits (a report line
        needs a fix's safety, never its text), so a big run's results stay small."""
        if self.keep_content or file_result.new_content is not None:
            return file_result
        file_result.source = file_result.source._replace(raw=b"", bom=b"")
        file_result.remaining = [_without_edits(item) for item in file_result.remaining]
        return file_result


@contextmanager
def without_cyclic_gc() -> Iterator[None]:
    """No cyclic garbage collection while one file is processed. Its model makes millions of
    objects and almost no cycles (peak memory of a 16 MB file is the same without the collector),
    but each full collection scans every live object: 20% of that file's time, and the share
    grows with the file. Collection resumes between files."""
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@lru_cache(maxsize=1)
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        import ctypes

        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


def _trim_heap() -> None:
    """glibc keeps freed memory for reuse, and a parse tree leaves it fragmented: big runs hand it
    back to the system after each file (about 1 ms), so resident memory stays flat."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _without_edits(item: Located) -> Located:
    fix = item.finding.fix
    if fix is None or not fix.edits:
        return item
    finding = item.finding._replace(fix=fix._replace(edits=(), python_moves=()))
    return item._replace(finding=finding)


_RESULT_FIELDS = ("remaining", "fixed", "new_content", "passes", "error", "hidden")


class _InMemory:
    """The project index of a small run, merged in memory in file order, with a digest of what
    went into it."""

    def __init__(self) -> None:
        self.index = ProjectIndex()
        self.digests: list[str] = []

    @phase("index")
    def add(self, found: tuple[ProjectIndex, str] | None) -> None:
        if found is not None:
            self.index.merge(found[0])
            self.digests.append(found[1])

    @property
    def digest(self) -> str:
        return digest(*self.digests)

    def finish(self) -> IndexQueries:
        return self.index


class _InFile(_InMemory):
    """The project index of a big run, in an sqlite file in `folder` (memory stays flat)."""

    def __init__(self, folder: Path) -> None:
        from nbfix.index.stored import IndexWriter

        super().__init__()
        self.path = folder / "index.sqlite"
        self.writer = IndexWriter(self.path)

    @phase("index")
    def add(self, found: tuple[ProjectIndex, str] | None) -> None:
        if found is not None:
            self.writer.add(found[0])
            self.digests.append(found[1])

    @phase("index")
    def finish(self) -> IndexQueries:
        from nbfix.index.stored import StoredIndex

        self.writer.close()
        return StoredIndex(self.path)


def _run_serial(tasks: list[Task], work: FileWork, decide, progress, folder: Path | None) -> Iterator[FileResult | str]:
    merged = _InFile(folder) if folder is not None else _InMemory()
    for task in tasks:
        merged.add(work.facts(task))
    work.start_lint(merged.finish(), merged.digest)
    try:
        for done, task in enumerate(tasks, 1):
            yield work.lint(task, decide)
            if progress is not None:
                progress(done, len(tasks))
    finally:
        work.stop_lint()


# Worker processes read the files themselves and send back each file's facts, small plain data.
# The parent appends them to the index file, which every process then opens for the lint pass.
# Trees and file contents stay where the file is processed. The parent works through files too:
# one process fewer in memory for the same number of busy cores. One pool serves both passes, its
# processes forked while the parent is still small.
_worker: FileWork | None = None
_worker_index: str | None = None  # the index file this worker has opened


def _start_worker(work: FileWork, parent: int) -> None:
    global _worker
    _worker = work
    _die_with(parent)


def _die_with(parent: int) -> None:
    """End this worker when the process that started it is gone (killed with -9, it cannot tell
    us): otherwise it waits forever on a queue whose other end its siblings still hold open.
    Linux sends SIGKILL at once (PR_SET_PDEATHSIG); everywhere a thread checks the parent id."""
    import threading

    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError, ImportError):
        pass

    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=watch, daemon=True, name="nbfix-parent-watch").start()


def _in_worker(step: str, tasks: list[Task], index: tuple[str, str] | None) -> list:
    """`work.<step>` for each task; `index`: (index file, project digest) for the lint pass."""
    global _worker_index
    assert _worker is not None
    if index is not None and index[0] != _worker_index:
        from nbfix.index.stored import StoredIndex

        _worker.start_lint(StoredIndex(Path(index[0])), index[1])
        _worker_index = index[0]
    return [getattr(_worker, step)(task) for task in tasks]


def _share_out(pool, helpers: int, work: FileWork, step: str, tasks: list[Task], progress,
               index: tuple[str, str] | None = None) -> Iterator:
    """`work.<step>(task)` for each task, yielded in task order; chunks of tasks go to the pool's
    `helpers` processes, and this process takes every chunk they have not been given yet."""
    from concurrent.futures import FIRST_COMPLETED, wait

    size = max(1, min(8, len(tasks) // ((helpers + 1) * 8)))
    chunks = [tasks[i:i + size] for i in range(0, len(tasks), size)]
    results: list[list | None] = [None] * len(chunks)
    running: dict = {}
    queued = emitted = done = 0
    while emitted < len(chunks):
        while queued < len(chunks) and len(running) < 2 * helpers:  # keep the helpers busy
            running[pool.submit(_in_worker, step, chunks[queued], index)] = queued
            queued += 1
        if queued < len(chunks):
            results[queued] = [getattr(work, step)(task) for task in chunks[queued]]
            queued += 1
            finished = [future for future in running if future.done()]
        else:
            finished = list(wait(running, return_when=FIRST_COMPLETED).done)
        for future in finished:
            results[running.pop(future)] = future.result()
        while emitted < len(chunks) and results[emitted] is not None:
            chunk, results[emitted] = results[emitted], None
            emitted += 1
            done += len(chunk)
            if progress is not None:
                progress(done, len(tasks))
            yield from chunk


def _run_parallel(tasks: list[Task], work: FileWork, workers: int, progress, folder: Path) -> Iterator[FileResult | str]:
    from concurrent.futures import ProcessPoolExecutor

    work.keep_trees = False
    helpers = workers - 1
    merged = _InFile(folder)
    with ProcessPoolExecutor(helpers, initializer=_start_worker, initargs=(work, os.getpid())) as pool:
        for found in _share_out(pool, helpers, work, "facts", tasks, None):
            merged.add(found)
        work.start_lint(merged.finish(), merged.digest)  # it connects on first use, long after the forks
        try:
            yield from _share_out(pool, helpers, work, "lint", tasks, progress, (str(merged.path), merged.digest))
        finally:
            work.stop_lint()


def rewrite_python(result: RunResult, settings: Settings, moves: list) -> None:
    """Follow-up edits of the Python code in `python-paths` for names moved by fixes."""
    from nbfix.run.python_side import PythonSyntaxError, python_files, rewrite

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
