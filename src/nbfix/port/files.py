"""Running porting rules and writing the files they return."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from nbfix.core.findings import Finding
from nbfix.core.result import FileResult, LineIndex
from nbfix.core.source import UTF8_BOM, Source, detect_newline
from nbfix.rules.porting import PortContext, PortedFile, PortRule


class RuleCrashed(Exception):
    """A porting rule raised: its message is one line naming the rule and where it failed."""

    def __init__(self, code: str, exc: Exception) -> None:
        import traceback

        frames = traceback.extract_tb(exc.__traceback__)
        where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
        super().__init__(f"rule {code} crashed ({type(exc).__name__}: {exc}{where}); please report this")


def porting_rules(files: str, rules: Sequence[type[PortRule]] | None = None) -> list[type[PortRule]]:
    """The rules reading `files` ("build", "python"): among `rules` (the command's selection) or,
    by default, every registered one."""
    from nbfix.rules.registry import all_rules

    chosen = all_rules() if rules is None else rules
    return [r for r in chosen if issubclass(r, PortRule) and r.files == files]


def run_rules(rules: Sequence[type[PortRule]], ctx: PortContext) -> list[PortedFile]:
    """Each rule's files in turn; a later rule sees the files an earlier one changed through
    its own reading of the disk, so two rules must not claim the same file."""
    ported: list[PortedFile] = []
    for rule in rules:
        try:
            made = rule().port(ctx)
        except (OSError, UnicodeDecodeError):
            raise
        except Exception as exc:
            raise RuleCrashed(rule.code, exc) from exc
        ported += [p._replace(path=_own_name(p.path, ctx.root), rule=rule) for p in made]
    claimed = [p.path for p in ported if p.changed]
    if len(claimed) != len(set(claimed)):
        raise ValueError(f"two porting rules change the same file: {sorted(set(p for p in claimed if claimed.count(p) > 1))}")
    return ported


def _own_name(path: Path, root: Path) -> Path:
    """A link to a file inside the project stands for that file (the writer edits files, never
    links); a link out of it stays a link, which the writer refuses with a one-line error."""
    if path.is_symlink() and root.resolve() in path.resolve().parents:
        return path.resolve()
    return path


def write_results(files: Iterable[FileResult]) -> list[str]:
    """Write every changed file through `core.writer`: an existing one replaced atomically (the
    same checks as `apply`), a new one created, never over a file. One line per file that could
    not be written; the others are still written."""
    from nbfix.core.writer import WriteError, write_atomic, write_new

    errors = []
    for file in files:
        if not file.changed:
            continue
        try:
            if is_new(file):
                write_new(file.source.path, file.source.with_content(file.new_content))
            else:
                write_atomic(file.source, file.new_content)
        except WriteError as exc:
            errors.append(str(exc))
    return errors


def as_results(files: Iterable[PortedFile]) -> list[FileResult]:
    """Ported files as a side's results (`nbfix.port.sides`): one rewrite for each changed block
    of lines, and each finding, as work for a person, on the line its text moved to. A file the
    port creates reads as empty with mode 0 (see `is_new`)."""
    return [_as_result(file) for file in files]


def is_new(file: FileResult) -> bool:
    """A file the port creates (a generated CMakeLists.txt): it must not exist when written."""
    return file.source.mode == 0


def _as_result(file: PortedFile) -> FileResult:
    from nbfix.engine.linter import locate

    old = b"" if file.old is None else file.old
    bom = UTF8_BOM if old.startswith(UTF8_BOM) else b""  # a rule's new text keeps the old one's BOM
    content = file.new[len(bom):]
    mode = 0 if file.old is None else file.path.stat().st_mode
    source = Source(file.path, _display(file.path), old, bom, detect_newline(content), mode)
    lines = LineIndex(content)
    if file.old is None:
        changed = [0]
        remaining = list(file.findings)
    else:
        blocks = _line_blocks(source.content, content)
        changed = [lines.starts[b[3]] if b[3] < len(lines.starts) else len(content) for b in blocks if b[0] != "equal"]
        before = LineIndex(source.content)
        remaining = [f._replace(start=_moved(f.start, before, lines, blocks)) for f in file.findings]
    rewrites = [locate(Finding(file.rule.code, file.rule.name, file.rule.priority, "rewritten", at, at), lines) for at in changed]
    advice = sorted((locate(f._replace(end=f.start), lines) for f in remaining), key=lambda i: (i.line, i.column))
    return FileResult(source, advice, rewrites if file.changed else [], content if file.changed else None)


def _line_blocks(old: bytes, new: bytes) -> list[tuple[str, int, int, int, int]]:
    from difflib import SequenceMatcher

    return SequenceMatcher(None, old.splitlines(True), new.splitlines(True), autojunk=False).get_opcodes()


def _moved(offset: int, old: LineIndex, new: LineIndex, blocks) -> int:
    """Where a byte offset of the old text is in the new: same column on an unchanged line; in a
    rewritten block, the most similar new line of the block (its start when none is close)."""
    from difflib import SequenceMatcher

    line = old.line_of(offset)
    column = offset - old.starts[line]
    for kind, old_start, old_end, new_start, new_end in blocks:
        if kind == "equal" and old_start <= line < old_end:
            return new.starts[new_start + line - old_start] + column
        if old_start <= line < old_end or old_start == old_end == line:
            text = old.line(line)
            score, best = max(((SequenceMatcher(None, text, new.line(n), autojunk=False).ratio(), n)
                               for n in range(new_start, new_end)), default=(0.0, new_start))
            if score < 0.5 or best >= len(new.starts):
                return new.starts[new_start] if new_start < len(new.starts) else len(new.content)
            return new.starts[best] + min(column, len(new.line(best).rstrip(b"\r\n")))
    return len(new.content)


def _display(path: Path) -> str:
    """The path relative to the working folder when it lies inside it, as the C++ side shows it."""
    import os

    inside = Path.cwd() in path.absolute().parents  # a symlink is shown by its own name
    return Path(os.path.relpath(path)).as_posix() if inside else path.as_posix()
