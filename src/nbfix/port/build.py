"""Porting a project's build files (CMake, pyproject.toml, setup.py) to nanobind."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from nbfix.port.files import porting_rules, run_rules
from nbfix.port.sides import PortSide
from nbfix.run.config import Settings
from nbfix.rules.porting import PortContext, PortedFile, PortRule

TARGET_VERSIONS = (2, 3)


def port_build_files(root: Path, target_version: int, rules: Sequence[type[PortRule]] | None = None) -> list[PortedFile]:
    """The build files of the project at `root` as they read after the port (the "build" rules:
    NB508 unless `rules` selects otherwise).
    Nothing is written: `files.as_results`, then `files.write_results`."""
    if target_version not in TARGET_VERSIONS:
        raise ValueError(f"target version must be one of {TARGET_VERSIONS}, not {target_version}")
    return run_rules(porting_rules("build", rules), PortContext(root.resolve(), target_version))


def port_build(paths: list[Path], settings: Settings, target_version: int) -> PortSide:
    """The build side of `nbfix port`: the build files under each given folder (a folder inside
    another given one is covered by it; files named alone are C++ or Python, not build files)."""
    from nbfix.port.cpp import port_settings
    from nbfix.port.files import RuleCrashed, as_results
    from nbfix.run.config import selected_rules

    rules = selected_rules(port_settings(settings, target_version), "build")
    folders = [p.resolve() for p in paths if p.is_dir()]
    roots = [f for f in dict.fromkeys(folders) if not any(o in f.parents for o in folders)]
    files, errors = [], []
    for root in roots:
        try:
            files += as_results(port_build_files(root, target_version, rules))
        except (OSError, UnicodeDecodeError, ValueError, RuleCrashed) as exc:
            errors.append(f"{root}: build files not ported ({exc})")
    return PortSide(files, errors, [])

