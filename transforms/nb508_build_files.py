"""NB508 build-files."""

from __future__ import annotations

import os
import re
from pathlib import Path

from typing import TYPE_CHECKING

from nbfix.rules import Finding, PortContext, PortedFile, PortRule, Priority, Safety

if TYPE_CHECKING:
    from nbfix_transforms._port_text import Note, Text
    from nbfix_transforms._setup_py import SetupPy

# Folders that hold no build file of the project's own: a vendored pybind11, builds, environments.
_SKIPPED_FOLDERS = {".git", ".hg", ".venv", "venv", ".tox", ".nox", "node_modules", "_skbuild", "pybind11", "__pycache__"}


class BuildFiles(PortRule):
    """
    ## What it finds
    The build files of a pybind11 project, for `nbfix port`: `CMakeLists.txt` and `*.cmake`
    (`find_package(pybind11)`, `add_subdirectory(.../pybind11)`, `pybind11_add_module`,
    `pybind11::` link targets, `python_add_library` modules linking pybind11), `pyproject.toml`
    (`[build-system] requires`, `requires-python` and the Python classifiers it excludes, a
    run-time `pybind11` dependency) and a `setup.py` building `Pybind11Extension`s.

    ## Why it matters
    A port of the C++ code does not build until the build finds and uses nanobind: nanobind has
    no setuptools helper, its CMake entry point is `nanobind_add_module`, it comes from the
    Python environment (`python -m nanobind --cmake_dir`), and nanobind 3.x refuses Pythons
    older than 3.10 (2.x: 3.8).

    ## Example
    ```cmake
    find_package(pybind11 CONFIG REQUIRED)
    pybind11_add_module(ext MODULE THIN_LTO src/ext.cpp)
    ```
    Use instead:
    ```cmake
    find_package(Python 3.10 COMPONENTS Interpreter Development.Module REQUIRED)
    execute_process(COMMAND "${Python_EXECUTABLE}" -m nanobind --cmake_dir
                    OUTPUT_STRIP_TRAILING_WHITESPACE OUTPUT_VARIABLE nanobind_ROOT)
    find_package(nanobind CONFIG REQUIRED)
    nanobind_add_module(ext LTO src/ext.cpp)
    ```
    with `FREE_THREADED` after the target when the module's C++ declared
    `py::mod_gil_not_used()` (for nanobind 3: the option came with 2.2). A project's own
    `find_package(Python3 ... Development.Module)` becomes that `find_package(Python ...)` when
    nothing reads FindPython3's results (`Python3_EXECUTABLE`, `Python3::`), so that one
    interpreter is searched for, not two that may differ. `${pybind11_INCLUDE_DIRS}` leaves the
    module's `target_include_directories` (its target brings nanobind's and Python's headers).
    `"nanobind>=3.0"` takes the place of `"pybind11"` in `[build-system] requires`; `pybind11`
    leaves `[project] dependencies` unless the project's Python code imports it (a nanobind
    extension needs no package at run time; hw-native-sys/pypto's port dropped it). A `setup.py`
    with `Pybind11Extension`s (in `ext_modules`, or made first as `ext = ...` and never changed
    after) becomes a generated `CMakeLists.txt` (sources, include folders,
    define macros, compile and link arguments, C++ standard; a define carrying the package
    version takes scikit-build-core's), a scikit-build-core `[build-system]` and a `[project]`
    table from `setup()`'s arguments. setup.py is read, never run: paths built from its own
    folder (`os.path.join(os.path.dirname(__file__), "inc")`, `dir_path + "/inc"`) are read as
    project paths, pybind11's include folder is dropped, and what it computes (a list grown
    under an `if`, a file read) is reported with what to write by hand. Without a project name
    in `setup()` or `[project]` (setup.cfg is not read) nothing is generated: the report says
    to write `[project]` and run the port again.

    ## Fix safety
    Safe: each change is the documented nanobind equivalent (PORTING.md rows 119-124) and
    everything else in the files stays byte for byte. What has no equivalent (a `SHARED`
    module, `pybind11::embed`, a library linking `pybind11::module`, pybind11's CMake settings,
    custom setuptools commands) is reported with advice, never rewritten. Only `nbfix port`
    runs this rule.
    """

    code = "NB508"
    name = "build-files"
    priority = Priority.HIGH
    fix_safety = Safety.SAFE
    summary = "pybind11 build files (CMake, pyproject.toml, setup.py) ported to nanobind"
    files = "build"

    def port(self, ctx: PortContext) -> list[PortedFile]:
        # The helpers (libcst, tomlkit) load only when a port runs, never for `check`.
        from nbfix_transforms._cmake import PYTHON_MINIMUM
        from nbfix_transforms._port_text import Text

        root = ctx.root
        # `FREE_THREADED` came with nanobind 2.2: a port for 2.x may get an older one.
        free_threaded = modules_without_gil(root) if ctx.target_version >= 3 else frozenset()
        found = cmake_files(root)
        python3_used = reads_python3(root, found)
        cmake = [self._cmake_file(path, ctx.target_version, free_threaded, python3_used) for path in found]
        cmake_ported = any(p.changed for p in cmake)
        ported: list[PortedFile] = []
        try:
            setup_text = Text.read(root / "setup.py")
        except UnicodeDecodeError as exc:
            setup_text = None
            ported.append(self._not_utf8(root / "setup.py", exc))
        setup = self._read_setup(setup_text, PYTHON_MINIMUM[ctx.target_version]) if setup_text else None
        builds = setup is not None and setup.project is not None and bool(setup.extensions)
        # scikit-build-core needs the project's name: from setup() or an existing [project] table
        # (a name only in setup.cfg is not read).
        named = builds and setup is not None and bool((setup.project or {}).get("name") or _names_project(root))
        switched = named and not (root / "CMakeLists.txt").exists()
        if setup_text is not None and setup is not None and (setup.project is not None or setup.notes or cmake_ported):
            done = not switched and _built_by_nanobind(root)  # an earlier port switched the build
            ported.append(self._setup_file(root / "setup.py", setup_text, setup, switched or done, builds and not named))
        if switched:
            ported.append(self._generated_cmake(root / "CMakeLists.txt", setup, ctx.target_version, free_threaded))
        ported += cmake
        project = setup.project if switched and setup is not None else None
        pyproject = self._pyproject(root / "pyproject.toml", ctx.target_version, cmake_ported or switched, project,
                                    imports_pybind11(root))
        if pyproject is not None:
            ported.append(pyproject)
        return [p for p in ported if p.changed or p.findings]

    @staticmethod
    def _read_setup(text: Text, python_minimum: str) -> SetupPy:
        import libcst as cst

        from nbfix_transforms._port_text import Note
        from nbfix_transforms._setup_py import SetupPy, read_setup_py

        try:
            return read_setup_py(text.text, python_minimum)
        except cst.ParserSyntaxError as exc:
            return SetupPy(None, [], [], [Note(0, 0, f"setup.py not parsed as Python ({exc.message}); port it by hand")])

    def _cmake_file(self, path: Path, version: int, free_threaded: frozenset[str], python3_used: bool = True) -> PortedFile:
        from nbfix_transforms._cmake import port_cmake
        from nbfix_transforms._port_text import Text, applied

        try:
            text = Text.read(path)
        except UnicodeDecodeError as exc:
            return self._not_utf8(path, exc)
        assert text is not None
        port = port_cmake(text.text, version, free_threaded, python3_used)
        return PortedFile(path, text.encoded(text.text), text.encoded(applied(text.text, port.changes)),
                          self._findings(text.text, port.notes))

    def _setup_file(self, path: Path, text: Text, setup: SetupPy, switched: bool, unnamed: bool) -> PortedFile:
        from nbfix_transforms._port_text import Note, applied

        notes = setup.notes
        if unnamed:
            notes = [Note(setup.call, setup.call, (
                "setup.py builds Pybind11Extensions but setup() names no project (setup.cfg's metadata is not "
                "read): write a [project] table with `name` and `version` into pyproject.toml, then run "
                "`nbfix port` again to move the build to scikit-build-core"))]
        elif switched:
            notes = notes + [Note(setup.call, setup.call, (
                "the build now runs through scikit-build-core and the generated CMakeLists.txt: setup.py is no "
                "longer read by `pip install`; delete it"))]
        elif setup.project is not None and setup.extensions:
            notes = [Note(setup.call, setup.call, (
                "setup.py builds Pybind11Extensions but a CMakeLists.txt exists already: add nanobind_add_module() "
                "targets for them to it and switch pyproject.toml to scikit-build-core by hand"))]
        elif setup.project is not None:  # the notes say what could not be read
            notes = notes + [Note(setup.call, setup.call, (
                "setup.py uses pybind11 but no Pybind11Extension could be read: port its build by hand"))]
        return PortedFile(path, text.encoded(text.text), text.encoded(applied(text.text, setup.changes)),
                          self._findings(text.text, notes))

    def _generated_cmake(self, path: Path, setup: SetupPy, version: int, free_threaded: frozenset[str]) -> PortedFile:
        from nbfix_transforms._cmake import generated_cmake

        project = setup.project or {}
        version_define = next(
            (name for e in setup.extensions for name, value in e.define_macros if value is not None and value == project.get("version")),
            None,
        )
        return PortedFile(path, None, generated_cmake(setup.extensions, version, version_define, free_threaded).encode("utf-8"), ())

    def _pyproject(self, path: Path, version: int, needs_nanobind: bool, project: dict | None,
                   imports: bool = True) -> PortedFile | None:
        from nbfix_transforms._port_text import Note, Text
        from nbfix_transforms._pyproject import port_pyproject

        from tomlkit.exceptions import ParseError

        try:
            text = Text.read(path)
        except UnicodeDecodeError as exc:
            return self._not_utf8(path, exc)
        if text is None and not project:
            return None
        try:
            port = port_pyproject(text.text if text else "", version, needs_nanobind, project, imports)
        except ParseError as exc:  # the user's file, not a crash: the other build files still port
            assert text is not None
            note = Note(0, 0, f"pyproject.toml is not valid TOML ({exc}): not ported; fix it and run the port again")
            return PortedFile(path, text.encoded(text.text), text.encoded(text.text), self._findings(text.text, [note]))
        new = (text or Text("", b"")).encoded(port.text)
        findings = self._findings(port.text, [Note(0, 0, message) for message in port.notes])
        return PortedFile(path, text.encoded(text.text) if text else None, new, findings)

    def _not_utf8(self, path: Path, exc: UnicodeDecodeError) -> PortedFile:
        """A build file nbfix cannot read as text: left as it is, and said so (the others still port)."""
        raw = path.read_bytes()
        return PortedFile(path, raw, raw, (self.at(0, 0, f"not UTF-8 ({exc.reason} at byte {exc.start}): not ported"),))

    def _findings(self, text: str, notes: list[Note]) -> tuple[Finding, ...]:
        from nbfix_transforms._port_text import byte_offset

        return tuple(self.at(byte_offset(text, n.start), byte_offset(text, n.end), n.message) for n in notes)


def _names_project(root: Path) -> bool:
    """pyproject.toml has a [project] table with a name."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib

    from nbfix_transforms._port_text import Text

    try:
        text = Text.read(root / "pyproject.toml")
        return text is not None and bool(tomllib.loads(text.text).get("project", {}).get("name"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False


def _built_by_nanobind(root: Path) -> bool:
    """pip builds the project with scikit-build-core and its CMakeLists.txt makes nanobind modules."""
    from nbfix_transforms._port_text import Text

    try:
        cmake, pyproject = Text.read(root / "CMakeLists.txt"), Text.read(root / "pyproject.toml")
    except UnicodeDecodeError:
        return False
    return (cmake is not None and "nanobind_add_module" in cmake.text
            and pyproject is not None and "scikit_build_core" in pyproject.text)


_GIL_NOT_USED = re.compile(rb"\bPYBIND11_MODULE\s*\(\s*(\w+)\s*,\s*\w+\s*,[^{;]*?\bmod_gil_not_used\s*\(")
_SOURCES = (".c", ".cc", ".cpp", ".cxx", ".c++", ".h", ".hh", ".hpp", ".hxx", ".inl")


def modules_without_gil(root: Path) -> frozenset[str]:
    """The modules whose C++ declares `py::mod_gil_not_used()` (read as text: the C++ rules
    rewrite the same files, so this rule only reads them)."""
    found: set[str] = set()
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = sorted(s for s in subfolders if s not in _SKIPPED_FOLDERS and not s.startswith("build"))
        for name in names:
            if name.lower().endswith(_SOURCES):
                try:
                    content = (Path(folder) / name).read_bytes()
                except OSError:
                    continue
                if b"mod_gil_not_used" in content:
                    found.update(m.decode() for m in _GIL_NOT_USED.findall(content))
    return frozenset(found)


_PYTHON3_RESULT = re.compile(rb"\bPython3(?:_\w|::)")


def reads_python3(root: Path, cmake: list[Path]) -> bool:
    """Whether the build reads FindPython3's results anywhere (`${Python3_EXECUTABLE}`,
    `Python3::Module`, `-DPython3_EXECUTABLE=` handed over by pyproject.toml or setup.py)."""
    for path in [*cmake, root / "pyproject.toml", root / "setup.py", root / "CMakePresets.json"]:
        try:
            if _PYTHON3_RESULT.search(path.read_bytes()):
                return True
        except OSError:
            continue
    return False


_IMPORTS_PYBIND11 = re.compile(rb"^[ \t]*(?:import|from)[ \t]+pybind11\b", re.M)


def imports_pybind11(root: Path) -> bool:
    """Whether the project's Python code (setup.py aside: a build script) imports pybind11."""
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = sorted(s for s in subfolders if s not in _SKIPPED_FOLDERS and not s.startswith("build"))
        for name in names:
            if name.endswith(".py") and not (name == "setup.py" and Path(folder) == root):
                try:
                    if _IMPORTS_PYBIND11.search((Path(folder) / name).read_bytes()):
                        return True
                except OSError:
                    continue
    return False


def cmake_files(root: Path) -> list[Path]:
    """The project's CMake files, outside vendored copies, builds and environments."""
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = sorted(s for s in subfolders if s not in _SKIPPED_FOLDERS and not s.startswith("build"))
        found += [Path(folder) / n for n in sorted(names) if n == "CMakeLists.txt" or n.endswith(".cmake")]
    # As `check`'s walk: a link stands for its target inside the project (ported once, under
    # the target's name); a link to a file outside it is not the project's to port.
    targets = (p.resolve() if p.is_symlink() else p for p in found)
    return list(dict.fromkeys(p for p in targets if p == root or root in p.parents))
