"""The installed `nbfix` console script, run as a user runs it: output formats, exit codes, diffs
that `git apply` accepts, in-place fixes, and one-line errors that do not stop the other files."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import nbfix

POLICY = "nb::rv_policy::reference"
FINDING = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): NB101 \[\*\] (?P<message>.+)$")


def sample(n: int, cls: str = "C") -> str:
    """A class binding with `n` NB101 findings (one per `.def`), plus one already-correct method."""
    methods = "".join(f"    Child *m{i}() {{ return &kid; }}\n" for i in range(n))
    defs = "".join(f'        .def("m{i}", &{cls}::m{i}, {POLICY})\n' for i in range(n))
    return (
        "#include <nanobind/nanobind.h>\n"
        "namespace nb = nanobind;\n"
        "struct Child { int v; };\n"
        f"struct {cls} {{\n{methods}    Child kid; Child *ok() {{ return &kid; }}\n}};\n"
        f"NB_MODULE({cls.lower()}_ext, m) {{\n"
        f'    nb::class_<{cls}>(m, "{cls}")\n'
        f"{defs}"
        f'        .def("__repr__", [](const {cls} &) {{ return nb::str("{cls}()"); }})\n'
        f'        .def("ok", &{cls}::ok, {POLICY}_internal);\n'
        "}\n"
    )


def fixed(text: str) -> str:
    return text.replace(f"{POLICY})", f"{POLICY}_internal)")


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


@dataclass
class Result:
    code: int
    raw: bytes
    out: str
    err: str

    @property
    def errors(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]

    @property
    def findings(self) -> list[re.Match]:
        return [m for m in map(FINDING.match, self.out.splitlines()) if m]


@pytest.fixture
def run(nbfix_cmd, tmp_path, clean_env):
    def _run(*args, cwd: Path | None = None, cmd: list[str] | None = None, **kwargs) -> Result:
        proc = subprocess.run(
            [*(cmd or nbfix_cmd), *map(str, args)],
            cwd=cwd or tmp_path,
            capture_output=True,
            env=kwargs.pop("env", clean_env),
            timeout=120,
            **kwargs,
        )
        return Result(proc.returncode, proc.stdout, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode())

    return _run


# --- check -------------------------------------------------------------------------------------


@pytest.mark.parametrize("arg", [None, "src", "src/sub/a.cpp", "./src/sub/a.cpp", "ABSOLUTE"])
def test_check_lines_are_path_line_col_code_marker_message(run, tmp_path, arg):
    text = sample(3)
    path = write(tmp_path / "src" / "sub" / "a.cpp", text)
    args = [] if arg is None else [path.resolve() if arg == "ABSOLUTE" else arg]
    result = run("check", *args)
    assert result.code == 1, result.err
    expected = [
        (number, line.index(POLICY) + 1)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.rstrip().endswith(f"{POLICY})")
    ]
    assert len(expected) == 3
    found = result.findings
    assert [(m["path"], int(m["line"]), int(m["col"])) for m in found] == [
        ("src/sub/a.cpp", line, col) for line, col in expected
    ]
    assert all("reference" in m["message"] for m in found)
    assert '"m1"' in found[1]["message"]
    assert result.out.splitlines()[-1] == "Found 3 findings (3 fixable)."
    assert len(result.out.splitlines()) == 4
    assert result.err == ""


def test_check_counts_findings_over_several_files(run, tmp_path):
    write(tmp_path / "a.cpp", sample(2, "A"))
    write(tmp_path / "b.cpp", sample(1, "B"))
    result = run("check")
    assert result.code == 1
    assert sorted(m["path"] for m in result.findings) == ["a.cpp", "a.cpp", "b.cpp"]
    assert result.out.splitlines()[-1] == "Found 3 findings (3 fixable)."


def test_check_clean_file_passes(run, tmp_path):
    write(tmp_path / "clean.cpp", sample(0))
    result = run("check", "clean.cpp")
    assert (result.code, result.out, result.err) == (0, "All checks passed!\n", "")


def test_check_one_finding_is_singular(run, tmp_path):
    write(tmp_path / "one.cpp", sample(1))
    result = run("check")
    assert result.code == 1
    assert result.out.splitlines()[-1] == "Found 1 finding (1 fixable)."


def test_check_empty_folder_is_clean(run, tmp_path):
    (tmp_path / "empty").mkdir()
    result = run("check", "empty")
    assert result.code == 0, result.err
    assert result.out.strip() == "All checks passed!"
    assert result.err == ""


# --- diff --------------------------------------------------------------------------------------


def _git(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(cwd)}
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, env=env, timeout=60)


VARIANTS = {
    "lf": sample(2).encode(),
    "crlf": sample(2).replace("\n", "\r\n").encode(),
    "bom": b"\xef\xbb\xbf" + sample(2).encode(),
    "no_final_newline": sample(2).rstrip("\n").encode(),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_diff_applies_with_git_apply_and_matches_apply(run, tmp_path, variant):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    original = VARIANTS[variant]
    repo, copy = tmp_path / "repo", tmp_path / "copy"
    target = write(repo / "bind" / "module.cpp", original)
    write(copy / "bind" / "module.cpp", original)
    assert _git("init", "-q", cwd=repo).returncode == 0
    _git("config", "user.email", "t@example.com", cwd=repo)
    _git("config", "user.name", "t", cwd=repo)
    _git("config", "core.autocrlf", "false", cwd=repo)
    _git("add", "-A", cwd=repo)
    assert _git("commit", "-q", "-m", "init", cwd=repo).returncode == 0

    result = run("diff", cwd=repo)
    assert result.code == 1, result.err
    assert target.read_bytes() == original  # diff changes nothing
    assert result.raw.startswith(b"--- a/bind/module.cpp\n+++ b/bind/module.cpp\n")
    patch = write(tmp_path / "p.patch", result.raw)

    applied = run("apply", cwd=copy)
    assert applied.code == 0, applied.err
    want = (copy / "bind" / "module.cpp").read_bytes()
    assert want != original
    assert want == original.replace(b"reference)", b"reference_internal)")

    check = _git("apply", "--check", str(patch), cwd=repo)
    assert check.returncode == 0, check.stderr.decode()
    done = _git("apply", str(patch), cwd=repo)
    assert done.returncode == 0, done.stderr.decode()
    assert target.read_bytes() == want

    again = run("diff", cwd=repo)
    assert (again.code, again.raw) == (0, b"")


def test_diff_has_no_colour_when_piped(run, tmp_path):
    write(tmp_path / "a.cpp", sample(2))
    result = run("diff")
    assert result.code == 1
    assert "-        .def(\"m0\"" in result.out
    assert "\x1b[" not in result.out
    assert "\x1b[" not in result.err


def test_diff_without_changes_exits_zero(run, tmp_path):
    path = write(tmp_path / "a.cpp", sample(0))
    result = run("diff")
    assert (result.code, result.out) == (0, "")
    assert path.read_text() == sample(0)


# --- apply -------------------------------------------------------------------------------------


def test_apply_writes_fixes_and_reports(run, tmp_path):
    path = write(tmp_path / "a.cpp", sample(2))
    result = run("apply")
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1] == "Fixed 2 findings in 1 file (0 remaining)."
    assert path.read_text() == fixed(sample(2))
    assert run("check").code == 0


def test_apply_twice_changes_nothing(run, tmp_path):
    path = write(tmp_path / "a.cpp", sample(3))
    assert run("apply").code == 0
    first = path.read_bytes()
    mtime = path.stat().st_mtime_ns
    result = run("apply")
    assert result.code == 0
    assert result.out.splitlines()[-1] == "Fixed 0 findings in 0 files (0 remaining)."
    assert path.read_bytes() == first
    assert path.stat().st_mtime_ns == mtime


def test_apply_leaves_untouched_files_byte_identical(run, tmp_path):
    dirty = write(tmp_path / "dirty.cpp", sample(1, "D"))
    # Clean, but with CRLF, a BOM, trailing spaces and no final newline: nothing may be "normalised".
    clean_bytes = b"\xef\xbb\xbf" + sample(0, "K").replace("\n", "  \r\n").rstrip("\r\n ").encode()
    clean = write(tmp_path / "clean.cpp", clean_bytes)
    header = write(tmp_path / "other.hpp", b"// just a header\t \n\n")
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (clean, header)}
    result = run("apply")
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1] == "Fixed 1 finding in 1 file (0 remaining)."
    assert dirty.read_text() == fixed(sample(1, "D"))
    for p, (data, mtime) in before.items():
        assert p.read_bytes() == data
        assert p.stat().st_mtime_ns == mtime
    # Nothing else written next to them but nbfix's own cache folder, which ignores itself in git.
    assert sorted(p.name for p in tmp_path.iterdir()) == [".nbfix_cache", "clean.cpp", "dirty.cpp", "other.hpp"]
    assert (tmp_path / ".nbfix_cache" / ".gitignore").read_text().splitlines()[-1] == "*"


@pytest.mark.parametrize("mode", [0o640, 0o755, 0o600])
def test_apply_keeps_permissions(run, tmp_path, mode):
    path = write(tmp_path / "a.cpp", sample(1))
    path.chmod(mode)
    assert run("apply").code == 0
    assert path.read_text() == fixed(sample(1))
    assert stat.S_IMODE(path.stat().st_mode) == mode


def test_apply_exit_non_zero_on_fix(run, tmp_path):
    path = write(tmp_path / "a.cpp", sample(1))
    first = run("apply", "--exit-non-zero-on-fix")
    assert first.code == 1
    assert path.read_text() == fixed(sample(1))
    second = run("apply", "--exit-non-zero-on-fix")
    assert second.code == 0
    assert second.out.splitlines()[-1] == "Fixed 0 findings in 0 files (0 remaining)."


def test_apply_dry_run_prints_diff_and_writes_nothing(run, tmp_path):
    path = write(tmp_path / "a.cpp", sample(2))
    result = run("apply", "--dry-run")
    assert result.code == 1
    assert path.read_text() == sample(2)
    assert result.out == run("diff").out
    assert result.out.startswith("--- a/a.cpp\n+++ b/a.cpp\n")
    assert result.out.count("+        .def(") == 2
    assert "Fixed" not in result.out


# --- bad inputs ----------------------------------------------------------------------------------

BAD_FILES = {
    "missing": None,
    "binary": b"\x7fELF\x00\x00\x01\x02" + sample(1, "Bad").encode(),
    "latin1": ("// Gr\u00fc\u00dfe, na\u00efve caf\u00e9\n" + sample(1, "Bad")).encode("latin-1"),
}


def _only_error_names(result: Result, name: str) -> None:
    assert len(result.errors) == 1, result.err
    assert result.errors[0].startswith("nbfix: error: ")
    assert name in result.errors[0]
    assert "Traceback" not in result.err


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_check_bad_file_is_one_error_and_others_are_still_checked(run, tmp_path, kind):
    write(tmp_path / "good.cpp", sample(2))
    if BAD_FILES[kind] is not None:
        write(tmp_path / "bad.cpp", BAD_FILES[kind])
    result = run("check", "good.cpp", "bad.cpp")
    assert result.code == 2
    _only_error_names(result, "bad.cpp")
    assert [m["path"] for m in result.findings] == ["good.cpp", "good.cpp"]


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_apply_bad_file_is_one_error_and_others_are_still_fixed(run, tmp_path, kind):
    good = write(tmp_path / "good.cpp", sample(2))
    if BAD_FILES[kind] is not None:
        bad = write(tmp_path / "bad.cpp", BAD_FILES[kind])
    result = run("apply", "bad.cpp", "good.cpp")
    assert result.code == 2
    _only_error_names(result, "bad.cpp")
    assert good.read_text() == fixed(sample(2))
    if BAD_FILES[kind] is not None:
        assert bad.read_bytes() == BAD_FILES[kind]


@pytest.mark.parametrize("kind", ["binary", "latin1"])
def test_bad_file_found_by_discovery_is_also_one_error(run, tmp_path, kind):
    write(tmp_path / "good.cpp", sample(1))
    write(tmp_path / "bad.cpp", BAD_FILES[kind])
    result = run("check")
    assert result.code == 2
    _only_error_names(result, "bad.cpp")
    assert [m["path"] for m in result.findings] == ["good.cpp"]


NOBODY = 65534
DROP_DAC = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]


def _make_reachable_for_nobody(path: Path) -> list[tuple[Path, int]]:
    changed = []
    for folder in [path, *path.parents]:
        mode = stat.S_IMODE(folder.stat().st_mode)
        if mode & 0o001 == 0:
            changed.append((folder, mode))
            folder.chmod(mode | 0o001)
    return changed


def _nobody_can_run(cmd: list[str]) -> bool:
    try:
        probe = subprocess.run([*cmd, "--version"], cwd="/", capture_output=True, user=NOBODY, timeout=60)
    except OSError:
        return False
    return probe.returncode == 0


def unprivileged(tmp_path: Path, nbfix_cmd: list[str], owned: list[Path]) -> tuple[dict, list[tuple[Path, int]]]:
    """Options for `run` that take away root's right to read and write anything (root ignores
    file modes): run as `nobody`, owning `owned`, or, when nobody cannot reach the interpreter
    (it lives under /root), as root without the DAC override capabilities. Also the folder modes
    to restore afterwards. Nothing to change for another user."""
    if os.geteuid() != 0:
        return {}, []
    restore = _make_reachable_for_nobody(tmp_path)
    if _nobody_can_run(nbfix_cmd):
        for path in owned:
            os.chown(path, NOBODY, NOBODY)
        env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
        return {"user": NOBODY, "group": NOBODY, "extra_groups": [], "env": {**env, "HOME": str(tmp_path)}}, restore
    if shutil.which("setpriv"):
        return {"cmd": [*DROP_DAC, *nbfix_cmd]}, restore
    pytest.skip("running as root without a way to drop the right to read and write any file")


@pytest.mark.parametrize("layout", ["named", "discovered"])
@pytest.mark.parametrize("command", ["check", "apply"])
def test_unreadable_file_is_one_error_and_others_are_still_processed(run, nbfix_cmd, tmp_path, command, layout):
    good = write(tmp_path / "good.cpp", sample(2))
    bad = write(tmp_path / "bad.cpp", sample(1, "Bad"))
    bad.chmod(0)
    args = ["good.cpp", "bad.cpp"] if layout == "named" else []
    # apply writes its temporary file next to the target: nobody must own the folder too
    kwargs, restore = unprivileged(tmp_path, nbfix_cmd, [tmp_path, good])
    try:
        result = run(command, *args, **kwargs)
    finally:
        for folder, mode in reversed(restore):
            folder.chmod(mode)
        bad.chmod(0o644)
    assert result.code == 2, result.err
    _only_error_names(result, "bad.cpp")
    if command == "check":
        assert [m["path"] for m in result.findings] == ["good.cpp", "good.cpp"]
    else:
        assert good.read_text() == fixed(sample(2))
    assert bad.read_text() == sample(1, "Bad")


@pytest.mark.parametrize("command", ["check", "apply"])
def test_unknown_config_key_is_one_error_and_nothing_is_processed(run, tmp_path, command):
    path = write(tmp_path / "a.cpp", sample(1))
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n\n[tool.nbfix]\nselectt = ["NB101"]\n')
    result = run(command, "a.cpp")
    assert result.code == 2
    _only_error_names(result, "selectt")
    assert result.findings == []
    assert path.read_text() == sample(1)


@pytest.mark.parametrize("command", ["check", "diff", "apply"])
def test_unknown_rule_selector_is_one_error_naming_the_valid_codes(run, tmp_path, command):
    path = write(tmp_path / "a.cpp", sample(1))
    result = run(command, "--select", "ZZ999", "a.cpp")
    assert result.code == 2
    errors = [line for line in result.errors if line.startswith("nbfix: error:")]
    assert len(errors) == 1 and len(result.errors) == 1, result.err
    assert "ZZ999" in errors[0] and "NB101" in errors[0]
    assert "Traceback" not in result.err
    assert path.read_text() == sample(1)


@pytest.mark.parametrize("command", ["check", "apply"])
def test_unknown_priority_is_one_error(run, tmp_path, command):
    path = write(tmp_path / "a.cpp", sample(1))
    result = run(command, "--priority", "extreme", "a.cpp")
    assert result.code == 2
    _only_error_names(result, "extreme")
    assert all(word in result.errors[0] for word in ("high", "medium", "low"))
    assert path.read_text() == sample(1)


# --- rules, explain, version ---------------------------------------------------------------------


def test_rules_lists_nb101(run):
    result = run("rules")
    assert result.code == 0
    rows = [line.split() for line in result.out.splitlines()]
    assert rows[0][:4] == ["code", "name", "priority", "fix"]
    nb101 = [row for row in rows if row and row[0] == "NB101"]
    assert len(nb101) == 1
    assert nb101[0][1:4] == ["reference-lifetime", "high", "safe"]


@pytest.mark.parametrize("selector", ["NB101", "nb101", "reference-lifetime"])
def test_explain_prints_the_documentation(run, selector):
    result = run("explain", selector)
    assert result.code == 0, result.err
    headings = [line.lstrip("# ").strip() for line in result.out.splitlines() if line.startswith("#")]
    assert headings == ["What it finds", "Why it matters", "Example", "Fix safety"]
    assert "NB101" in result.out and "reference-lifetime" in result.out
    assert "reference_internal" in result.out


def test_explain_unknown_rule_exits_2(run):
    result = run("explain", "ZZ999")
    assert result.code == 2
    _only_error_names(result, "ZZ999")
    assert "NB101" in result.errors[0]
    assert result.out == ""


def _script_interpreter(script: str) -> str:
    first = Path(script).read_bytes().split(b"\n", 1)[0]
    if first.startswith(b"#!") and b" " not in first[2:].strip():
        candidate = first[2:].strip().decode()
        if os.access(candidate, os.X_OK):
            return candidate
    return sys.executable


def test_python_dash_m_version(run, nbfix_cmd):
    interpreter = _script_interpreter(nbfix_cmd[0])
    result = run(cmd=[interpreter, "-m", "nbfix", "--version"])
    assert result.code == 0, result.err
    assert result.out.strip() == f"nbfix {nbfix.__version__}"
    assert run("--version").out == result.out


def _imports(run, *args) -> tuple[Result, list[str]]:
    result = run(*args, cmd=[sys.executable, "-X", "importtime", "-m", "nbfix"])
    imported = [line.rsplit("|", 1)[-1].strip() for line in result.err.splitlines() if "import time:" in line]
    assert "nbfix.cli.commands" in imported  # -X importtime really reported nbfix's own modules
    return result, imported


def test_check_imports_nothing_only_other_commands_need(run, tmp_path):
    """`check` imports neither typer, rich nor libcst, nor nbfix's writer (apply) or doc
    generator (rules); with every file answered by the cache, not even the parser, nor `tempfile`
    (the report spool and new cache entries need it)."""
    write(tmp_path / "one_file.cpp", sample(1))
    _imports(run, "check", "--no-cache", "one_file.cpp")  # the rule-plugin list is kept from here on
    result, imported = _imports(run, "check", "one_file.cpp")
    assert result.code == 1, result.err
    assert (tmp_path / ".nbfix_cache").is_dir()  # the cache was written
    heavy = {"libcst", "typer", "rich", "nbfix.core.writer", "nbfix.rules.docs", "nbfix.cli.app"}
    assert [name for name in imported if name in heavy or name.split(".")[0] in heavy] == []
    assert "tree_sitter" in imported
    again, imported = _imports(run, "check", "one_file.cpp")
    assert again.out == result.out
    loaded = {"tree_sitter", "pathspec", "importlib.metadata", "nbfix.model.builder", "nbfix_transforms", "tempfile"}
    assert [name for name in imported if name in loaded or name.split(".")[0] in loaded] == []


def test_one_file_check_skips_costly_standard_modules(run, tmp_path):
    """What a one-file `check --no-cache` does not need, it does not import: these standard modules
    cost a one-file run tens of ms (`dataclasses` with `inspect`; `importlib.resources`, which
    tree-sitter-cpp's package `__init__` imports; OpenSSL through `hashlib`; `tomllib` for a
    `pyproject.toml` that does not configure nbfix)."""
    write(tmp_path / "one_file.cpp", sample(1))
    write(tmp_path / "pyproject.toml", '[build-system]\nrequires = ["scikit-build-core", "nanobind"]\n')
    _imports(run, "check", "--no-cache", "one_file.cpp")  # the rule-plugin list is kept from here on
    result, imported = _imports(run, "check", "--no-cache", "one_file.cpp")
    assert result.code == 1, result.err
    costly = {"dataclasses", "inspect", "pickle", "json", "hashlib", "importlib.resources",
              "importlib.metadata", "tree_sitter_cpp", "tomllib"}
    assert sorted(name for name in imported if name in costly) == []
    assert "tree_sitter._binding" in imported  # the parser really was loaded


_COUNT_COMPILES = """
import builtins, sys
compiled = []
real_compile = builtins.compile
def counting_compile(source, *args, **kwargs):
    if isinstance(source, str):  # not a module's own bytes, which an import without a .pyc compiles
        compiled.append(source)
    return real_compile(source, *args, **kwargs)
builtins.compile = counting_compile
from nbfix.cli.quick import quick
code = quick(sys.argv[1:])
print(f"exit {code}; compiled {compiled!r}", file=sys.stderr)
"""


def test_one_file_check_compiles_no_python_source(run, tmp_path):
    """The first `compile()` in a process builds every AST type (about 2 ms), and `typing` calls it
    for each string annotation of a NamedTuple: modules that define one are written so that none
    is a string."""
    write(tmp_path / "one_file.cpp", sample(1))
    _imports(run, "check", "--no-cache", "one_file.cpp")  # the rule-plugin list is kept from here on
    result = run("check", "--no-cache", "one_file.cpp", cmd=[sys.executable, "-c", _COUNT_COMPILES])
    assert result.err.strip().splitlines()[-1] == "exit 1; compiled []"
    assert "NB101" in result.out


def test_quick_apply_path_matches_the_full_cli(run, tmp_path, clean_env):
    """pre-commit's auto-fix call (`apply --force-exclude --exit-non-zero-on-fix FILE...`) and the
    other `apply` calls the start-up path takes give typer's output, exit code and files."""
    def project(folder: Path) -> Path:
        write(folder / "a.cpp", sample(2))
        write(folder / "sub" / "b.cpp", sample(1, "B"))
        write(folder / "broken.cpp", b"\xff\xfe not utf-8")
        return folder

    for n, args in enumerate((
        ["apply", "--force-exclude", "--exit-non-zero-on-fix", "a.cpp", "sub/b.cpp"],
        ["apply", "."], ["apply", "--show-fixes", "--statistics", "--no-cache", "-j", "1", "."],
        ["apply", "--output-format=json", "--select", "NB102", "a.cpp", "missing.cpp"],
        ["apply", "--unsafe-fixes", "--select", "NB101,NB301", "--output-format", "concise", "."],
    )):
        quick_folder, full_folder = project(tmp_path / f"quick{n}"), project(tmp_path / f"full{n}")
        quick = run(*args, cwd=quick_folder)
        full = run(*args, cwd=full_folder, env={**clean_env, "NBFIX_NO_QUICK": "1"})
        assert (quick.code, quick.out, quick.err) == (full.code, full.out, full.err), args
        files = [p.relative_to(quick_folder) for p in sorted(quick_folder.rglob("*.cpp"))]
        assert [(quick_folder / f).read_bytes() for f in files] == [(full_folder / f).read_bytes() for f in files]
        assert quick.code in (1, 2) and "Fixed" in quick.out + quick.err
    assert fixed(sample(2)) == (tmp_path / "quick0" / "a.cpp").read_text()


def test_pre_commit_apply_imports_neither_typer_nor_rich(run, tmp_path):
    write(tmp_path / "one_file.cpp", sample(1))
    _imports(run, "check", "--no-cache", "one_file.cpp")  # the rule-plugin list is kept from here on
    result, imported = _imports(run, "apply", "--force-exclude", "--exit-non-zero-on-fix", "one_file.cpp")
    assert result.code == 1 and (tmp_path / "one_file.cpp").read_text() == fixed(sample(1))
    heavy = {"typer", "rich", "click", "libcst", "nbfix.cli.app"}
    assert [name for name in imported if name.split(".")[0] in heavy or name in heavy] == []


def test_quick_check_path_matches_the_full_cli(run, tmp_path, clean_env):
    """The start-up path for `check [--force-exclude] [--no-cache] PATH...` and typer's agree."""
    write(tmp_path / "a.cpp", sample(2))
    write(tmp_path / "sub" / "b.cpp", sample(1, "B"))
    write(tmp_path / "broken.cpp", b"\xff\xfe not utf-8")
    for args in (["check", "."], ["check", "--force-exclude", "--no-cache", "a.cpp", "sub", "missing.cpp"],
                 ["check", "--", "a.cpp"], ["check", "--select", "NB101", "--ignore=NB102", "-j", "1", "."],
                 ["check", "--output-format=json", "--statistics", "a.cpp"], ["check", "--select", "NB999", "."],
                 ["check", "--priority", "high", "--output-format", "sarif", "--unsafe-fixes", "."]):
        quick = run(*args)
        full = run(*args, env={**clean_env, "NBFIX_NO_QUICK": "1"})
        assert (quick.code, quick.out, quick.err) == (full.code, full.out, full.err), args
        assert quick.code in (1, 2) and ("NB101" in quick.out or "NB999" in quick.err)


def test_crlf_file_gets_crlf_in_every_inserted_line(run, tmp_path):
    """Issue 18.1: a repr built next to a multi-line `__str__` lambda in a CRLF file, and an
    argument added inside a continued macro, end every line in CRLF."""
    text = (
        "#include <nanobind/nanobind.h>\n#include <nanobind/stl/string.h>\n#include <sstream>\n"
        "namespace nb = nanobind;\nstruct E { void print(std::ostream &) const; };\n"
        "struct V { V operator+(const V &) const; };\n"
        "#define BIND_ADD(c) \\\n    c.def(\"__add__\", \\\n        [](const V &a, const V &b) { return a + b; })\n"
        "NB_MODULE(m, m) {\n    nb::class_<E> e(m, \"E\");\n"
        "    e.def(\"__str__\", [](E& self) {\n        std::stringstream ss;\n        self.print(ss);\n"
        "        return ss.str();\n    });\n    auto v = nb::class_<V>(m, \"V\");\n    BIND_ADD(v);\n}\n"
    )
    path = write(tmp_path / "crlf.cpp", text.replace("\n", "\r\n"))
    result = run("apply", "--no-cache", "--select", "NB102,NB405", "crlf.cpp")
    assert result.code == 0, result.out + result.err
    output = path.read_bytes()
    assert b"__repr__" in output and b"is_operator()" in output
    assert b"\r\r" not in output and output.count(b"\n") == output.count(b"\r\n")


@pytest.mark.parametrize(
    "text, inserted",
    [
        ('nb::class_<F>(m, "F").def_rw("value", &F::value).freeze();', 'def("__repr__"'),
        ('nb::class_<E> e(m, "E"); e.def("__str__", &E::str);', 'e.def("__repr__"'),
    ],
    ids=["before-freeze", "one-line-module"],
)
def test_repr_lands_where_the_model_sees_it(run, tmp_path, text, inserted):
    """Issue 18.2: a repr appended after `.freeze()`, or after the line that closes a one-line
    module, was not attributed to the class, so every pass added another and the file was left
    unchanged (exit 2). It goes before the terminator, or right after the statement."""
    source = (
        "#include <nanobind/nanobind.h>\n#include <nanobind/stl/string.h>\nnamespace nb = nanobind;\n"
        "struct F { int value; };\nstruct E { std::string str() const; };\n"
        f"NB_MODULE(m, m) {{ {text} }}\n"
    )
    path = write(tmp_path / "one.cpp", source)
    first = run("apply", "--no-cache", "--select", "NB102", "one.cpp")
    assert first.code == 0, first.out + first.err
    fixed = path.read_text()
    assert fixed.count("__repr__") == 1 and inserted in fixed
    assert fixed.rstrip().endswith("}") and fixed.index("__repr__") < fixed.rindex("}")
    assert "freeze" not in text or fixed.index("__repr__") < fixed.index(".freeze()")
    again = run("apply", "--no-cache", "--select", "NB102", "one.cpp")
    assert again.code == 0 and path.read_text() == fixed


def test_every_command_takes_exactly_the_options_of_the_table():
    """typer's options are built from `cli/options.py`: same flags, help and defaults, in the
    table's order, for every command; the quick path takes only options of its command."""
    import typer.main

    from nbfix.cli.app import app
    from nbfix.cli.options import COMMANDS, OPTIONS, QUICK

    group = typer.main.get_command(app)
    for name, keys in COMMANDS.items():
        command = group.commands[name]
        options = [p for p in command.params if p.param_type_name == "option" and p.name != "help"]
        assert [p.name for p in options] == [{"diff": "show_diff", "port_format": "output_format"}.get(k, k) for k in keys], name
        for param, key in zip(options, keys):
            spec = OPTIONS[key]
            flags = (*param.opts, *param.secondary_opts)
            assert (sorted(flags), param.help, param.default) == (sorted(spec.flags), spec.help, spec.default), key
    assert set(COMMANDS) <= set(group.commands)
    for name, keys in QUICK.items():
        assert set(keys) <= set(COMMANDS[name]), name


def test_quick_path_takes_quiet_and_exit_zero_as_typer_does(run, tmp_path, clean_env):
    write(tmp_path / "a.cpp", sample(2))
    for args in (["check", "-q", "a.cpp"], ["check", "--quiet", "--exit-zero", "a.cpp"],
                 ["check", "--exit-zero", "--select", "NB999", "a.cpp"], ["check", "-o=out.txt", "a.cpp"]):
        quick = run(*args)
        full = run(*args, env={**clean_env, "NBFIX_NO_QUICK": "1"})
        assert (quick.code, quick.out, quick.err) == (full.code, full.out, full.err), args
