"""`.nbfix_cache/`: what nbfix learnt about each file, so unchanged trees are not parsed again.

Entries, one file each, written atomically (parallel runs may share the folder):

- facts: the file's declarations and binding facts, keyed on its path, content and nbfix's code;
- results: its findings (and fixed content), keyed on its path and content, the effective
  settings, the rule set, nbfix's own code and the merged facts of every file of the run (a rule
  may look at a class declared elsewhere, so a change of those facts re-lints every file);
- whole `check` runs (`RunMemo`): output, errors and exit code; a big report's text is an entry
  of its own, plain UTF-8, streamed in and out.

Entries are pickles of nbfix's own plain data (or plain text); loading refuses anything else, so
a planted cache file cannot run code. A cache that cannot be read or written is skipped silently:
it only ever saves time.
"""

from __future__ import annotations

import os
import stat
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable

from nbfix import __version__
from nbfix.core.fingerprint import digest, environment_fingerprint
from nbfix.core.phases import phase
from nbfix.core.records import is_record
from nbfix.core.tempfiles import replace_atomically

CACHE_DIR = ".nbfix_cache"
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by nbfix.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)


def canonical(value: Any) -> str:
    """A text for `value` that does not depend on set order or hash seeds (for keys)."""
    if is_record(type(value)):
        inner = ",".join(f"{name}={canonical(getattr(value, name))}" for name in value._fields)
        return f"{type(value).__name__}({inner})"
    if isinstance(value, dict):
        return "{" + ",".join(sorted(f"{canonical(k)}:{canonical(v)}" for k, v in value.items())) + "}"
    if isinstance(value, (set, frozenset)):
        return "{" + ",".join(sorted(canonical(v) for v in value)) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    if isinstance(value, Path):
        return repr(value.as_posix())
    return repr(value)


@lru_cache(maxsize=1)  # once per process: a run's memo and its cache both ask
def _code_fingerprint() -> str:
    """nbfix's own code and the parser it runs (found, not imported): any edit or upgrade of
    them changes this."""
    from importlib.util import find_spec

    stats = []
    for package in ("nbfix", "nbfix_transforms", "tree_sitter", "tree_sitter_cpp"):
        spec = find_spec(package)
        if spec is None or spec.origin is None:
            continue
        folder = Path(spec.origin).parent
        for path in sorted(folder.rglob("*")):  # nbfix's layers are subpackages
            if path.suffix in (".py", ".so", ".pyd"):
                info = path.stat()
                stats.append(f"{package}/{path.relative_to(folder).as_posix()}:{info.st_size}:{info.st_mtime_ns}")
    return digest(__version__, *stats)


class Cache:
    """One run's view of the cache folder; `run_key` covers settings, rules and nbfix itself."""

    def __init__(self, folder: Path, run_key: str, code: str = "") -> None:
        self.folder = folder
        self.run_key = run_key
        self.code = code  # nbfix's code fingerprint: facts depend on it, not on the settings
        self.entries = folder / __version__
        self.writable = True

    @classmethod
    def for_run(cls, root: Path, settings_text: str, rules: list[type]) -> Cache:
        """`rules`: the selected rule classes; third-party ones count with their module's file."""
        import sys

        parts = []
        for rule in rules:
            module_file = getattr(sys.modules.get(rule.__module__), "__file__", None) or ""
            try:
                info = os.stat(module_file)
                parts.append(f"{rule.code}:{module_file}:{info.st_size}:{info.st_mtime_ns}")
            except OSError:
                parts.append(f"{rule.code}:{rule.__module__}")
        code = _code_fingerprint()
        return cls(root / CACHE_DIR, digest(code, settings_text, *parts), code)

    # ---- keys

    def facts_key(self, path: str, content: bytes) -> str:
        return digest("facts", self.code, path, content)

    def result_key(self, path: str, content: bytes, fix: bool, ignored: set[str], project: str) -> str:
        return digest("result", self.run_key, path, content, str(fix), ",".join(sorted(ignored)), project)

    # ---- entries

    @phase("cache")
    def load(self, key: str) -> Any | None:
        try:
            data = (self.entries / key[:2] / key).read_bytes()
            from nbfix.core import safe_pickle

            return safe_pickle.loads(data)
        except Exception:  # missing, truncated, foreign or from another nbfix: recompute
            return None

    @phase("cache")
    def store(self, key: str, value: Any) -> None:
        from nbfix.core import safe_pickle

        self._write(key, lambda out: safe_pickle.dump(value, out), (OSError, safe_pickle.PicklingError))

    def store_text(self, key: str, chunks: Iterable[str]) -> int | None:
        """Keep text as UTF-8 bytes (not pickled); its size in bytes, or None if not kept."""
        size = 0

        def write(out) -> None:
            nonlocal size
            for chunk in chunks:
                size += out.write(chunk.encode("utf-8"))

        return size if self._write(key, write) else None

    def text_entry(self, key: str, size: int) -> Path | None:
        """The file of a text entry, if it is there whole."""
        path = self.entries / key[:2] / key
        try:
            return path if path.stat().st_size == size else None
        except OSError:
            return None

    def _write(self, key: str, write: Callable[[BinaryIO], object], errors: tuple[type[Exception], ...] = (OSError,)) -> bool:
        """Write an entry atomically; False if it could not be written (`write` raised one of `errors`)."""
        if not self.writable:
            return False
        try:
            self._prepare()
            folder = self.entries / key[:2]
            folder.mkdir(exist_ok=True)
        except OSError:
            self.writable = False  # read-only tree: run on without a cache
            return False
        return replace_atomically(folder / key, write, errors)

    def _prepare(self) -> None:
        if self.entries.is_dir():
            return
        self.entries.mkdir(parents=True, exist_ok=True)
        for name, text in ((".gitignore", "# Created by nbfix.\n*\n"), ("CACHEDIR.TAG", CACHEDIR_TAG)):
            marker = self.folder / name
            if not marker.exists():
                marker.write_text(text, encoding="utf-8")


def _ignore_files_above(files: list[Path]) -> list[str]:
    """The ignore files discovery reads for these files: `.gitignore` up to the repository's top,
    and there `.git/info/exclude` and the global excludes file."""
    from nbfix.run.discovery import global_excludes_file, ignore_folders

    parts = []
    for folder in sorted({folder for path in files for folder in ignore_folders(path)}):
        sources = [folder / ".gitignore"]
        if (folder / ".git").exists():
            sources += [folder / ".git" / "info" / "exclude", global_excludes_file()]
        for source in sources:
            try:
                parts.append(f"{source}:{digest(source.read_bytes())}")
            except (OSError, AttributeError):
                parts.append(f"{source}:-")
    return parts


class RunMemo:
    """A whole `check` run, answered without loading the rules: its output for the same files
    (by content), settings, options, working folder, nbfix code and installed packages."""

    def __init__(self, cache: Cache, key: str) -> None:
        self.cache = cache
        self.key = key

    @classmethod
    def for_check(cls, settings: Any, paths: list[Path], options: str) -> RunMemo | None:
        """None when the run cannot be memoised (missing or unreadable paths: say so afresh)."""
        parts = ["run", _code_fingerprint(), environment_fingerprint(), str(Path.cwd()), canonical(settings), options]
        if all(path.is_file() for path in paths):
            # Files named explicitly (pre-commit's call): which of them run depends only on the
            # ignore files above them, so they need no pattern matching (nor pathspec) here.
            files = sorted({path.resolve() for path in paths})
            if settings.force_exclude and settings.respect_gitignore:
                parts += _ignore_files_above(files)
        else:
            from nbfix.run.discovery import discover

            found = discover(paths, settings)
            if found.errors:
                return None
            files = found.files
        for path in files:
            try:
                if not stat.S_ISREG(os.stat(path).st_mode):
                    return None  # a FIFO would block the read; the run reports it afresh
                parts += [path.as_posix(), digest(path.read_bytes())]
            except OSError:
                return None
        cache = Cache(settings.root / CACHE_DIR, "")
        return cls(cache, digest(*parts))

    def load(self) -> tuple | None:
        """(output, errors, exit code); output is a str, or a `TextFile` for a big report."""
        found = self.cache.load(self.key)
        if isinstance(found, tuple) and len(found) == 3:
            return found
        if isinstance(found, dict) and found.keys() == {"output", "bytes", "errors", "code"}:
            path = self.cache.text_entry(found["output"], found["bytes"])
            if path is not None:
                from nbfix.core.spool import TextFile

                return TextFile(path), found["errors"], found["code"]
        return None

    def store(self, output, errors: list[str], code: int) -> None:
        """`output`: a str, or a `Spool`, kept as a text entry of its own (never read whole)."""
        if isinstance(output, str):
            self.cache.store(self.key, (output, list(errors), code))
            return
        text_key = digest(self.key, "output")
        size = self.cache.store_text(text_key, output.chunks())
        if size is not None:
            self.cache.store(self.key, {"output": text_key, "bytes": size, "errors": list(errors), "code": code})


def clean(root: Path) -> bool:
    """Remove `root/.nbfix_cache`; True if there was one."""
    folder = root / CACHE_DIR
    if not folder.exists():
        return False
    import shutil

    shutil.rmtree(folder)
    return True
