"""Which files are processed, which rules run, where settings come from, suppression comments, and
the atomic writer; through the installed `nbfix` console script wherever practical."""

from __future__ import annotations

import re
import subprocess
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from nbfix.core.source import read_source
from nbfix.core.writer import WriteError, write_atomic

POLICY = "nb::rv_policy::reference"
LINE = re.compile(r"^(?P<path>[^:\s]+):(?P<line>\d+):(?P<col>\d+): (?P<code>NB\d+) ")


def sample(n: int, cls: str = "C") -> str:
    """A class binding with `n` NB101 findings (one per `.def`)."""
    methods = "".join(f"    Child *m{i}() {{ return &kid; }}\n" for i in range(n))
    defs = "".join(f'        .def("m{i}", &{cls}::m{i}, {POLICY})\n' for i in range(n))
    return (
        "#include <nanobind/nanobind.h>\n"
        "namespace nb = nanobind;\n"
        "struct Child { int v; };\n"
        f"struct {cls} {{ Child kid;\n{methods}}};\n"
        f"NB_MODULE({cls.lower()}_ext, m) {{\n"
        f'    nb::class_<{cls}>(m, "{cls}")\n'
        f"{defs}"
        f'        .def("__repr__", [](const {cls} &) {{ return nb::str("{cls}()"); }})\n'
        "        ;\n"
        "}\n"
    )


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@dataclass
class Result:
    code: int
    out: str
    err: str

    def reported(self, code: str = "NB101") -> list[str]:
        """Paths of the reported findings with this code, in output order (one per finding)."""
        return [m["path"] for m in map(LINE.match, self.out.splitlines()) if m and m["code"] == code]

    @property
    def errors(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


@pytest.fixture
def run(nbfix_cmd, tmp_path, clean_env):
    def _run(*args, cwd: Path | None = None, env: dict | None = None) -> Result:
        proc = subprocess.run(
            [*nbfix_cmd, *map(str, args)],
            cwd=cwd or tmp_path,
            capture_output=True,
            text=True,
            env={**clean_env, **(env or {})},
            timeout=120,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return _run


def pyproject(folder: Path, body: str) -> Path:
    return write(folder / "pyproject.toml", '[project]\nname = "demo"\n\n[tool.nbfix]\n' + textwrap.dedent(body))


# --- discovery -----------------------------------------------------------------------------------


def test_gitignore_is_honoured_but_named_files_are_processed(run, tmp_path):
    write(tmp_path / ".gitignore", "ignored.cpp\ngenerated/\n")
    write(tmp_path / "sub" / ".gitignore", "local.cpp\n")
    write(tmp_path / "kept.cpp", sample(1, "K"))
    write(tmp_path / "local.cpp", sample(1, "L"))  # only ignored inside sub/
    write(tmp_path / "ignored.cpp", sample(1, "I"))
    write(tmp_path / "sub" / "ignored.cpp", sample(1, "SI"))
    write(tmp_path / "sub" / "local.cpp", sample(1, "SL"))
    write(tmp_path / "generated" / "gen.cpp", sample(1, "G"))

    everything = run("check")
    assert everything.code == 1, everything.err
    assert sorted(everything.reported()) == ["kept.cpp", "local.cpp"]

    named = run("check", "ignored.cpp", "generated/gen.cpp", "sub/local.cpp")
    assert named.code == 1, named.err
    assert sorted(named.reported()) == ["generated/gen.cpp", "ignored.cpp", "sub/local.cpp"]

    assert run("apply").code == 0
    assert (tmp_path / "ignored.cpp").read_text() == sample(1, "I")
    assert (tmp_path / "generated" / "gen.cpp").read_text() == sample(1, "G")


def test_respect_gitignore_false_processes_ignored_files(run, tmp_path):
    write(tmp_path / ".gitignore", "ignored.cpp\n")
    write(tmp_path / "ignored.cpp", sample(1))
    pyproject(tmp_path, "respect-gitignore = false\n")
    assert run("check").reported() == ["ignored.cpp"]


def test_exclude_patterns_from_config(run, tmp_path):
    pyproject(tmp_path, 'exclude = ["third_party/", "*_generated.cpp"]\n')
    write(tmp_path / "src" / "a.cpp", sample(1, "A"))
    write(tmp_path / "src" / "b_generated.cpp", sample(1, "B"))
    write(tmp_path / "third_party" / "lib" / "c.cpp", sample(1, "C"))
    result = run("check")
    assert result.code == 1, result.err
    assert result.reported() == ["src/a.cpp"]
    named = run("check", "third_party/lib/c.cpp")  # a file named explicitly is always processed
    assert named.reported() == ["third_party/lib/c.cpp"]


def test_extensions_from_config(run, tmp_path):
    pyproject(tmp_path, 'extensions = ["cc"]\n')
    write(tmp_path / "a.cc", sample(1, "A"))
    write(tmp_path / "b.cpp", sample(1, "B"))
    write(tmp_path / "c.h", sample(1, "H"))
    result = run("check")
    assert result.code == 1, result.err
    assert result.reported() == ["a.cc"]


def test_headers_are_discovered_by_default_and_other_files_are_not(run, tmp_path):
    write(tmp_path / "include" / "bind.h", sample(1, "A"))
    write(tmp_path / "include" / "bind.hpp", sample(1, "B"))
    write(tmp_path / "src" / "bind.cxx", sample(1, "D"))
    write(tmp_path / "notes.txt", sample(1, "N"))
    write(tmp_path / "bind.py", sample(1, "P"))
    result = run("check")
    assert result.code == 1, result.err
    assert sorted(result.reported()) == ["include/bind.h", "include/bind.hpp", "src/bind.cxx"]


def test_git_folders_are_skipped(run, tmp_path):
    write(tmp_path / "real.cpp", sample(1, "R"))
    write(tmp_path / ".git" / "stash.cpp", sample(1, "S"))
    write(tmp_path / "vendor" / "dep" / ".git" / "objects" / "x.cpp", sample(1, "X"))
    write(tmp_path / "vendor" / "dep" / "dep.cpp", sample(1, "D"))
    result = run("check")
    assert result.code == 1, result.err
    assert sorted(result.reported()) == ["real.cpp", "vendor/dep/dep.cpp"]


# --- rule selection ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--select", "NB1"],
        ["--select", "nb10"],
        ["--select", "reference-lifetime"],
        ["--select", "NB101"],
        ["--select", "NB1,reference-lifetime"],
        ["--priority", "high"],
        ["--priority", "HIGH"],
        ["--priority", "low"],
        ["--select", "NB101", "--priority", "medium"],
    ],
)
def test_selections_that_run_nb101(run, tmp_path, args):
    write(tmp_path / "a.cpp", sample(2))
    result = run("check", *args)
    assert result.code == 1, result.err
    assert result.reported() == ["a.cpp", "a.cpp"]


@pytest.mark.parametrize(
    "args",
    [
        ["--ignore", "NB101"],
        ["--ignore", "reference-lifetime"],
        ["--ignore", "NB1"],
        ["--select", "NB101", "--ignore", "NB101"],
        ["--ignore", "nb101"],
        ["--priority", "low", "--ignore", "reference-lifetime"],
    ],
)
def test_selections_that_skip_nb101(run, tmp_path, args):
    path = write(tmp_path / "a.cpp", sample(2))
    result = run("check", *args)
    assert (result.code, result.out.strip(), result.err) == (0, "All checks passed!", "")
    applied = run("apply", *args)
    assert applied.code == 0
    assert path.read_text() == sample(2)


def test_ignore_in_config(run, tmp_path):
    write(tmp_path / "a.cpp", sample(1))
    pyproject(tmp_path, 'ignore = ["reference-lifetime"]\n')
    assert run("check").code == 0


PLUGIN = '''
from nbfix.core.findings import Finding, Priority, Safety
from nbfix.rules.rule import Rule


class ModuleMarker(Rule):
    """
    ## What it finds
    Every NB_MODULE.

    ## Why it matters
    It is a test.

    ## Example
    `NB_MODULE(x, m)`

    ## Fix safety
    No fix.
    """

    code = "NB901"
    name = "module-marker"
    priority = Priority.LOW
    fix_safety = Safety.SUGGEST
    summary = "Reports each NB_MODULE"

    def check(self, ctx):
        at = ctx.content.find(b"NB_MODULE")
        if at >= 0:
            yield Finding(self.code, self.name, self.priority, "module here", at, at + 9)
'''


@pytest.fixture
def plugin_env(tmp_path) -> dict[str, str]:
    """A third-party rule (NB901, low priority) installed the way a package registers one."""
    site = tmp_path.parent / f"{tmp_path.name}-site"
    write(site / "nbfix_demo_rule.py", PLUGIN)
    info = site / "nbfix_demo_rule-0.1.dist-info"
    write(info / "METADATA", "Metadata-Version: 2.1\nName: nbfix-demo-rule\nVersion: 0.1\n")
    write(info / "entry_points.txt", "[nbfix.transforms]\nNB901 = nbfix_demo_rule:ModuleMarker\n")
    return {"PYTHONPATH": str(site)}


def test_plugin_rule_is_registered(run, plugin_env):
    result = run("rules", env=plugin_env)
    assert result.code == 0, result.err
    assert [line.split()[:4] for line in result.out.splitlines() if line.startswith("NB9")] == [
        ["NB901", "module-marker", "low", "suggest"]
    ]


@pytest.mark.parametrize(
    "args, nb101, nb901",
    [
        ([], 2, 0),  # default threshold: medium
        (["--priority", "high"], 2, 0),
        (["--priority", "low"], 2, 1),
        (["--select", "NB901"], 0, 1),
        (["--select", "NB"], 2, 1),
        (["--select", "NB", "--priority", "high"], 2, 0),
        (["--priority", "low", "--ignore", "NB101"], 0, 1),
    ],
)
def test_priority_threshold_and_select_with_two_rules(run, tmp_path, plugin_env, args, nb101, nb901):
    write(tmp_path / "a.cpp", sample(2))
    result = run("check", *args, env=plugin_env)
    assert result.code == 1, result.err
    assert (len(result.reported("NB101")), len(result.reported("NB901"))) == (nb101, nb901)


def test_select_in_config_and_cli_override(run, tmp_path, plugin_env):
    write(tmp_path / "a.cpp", sample(2))
    pyproject(tmp_path, 'select = ["module-marker"]\n')
    from_config = run("check", env=plugin_env)
    assert (len(from_config.reported("NB101")), len(from_config.reported("NB901"))) == (0, 1)
    overridden = run("check", "--select", "NB101", env=plugin_env)
    assert (len(overridden.reported("NB101")), len(overridden.reported("NB901"))) == (2, 0)


def test_priority_in_config_and_cli_override(run, tmp_path, plugin_env):
    write(tmp_path / "a.cpp", sample(1))
    pyproject(tmp_path, 'priority = "low"\n')
    from_config = run("check", env=plugin_env)
    assert (len(from_config.reported("NB101")), len(from_config.reported("NB901"))) == (1, 1)
    overridden = run("check", "--priority", "high", env=plugin_env)
    assert (len(overridden.reported("NB101")), len(overridden.reported("NB901"))) == (1, 0)


def test_per_file_ignores_silence_only_matching_files(run, tmp_path):
    pyproject(tmp_path, 'per-file-ignores = { "legacy/*.cpp" = ["NB101"] }\n')
    old = write(tmp_path / "legacy" / "old.cpp", sample(1, "O"))
    write(tmp_path / "legacy" / "deeper" / "old.cpp", sample(1, "D"))
    write(tmp_path / "other" / "legacy" / "old.cpp", sample(1, "X"))
    write(tmp_path / "new.cpp", sample(1, "N"))
    result = run("check")
    assert result.code == 1, result.err
    assert sorted(result.reported()) == ["legacy/deeper/old.cpp", "new.cpp", "other/legacy/old.cpp"]
    assert run("check", "legacy/old.cpp").code == 0
    run("apply")
    assert old.read_text() == sample(1, "O")
    assert run("check").code == 0


# --- where settings come from ----------------------------------------------------------------------


def test_nbfix_toml_is_found_from_the_working_directory_upwards(run, tmp_path):
    write(tmp_path / ".nbfix.toml", 'ignore = ["NB101"]\n')
    deep = tmp_path / "pkg" / "src"
    write(deep / "a.cpp", sample(1))
    assert run("check", cwd=deep).code == 0
    assert run("check", "a.cpp", cwd=deep).code == 0
    (tmp_path / ".nbfix.toml").unlink()
    assert run("check", cwd=deep).reported() == ["a.cpp"]


def test_config_below_the_working_directory_is_not_used(run, tmp_path):
    write(tmp_path / "sub" / ".nbfix.toml", 'ignore = ["NB101"]\n')
    write(tmp_path / "sub" / "a.cpp", sample(1))
    assert run("check").reported() == ["sub/a.cpp"]


def test_nbfix_toml_beats_pyproject_in_the_same_folder(run, tmp_path):
    write(tmp_path / "a.cpp", sample(1))
    pyproject(tmp_path, 'ignore = ["NB101"]\n')
    assert run("check").code == 0  # the pyproject.toml is read on its own
    write(tmp_path / ".nbfix.toml", 'extensions = ["cpp"]\n')
    result = run("check")
    assert result.code == 1, result.err
    assert result.reported() == ["a.cpp"]


def test_pyproject_without_nbfix_table_is_skipped(run, tmp_path):
    write(tmp_path / ".nbfix.toml", 'ignore = ["NB101"]\n')
    write(tmp_path / "pkg" / "pyproject.toml", '[project]\nname = "pkg"\n')
    write(tmp_path / "pkg" / "a.cpp", sample(1))
    assert run("check", cwd=tmp_path / "pkg").code == 0


def test_pyproject_that_never_names_nbfix_is_not_parsed(run, tmp_path):
    """Another tool's `pyproject.toml` without the text `nbfix` is not read as TOML, even when it is
    not valid TOML; a key spelled with escapes still names the table."""
    write(tmp_path / "a.cpp", sample(1))
    write(tmp_path / "pyproject.toml", '[project]\nname = "demo"\n[tool.other\n')
    assert run("check").code == 1
    write(tmp_path / "pyproject.toml", '[project]\nname = "demo"\n[tool."\\u006ebfix"]\nignore = ["NB101"]\n')
    assert run("check").code == 0
    write(tmp_path / "pyproject.toml", '[tool.nbfix]\nignore = ["NB101"]\n[tool.other\n')
    broken = run("check")
    assert broken.code == 2 and "pyproject.toml" in broken.err and "cannot read configuration" in broken.err


def test_config_option_names_the_file(run, tmp_path):
    write(tmp_path / "a.cpp", sample(1))
    write(tmp_path / ".nbfix.toml", 'select = ["NB101"]\n')
    write(tmp_path / "conf" / "quiet.toml", 'ignore = ["NB101"]\n')
    pyproject(tmp_path / "conf2", 'ignore = ["reference-lifetime"]\n')
    assert run("check").code == 1
    assert run("check", "--config", "conf/quiet.toml").code == 0
    assert run("check", "--config", tmp_path / "conf2" / "pyproject.toml").code == 0
    missing = run("check", "--config", "conf/nope.toml")
    assert missing.code == 2
    assert len(missing.errors) == 1 and missing.errors[0].startswith("nbfix: error:")
    assert "nope.toml" in missing.errors[0]


@pytest.mark.parametrize(
    "table, named",
    [
        ("[tool.nbfix.rules.unknown-rule]\n", "unknown-rule"),
        ("[tool.nbfix.rules.reference-lifetime]\nfoo = 1\n", "foo"),
        ("[tool.nbfix.rules.NB101]\nfoo = 1\n", "foo"),
        ("[tool.nbfix]\npriority = 3\n", "priority"),
        ("[tool.nbfix]\nselect = \"NB101\"\n", "select"),
    ],
)
def test_bad_rule_tables_are_one_line_errors(run, tmp_path, table, named):
    path = write(tmp_path / "a.cpp", sample(1))
    write(tmp_path / "pyproject.toml", '[project]\nname = "demo"\n\n' + table)
    for command in ("check", "apply"):
        result = run(command)
        assert result.code == 2, result.err
        assert len(result.errors) == 1, result.err
        assert result.errors[0].startswith("nbfix: error:")
        assert named in result.errors[0]
        assert result.reported() == []
    assert path.read_text() == sample(1)


@pytest.mark.parametrize(
    "name, content, expected",
    [
        ("pyproject.toml", b"[tool]\nnbfix = 3\n", "[tool.nbfix] must be a table, not an integer"),
        ("pyproject.toml", b'[[tool.nbfix]]\nselect = ["NB101"]\n', "[tool.nbfix] must be a table, not an array of tables"),
        ("pyproject.toml", b'tool = "x"\n# nbfix\n', "'tool' must be a table, not a string"),
        ("pyproject.toml", b'[tool.nbfix]\nselect = ["\xff"]\n', "not valid UTF-8 (byte 0xff"),
        (".nbfix.toml", b'select = ["\xff"]\n', "not valid UTF-8 (byte 0xff"),
        (".nbfix.toml", b"bogus = 1\n", "unknown configuration key 'bogus' in its top level"),
        (".nbfix.toml", b"[rules.NB1O2]\n", "unknown rule 'NB1O2' in [rules]; did you mean NB102"),
        ("pyproject.toml", b"[tool.nbfix]\nbogus = 1\n", "unknown configuration key 'bogus' in [tool.nbfix]"),
    ],
)
def test_malformed_configuration_is_one_line_naming_its_file(run, tmp_path, name, content, expected):
    """No traceback for a malformed table or a non-UTF-8 file, and `.nbfix.toml` errors name its
    own tables (its keys are at the top level, not under [tool.nbfix])."""
    write(tmp_path / "a.cpp", sample(1))
    (tmp_path / name).write_bytes(content)
    result = run("check")
    assert result.code == 2 and "Traceback" not in result.err, result.err
    assert len(result.errors) == 1 and name in result.errors[0] and expected in result.errors[0], result.err


def test_empty_rule_table_is_accepted(run, tmp_path):
    write(tmp_path / "a.cpp", sample(1))
    write(tmp_path / "pyproject.toml", "[tool.nbfix.rules.reference-lifetime]\n")
    result = run("check")
    assert result.code == 1, result.err
    assert result.reported() == ["a.cpp"]


# --- suppression comments --------------------------------------------------------------------------

SUPPRESSED = f"""\
#include <nanobind/nanobind.h>
namespace nb = nanobind;
struct Child {{ int v; }};
struct Pool {{ Child kid;
    Child *a() {{ return &kid; }}
    Child *b() {{ return &kid; }}
    Child *c() {{ return &kid; }}
    Child *d() {{ return &kid; }}
}};
NB_MODULE(pool_ext, m) {{
    nb::class_<Pool>(m, "Pool")
        .def("a", &Pool::a, {POLICY}) // nbfix: ignore[NB101]
        // The pool is immortal. nbfix: ignore[NB101]
        .def("b", &Pool::b, {POLICY})
        .def("c", &Pool::c, {POLICY})
        .def("d", &Pool::d, {POLICY}) // nbfix: ignore[NB999]
        ;
}}
"""


def test_suppression_comments(run, tmp_path):
    path = write(tmp_path / "pool.cpp", SUPPRESSED)
    result = run("check", "--select", "NB101")
    assert result.code == 1, result.err
    lines = [int(m["line"]) for m in map(LINE.match, result.out.splitlines()) if m]
    assert lines == [15, 16]  # "c" (not covered: the comment two lines up) and "d" (other code)
    assert result.out.splitlines()[-1] == "Found 2 findings (2 fixable)."
    assert run("apply", "--select", "NB101").code == 0
    after = path.read_text().splitlines()
    assert after[11].endswith(f"{POLICY}) // nbfix: ignore[NB101]")
    assert after[13].endswith(f"{POLICY})")
    assert after[14].endswith(f"{POLICY}_internal)")
    assert after[15].endswith(f"{POLICY}_internal) // nbfix: ignore[NB999]")


# --- the atomic writer ---------------------------------------------------------------------------


def test_write_atomic_refuses_a_file_changed_on_disk(tmp_path):
    path = write(tmp_path / "a.cpp", sample(1))
    source = read_source(path, "a.cpp")
    path.write_text("// edited by someone else\n")
    with pytest.raises(WriteError, match="a.cpp"):
        write_atomic(source, b"// nbfix output\n")
    assert path.read_text() == "// edited by someone else\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.cpp"]


def test_write_atomic_writes_keeps_bom_and_mode_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "a.cpp"
    path.write_bytes(b"\xef\xbb\xbf" + sample(1).encode())
    path.chmod(0o751)
    source = read_source(path, "a.cpp")
    write_atomic(source, b"int x;\n")
    assert path.read_bytes() == b"\xef\xbb\xbfint x;\n"
    assert path.stat().st_mode & 0o7777 == 0o751
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.cpp"]
    assert not path.is_symlink()



def test_git_info_exclude_and_the_global_excludes_file_are_honoured(run, tmp_path, clean_env):
    """As git: `.git/info/exclude` and the user's global excludes file (`core.excludesFile`, else
    `$XDG_CONFIG_HOME/git/ignore`) ignore files like a `.gitignore` at the repository's top."""
    import subprocess

    repo, home = tmp_path / "repo", tmp_path / "home"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    for name in ("sub/local_only.cpp", "sub/mine.cpp", "global_skip.cpp", "xdg_skip.cpp"):
        write(repo / name, sample(1))
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "exclude").write_text("local_only.cpp\n")
    write(home / "ignore", "global_skip.cpp\n")
    write(tmp_path / "xdg" / "git" / "ignore", "xdg_skip.cpp\n")
    env = {**clean_env, "HOME": str(home), "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    subprocess.run(["git", "config", "--global", "core.excludesFile", str(home / "ignore")], env=env, check=True)
    configured = run("check", "--no-cache", cwd=repo, env=env)
    assert sorted(set(configured.reported())) == ["sub/mine.cpp", "xdg_skip.cpp"], configured.out
    (home / ".gitconfig").unlink()  # no core.excludesFile: git reads $XDG_CONFIG_HOME/git/ignore
    default = run("check", "--no-cache", cwd=repo, env=env)
    assert sorted(set(default.reported())) == ["global_skip.cpp", "sub/mine.cpp"], default.out
