"""A folder an editor works in, kept in memory between lints: its settings, the facts of its files
(declarations, includes, registered exceptions: what other files' findings depend on), and lints
of buffers that are not on disk. The same steps as a run (`runner.FileWork`), one file at a time."""

from __future__ import annotations

from pathlib import Path

from nbfix.core.result import FileResult
from nbfix.core.source import SourceError, display_path, read_source, source_from_bytes
from nbfix.index.declarations import ProjectIndex
from nbfix.run.config import Settings, load_settings, selected_rules
from nbfix.run.discovery import discover, wanted
from nbfix.run.runner import FileWork, Task, _ignored_codes, _per_file_ignores


class Workspace:
    """Settings as `nbfix check` run in `folder` finds them, and the facts of the files it would
    check there. Raises `ConfigError` for a bad configuration (as the command line exits 2)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        self.settings: Settings = load_settings(start=self.folder)
        selected_rules(self.settings)  # an unknown selector is an error now, not at the first lint
        self.ignores = _per_file_ignores(self.settings)
        self.facts: dict[Path, ProjectIndex] = {}  # file -> its facts as on disk
        self._merged: ProjectIndex | None = None  # every file's facts, merged in file order

    def load(self) -> list[str]:
        """Read the facts of every file a check of the folder would see; the read errors."""
        found = discover([self.folder], self.settings)
        work = self._work(fix=False)
        for path in found.files:
            facts = work.facts(Task(path, self.display(path), frozenset()))
            if facts is not None:
                self.facts[path] = facts[0]
        self._merged = None
        return found.errors

    def refresh(self, path: Path) -> None:
        """Read one file's facts again (changed, created or deleted on disk)."""
        path = path.resolve()
        self._merged = None
        try:
            source = read_source(path, self.display(path))
        except SourceError:
            self.facts.pop(path, None)
            return
        if wanted(path, self.settings):
            self.facts[path] = self._work(fix=False).facts_of(path, source.content)[0]

    def checks(self, path: Path) -> bool:
        """Whether a check of the folder (or of this file named alone, when it lies elsewhere)
        takes this file: its extension is configured and the excludes do not name it."""
        return path.resolve() in self.facts or wanted(path.resolve(), self.settings)

    def display(self, path: Path) -> str:
        return display_path(path, self.folder)

    def lint(self, path: Path, raw: bytes, fix: bool = False) -> FileResult:
        """Lint `raw`, the bytes of `path` as an editor holds them, against the facts of the other
        files and its own facts taken from `raw`; with `fix`, what `nbfix apply` would write.
        Raises `SourceError` for bytes that are not a source file (NUL bytes, not UTF-8)."""
        path = path.resolve()
        source = source_from_bytes(path, self.display(path), raw)
        work = self._work(fix)
        own = work.facts_of(path, source.content)[0]  # parses once: the tree is kept for the lint
        work.start_lint(self._index_with(path, own), "")
        try:
            return work.lint_source(source, _ignored_codes(path, self.settings, self.ignores))
        finally:
            work.stop_lint()

    def _work(self, fix: bool) -> FileWork:
        return FileWork(self.settings, None, fix, keep_content=True, keep_trees=True)

    def _index_with(self, path: Path, own: ProjectIndex) -> ProjectIndex:
        """The project index with `own` standing for the file's facts on disk. While edits leave a
        file's facts as they are (most edits, inside function bodies), the merged index is kept."""
        if self.facts.get(path) == own:
            if self._merged is None:
                self._merged = _merged(self.facts)
            return self._merged
        return _merged({**self.facts, path: own})


def _merged(facts: dict[Path, ProjectIndex]) -> ProjectIndex:
    """One index of the files' facts, merged in file order as a run merges them."""
    index = ProjectIndex()
    for path in sorted(facts):
        index.merge(facts[path])
    return index
