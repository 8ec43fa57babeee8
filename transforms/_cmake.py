"""Porting a `CMakeLists.txt` from pybind11 to nanobind (NB508, PORTING.md rows 119-122).

CMake is read as a list of command invocations (`name(arguments)`), skipping comments, quoted
and bracket arguments; edits replace whole commands or single arguments, so everything else
(comments, layout, other commands) stays byte for byte.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from nbfix_transforms._port_text import Change, Note

# nanobind's own Python minimum, read from its releases: 2.9.2's `nb_python.h` refuses anything
# before 3.8, 3.1.0's `nanobind-config.cmake` anything before 3.10.
PYTHON_MINIMUM = {2: "3.8", 3: "3.10"}
# nanobind needs CMake 3.15 (FindPython's `Development.Module` component).
CMAKE_MINIMUM = (3, 15)


class Argument(NamedTuple):
    text: str
    start: int
    end: int


class Command(NamedTuple):
    name: str  # lower case: CMake command names are case-insensitive
    start: int
    end: int  # after the closing parenthesis
    arguments: list[Argument]

    def argument_texts(self) -> list[str]:
        return [a.text.strip('"') for a in self.arguments]


# `set(PYBIND11_FINDPYTHON ON)`, `${pybind11_INCLUDE_DIRS}`: a setting or a result of pybind11's.
_PYBIND11_VARIABLE = re.compile(r"(?:^|\$\{)((?:PYBIND11|pybind11)_[A-Za-z0-9_]+)")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BRACKET_OPEN = re.compile(r"\[(=*)\[")


def _skip_bracket(text: str, at: int) -> int | None:
    """The end of a bracket argument or comment opening at `at` (`[[...]]`, `[=[...]=]`)."""
    opened = _BRACKET_OPEN.match(text, at)
    if opened is None:
        return None
    close = text.find("]" + opened[1] + "]", opened.end())
    return len(text) if close < 0 else close + len(opened[1]) + 2


def _skip_comment(text: str, at: int) -> int:
    bracket = _skip_bracket(text, at + 1)
    if bracket is not None:
        return bracket
    newline = text.find("\n", at)
    return len(text) if newline < 0 else newline


def _skip_quoted(text: str, at: int) -> int:
    position = at + 1
    while position < len(text) and text[position] != '"':
        position += 2 if text[position] == "\\" else 1
    return min(position + 1, len(text))


def commands(text: str) -> list[Command]:
    """Every command invocation at the top level of a CMake file, in order."""
    found = []
    position = 0
    while position < len(text):
        char = text[position]
        if char == "#":
            position = _skip_comment(text, position)
        elif char == '"':
            position = _skip_quoted(text, position)
        elif (name := _NAME.match(text, position)) and (position == 0 or not text[position - 1].isalnum()):
            opening = re.compile(r"[ \t]*\(").match(text, name.end())
            if opening is None:
                position = name.end()
                continue
            command = _invocation(text, name[0], position, opening.end())
            found.append(command)
            position = command.end
        else:
            position += 1
    return found


def _invocation(text: str, name: str, start: int, position: int) -> Command:
    """The command whose argument list opens just before `position`."""
    arguments: list[Argument] = []
    depth = 0
    begin: int | None = None

    def close_argument(at: int) -> None:
        nonlocal begin
        if begin is not None:
            arguments.append(Argument(text[begin:at], begin, at))
            begin = None

    while position < len(text):
        char = text[position]
        if char == "#":
            close_argument(position)
            position = _skip_comment(text, position)
            continue
        if char in " \t\r\n" and depth == 0:
            close_argument(position)
        elif char == ")" and depth == 0:
            close_argument(position)
            return Command(name.lower(), start, position + 1, arguments)
        else:
            if begin is None:
                begin = position
            if char == '"':
                position = _skip_quoted(text, position)
                continue
            if char == "[" and (bracket := _skip_bracket(text, position)) is not None:
                position = bracket
                continue
            depth += {"(": 1, ")": -1}.get(char, 0)
        position += 1
    close_argument(position)
    return Command(name.lower(), start, len(text), arguments)


# ---------------------------------------------------------------------------------------------
# The port


def find_nanobind(python_found: bool, version: int, indent: str, newline: str) -> str:
    """PORTING.md row 119: nanobind from the Python environment (`pip install nanobind`)."""
    lines = [] if python_found else [
        f"find_package(Python {PYTHON_MINIMUM[version]} COMPONENTS Interpreter Development.Module REQUIRED)"
    ]
    lines += [
        'execute_process(COMMAND "${Python_EXECUTABLE}" -m nanobind --cmake_dir',
        "                OUTPUT_STRIP_TRAILING_WHITESPACE OUTPUT_VARIABLE nanobind_ROOT)",
        "find_package(nanobind CONFIG REQUIRED)",
    ]
    return (newline + indent).join(lines)


# pybind11_add_module options (row 121): what each becomes in nanobind_add_module.
_MODULE_OPTIONS = {
    "MODULE": None,  # nanobind always builds a MODULE library
    "THIN_LTO": "LTO",
    "OPT_SIZE": None,  # nanobind optimises for size by default
    "NO_EXTRAS": "NOSTRIP",  # pybind11 without extras neither strips nor uses LTO
    "EXCLUDE_FROM_ALL": "EXCLUDE_FROM_ALL",  # passed on to add_library, which takes it
    "SHARED": None,
    "WITHOUT_SOABI": None,
}

_PYBIND11_TARGETS = ("pybind11::module", "pybind11::headers", "pybind11::pybind11", "pybind11::lto",
                     "pybind11::thin_lto", "pybind11::opt_size", "pybind11::windows_extras")


class CMakePort(NamedTuple):
    changes: list[Change]
    notes: list[Note]


def port_cmake(text: str, version: int, free_threaded: frozenset[str] = frozenset(), python3_used: bool = True) -> CMakePort:
    """The changes turning a pybind11 CMake file into a nanobind one, and what needs a person.
    `free_threaded` names the modules whose C++ declared `py::mod_gil_not_used()`: their target
    gets nanobind's `FREE_THREADED` (PORTING.md row 6). `python3_used`: the project reads
    FindPython3's results (`Python3_EXECUTABLE`, `Python3::Module`) somewhere; if not, its
    `find_package(Python3 ... Development...)` becomes the `find_package(Python ...)` nanobind
    needs instead of a second search that could find another interpreter."""
    found = commands(text)
    newline = "\r\n" if "\r\n" in text else "\n"
    changes: list[Change] = []
    notes: list[Note] = []
    python_found = False
    python3: Command | None = None
    modules = _python_library_modules(found)
    extensions = {c.argument_texts()[0] for c in found if c.name == "pybind11_add_module" and c.arguments} | set(modules)
    for command in found:
        if command.name == "find_package" and command.argument_texts()[:1] == ["Python"]:
            python_found = True
        elif command.name == "find_package" and command.argument_texts()[:1] == ["Python3"] and not python3_used:
            texts = command.argument_texts()
            python3 = command if "Development.Module" in texts or "Development" in texts else None
        elif _finds_pybind11(command):
            if python3 is not None and not python_found:
                name = python3.arguments[0]
                changes.append(Change(name.start, name.end, "Python"))
                python_found = True
            changes.append(Change(command.start, command.end,
                                  find_nanobind(python_found, version, _indent(text, command.start), newline)))
            python_found = True
            if command.name == "add_subdirectory":
                notes.append(Note(command.start, command.end, _VENDORED.format(command.argument_texts()[0])))
        elif command.name == "pybind11_add_module":
            _port_add_module(text, command, changes, notes, free_threaded)
        elif command.name == "target_link_libraries":
            _port_link(text, command, modules, changes, notes, free_threaded)
        elif command.name in ("fetchcontent_declare", "fetchcontent_makeavailable") and "pybind11" in command.argument_texts():
            notes.append(Note(command.start, command.end, _FETCHED))
        elif command.name.startswith("pybind11_"):
            notes.append(Note(command.start, command.end,
                              f"`{command.name}` is pybind11's CMake API and nanobind has no such command: port it "
                              "by hand (nanobind's CMake API: nanobind_add_module and its options)"))
        elif command.name == "target_include_directories" and _drops_pybind11_includes(text, command, extensions, changes):
            pass
        elif variables := sorted({v for a in command.arguments for v in _PYBIND11_VARIABLE.findall(a.text)}):
            notes.append(Note(command.start, command.end,
                              f"{', '.join(variables)}: pybind11's CMake settings, which nanobind ignores; remove "
                              "or port by hand"))
    if changes:
        changes.extend(_raised_minimum(found))
    return CMakePort(changes, notes)


_VENDORED = (
    "`add_subdirectory({})` built pybind11 from a vendored copy; nanobind now comes from the Python "
    "environment (`nanobind` in `[build-system] requires`), so the copy and its git submodule can go "
    "(`git rm`). To vendor nanobind instead: `git submodule add https://github.com/wjakob/nanobind "
    "extern/nanobind` and `add_subdirectory(extern/nanobind)` after `find_package(Python ...)`"
)
_FETCHED = (
    "pybind11 is fetched with FetchContent: fetch nanobind instead (GIT_REPOSITORY "
    "https://github.com/wjakob/nanobind, with GIT_SUBMODULES for robin_map) or use the pip-installed "
    "nanobind (`python -m nanobind --cmake_dir`)"
)


def _finds_pybind11(command: Command) -> bool:
    texts = command.argument_texts()
    if command.name == "find_package":
        return texts[:1] == ["pybind11"]
    if command.name == "add_subdirectory" and texts:
        return texts[0].rstrip("/").rpartition("/")[2] == "pybind11"
    return False


def _indent(text: str, at: int) -> str:
    line_start = text.rfind("\n", 0, at) + 1
    return text[line_start:at] if not text[line_start:at].strip() else ""


def _port_add_module(text: str, command: Command, changes: list[Change], notes: list[Note],
                     free_threaded: frozenset[str] = frozenset()) -> None:
    name_end = command.start + len("pybind11_add_module")
    changes.append(Change(command.start, name_end, "nanobind_add_module"))
    target = command.arguments[0] if command.arguments else None
    if target is not None and target.text in free_threaded:
        changes.append(Change(target.end, target.end, " FREE_THREADED"))
    options = [a for a in command.arguments[1:] if a.text in _MODULE_OPTIONS]
    for option in options:
        replacement = _MODULE_OPTIONS[option.text]
        if replacement is None:
            changes.append(_removal(text, option))
        elif replacement != option.text:
            changes.append(Change(option.start, option.end, replacement))
    given = {o.text for o in options}
    if "SHARED" in given:
        notes.append(Note(command.start, command.end,
                          "SHARED dropped: nanobind_add_module always builds a Python extension module "
                          "(MODULE library); a library other targets link against needs nanobind_build_library"))
    if "OPT_SIZE" not in given:
        notes.append(Note(command.start, command.end,
                          "nanobind optimises extension modules for size (-Os) by default where pybind11 used the "
                          "build type's flags: add NOMINSIZE to nanobind_add_module if speed matters more"))


def _removal(text: str, argument: Argument) -> Change:
    """Removing an argument with the blanks before it, or its whole line when it stands alone."""
    start = argument.start
    while start > 0 and text[start - 1] in " \t":
        start -= 1
    if start == 0 or text[start - 1] == "\n":
        end = _line_end(text, argument.end)
        if end != argument.end:
            return Change(start, end, "")
    return Change(start, argument.end, "")


def _after_space(text: str, at: int) -> int:
    while at < len(text) and text[at] in " \t":
        at += 1
    return at


def _python_library_modules(found: list[Command]) -> dict[str, Command]:
    """`python_add_library(t MODULE [WITH_SOABI] sources...)` commands by target name: the
    ones nanobind_add_module replaces outright."""
    modules = {}
    for command in found:
        texts = command.argument_texts()
        if command.name == "python_add_library" and len(texts) > 2 and texts[1] == "MODULE":
            modules[texts[0]] = command
    return modules


def _port_link(text: str, command: Command, modules: dict[str, Command], changes: list[Change], notes: list[Note],
               free_threaded: frozenset[str] = frozenset()) -> None:
    """Row 122: a target linking pybind11's interface targets."""
    texts = command.argument_texts()
    linked = [a for a in command.arguments[1:] if a.text in _PYBIND11_TARGETS]
    if "pybind11::embed" in texts:
        notes.append(Note(command.start, command.end,
                          "pybind11::embed: nanobind does not embed an interpreter; keep pybind11 for this "
                          "target or link Python::Python and use the CPython API"))
    if not linked:
        return
    library = modules.get(texts[0]) if texts else None
    if library is None:
        notes.append(Note(command.start, command.end,
                          f"`{texts[0]}` links {', '.join(a.text for a in linked)}: if it is an extension module, "
                          "create it with nanobind_add_module; otherwise build nanobind once with "
                          "nanobind_build_library(nanobind-static) and apply nanobind_compile_options/"
                          "nanobind_link_options to the target"))
        return
    changes.append(_as_nanobind_module(library, free_threaded))
    others = [a for a in command.arguments[1:] if a not in linked and a.text not in ("PRIVATE", "PUBLIC", "INTERFACE")]
    if others:
        changes.extend(_removal(text, a) for a in linked)
    else:
        changes.append(Change(command.start, _line_end(text, command.end), ""))


_PYBIND11_INCLUDES = frozenset({"${pybind11_INCLUDE_DIRS}", "${pybind11_INCLUDE_DIR}"})
_INCLUDE_KEYWORDS = frozenset({"PRIVATE", "PUBLIC", "INTERFACE", "SYSTEM", "BEFORE", "AFTER"})


def _drops_pybind11_includes(text: str, command: Command, extensions: set[str], changes: list[Change]) -> bool:
    """`target_include_directories(ext PRIVATE ${pybind11_INCLUDE_DIRS})` on a module that
    nanobind_add_module now builds: nanobind's and Python's headers come with that target, so
    pybind11's folders go (the whole command when nothing else is listed). False when the
    target is not such a module or other pybind11 variables appear (then it is reported)."""
    texts = command.argument_texts()
    if not texts or texts[0] not in extensions:
        return False
    pybind11 = [a for a in command.arguments[1:] if a.text in _PYBIND11_INCLUDES]
    others = [a for a in command.arguments[1:] if a not in pybind11 and a.text not in _INCLUDE_KEYWORDS]
    if not pybind11 or any(_PYBIND11_VARIABLE.search(a.text) for a in others):
        return False
    if others:
        changes.extend(_removal(text, a) for a in pybind11)
    else:
        changes.append(Change(command.start, _line_end(text, command.end), ""))
    return True


def _as_nanobind_module(library: Command, free_threaded: frozenset[str]) -> Change:
    """`python_add_library(t MODULE [WITH_SOABI] srcs)` -> `nanobind_add_module(t srcs)`:
    nanobind names the file with the interpreter's suffix itself."""
    target, *rest = [a.text for a in library.arguments if a.text not in ("MODULE", "WITH_SOABI")]
    options = ["FREE_THREADED"] if target in free_threaded else []
    return Change(library.start, library.end, f"nanobind_add_module({' '.join([target, *options, *rest])})")


def _line_end(text: str, at: int) -> int:
    """Past the newline ending the line at `at` when only blanks follow; else `at`."""
    end = _after_space(text, at)
    if text.startswith("\r\n", end):
        return end + 2
    return end + 1 if text.startswith("\n", end) else at


def _raised_minimum(found: list[Command]) -> list[Change]:
    """`cmake_minimum_required(VERSION 3.4...3.18)` -> `3.15...3.18`: nanobind's minimum."""
    for command in found:
        if command.name != "cmake_minimum_required":
            continue
        texts = command.argument_texts()
        if len(texts) < 2 or texts[0] != "VERSION":
            return []
        version = command.arguments[1]
        minimum, dots, maximum = version.text.partition("...")
        numbers = tuple(int(p) for p in re.findall(r"\d+", minimum)[:2])
        if numbers >= CMAKE_MINIMUM:
            return []
        raised = ".".join(map(str, CMAKE_MINIMUM)) + dots + maximum
        return [Change(version.start, version.end, raised)]
    return []


# ---------------------------------------------------------------------------------------------
# A CMakeLists.txt for a setup.py build


def generated_cmake(extensions: list, version: int, version_define: str | None,
                    free_threaded: frozenset[str] = frozenset()) -> str:
    """The CMakeLists.txt building setup.py's extensions (`_setup_py.Extension`) with nanobind
    under scikit-build-core. `version_define` names the define macro that carried the package
    version; it now comes from scikit-build-core (`SKBUILD_PROJECT_VERSION`)."""
    lines = [
        "# Generated by `nbfix port` from setup.py: the extensions, built by scikit-build-core.",
        "cmake_minimum_required(VERSION 3.15...3.30)",
        "project(${SKBUILD_PROJECT_NAME} LANGUAGES CXX)",
        "",
        find_nanobind(False, version, "", "\n"),
    ]
    for extension in extensions:
        lines += [""] + _extension_lines(extension, version_define, free_threaded)
    return "\n".join(lines) + "\n"


def _extension_lines(extension, version_define: str | None, free_threaded: frozenset[str]) -> list[str]:
    package, _, target = extension.name.rpartition(".")
    options = " FREE_THREADED" if target in free_threaded else ""
    lines = [f"nanobind_add_module({target}{options} {_words(extension.sources)})"]
    defines = [
        f"{name}=${{SKBUILD_PROJECT_VERSION}}" if name == version_define else name if value is None else f"{name}={value}"
        for name, value in extension.define_macros
    ]
    for command, items in (
        ("target_include_directories", extension.include_dirs),
        ("target_compile_definitions", defines),
        ("target_compile_options", extension.compile_args),
        ("target_link_libraries", extension.libraries),
        ("target_link_options", extension.link_args),
    ):
        if items:
            lines.append(f"{command}({target} PRIVATE {_words(items)})")
    if extension.cxx_std is not None and extension.cxx_std > 17:
        lines.append(f"target_compile_features({target} PRIVATE cxx_std_{extension.cxx_std})")
    lines.append(f"install(TARGETS {target} LIBRARY DESTINATION {package.replace('.', '/') or '.'})")
    return lines


def _words(items: list[str]) -> str:
    return " ".join(f'"{item}"' if re.search(r'[\s;"()#]', item) else item for item in items)
