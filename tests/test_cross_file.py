"""What rules learn from the other files of a run: declarations and includes in headers."""

from __future__ import annotations

from pathlib import Path

from nbfix.run.config import Settings
from nbfix.run.runner import run


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def findings(tmp_path: Path, *codes: str) -> list[tuple[str, int, str]]:
    result = run([tmp_path], Settings(root=tmp_path, select=codes), fix=False)
    assert result.errors == []
    return [(f.source.path.name, item.line, item.finding.code) for f in result.files for item in f.remaining]


BINDING = """#include <nanobind/nanobind.h>
#include "common.h"
namespace nb = nanobind;
NB_MODULE(ext, m) {
    m.def("name", &lib::name);
    nb::class_<lib::Doc>(m, "Doc").def("title", &lib::Doc::title, nb::rv_policy::reference);
}
"""


def test_caster_include_from_a_given_header_counts(tmp_path):
    write(tmp_path / "include" / "common.h", '#pragma once\n#include <nanobind/stl/string.h>\n#include "lib.h"\n')
    write(tmp_path / "include" / "lib.h", "namespace lib { std::string name(); struct Doc { int title(); }; }\n")
    write(tmp_path / "src" / "bind.cpp", BINDING)
    assert findings(tmp_path, "NB404", "NB101") == []


def test_declarations_in_headers_make_types_visible(tmp_path):
    write(tmp_path / "include" / "common.h", '#pragma once\n#include "lib.h"\n')
    write(tmp_path / "include" / "lib.h", "namespace lib { std::string name(); struct Doc { Para *title() { return &para; } Para para; }; }\n")
    write(tmp_path / "src" / "bind.cpp", BINDING)
    # lib::name returns std::string and nothing includes the caster; Doc::title returns a pointer.
    assert findings(tmp_path, "NB404", "NB101") == [("bind.cpp", 5, "NB404"), ("bind.cpp", 6, "NB101")]


def test_header_outside_the_run_is_not_seen(tmp_path):
    write(tmp_path / "src" / "bind.cpp", BINDING)
    # Without lib.h, neither the string result nor the body of Doc::title is visible: NB101 cannot
    # tell whether the result lives inside the document, and NB404 has no type to go on.
    assert findings(tmp_path, "NB404", "NB101") == []


ERRORS = "#include <stdexcept>\nnamespace io { struct ReadError : std::runtime_error { using std::runtime_error::runtime_error; }; }\n"
MODULE = '#include <nanobind/nanobind.h>\n{include}namespace nb = nanobind;\nNB_MODULE(ext, m) {{\n    m.def("f", []() {{ return 1; }});\n}}\n'


def test_exception_in_an_included_header_is_registered(tmp_path):
    write(tmp_path / "include" / "errors.h", ERRORS)
    bind = write(tmp_path / "src" / "bind.cpp", MODULE.format(include='#include "errors.h"\n'))
    result = run([tmp_path], Settings(root=tmp_path, select=("NB202",)), fix=True)
    (fixed,) = [f for f in result.files if f.source.path == bind]
    assert b'nb::exception<io::ReadError>(m, "ReadError", PyExc_RuntimeError);' in fixed.new_content


def test_exception_the_module_cannot_see_is_only_suggested(tmp_path):
    write(tmp_path / "include" / "errors.h", ERRORS)
    write(tmp_path / "src" / "bind.cpp", MODULE.format(include=""))
    result = run([tmp_path], Settings(root=tmp_path, select=("NB202",)), fix=True)
    assert all(f.new_content is None for f in result.files)
    (finding,) = [item.finding for f in result.files for item in f.remaining]
    assert finding.fix is None and "io::ReadError" in finding.message and "include its header" in finding.message


def test_exceptions_of_vendored_libraries_are_not_the_projects_to_register(tmp_path):
    # pytomlpp carries tl::optional in third_party/ and includes it: its bad_optional_access
    # is that library's exception, not one the module should name.
    write(tmp_path / "third_party" / "optional.hpp", ERRORS)
    write(tmp_path / "src" / "bind.cpp", MODULE.format(include='#include "../third_party/optional.hpp"\n'))
    assert findings(tmp_path, "NB202") == []


def test_a_project_that_itself_lives_in_an_extern_folder_is_still_checked(tmp_path):
    root = tmp_path / "extern" / "project"
    write(root / "include" / "errors.h", ERRORS)
    write(root / "src" / "bind.cpp", MODULE.format(include='#include "errors.h"\n'))
    assert findings(root, "NB202") == [("bind.cpp", 4, "NB202")]  # at NB_MODULE
