"""Rule selection: priority thresholds, prefixes, names, and rules that are off unless selected."""

from __future__ import annotations

import pytest

from nbfix.core.findings import Priority
from nbfix.rules.registry import all_rules
from nbfix.run.config import ConfigError, Settings, selected_rules


def codes(**settings) -> set[str]:
    return {r.code for r in selected_rules(Settings(**settings))}


def test_default_is_high_and_medium():
    assert codes() == {r.code for r in all_rules() if r.priority is not Priority.LOW and not r.opt_in}


def test_priority_threshold():
    assert codes(priority=Priority.HIGH) == {r.code for r in all_rules() if r.priority is Priority.HIGH and not r.opt_in}
    assert codes(priority=Priority.LOW) == {r.code for r in all_rules() if not r.opt_in}


def test_export_values_is_off_unless_selected_by_code_or_name():
    assert "NB303" not in codes(priority=Priority.LOW)
    assert "NB303" not in codes(select=("NB3",))
    assert codes(select=("NB303",)) == {"NB303"}
    assert codes(select=("export-values",)) == {"NB303"}


def test_port_rules_run_only_when_named():
    assert not codes(priority=Priority.LOW) & {"NB501", "NB507"}
    assert codes(select=("NB5",)) == set()
    assert codes(select=("NB501", "port-renames")) == {"NB501", "NB502"}


def test_select_prefix_name_and_ignore():
    assert codes(select=("NB1",)) == {"NB101", "NB102", "NB103"}
    assert codes(select=("NB4", "gil-release"), ignore=("NB402",)) == {"NB201", "NB401", "NB403", "NB404", "NB405"}


def test_unknown_selector_names_the_valid_ones():
    with pytest.raises(ConfigError, match=r"unknown rule selector 'ZZ999' \(codes: NB101, .*names: reference-lifetime"):
        codes(select=("ZZ999",))
