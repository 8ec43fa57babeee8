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
    from importlib.metadata import entry_points  # costly to import: only when rules are needed

    from nbfix.rule import Rule

    rules: dict[str, type[Rule]] = {}
    for entry in entry_points(group=GROUP):
        try:
            rule = entry.load()
        except Exception as exc:  # a broken plugin must not hide the others' cause
            raise RegistryError(f"cannot load rule plugin {entry.name!r} ({entry.value}): {exc}") from exc
        if not (isinstance(rule, type) and issubclass(rule, Rule)):
            raise RegistryError(f"rule plugin {entry.name!r} ({entry.value}) is not an nbfix Rule")
        if rule.code in rules and rules[rule.code] is not rule:
            raise RegistryError(f"two rule plugins claim code {rule.code}")
        rules[rule.code] = rule
    return tuple(sorted(rules.values(), key=lambda r: r.code))


def rule_by_selector(selector: str) -> list[type[Rule]]:
    """Rules matching a code (`NB101`), a code prefix (`NB1`) or a name (`reference-lifetime`)."""
    wanted = selector.strip()
    upper = wanted.upper()
    return [r for r in all_rules() if r.code.startswith(upper) or r.name == wanted.lower()]
