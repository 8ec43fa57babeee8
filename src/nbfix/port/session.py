"""One port: every side over the given paths, their results as one list."""

from __future__ import annotations

from pathlib import Path

from nbfix.core.result import FileResult
from nbfix.port.build import port_build
from nbfix.port.cpp import port_cpp
from nbfix.port.python import port_python
from nbfix.port.sides import PortSide, Side
from nbfix.run.config import Settings


def port(paths: list[Path], settings: Settings, target_version: int, lint: bool = True) -> PortSide:
    """Every side's result, one list (a file belongs to one side: its kind of file decides)."""
    sides: list[Side] = [lambda p, s, t: port_cpp(p, s, t, lint), port_build, port_python]
    files: list[FileResult] = []
    errors: list[str] = []
    warnings: list[str] = []
    for side in sides:
        result = side(paths, settings, target_version)
        files += result.files
        errors += result.errors
        warnings += result.warnings
    return PortSide(files, errors, warnings)
