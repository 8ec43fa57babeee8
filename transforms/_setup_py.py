"""Reading a pybind11 `setup.py` without running it (NB508, PORTING.md row 123).

libcst parses the file; the `setup(...)` call's arguments and the `Pybind11Extension(...)`s are
resolved from literals and module-level constants (`__version__ = "1.0"`). Whatever is computed
(a file read, a glob, a function call) is reported with what to do by hand, never guessed.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any, NamedTuple

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import MetadataWrapper, PositionProvider

from nbfix_transforms._port_text import Change, Lines, Note
from nbfix_transforms._pyproject import raised_python_requirement


class Root(str):
    """The folder setup.py is in (`os.path.dirname(os.path.realpath(__file__))`): a path below it
    is that path relative to the project, as CMake reads it."""


# How setup.py files spell their own folder (whitespace removed).
_ROOT_SPELLINGS = {
    f"{outer}({inner}(__file__))"
    for outer, inner in (("os.path.dirname", "os.path.realpath"), ("os.path.dirname", "os.path.abspath"),
                         ("os.path.abspath", "os.path.dirname"), ("os.path.realpath", "os.path.dirname"))
} | {"os.path.dirname(__file__)"} | {
    f"{path}(__file__){resolve}.parent"
    for path in ("Path", "pathlib.Path") for resolve in ("", ".resolve()", ".absolute()")
}


class Unknown(NamedTuple):
    """A value the file computes: where it is."""

    node: cst.CSTNode


class Extension(NamedTuple):
    """One `Pybind11Extension(...)`: what its CMake target needs."""

    name: str  # dotted module name, e.g. `pkg._core`
    sources: list[str]
    include_dirs: list[str]
    define_macros: list[tuple[str, str | None]]
    compile_args: list[str]
    link_args: list[str]
    libraries: list[str]
    cxx_std: int | None


class SetupPy(NamedTuple):
    project: dict[str, Any] | None  # the `[project]` table; None when the build stays setup.py
    extensions: list[Extension]
    changes: list[Change]
    notes: list[Note]
    call: int = 0  # where the `setup(` call starts


_EXTENSION_CLASSES = ("Pybind11Extension", "Extension")
# setup() keywords that only served the setuptools build: nothing to carry over.
_BUILD_ONLY = {"ext_modules", "cmdclass", "zip_safe", "include_package_data", "long_description_content_type"}
_SIMPLE_METADATA = {
    "name": "name", "version": "version", "description": "description", "python_requires": "requires-python",
    "install_requires": "dependencies", "classifiers": "classifiers", "keywords": "keywords",
}


def read_setup_py(text: str, python_minimum: str) -> SetupPy:
    """What the `setup(...)` call of a setup.py says, and whether its build is pybind11's. A
    setup.py that stays (one driving CMake itself) gets only its Python minimum raised and the
    CMake flag naming the interpreter fixed."""
    wrapper = MetadataWrapper(cst.parse_module(text))
    reader = _Reader(text, python_minimum)
    wrapper.visit(reader)
    return reader.result


class _Changed(cst.CSTVisitor):
    """Every name bound anywhere in the file (each binding once), and the names changed in place."""

    MUTATORS = frozenset({"append", "extend", "insert", "update", "remove", "pop", "clear", "add", "setdefault"})

    def __init__(self) -> None:
        super().__init__()
        self.assigned: list[str] = []
        self.mutated: set[str] = set()

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self.assigned += [n.value for n in _names(node.target)]

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.mutated.update(n.value for n in _names(node.target) + _owners(node.target))

    def visit_Assign(self, node: cst.Assign) -> None:
        self.mutated.update(n.value for t in node.targets for n in _owners(t.target))  # `ext.libraries = [...]`

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.assigned += [n.value for n in _names(node.target)]

    def visit_For(self, node: cst.For) -> None:
        self.assigned += [n.value for n in _names(node.target)]

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in self.MUTATORS:
            self.mutated.update(n.value for n in _owners(func.value) + _names(func.value))  # `ext.x.append(...)`

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if isinstance(node.value, cst.Name):  # `flags[0] = ...` (a read is counted too: safe side)
            self.mutated.add(node.value.value)


def _owners(target: cst.BaseExpression) -> list[cst.Name]:
    """`ext` of `ext.extra_compile_args` (or `ext.a.b`): the object whose attribute changes."""
    while isinstance(target, cst.Attribute):
        target = target.value
        if isinstance(target, cst.Name):
            return [target]
    return []


def _names(target: cst.BaseExpression) -> list[cst.Name]:
    if isinstance(target, cst.Name):
        return [target]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [n for e in target.elements for n in _names(e.value)]
    return []


class _Reader(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, text: str, python_minimum: str) -> None:
        super().__init__()
        self.text = text
        self.python_minimum = python_minimum
        self.lines = Lines(text)
        self.constants: dict[str, cst.BaseExpression | None] = {}  # None: assigned more than once
        self.bound: dict[str, cst.BaseExpression] = {}  # each module-level name's last value, constant or not
        self.setup: cst.Call | None = None
        self.uses_pybind11 = False
        self.changes: list[Change] = []
        self.notes: list[Note] = []
        self.metadata_notes: list[Note] = []
        self.pybind11_extensions = False  # ext_modules holds Pybind11Extension calls, read or not
        self.result = SetupPy(None, [], [], [])

    def leave_Module(self, original_node: cst.Module) -> None:
        """Positions are known only while visiting: the port is read here, at the end."""
        if self.setup is None or not self.uses_pybind11:
            self.result = SetupPy(None, [], self.changes, self.notes)
        else:
            self.result = self.port()

    # -- collecting ---------------------------------------------------------------------------

    def visit_Module(self, node: cst.Module) -> None:
        changed = _Changed()
        node.visit(changed)
        for statement in node.body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
                        name = small.targets[0].target.value
                        # A constant is bound once and never changed (`flags = []` then
                        # `flags.append("-std=c++17")` under an `if` is computed).
                        constant = changed.assigned.count(name) == 1 and name not in changed.mutated
                        self.constants[name] = small.value if constant else None
                        self.bound[name] = small.value

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.module is not None and (get_full_name_for_node(node.module) or "").startswith("pybind11"):
            self.uses_pybind11 = True
        elif not isinstance(node.names, cst.ImportStar):
            # A project's own build helpers for pybind11 (pyopencl's `PybindBuildExtCommand`,
            # `get_pybind_include` from aksetup_helper)
            names = (get_full_name_for_node(alias.name) or "" for alias in node.names)
            self.uses_pybind11 |= any("pybind" in name.lower() for name in names)

    def visit_Call(self, node: cst.Call) -> None:
        name = get_full_name_for_node(node.func) or ""
        if name in ("setup", "setuptools.setup"):
            self.setup = node
        elif name.startswith("pybind11."):
            self.uses_pybind11 = True

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        self._python_executable_flag(node)

    def visit_Arg(self, node: cst.Arg) -> None:
        """`python_requires=">=3.7"` -> `">=3.10"` when nanobind needs a newer Python."""
        if node.keyword is None or node.keyword.value != "python_requires" or not isinstance(node.value, cst.SimpleString):
            return
        current = node.value.evaluated_value
        raised = raised_python_requirement(current, self.python_minimum) if isinstance(current, str) else None
        if raised is not None:
            start, end = self.span(node.value)
            quote = node.value.quote
            self.changes.append(Change(start, end, node.value.prefix + quote + raised + quote))

    def visit_FormattedStringText(self, node: cst.FormattedStringText) -> None:
        self._python_executable_flag(node)

    def _python_executable_flag(self, node: cst.CSTNode) -> None:
        """A setup.py driving CMake itself passes `-DPYTHON_EXECUTABLE`, which FindPython (used
        by nanobind) does not read: it reads `Python_EXECUTABLE`."""
        start, _ = self.span(node)
        value = node.value
        at = value.find("-DPYTHON_EXECUTABLE")
        if at >= 0:
            offset = start + at + len("-D")
            self.changes.append(Change(offset, offset + len("PYTHON_EXECUTABLE"), "Python_EXECUTABLE"))

    # -- positions and values -----------------------------------------------------------------

    def span(self, node: cst.CSTNode) -> tuple[int, int]:
        position = self.get_metadata(PositionProvider, node)
        return self.lines.offset(position.start.line, position.start.column), self.lines.offset(position.end.line, position.end.column)

    def value(self, node: cst.BaseExpression, seen: frozenset[str] = frozenset()) -> Any:
        """The Python value of a literal expression (through module-level constants), else Unknown."""
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            evaluated = node.evaluated_value
            return evaluated if isinstance(evaluated, str) else Unknown(node)
        if isinstance(node, cst.Integer):
            return int(node.value)
        if isinstance(node, (cst.List, cst.Tuple)):
            return [self.value(e.value, seen) for e in node.elements if isinstance(e, cst.Element)]
        if isinstance(node, cst.Dict):
            return {self.value(e.key, seen): self.value(e.value, seen) for e in node.elements if isinstance(e, cst.DictElement)}
        if re.sub(r"\s+", "", cst.Module([]).code_for_node(node)) in _ROOT_SPELLINGS:
            return Root(".")
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Divide)):
            return self._joined(node, self.value(node.left, seen), self.value(node.right, seen))
        if isinstance(node, cst.Call) and get_full_name_for_node(node.func) in ("os.path.join", "path.join"):
            parts = [self.value(a.value, seen) for a in node.args if a.keyword is None and not a.star]
            if parts and isinstance(parts[0], Root) and all(isinstance(p, str) for p in parts[1:]):
                return posixpath.normpath(posixpath.join(*parts[1:])) if parts[1:] else parts[0]
            return Unknown(node)
        if isinstance(node, cst.Name):
            if node.value in ("True", "False", "None"):
                return {"True": True, "False": False, "None": None}[node.value]
            assigned = self.constants.get(node.value)
            if assigned is not None and node.value not in seen:
                return self.value(assigned, seen | {node.value})
        return Unknown(node)

    @staticmethod
    def _joined(node: cst.BinaryOperation, left: Any, right: Any) -> Any:
        """`root + "/include"`, `root / "include"` -> "include"; "a" + "b" -> "ab"."""
        if isinstance(left, Root) and isinstance(right, str) and not isinstance(right, Root):
            if isinstance(node.operator, cst.Divide) or right.startswith("/"):
                return posixpath.normpath(right.lstrip("/"))
        elif isinstance(node.operator, cst.Add) and type(left) is str and type(right) is str:
            return left + right
        return Unknown(node)

    def unknowns(self, value: Any) -> list[Unknown]:
        if isinstance(value, Unknown):
            return [value]
        if isinstance(value, list):
            return [u for item in value for u in self.unknowns(item)]
        if isinstance(value, dict):
            return [u for pair in value.items() for item in pair for u in self.unknowns(item)]
        return []

    def note(self, node: cst.CSTNode, message: str) -> None:
        self.notes.append(Note(*self.span(node), message))

    def metadata_note(self, node: cst.CSTNode, message: str) -> None:
        """Advice on carrying `setup()`'s metadata over: only worth giving when the build moves."""
        self.metadata_notes.append(Note(*self.span(node), message))

    def known(self, keyword: str, node: cst.BaseExpression) -> Any:
        """The value, or None with a note naming each computed part."""
        value = self.value(node)
        missing = self.unknowns(value)
        for unknown in missing:
            code = cst.Module([]).code_for_node(unknown.node)
            self.metadata_note(unknown.node, f"`{keyword}` is computed here (`{code}`): nbfix does not run setup.py; "
                                    "write the value into the generated files by hand")
        return None if missing else value

    # -- the port -----------------------------------------------------------------------------

    def port(self) -> SetupPy:
        assert self.setup is not None
        project: dict[str, Any] = {}
        extensions: list[Extension] = []
        for arg in self.setup.args:
            if arg.keyword is None:
                self.metadata_note(arg, "a positional or ** argument of setup(): carry it over into pyproject.toml by hand")
                continue
            keyword = arg.keyword.value
            if keyword == "ext_modules":
                extensions = self.extensions(arg.value)
            if keyword in _BUILD_ONLY:
                self._check_cmdclass(keyword, arg.value)
                continue
            value = self.known(keyword, arg.value)
            if value is not None:
                self.carry_over(project, keyword, value, arg)
        # A setup.py whose build is not pybind11's setup helpers stays: its metadata stays with it.
        notes = self.notes + self.metadata_notes if self.pybind11_extensions else self.notes
        return SetupPy(project, extensions, [], notes, self.span(self.setup)[0])

    def _check_cmdclass(self, keyword: str, node: cst.BaseExpression) -> None:
        if keyword != "cmdclass" or not isinstance(node, cst.Dict):
            return
        for element in node.elements:
            if isinstance(element, cst.DictElement) and get_full_name_for_node(element.value) != "build_ext":
                self.note(element, "a custom setuptools command: scikit-build-core does not run it; port it by hand")

    def carry_over(self, project: dict[str, Any], keyword: str, value: Any, arg: cst.Arg) -> None:
        if keyword in _SIMPLE_METADATA:
            if keyword in ("install_requires", "classifiers", "keywords") and isinstance(value, str):
                value = [value]
            project[_SIMPLE_METADATA[keyword]] = value
        elif keyword in ("author", "maintainer"):
            self._person(project, keyword + "s", name=value)
        elif keyword in ("author_email", "maintainer_email"):
            self._person(project, keyword.split("_")[0] + "s", email=value)
        elif keyword == "url":
            project.setdefault("urls", {})["Homepage"] = value
        elif keyword == "license":
            project["license"] = {"text": value}
        elif keyword == "long_description":
            if value:
                self.metadata_note(arg, "long_description: set `readme = \"<file>\"` in [project] by hand")
        elif keyword == "extras_require":
            project["optional-dependencies"] = {k: [v] if isinstance(v, str) else v for k, v in value.items()}
        else:
            self.metadata_note(arg, f"setup({keyword}=...): no automatic equivalent; carry it over into pyproject.toml "
                           "([project] or [tool.scikit-build]) by hand")

    @staticmethod
    def _person(project: dict[str, Any], key: str, **fields: str) -> None:
        people = project.setdefault(key, [{}])
        people[0].update(fields)

    def extensions(self, node: cst.BaseExpression) -> list[Extension]:
        if isinstance(node, cst.Name) and self.constants.get(node.value) is not None:
            node = self.constants[node.value]  # type: ignore[assignment]
        if not isinstance(node, (cst.List, cst.Tuple)):
            self.note(node, "ext_modules is computed: write nanobind_add_module() lines into CMakeLists.txt by hand")
            return []
        found = []
        for element in node.elements:
            call = element.value
            if isinstance(call, cst.Name) and call.value in self.constants:
                # `ext = Pybind11Extension(...)` bound once and never changed (`ext.libraries +=
                # [...]` under an `if` makes it computed: the constant is None then).
                bound = self.bound[call.value]
                made = get_full_name_for_node(bound.func) if isinstance(bound, cst.Call) else None
                if self.constants[call.value] is None and made and made.rpartition(".")[2] in _EXTENSION_CLASSES:
                    self.note(call, f"`{call.value}` is changed after it is made (an attribute set or grown, e.g. under "
                                    "an `if`): write its nanobind_add_module() target into CMakeLists.txt by hand")
                    self.pybind11_extensions = True
                    continue
                call = self.constants[call.value] or call
            name = get_full_name_for_node(call.func) if isinstance(call, cst.Call) else None
            if name is None or name.rpartition(".")[2] not in _EXTENSION_CLASSES:
                self.note(call, "not a Pybind11Extension: add its CMake target by hand")
                continue
            self.pybind11_extensions = True
            extension = self.extension(call)  # type: ignore[arg-type]
            if extension is not None:
                found.append(extension)
        return found

    def extension(self, call: cst.Call) -> Extension | None:
        fields: dict[str, Any] = {}
        for position, arg in enumerate(call.args):
            key = arg.keyword.value if arg.keyword is not None else _POSITIONAL[position] if position < 2 else "*"
            if key == "include_dirs":
                arg_value = self._without_pybind11_includes(arg.value)
                fields[key] = self.known(key, arg_value) if arg_value is not None else []
            elif key in _EXTENSION_FIELDS:
                fields[key] = self.known(key, arg.value)
            else:
                self.note(arg, f"Pybind11Extension({key}=...): no automatic CMake equivalent; add it to the target by hand")
        if isinstance(fields.get("cxx_std"), int) and fields["cxx_std"] < 17:
            self.note(call, f"cxx_std={fields['cxx_std']}: nanobind needs C++17, which nanobind_add_module sets")
        if not isinstance(fields.get("name"), str) or not isinstance(fields.get("sources"), list):
            self.note(call, "extension name or sources not readable: add nanobind_add_module() by hand")
            return None
        macros = [(m[0], m[1] if len(m) > 1 else None) for m in fields.get("define_macros") or []]
        return Extension(
            fields["name"], fields["sources"], fields.get("include_dirs") or [], macros,
            fields.get("extra_compile_args") or [], fields.get("extra_link_args") or [],
            fields.get("libraries") or [], fields.get("cxx_std"),
        )

    def _without_pybind11_includes(self, node: cst.BaseExpression) -> cst.BaseExpression | None:
        """`include_dirs=[pybind11.get_include(), "inc"]` -> `["inc"]`: nanobind brings its own."""
        if not isinstance(node, (cst.List, cst.Tuple)):
            return node
        kept = [e for e in node.elements if "pybind" not in cst.Module([]).code_for_node(e.value).lower()]
        return node.with_changes(elements=kept) if kept else None


_POSITIONAL = ("name", "sources")  # Pybind11Extension(name, sources, ...)
_EXTENSION_FIELDS = ("name", "sources", "define_macros", "extra_compile_args", "extra_link_args", "libraries", "cxx_std", "language")
