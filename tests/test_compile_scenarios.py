"""Every fix proven by compiling and running it: build, observe, nbfix apply, rebuild, observe."""

from __future__ import annotations

from pathlib import Path

import pytest

from compile_harness import Workspace
from conftest import FIXTURES, nbfix_executable

SCENARIOS = sorted(p.name for p in (FIXTURES / "compile").iterdir() if (p / "scenario.toml").exists())


@pytest.fixture(scope="session")
def workspace(tmp_path_factory) -> Workspace:
    ws = Workspace(tmp_path_factory.mktemp("compile"), FIXTURES / "compile")
    ws.configure_and_build()
    return ws


def _sources(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.suffix in (".cpp", ".h")}


@pytest.mark.parametrize("name", SCENARIOS)
def test_fix_compiles_and_behaves(workspace: Workspace, name: str):
    scenario = workspace.scenarios[name]
    before = workspace.behave(scenario, "before", expect_crash=scenario.before == "crash")

    original = _sources(scenario.folder)
    applied = workspace.nbfix(scenario, nbfix_executable())
    assert applied.returncode in (0, 1), applied.stderr
    assert _sources(scenario.folder) != original, f"nbfix changed nothing:\n{applied.stdout}"
    again = workspace.nbfix(scenario, nbfix_executable())
    assert again.returncode in (0, 1) and "Fixed 0 findings in 0 files" in again.stdout, again.stdout

    workspace.build(scenario.module)
    after = workspace.behave(scenario, "after", before=before)
    if "invariants" in before:
        assert after["invariants"] == before["invariants"], "a call unrelated to the fix changed behaviour"
