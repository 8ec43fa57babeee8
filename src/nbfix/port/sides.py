"""What one side of a port (C++ sources, build files, Python code) hands back.

A side is a function `(paths, settings, target_version) -> PortSide`: each file it would change
as a `FileResult` whose `new_content` is the ported text, `fixed` the rewrites made and
`remaining` what needs a person (positions in the new content). Nothing is written here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, NamedTuple

from nbfix.core.result import FileResult
from nbfix.run.config import Settings


class PortSide(NamedTuple):
    files: list[FileResult]
    errors: list[str]
    warnings: list[str]


Side = Callable[[list[Path], Settings, int], PortSide]


def default_target_version() -> int:
    """The major version of the nanobind installed here, else 3 (the current one)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return int(version("nanobind").split(".")[0])
    except (PackageNotFoundError, ValueError):
        return 3

