"""Porting a project's build files (CMake, pyproject.toml, setup.py) to nanobind."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from nbfix.port.files import porting_rules, run_rules
from nbfix.rules.porting import PortContext, PortedFile, PortRule

TARGET_VERSIONS = (2, 3)


def port_build_files(root: Path, target_version: int, rules: Sequence[type[PortRule]] | None = None) -> list[PortedFile]:
    """The build files of the project at `root` as they read after the port (the "build" rules:
    NB508 unless `rules` selects otherwise). Nothing is written: see `files.write_ported`."""
    if target_version not in TARGET_VERSIONS:
        raise ValueError(f"target version must be one of {TARGET_VERSIONS}, not {target_version}")
    return run_rules(porting_rules("build", rules), PortContext(root.resolve(), target_version))
