"""Rules over a project's other files: build files and Python code, rewritten by `nbfix port`.

A C++ rule sees one file through `Rule.check`; a porting rule sees the project through
`PortRule.port` and answers with whole files (new bytes and findings), because one change can
span files (a `setup.py` becomes a `CMakeLists.txt` and a `[project]` table). Porting rules are
`opt_in` and never run by `check` or `apply`.
"""

from pathlib import Path
from typing import Any, ClassVar, NamedTuple

from nbfix.core.findings import Finding
from nbfix.rules.rule import Option, Rule

# Every port rule's `target-version` option: `nbfix port --target-version` sets it.
TARGET_VERSION = Option(3, "nanobind major version the port writes for (2 or 3)")

# No `from __future__ import annotations` here: every `check` imports this module (the porting
# rules subclass PortRule), and string annotations of a NamedTuple each cost a compile().


class PortedFile(NamedTuple):
    """One file a port creates or changes. `old` is None for a new file; findings point into
    `old` (into `new` for a new file)."""

    path: Path
    old: bytes | None
    new: bytes
    findings: tuple[Finding, ...]
    rule: Any = None  # the PortRule class that made it, set by `nbfix.port.files.run_rules`

    @property
    def changed(self) -> bool:
        return self.old != self.new


class PortContext(NamedTuple):
    """What a porting rule sees: the project and the facts of its C++ bindings."""

    root: Path
    target_version: int  # nanobind major version the port targets: 2 or 3
    python_paths: tuple[Path, ...] = ()  # Python files and folders to rewrite (tests, package code)
    api: Any = None  # the bindings' `nbfix.model.python_api.PythonApi`, from the C++ files


class PortRule(Rule):
    """Base class of porting rules. Subclasses set the metadata and implement `port`."""

    files: ClassVar[str]  # what the rule reads: "build" or "python"
    opt_in = True

    def port(self, ctx: "PortContext") -> "list[PortedFile]":
        raise NotImplementedError

    def at(self, start: int, end: int, message: str) -> Finding:
        """A finding with advice and no edit, at a byte range of the file it is reported in."""
        return Finding(self.code, self.name, self.priority, message, start, end)
