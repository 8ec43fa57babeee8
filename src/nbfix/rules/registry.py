"""Rules are plugins: every rule, built-in or third-party, registers in the `nbfix.transforms`
entry-point group."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nbfix.rules.rule import Rule

GROUP = "nbfix.transforms"


class RegistryError(Exception):
    pass


@lru_cache(maxsize=1)
def all_rules() -> tuple[type[Rule], ...]:
    from importlib import import_module

    from nbfix.rules.rule import Rule

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
    """`entry-points-<environment>.txt` in the user's cache folder for nbfix, or None when there
    is no home folder."""
    from nbfix import __version__
    from nbfix.core.fingerprint import digest, environment_fingerprint

    try:
        base = user_cache_dir()
    except (RuntimeError, KeyError, OSError):
        return None
    return base / f"entry-points-{digest(__version__, GROUP, environment_fingerprint())}.txt"


def user_cache_dir():
    """Where the OS keeps a user's caches for nbfix, as platformdirs says: `~/Library/Caches/nbfix`
    on macOS, `%LOCALAPPDATA%\\nbfix\\Cache` on Windows, `$XDG_CACHE_HOME/nbfix` (else
    `~/.cache/nbfix`) elsewhere. platformdirs costs about 7 ms to import, so the XDG rule it would
    apply is computed here where that is its answer."""
    import os
    import sys
    from pathlib import Path

    if sys.platform == "darwin":
        from platformdirs.macos import MacOS

        return Path(MacOS("nbfix", appauthor=False).user_cache_dir)
    if sys.platform == "win32":
        from platformdirs.windows import Windows

        return Path(Windows("nbfix", appauthor=False).user_cache_dir)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nbfix"


# The kept list: one `name<TAB>value` line per entry point, then an `end` line (a cut-off file
# is not a list). Plain lines rather than JSON: `json` alone costs a few ms of start-up.
_END = "end\n"


def _read_kept(path) -> list[tuple[str, str]] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None
    if not text.endswith(_END):
        return None
    entries = [tuple(line.split("\t")) for line in text[: -len(_END)].splitlines()]
    if not all(len(entry) == 2 for entry in entries):
        return None
    return entries  # type: ignore[return-value]


def _keep(path, entries: list[tuple[str, str]]) -> None:
    from nbfix.core.tempfiles import replace_atomically

    if any(c in part for entry in entries for part in entry for c in "\t\r\n"):
        return  # not representable: importlib.metadata is asked each time
    text = "".join(f"{name}\t{value}\n" for name, value in entries) + _END
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # a read-only home: importlib.metadata is asked each time
    if replace_atomically(path, lambda out: out.write(text.encode("utf-8"))):
        _prune(path.parent)


KEPT_LISTS = 16  # environments remembered; every install or removal of a package makes a new list


def _prune(folder) -> None:
    """Keep the newest lists only: each `pip install` leaves the previous list behind."""
    lists = []
    for found in folder.glob("entry-points-*"):
        try:
            lists.append((found.stat().st_mtime_ns, found))
        except OSError:
            continue
    for _, stale in sorted(lists, reverse=True)[KEPT_LISTS:]:
        try:
            stale.unlink()
        except OSError:
            pass


def rule_by_selector(selector: str) -> list[type[Rule]]:
    """Rules matching a code (`NB101`), a code prefix (`NB1`) or a name (`reference-lifetime`)."""
    wanted = selector.strip()
    upper = wanted.upper()
    return [r for r in all_rules() if r.code.startswith(upper) or r.name == wanted.lower()]


def _closest(typed: str, candidates: list[str], difflib, n: int = 2) -> list[str]:
    # Ties in similarity go to the candidate sharing more characters in place (a mistyped
    # digit keeps its neighbours where they were), not to the one sorting last.
    def key(candidate: str) -> tuple[float, int]:
        ratio = difflib.SequenceMatcher(None, typed, candidate).ratio()
        return ratio, sum(a == b for a, b in zip(typed, candidate))

    scored = sorted(((key(c), c) for c in candidates), key=lambda pair: pair[0], reverse=True)
    return [c for (ratio, _), c in scored if ratio >= 0.6][:n]


def did_you_mean(word: str, listing: bool = True) -> str:
    """"; did you mean NB102?" for the closest rule codes and names, else (with `listing`) the
    codes and names there are."""
    import difflib

    rules = all_rules()
    candidates = [r.code for r in rules] + [r.name for r in rules]
    typed = word.upper() if word[:2].lower() == "nb" else word.lower()
    close = _closest(typed, candidates, difflib)
    if close:
        return f"; did you mean {' or '.join(close)}?"
    if not listing:
        return ""
    return f" (codes: {', '.join(r.code for r in rules)}; names: {', '.join(r.name for r in rules)})"
