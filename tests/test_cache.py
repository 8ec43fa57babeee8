"""`.nbfix_cache/`: an unchanged tree is not parsed again, and every change that matters (a file,
a file another file depends on, a setting, the rule set, nbfix itself) is seen."""

from __future__ import annotations

import os
import pickle
import subprocess
from pathlib import Path

import pytest
from conftest import nbfix_executable

import nbfix.cpp.parsing
import nbfix.run.cache
from nbfix.run.cache import CACHE_DIR
from nbfix.run.config import Settings
from nbfix.run.runner import run

HEADER = """\
#pragma once
struct Child { int v; };
struct Tree { Child root_; int depth = 0;
    Child *root() { return &root_; }
    int size() const;
};
"""
BINDING = """\
#include <nanobind/nanobind.h>
#include "tree.h"
namespace nb = nanobind;
NB_MODULE(ext, m) {
    nb::class_<Child>(m, "Child").def_rw("v", &Child::v);
    nb::class_<Tree>(m, "Tree")
        .def_rw("depth", &Tree::depth)
        .def("root", &Tree::root, nb::rv_policy::reference)
        .def("size", &Tree::size);
}
"""
REPR = """\
#include <nanobind/nanobind.h>
#include "tree.h"
namespace nb = nanobind;
void bind_reprs(nb::module_ &m) {
    auto tree = nb::class_<Tree>(m, "TreeView");
    tree.def("__repr__", [](const Tree &) { return "Tree()"; });
}
"""


class ParseLog:
    """Records what tree-sitter is asked to parse (the real parser does the work)."""

    def __init__(self, parser) -> None:
        self.parser = parser
        self.contents: list[bytes] = []

    def parse(self, content: bytes):
        self.contents.append(content)
        return self.parser.parse(content)

    def parsed(self, path: Path) -> bool:
        return path.read_bytes() in self.contents


@pytest.fixture
def parses(monkeypatch) -> ParseLog:
    log = ParseLog(nbfix.cpp.parsing._parser())
    monkeypatch.setattr(nbfix.cpp.parsing, "_parser", lambda: log)
    return log


@pytest.fixture
def project(tmp_path) -> Path:
    (tmp_path / "tree.h").write_text(HEADER)
    (tmp_path / "bind.cpp").write_text(BINDING)
    (tmp_path / "other.cpp").write_text(BINDING.replace("ext", "ext2").replace('"Tree"', '"Tree2"'))
    return tmp_path


def check(root: Path, fix: bool = False, use_cache: bool = True, **overrides):
    settings = Settings(root=root).with_overrides(**overrides)
    result = run([root], settings, fix, use_cache=use_cache)
    return {
        f.source.path.name: [(i.finding.code, i.line, i.column, i.finding.message) for i in f.remaining]
        for f in result.files
    }, result


def codes(found: dict, name: str) -> list[str]:
    return [code for code, *_ in found[name]]


def test_unchanged_tree_is_not_parsed_again(project, parses):
    cold, _ = check(project)
    assert parses.contents and "NB101" in codes(cold, "bind.cpp")
    parses.contents.clear()
    warm, _ = check(project)
    assert warm == cold
    assert parses.contents == []


def test_cache_folder_is_tagged_and_ignored_by_git(project):
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    check(project)
    folder = project / CACHE_DIR
    assert (folder / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=project,
                            capture_output=True, text=True, check=True).stdout
    assert CACHE_DIR not in status and "bind.cpp" in status


def test_a_changed_file_is_checked_again_and_only_it(project, parses):
    check(project)
    bind = project / "bind.cpp"
    bind.write_text(BINDING.replace("nb::rv_policy::reference)", "nb::rv_policy::reference_internal)"))
    parses.contents.clear()
    found, _ = check(project)
    assert "NB101" not in codes(found, "bind.cpp") and "NB101" in codes(found, "other.cpp")
    assert parses.parsed(bind)
    assert not parses.parsed(project / "other.cpp") and not parses.parsed(project / "tree.h")


def test_a_change_in_what_other_files_see_rechecks_them(project, parses):
    def repr_missing(found: dict) -> list[str]:
        return [message.split('"')[1] for code, _, _, message in found["bind.cpp"] if code == "NB102"]

    cold, _ = check(project)
    assert repr_missing(cold) == ["Child", "Tree"]  # Tree has no __repr__ anywhere
    (project / "reprs.cpp").write_text(REPR)  # now it has, in another file
    found, _ = check(project)
    assert repr_missing(found) == ["Child"]
    assert found == check(project, use_cache=False)[0]
    # A declaration change in the header: the method now returns by value, so NB101 is moot.
    (project / "tree.h").write_text(HEADER.replace("Child *root() { return &root_; }", "Child root() { return root_; }"))
    found, _ = check(project)
    assert "NB101" not in codes(found, "bind.cpp")
    assert found == check(project, use_cache=False)[0]


def test_settings_and_rule_selection_are_part_of_the_key(project):
    everything, _ = check(project)
    assert {"NB101", "NB102"} <= set(codes(everything, "bind.cpp"))
    only, _ = check(project, select=("NB101",))
    assert set(codes(only, "bind.cpp")) == {"NB101"}
    ignored, _ = check(project, per_file_ignores={"bind.cpp": ("NB101",)})
    assert "NB101" not in codes(ignored, "bind.cpp") and "NB101" in codes(ignored, "other.cpp")
    assert check(project)[0] == everything


def test_fix_results_are_kept_apart_from_check_results(project):
    check(project)
    _, result = check(project, fix=True)
    changed = {f.source.path.name: f.new_content for f in result.files if f.changed}
    assert b"nb::rv_policy::reference_internal)" in changed["bind.cpp"]


def test_a_new_nbfix_version_or_changed_code_invalidates(project, parses, monkeypatch):
    check(project)
    parses.contents.clear()
    monkeypatch.setattr(nbfix.run.cache, "__version__", "99.0")
    check(project)
    assert parses.parsed(project / "bind.cpp")

    nbfix.run.cache._code_fingerprint.cache_clear()
    before = nbfix.run.cache._code_fingerprint()
    facts_before = nbfix.run.cache.Cache.for_run(project, "", []).facts_key("bind.cpp", b"x")
    for code_file in (
        Path(nbfix.run.cache.__file__).resolve().parents[3] / "transforms" / "nb101_reference_lifetime.py",
        Path(nbfix.run.cache.__file__).resolve().parents[1] / "index" / "declarations.py",  # how facts are gathered
    ):
        info = code_file.stat()
        try:
            os.utime(code_file, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000))
            nbfix.run.cache._code_fingerprint.cache_clear()  # it is kept for the process
            assert nbfix.run.cache._code_fingerprint() != before
            # facts are keyed on nbfix's code too: a changed extractor never reuses old facts
            assert nbfix.run.cache.Cache.for_run(project, "", []).facts_key("bind.cpp", b"x") != facts_before
        finally:
            os.utime(code_file, ns=(info.st_atime_ns, info.st_mtime_ns))
            nbfix.run.cache._code_fingerprint.cache_clear()


def test_foreign_or_broken_entries_are_never_loaded(project, tmp_path):
    cold, _ = check(project)
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    entries = [p for p in (project / CACHE_DIR).rglob("*") if p.is_file() and p.parent.name != CACHE_DIR]
    assert entries
    for i, entry in enumerate(entries):
        entry.write_bytes(pickle.dumps(Exploit()) if i % 2 else b"\x80\x05truncated")
    assert check(project)[0] == cold
    assert not marker.exists()


def test_unwritable_cache_location_is_not_an_error(project):
    (project / CACHE_DIR).write_text("not a folder")
    found, result = check(project)
    assert result.errors == [] and "NB101" in codes(found, "bind.cpp")


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([nbfix_executable(), *args], cwd=cwd, capture_output=True, text=True)


def test_no_cache_flag_and_clean_command(project):
    first = run_cli("check", "--no-cache", ".", cwd=project)
    assert first.returncode == 1 and not (project / CACHE_DIR).exists()
    cached = run_cli("check", ".", cwd=project)
    assert cached.stdout == first.stdout and (project / CACHE_DIR / "CACHEDIR.TAG").exists()
    again = run_cli("check", ".", cwd=project)
    assert again.stdout == first.stdout
    cleaned = run_cli("clean", cwd=project)
    assert cleaned.returncode == 0 and not (project / CACHE_DIR).exists()
    assert run_cli("clean", cwd=project).returncode == 0  # nothing to remove is fine


def test_a_memoised_check_run_sees_every_change(project):
    """The whole-run answer is reused only for the same files, contents, settings and options."""
    first = run_cli("check", ".", cwd=project)
    assert first.returncode == 1 and "NB101" in first.stdout
    assert run_cli("check", ".", cwd=project).stdout == first.stdout
    bind = project / "bind.cpp"
    bind.write_text(BINDING.replace("nb::rv_policy::reference)", "nb::rv_policy::reference_internal)"))
    changed = run_cli("check", ".", cwd=project)
    assert changed.stdout != first.stdout and changed.stdout.count("NB101") == first.stdout.count("NB101") - 1
    bind.write_text(BINDING)
    assert run_cli("check", ".", cwd=project).stdout == first.stdout
    (project / ".nbfix.toml").write_text('ignore = ["NB101"]\n')
    configured = run_cli("check", ".", cwd=project)
    assert "NB101" not in configured.stdout and "NB102" in configured.stdout
    json_run = run_cli("check", "--output-format", "json", ".", cwd=project)
    assert json_run.stdout.lstrip().startswith("[") or json_run.stdout.lstrip().startswith("{")
    (project / "gone.cpp").write_text(BINDING)
    with_new = run_cli("check", ".", cwd=project)
    assert "gone.cpp" in with_new.stdout


def test_entry_point_list_is_kept_per_environment(tmp_path, monkeypatch):
    """Rules are found without asking importlib.metadata again in the same environment; a broken
    or cut-off list is asked again, and the kept list really is what is used."""
    from nbfix.rules import registry

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    registry.all_rules.cache_clear()
    try:
        rules = registry.all_rules()
        kept = list((tmp_path / "nbfix").glob("entry-points-*.txt"))
        assert len(kept) == 1 and "NB101" in kept[0].read_text()
        whole = kept[0].read_text()
        for broken in ("not a list", whole.removesuffix("end\n"), "a\tb\tc\nend\n"):
            kept[0].write_text(broken)
            registry.all_rules.cache_clear()
            assert registry.all_rules() == rules
        for n in range(registry.KEPT_LISTS + 3):  # lists of other (or former) environments
            old = tmp_path / "nbfix" / f"entry-points-old{n}.txt"
            old.write_text("end\n")
            os.utime(old, (1_000_000 + n, 1_000_000 + n))
        kept[0].unlink()
        registry.all_rules.cache_clear()
        assert registry.all_rules() == rules  # asked again and kept: the oldest lists go
        left = sorted(p.name for p in (tmp_path / "nbfix").glob("entry-points-*"))
        assert len(left) == registry.KEPT_LISTS and kept[0].name in left
        assert "entry-points-old0.txt" not in left
        kept[0].write_text("NB999\tno_such_module:SomeRule\nend\n")
        registry.all_rules.cache_clear()
        with pytest.raises(registry.RegistryError, match="NB999"):
            registry.all_rules()
    finally:
        registry.all_rules.cache_clear()


def test_memoised_named_files_follow_their_ignore_files(project):
    """pre-commit's call (`check --force-exclude FILE...`) is answered without matching ignore
    patterns, yet still sees a `.gitignore` change."""
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    (project / ".gitignore").write_text("other.cpp\n")
    args = ("check", "--force-exclude", "bind.cpp", "other.cpp", "tree.h")  # pre-commit names the header too
    first = run_cli(*args, cwd=project)
    assert "bind.cpp" in first.stdout and "other.cpp" not in first.stdout
    assert run_cli(*args, cwd=project).stdout == first.stdout
    (project / ".gitignore").write_text("# nothing ignored\n")
    assert "other.cpp" in run_cli(*args, cwd=project).stdout
    (project / ".gitignore").write_text("other.cpp\n")
    assert run_cli(*args, cwd=project).stdout == first.stdout


def test_a_big_report_is_spooled_and_kept_as_text(project, parses, monkeypatch, capsys):
    """A report over `Spool.LIMIT` goes to a temporary file while the run goes, and the whole-run
    answer keeps it as a plain text entry, streamed back; a truncated one is recomputed."""
    from nbfix.core import spool
    from nbfix.cli import commands

    monkeypatch.chdir(project)
    assert commands.check(no_cache=True) == 1
    expected = capsys.readouterr().out
    assert expected.count("\n") > 3
    monkeypatch.setattr(spool.Spool, "LIMIT", 10)
    assert commands.check(no_cache=True) == 1
    assert capsys.readouterr().out == expected
    assert commands.check() == 1  # cold: written, and kept as text
    assert capsys.readouterr().out == expected
    texts = [p for p in (project / CACHE_DIR).rglob("*") if p.is_file() and p.read_bytes() == expected.encode()]
    assert len(texts) == 1
    parses.contents.clear()
    assert commands.check() == 1  # warm: streamed from the text entry
    assert capsys.readouterr().out == expected and parses.contents == []
    marked = expected.replace("NB101", "NB999")
    texts[0].write_bytes(marked.encode())  # same size: the entry is what gets printed
    assert commands.check() == 1 and capsys.readouterr().out == marked
    texts[0].write_bytes(expected.encode())
    out = project / "report.txt"
    assert commands.check(output_file=out) == 1 and out.read_text() == expected
    texts[0].write_bytes(expected.encode()[:-5])
    assert commands.check() == 1
    assert capsys.readouterr().out == expected and texts[0].read_bytes() == expected.encode()


def test_an_entry_is_replaced_whole_or_not_at_all(tmp_path):
    """A cache entry goes through a temporary file beside it: a write that fails leaves the old
    entry as it was and no temporary file behind; one that succeeds leaves only the entry."""
    from nbfix.core.tempfiles import replace_atomically

    entry = tmp_path / "entry"
    assert replace_atomically(entry, lambda out: out.write(b"old"))

    def broken(out):
        out.write(b"half")
        raise ValueError("no more")

    assert not replace_atomically(entry, broken, (ValueError,))
    assert entry.read_bytes() == b"old" and os.listdir(tmp_path) == ["entry"]
    assert replace_atomically(entry, lambda out: out.write(b"new"))
    assert entry.read_bytes() == b"new" and os.listdir(tmp_path) == ["entry"]
    assert not replace_atomically(tmp_path / "missing" / "entry", lambda out: out.write(b"x"))


def test_the_plugin_list_lives_in_the_os_cache_folder(monkeypatch, tmp_path):
    """platformdirs' user cache folder: `~/Library/Caches/nbfix` on macOS (it was `~/.cache` on
    every OS), `$XDG_CACHE_HOME/nbfix` or `~/.cache/nbfix` on Linux."""
    import sys

    from nbfix.rules import registry

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(sys, "platform", "darwin")
    assert registry.user_cache_dir() == tmp_path / "Library" / "Caches" / "nbfix"
    monkeypatch.setattr(sys, "platform", "linux")
    assert registry.user_cache_dir() == tmp_path / ".cache" / "nbfix"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert registry.user_cache_dir() == tmp_path / "xdg" / "nbfix"
