"""Big runs keep the project index in a file: it answers every question as the in-memory one does."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_prefilter import generated_corpus

from nbfix.run import runner
from nbfix.cpp.parsing import parse
from nbfix.model.facts import project_index
from nbfix.index.declarations import ProjectIndex
from nbfix.index.stored import IndexWriter, StoredIndex
from nbfix.run.config import Settings
from nbfix.run.discovery import discover

ROOT = Path(__file__).resolve().parent.parent

# Exceptions derived across files and levels, a class split over two files (bases, out-of-class
# definitions, a field and a method each), an enum redeclared (the later file wins), templates.
PROJECT = {
    "include/base/errors.h": """#pragma once
#include <stdexcept>
namespace lib {
struct Error : std::runtime_error { using std::runtime_error::runtime_error; };
struct Shape;
enum Mode { A, B };
inline constexpr std::monostate none{};
}
""",
    "include/io/errors.h": """#pragma once
#include "base/errors.h"
namespace lib::io {
struct IoError : Error { using Error::Error; };
struct Timeout : IoError { using IoError::IoError; };
struct Plain { int x; };
class exception {};
}
""",
    "include/shape.h": """#pragma once
#include "base/errors.h"
namespace lib {
struct Shape : Base { Shape *parent(); int size; template <class T> T as(); };
enum class Mode { A, B };
template <class T> T make();
double area(const Shape &s);
}
""",
    "src/shape.cpp": """#include "shape.h"
namespace lib {
Shape *Shape::parent() { return nullptr; }
const char *Shape::name(int) { return ""; }
double area(const Shape &s, int scale) { return 0; }
struct Shape : Other { long extra; };
}
""",
    "src/bind.cpp": """#include <nanobind/nanobind.h>
#include "io/errors.h"
#include "shape.h"
namespace nb = nanobind;
NB_MODULE(ext, m) {
    nb::exception<lib::io::IoError>(m, "IoError");
    nb::class_<lib::Shape>(m, "Shape")
        .def("parent", &lib::Shape::parent)
        .def("__repr__", [](const lib::Shape &) { return "Shape"; });
    m.def("area", &lib::area);
}
""",
}


def write_project(root: Path) -> list[Path]:
    for name, text in PROJECT.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return discover([root], Settings(root=root)).files


def both_indexes(paths: list[Path], folder: Path) -> tuple[ProjectIndex, StoredIndex]:
    memory = ProjectIndex()
    writer = IndexWriter(folder / "index.sqlite")
    for path in paths:
        content = path.read_bytes()
        facts = project_index([(path.as_posix(), parse(content), content)])
        memory.merge(facts)
        writer.add(facts)
    writer.close()
    return memory, StoredIndex(folder / "index.sqlite")


def corpus(where: str, tmp_path: Path) -> list[Path]:
    if where == "generated":
        return generated_corpus(tmp_path / "generated")
    if where == "project":
        return write_project(tmp_path / "project")
    return discover([ROOT / where], Settings(root=ROOT)).files


@pytest.mark.parametrize("where", ["fixtures", "examples", "generated", "project"])
def test_the_index_file_answers_as_memory_does(where, tmp_path):
    memory, stored = both_indexes(corpus(where, tmp_path), tmp_path)
    assert len(memory.classes) > 3
    assert list(stored.classes) == list(memory.classes)
    assert all(stored.classes[name] == decl for name, decl in memory.classes.items())
    assert stored.classes.get("NoSuchClass") is None and "NoSuchClass" not in stored.classes
    assert stored.classes.get("NoSuchClass", "default") == "default"  # a remembered miss, too
    with pytest.raises(KeyError):
        stored.classes["NoSuchClass"]
    assert list(stored.functions) == list(memory.functions)
    assert all(stored.functions[name] == signatures for name, signatures in memory.functions.items())
    assert dict(stored.includes) == memory.includes and dict(stored.enums) == memory.enums
    for kind in ("reprs", "registered_exceptions", "templated_functions", "extension_modules", "none_values"):
        assert set(getattr(stored, kind)) == getattr(memory, kind)
        assert getattr(stored, kind) | {"x"} == getattr(memory, kind) | {"x"}
    for extra in ((), list(memory.classes)[::3]):
        assert stored.exception_classes(extra) == memory.exception_classes(extra)
    for name in memory.classes:
        assert stored.is_exception(name) == memory.is_exception(name)
    for includes in memory.includes.values():
        for include in includes:
            assert stored.resolve_include(include) == memory.resolve_include(include)
        assert stored.reachable_includes(includes) == memory.reachable_includes(includes)
        assert stored.reachable_files(includes) == memory.reachable_files(includes)
    stored.close()


def test_the_project_exercises_what_it_is_for(tmp_path):
    _, stored = both_indexes(write_project(tmp_path), tmp_path)
    assert stored.exception_classes() == ["Error", "IoError", "Timeout"]
    assert stored.classes["Shape"].bases == ["Base", "Other"]
    assert set(stored.classes["Shape"].methods) == {"parent", "name"}
    assert stored.enums["Mode"] is True and stored.reprs == {"Shape"} and stored.none_values == {"none"}
    assert stored.reachable_files(["io/errors.h"]) == {(tmp_path / p).as_posix() for p in PROJECT if "errors" in p}
    stored.close()


def outcome(paths: list[Path], root: Path, fix: bool) -> list:
    result = runner.run(paths, Settings(root=root, unsafe_fixes=True), fix=fix, use_cache=False)
    assert result.errors == []
    return [
        (f.source.display, f.new_content, [(i.line, i.column, i.finding.code, i.finding.message) for i in f.remaining])
        for f in result.files
    ]


@pytest.mark.parametrize("where", ["fixtures", "project"])
def test_a_run_with_the_index_in_a_file_finds_and_fixes_the_same(where, tmp_path, monkeypatch):
    paths = corpus(where, tmp_path)
    root = tmp_path / "project" if where == "project" else ROOT
    in_memory = [outcome(paths, root, fix) for fix in (False, True)]
    monkeypatch.setattr(runner, "KEEP_TREES_BYTES", 0)  # every run counts as big: the index file
    assert [outcome(paths, root, fix) for fix in (False, True)] == in_memory
    assert any(remaining for _, _, remaining in in_memory[0])


def test_without_a_temporary_folder_a_big_run_keeps_the_index_in_memory(tmp_path, monkeypatch):
    import tempfile

    paths = write_project(tmp_path)
    expected = outcome(paths, tmp_path, fix=False)
    monkeypatch.setattr(runner, "KEEP_TREES_BYTES", 0)

    def no_folder(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkdtemp", no_folder)  # e.g. a read-only or full /tmp
    assert outcome(paths, tmp_path, fix=False) == expected
