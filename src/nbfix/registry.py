"""Rules are plugins: every rule, built-in or third-party, registers in the `nbfix.transforms`
entry-point group."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nbfix.rule import Rule

GROUP = "nbfix.transforms"


class RegistryError(Exception):
    pass


@lru_cache(maxsize=1)
def all_rules() -> tuple[type[Rule], ...]:
    from importlib import import_module

    from nbfix.rule import Rule

    rules: dict[str, type[Rule]] = {}
    for name, value in _entry_points():
        try:
            module, _, attribute = value.partition(":")
            rule = import_module(module.strip())
            for part in attribute.split("[")[0].strip().split("."):
                rule = getattr(rule, part) if part else rule
        except Exception as exc:  # a broken plugin must not hide the others' cause
            raise RegistryError(f"cannot load rule plugin {name!r} ({value}): {exc}") from exc
        if not (isinstance(rule, type) and issubclass(rule, Rule)):
            raise RegistryError(f"rule plugin {name!r} ({value}) is not an nbfix Rule")
        if rule.code in rules and rules[rule.code] is not rule:
            raise RegistryError(f"two rule plugins claim code {rule.code}")
        rules[rule.code] = rule
    return tuple(sorted(rules.values(), key=lambda r: r.code))


def _entry_points() -> list[tuple[str, str]]:
    """(name, value) of every entry point in the group. Asking importlib.metadata costs about
    70 ms a process, so the list is kept per Python environment in the user's cache folder;
    installing or removing a package changes the environment's fingerprint."""
    kept = _kept_list()
    entries = _read_kept(kept) if kept is not None else None
    if entries is None:
        from importlib.metadata import entry_points

        entries = sorted({(entry.name, entry.value) for entry in entry_points(group=GROUP)})
        if kept is not None:
            _keep(kept, entries)
    return entries


def _kept_list():
    """`$XDG_CACHE_HOME/nbfix/entry-points-<environment>.json` (else under `~/.cache`), or None
    when there is no home folder."""
    import os
    from pathlib import Path

    from nbfix import __version__
    from nbfix.cache import digest, environment_fingerprint

    try:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nbfix"
    except RuntimeError:
        return None
    return base / f"entry-points-{digest(__version__, GROUP, environment_fingerprint())}.json"


def _read_kept(path) -> list[tuple[str, str]] | None:
    import json

    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not (isinstance(found, list) and all(isinstance(e, list) and len(e) == 2 for e in found)):
        return None
    return [(str(name), str(value)) for name, value in found]


def _keep(path, entries: list[tuple[str, str]]) -> None:
    import json
    import os
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(entries, out)
        os.replace(temporary, path)
    except OSError:
        pass  # a read-only home: importlib.metadata is asked each time


def rule_by_selector(selector: str) -> list[type[Rule]]:
    """Rules matching a code (`NB101`), a code prefix (`NB1`) or a name (`reference-lifetime`)."""
    wanted = selector.strip()
    upper = wanted.upper()
    return [r for r in all_rules() if r.code.startswith(upper) or r.name == wanted.lower()]
