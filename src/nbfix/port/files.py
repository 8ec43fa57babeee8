"""Running porting rules and writing the files they return."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from nbfix.core.source import UTF8_BOM, Source, detect_newline
from nbfix.rules.porting import PortContext, PortedFile, PortRule


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
        ported += rule().port(ctx)
    claimed = [p.path for p in ported if p.changed]
    if len(claimed) != len(set(claimed)):
        raise ValueError(f"two porting rules change the same file: {sorted(set(p for p in claimed if claimed.count(p) > 1))}")
    return ported


def write_ported(files: Iterable[PortedFile]) -> None:
    """Write every changed file or none (`core.writer`): existing ones replaced atomically with
    their mode kept, unchanged since they were read; new ones created, never over a file."""
    from nbfix.core.writer import write_all, write_new

    files = [f for f in files if f.changed]
    write_all([(_source(f), f.new) for f in files if f.old is not None])
    for created in (f for f in files if f.old is None):
        write_new(created.path, created.new)


def _source(file: PortedFile) -> Source:
    """The file as read, for the writer's checks; `new` carries its own BOM, so none is added."""
    assert file.old is not None
    mode = file.path.stat().st_mode
    return Source(file.path, str(file.path), file.old, b"", detect_newline(file.old.removeprefix(UTF8_BOM)), mode)
