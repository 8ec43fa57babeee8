"""The porting rules' fixtures: each case is a small project folder. Files named
`<stem>.expected.<ext>` hold what the port must produce (a file with no input is one the port
creates; an input without one must stay as it is); `# expect: CODE` marks the line a finding is
reported on; `case.toml` may set `target-version` (default 3)."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES

from nbfix.port.build import port_build_files
from nbfix.port.files import as_results, porting_rules, write_results
from nbfix.port.python import port_python_files, python_api_of
from nbfix.rules.registry import rule_by_selector

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

EXPECT = re.compile(r"#.*?\bexpect:\s*((?:NB\d{3}[, ]*)+)")
PORT_CASES = sorted(p for code in ("NB508", "NB509") for p in (FIXTURES / code).iterdir() if p.is_dir())


def expected_name(path: Path) -> str:
    stem, dot, extension = path.name.partition(".")
    return f"{stem}.expected.{extension}" if dot else f"{stem}.expected"


def project_copy(case: Path, tmp_path: Path) -> Path:
    root = tmp_path / case.name
    shutil.copytree(case, root, ignore=shutil.ignore_patterns("*.expected*", "case.toml"))
    return root


def target_version(case: Path) -> int:
    options = case / "case.toml"
    return tomllib.loads(options.read_text())["target-version"] if options.exists() else 3


def port(case: Path, root: Path):
    """NB508 ports the folder's build files; NB509 its Python files, with the facts of its C++."""
    rules = rule_by_selector(case.parent.name)
    if rules[0].files == "build":
        return port_build_files(root, target_version(case), rules)
    return port_python_files([root], python_api_of([root]), target_version(case), rules)


def marked(content: bytes) -> list[tuple[int, str]]:
    found = []
    for number, line in enumerate(content.decode("utf-8").splitlines(), start=1):
        for match in EXPECT.finditer(line):
            found += [(number, code.strip()) for code in match[1].split(",") if code.strip()]
    return found


@pytest.mark.parametrize("case", PORT_CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_port_output(case: Path, tmp_path: Path):
    root = project_copy(case, tmp_path)
    produced = {p.path.relative_to(root.resolve()).as_posix(): p for p in port(case, root) if p.changed}
    expected = {p.relative_to(case).as_posix().replace(".expected", ""): p for p in case.rglob("*.expected*")}
    assert sorted(produced) == sorted(expected)
    for name, file in produced.items():
        assert file.old == ((case / name).read_bytes() if (case / name).exists() else None)
        assert file.new.decode("utf-8") == expected[name].read_bytes().decode("utf-8")
        assert file.new == expected[name].read_bytes()


@pytest.mark.parametrize("case", PORT_CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_port_findings(case: Path, tmp_path: Path):
    root = project_copy(case, tmp_path)
    reported = []
    for file in port(case, root):
        content = file.old if file.old is not None else file.new
        name = file.path.relative_to(root.resolve()).as_posix()
        reported += [(name, content[:f.start].count(b"\n") + 1, f.code) for f in file.findings]
    expected = [
        (p.relative_to(root).as_posix(), line, code)
        for p in sorted(root.rglob("*")) if p.is_file() for line, code in marked(p.read_bytes())
    ]
    assert sorted(reported) == sorted(expected)


@pytest.mark.parametrize("case", PORT_CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_port_twice_changes_nothing(case: Path, tmp_path: Path):
    root = project_copy(case, tmp_path)
    assert write_results(as_results(port(case, root))) == []
    assert [p.path for p in port(case, root) if p.changed] == []


@pytest.mark.parametrize("case", PORT_CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_ported_toml_is_valid(case: Path, tmp_path: Path):
    root = project_copy(case, tmp_path)
    for file in port(case, root):
        if file.path.suffix == ".toml":
            tomllib.loads(file.new.decode("utf-8"))


def test_porting_rules_stay_out_of_check_and_apply():
    from nbfix.run.config import Settings, selected_rules

    assert "NB508" not in {r.code for r in selected_rules(Settings())}
    assert "NB508" not in {r.code for r in selected_rules(Settings(select=("NB508", "NB101")))}
    assert [r.code for r in selected_rules(Settings(select=("NB508",)), files="build")] == ["NB508"]
    assert [r.code for r in porting_rules("build")] == ["NB508"]


def test_a_created_file_is_written_once_and_never_over_another(tmp_path: Path):
    from nbfix.rules.porting import PortedFile

    (rule,) = rule_by_selector("NB508")
    created = as_results([PortedFile(tmp_path / "CMakeLists.txt", None, b"project(x)\n", (), rule)])
    assert write_results(created) == []
    assert (tmp_path / "CMakeLists.txt").read_bytes() == b"project(x)\n"
    (refused,) = write_results(created)
    assert refused.endswith("CMakeLists.txt: exists already; not written")
    assert [p.name for p in tmp_path.iterdir()] == ["CMakeLists.txt"]