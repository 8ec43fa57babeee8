"""Porting `pyproject.toml` from pybind11 to nanobind (NB508, PORTING.md rows 123-124).

tomlkit edits the document in place, so comments, key order and layout outside the changed
values stay as they were.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from nbfix_transforms._cmake import PYTHON_MINIMUM

NANOBIND_REQUIREMENT = {2: "nanobind>=2.0,<3", 3: "nanobind>=3.0"}
SCIKIT_BUILD_CORE = "scikit-build-core>=0.10"
SCIKIT_BUILD_BACKEND = "scikit_build_core.build"
# What a setup.py build needed and a scikit-build-core build does not.
_SETUPTOOLS_ONLY = ("setuptools", "wheel", "pybind11", "setuptools-scm", "setuptools_scm")


class PyprojectPort(NamedTuple):
    text: str
    notes: list[str]  # advice for the file as a whole


def requirement_name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[@]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def port_pyproject(text: str, version: int, needs_nanobind: bool, project: dict[str, Any] | None,
                   imports_pybind11: bool = True) -> PyprojectPort:
    """`text` (empty: a new file) with nanobind required for the build.

    `project` (the `[project]` metadata read from setup.py) switches the build to
    scikit-build-core and adds the table; `needs_nanobind` adds the requirement even where
    pybind11 was not listed (a vendored pybind11 that CMake now takes from the environment).
    A run-time `pybind11` in `[project] dependencies` goes unless `imports_pybind11` (the
    project's Python code imports it): a nanobind extension needs no package at run time.
    """
    import tomlkit

    document = tomlkit.parse(text)
    notes: list[str] = []
    system = document.setdefault("build-system", tomlkit.table())
    requires = system.setdefault("requires", tomlkit.array())
    names = [requirement_name(str(r)) for r in requires]
    if project is not None:
        _switch_to_scikit_build(system, requires, version)
    elif "pybind11" in names:
        requires[names.index("pybind11")] = NANOBIND_REQUIREMENT[version]
    elif needs_nanobind and "nanobind" not in names:
        requires.append(NANOBIND_REQUIREMENT[version])
    if project is not None and "project" not in document:
        text = _with_project_table(tomlkit.dumps(document), project)
        document = tomlkit.parse(text)
    if project is not None or "pybind11" in names or needs_nanobind:
        notes += _raise_requires_python(document, version)
        if not imports_pybind11:
            _drop_runtime_pybind11(document)
    return PyprojectPort(tomlkit.dumps(document), notes)


def _switch_to_scikit_build(system: Any, requires: Any, version: int) -> None:
    for index in reversed(range(len(requires))):
        if requirement_name(str(requires[index])) in _SETUPTOOLS_ONLY:
            del requires[index]
    names = [requirement_name(str(r)) for r in requires]
    for needed in (SCIKIT_BUILD_CORE, NANOBIND_REQUIREMENT[version]):
        if requirement_name(needed) not in names:
            requires.append(needed)
    system["build-backend"] = SCIKIT_BUILD_BACKEND


def _with_project_table(text: str, project: dict[str, Any]) -> str:
    """The `[project]` table inserted right after `[build-system]`'s last value (its usual
    place), before any comment that introduces the next table."""
    import tomlkit

    table = tomlkit.table()
    for key, value in project.items():
        table[key] = _inline_people(value) if key in ("authors", "maintainers") else value
    newline = "\r\n" if "\r\n" in text else "\n"
    rendered = tomlkit.dumps({"project": table}).replace("\n", newline)
    header = re.search(r"^\[build-system\][^\n]*\n", text, re.M)
    following = re.compile(r"^\[", re.M).search(text, header.end()) if header else None
    if header is None or following is None:
        return text.rstrip("\r\n") + newline + newline + rendered
    values = [m for m in re.finditer(r"^[^#\s\r\n].*$", text[:following.start()], re.M) if m.start() >= header.end()]
    at = _after_line(text, values[-1].end()) if values else header.end()
    return text[:at] + newline + rendered + text[at:]


def _after_line(text: str, at: int) -> int:
    newline = text.find("\n", at)
    return len(text) if newline < 0 else newline + 1


def _inline_people(people: list[dict[str, str]]) -> Any:
    """`authors = [{name = "...", email = "..."}]`, as pyproject files usually spell it."""
    import tomlkit

    array = tomlkit.array()
    for person in people:
        inline = tomlkit.inline_table()
        inline.update(person)
        array.append(inline)
    return array


def _raise_requires_python(document: Any, version: int) -> list[str]:
    """`requires-python = ">=3.7"` -> `">=3.10"` under nanobind 3.x, which refuses older Pythons."""
    project = document.get("project")
    if project is None or "requires-python" not in project:
        return []
    current = str(project["requires-python"])
    minimum = PYTHON_MINIMUM[version]
    raised = raised_python_requirement(current, minimum)
    if raised is None:
        return [] if _at_least(current, minimum) else [
            f'requires-python = "{current}": nanobind {version}.x needs Python {minimum} or newer; adjust it by hand'
        ]
    project["requires-python"] = raised
    _drop_older_python_classifiers(project, minimum)
    return []


def _drop_runtime_pybind11(document: Any) -> None:
    dependencies = (document.get("project") or {}).get("dependencies")
    if not isinstance(dependencies, list):
        return
    for index in reversed(range(len(dependencies))):
        if requirement_name(str(dependencies[index])) == "pybind11":
            del dependencies[index]


def _drop_older_python_classifiers(project: Any, minimum: str) -> None:
    """The "Programming Language :: Python :: 3.9" classifiers the raised minimum excludes."""
    classifiers = project.get("classifiers")
    if not isinstance(classifiers, list):
        return
    older = [i for i, c in enumerate(classifiers) if (m := re.fullmatch(r"Programming Language :: Python :: (\d+\.\d+)", str(c)))
             and _version(m[1]) < _version(minimum)]
    for index in reversed(older):
        del classifiers[index]


def raised_python_requirement(current: str, minimum: str) -> str | None:
    """`>=3.7` -> `>=3.10` when below `minimum`; None when it is fine or not a plain `>=X.Y`."""
    match = re.fullmatch(r"\s*>=\s*(\d+)\.(\d+)\s*", current)
    if match is None or _version(f"{match[1]}.{match[2]}") >= _version(minimum):
        return None
    return f">={minimum}"


def _at_least(requirement: str, minimum: str) -> bool:
    match = re.search(r">=?\s*(\d+)\.(\d+)", requirement)
    return match is not None and _version(f"{match[1]}.{match[2]}") >= _version(minimum)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))
