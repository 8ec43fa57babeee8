"""Porting the Python code that uses a project's bindings (tests, package code) to nanobind."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from nbfix.model.python_api import PythonApi
from nbfix.port.files import porting_rules, run_rules
from nbfix.port.sides import PortSide
from nbfix.run.config import Settings
from nbfix.rules.porting import PortContext, PortedFile, PortRule


def python_api_of(cpp_paths: Iterable[Path], settings: Settings | None = None) -> PythonApi:
    """What the bindings in these C++ files and folders show Python, read through the binding
    model (files found as `nbfix check` finds them; unreadable ones are skipped)."""
    from nbfix.core.source import SourceError, read_source
    from nbfix.cpp.parsing import parse
    from nbfix.model.builder import build_model
    from nbfix.model.facts import project_index
    from nbfix.model.python_api import python_api
    from nbfix.run.discovery import discover

    parsed = []
    for path in discover(list(cpp_paths), settings or Settings()).files:
        try:
            content = read_source(path, str(path)).content
        except SourceError:
            continue
        parsed.append((path.as_posix(), parse(content), content))
    index = project_index(parsed)
    return python_api(build_model(tree, content, index) for _, tree, content in parsed)


def port_python_files(
    paths: Iterable[Path], api: PythonApi, target_version: int = 3, rules: Sequence[type[PortRule]] | None = None
) -> list[PortedFile]:
    """The Python files under `paths` that the port changes or reports on (the "python" rules:
    NB509 unless `rules` selects otherwise).
    Nothing is written: `files.as_results`, then `files.write_results`."""
    from nbfix.run.python_side import python_files

    files = tuple(python_files(paths))
    context = PortContext(Path.cwd(), target_version, files, api)
    return run_rules(porting_rules("python", rules), context)


def port_python(paths: list[Path], settings: Settings, target_version: int) -> PortSide:
    """The Python side of `nbfix port`: the Python files under the given paths (found as `check`
    finds C++ files: .gitignore and excludes apply), checked against the bindings of the C++
    files under the same paths, read before the C++ side rewrites them."""
    from nbfix.port.cpp import port_settings
    from nbfix.port.files import RuleCrashed, as_results
    from nbfix.run.config import selected_rules
    from nbfix.run.discovery import discover

    rules = selected_rules(port_settings(settings, target_version), "python")
    if not rules:
        return PortSide([], [], [])
    found = discover(paths, settings.replace(extensions=("py",)))
    if not found.files:
        return PortSide([], [], [])  # nothing to port: the C++ is not read a second time
    try:
        api = python_api_of(paths, settings)
        files = as_results(port_python_files(found.files, api, target_version, rules))
    except (OSError, UnicodeDecodeError, ValueError, RuleCrashed) as exc:
        return PortSide([], [f"Python files not ported ({exc})"], [])
    return PortSide(files, [], [])
