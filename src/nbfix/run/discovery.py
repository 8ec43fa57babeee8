"""Finding the files to process: given paths, extensions, .gitignore and configured excludes."""

import os
from pathlib import Path
from typing import Iterator, NamedTuple

from nbfix.run.config import DEFAULT_EXCLUDE, Settings


class Discovery(NamedTuple):
    files: list[Path]
    errors: list[str]  # one line each, e.g. a path that does not exist


def _gitignore_spec(lines):
    import pathspec  # only when there are patterns to match: start-up matters for one-file runs

    return pathspec.GitIgnoreSpec.from_lines(lines)


class _Ignores:
    """The .gitignore files that apply below a folder, read once each."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.specs: dict[Path, object | None] = {}
        self.exclude = _gitignore_spec(settings.exclude) if settings.exclude else None

    def _spec(self, folder: Path):
        if folder not in self.specs:
            ignore_file = folder / ".gitignore"
            spec = None
            if self.settings.respect_gitignore and ignore_file.is_file():
                try:
                    spec = _gitignore_spec(ignore_file.read_text("utf-8", "replace").splitlines())
                except OSError:
                    spec = None
            self.specs[folder] = spec
        return self.specs[folder]

    def excluded_explicitly(self, path: Path) -> bool:
        """--force-exclude: the path or one of its folders matches the excludes (or .gitignore)."""
        if self.ignored(path, is_dir=path.is_dir()):
            return True
        root = self.settings.root.resolve()
        return any(self.ignored(folder, is_dir=True) for folder in path.parents if root in folder.parents)

    def ignored(self, path: Path, is_dir: bool) -> bool:
        if is_dir and path.name in DEFAULT_EXCLUDE:
            return True
        suffix = "/" if is_dir else ""
        if self.exclude is not None:
            try:
                relative = path.relative_to(self.settings.root).as_posix()
            except ValueError:
                relative = None
            if relative is not None and self.exclude.match_file(relative + suffix):
                return True
        if not self.settings.respect_gitignore:
            return False
        for folder in ignore_folders(path):
            spec = self._spec(folder)
            if spec is not None and spec.match_file(path.relative_to(folder).as_posix() + suffix):
                return True
            if (folder / ".git").exists():
                repo = self._repository_spec(folder)
                return repo is not None and repo.match_file(path.relative_to(folder).as_posix() + suffix)
        return False

    def _repository_spec(self, top: Path):
        """What git ignores in the whole repository besides `.gitignore` files: its
        `.git/info/exclude` and the user's global excludes file (`core.excludesFile`, else
        `$XDG_CONFIG_HOME/git/ignore`), with patterns relative to the repository's top."""
        key = top / ".git"
        if key not in self.specs:
            lines: list[str] = []
            for source in (top / ".git" / "info" / "exclude", global_excludes_file()):
                try:
                    if source is not None and source.is_file():
                        lines += source.read_text("utf-8", "replace").splitlines()
                except OSError:
                    continue
            self.specs[key] = _gitignore_spec(lines) if any(l.strip() and not l.startswith("#") for l in lines) else None
        return self.specs[key]


def global_excludes_file() -> Path | None:
    """git's global excludes file: `core.excludesFile` when git is installed and sets it, else
    `$XDG_CONFIG_HOME/git/ignore` (`~/.config/git/ignore`), as git itself looks."""
    import shutil
    import subprocess

    if shutil.which("git"):
        try:
            found = subprocess.run(["git", "config", "--global", "--path", "--get", "core.excludesFile"],
                                   capture_output=True, text=True, timeout=10)
            if found.returncode == 0 and found.stdout.strip():
                return Path(found.stdout.strip()).expanduser()
        except (OSError, subprocess.SubprocessError):
            pass
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "git" / "ignore"


def ignore_folders(path: Path) -> Iterator[Path]:
    """The folders whose `.gitignore` applies to `path`: its parents, up to the repository's top."""
    for folder in path.parents:
        yield folder
        if (folder / ".git").exists():
            return


def discover(paths: list[Path], settings: Settings) -> Discovery:
    """The files to process, each once. A file symlink stands for its target: when the target lies
    inside the given paths the target is processed (once, under its own name); otherwise a folder
    walk skips the link, and a link named explicitly is read but never written."""
    files: set[Path] = set()
    errors: list[str] = []
    ignores = _Ignores(settings)
    extensions = {f".{e.lower()}" for e in settings.extensions}
    # What the given paths cover: a file symlink named explicitly covers itself, not its target.
    roots = [given.resolve() for given in paths if given.exists() and (given.is_dir() or not given.is_symlink())]
    for given in paths:
        if not given.exists() and not given.is_symlink():
            errors.append(f"{given}: path does not exist")
            continue
        absolute = given.parent.resolve() / given.name if given.is_symlink() else given.resolve()
        if settings.force_exclude and ignores.excluded_explicitly(absolute):
            continue
        if not given.is_dir():
            files.add(_inside_or_self(absolute, roots))  # named explicitly: processed unless --force-exclude
            continue
        for folder, dirnames, filenames in os.walk(absolute):
            here = Path(folder)
            dirnames[:] = sorted(d for d in dirnames if not ignores.ignored(here / d, is_dir=True))
            for name in filenames:
                path = here / name
                if path.suffix.lower() not in extensions or ignores.ignored(path, is_dir=False):
                    continue
                if path.is_symlink():
                    target = path.resolve()
                    if not _within(target, roots):
                        continue  # a walk never follows a link out of the given paths
                    path = target
                files.add(path)
    return Discovery(sorted(files), errors)


def _within(path: Path, roots: list[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)


def _inside_or_self(path: Path, roots: list[Path]) -> Path:
    """A link named explicitly whose target lies inside the given paths is its target."""
    if path.is_symlink() and _within(path.resolve(), roots):
        return path.resolve()
    return path


def wanted(path: Path, settings: Settings) -> bool:
    """Whether a walk of the configured root would take this file: a configured extension, and
    neither the excludes nor `.gitignore` name it or a folder above it."""
    extensions = {f".{e.lower()}" for e in settings.extensions}
    return path.suffix.lower() in extensions and not _Ignores(settings).excluded_explicitly(path)
