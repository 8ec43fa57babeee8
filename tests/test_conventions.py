"""Command-line conventions users bring from ruff and git: help, quiet, exit codes, colour,
suggestions for mistyped codes, `check --fix` / `check --diff`, warnings for suppressions that
name no rule, and only the error when a path is missing."""

from __future__ import annotations

import pytest

from test_cli import fixed, run, sample, write  # noqa: F401  (`run` is a fixture)

CYAN = "\x1b[36m"


def test_a_missing_path_prints_only_the_error(run, tmp_path):
    result = run("check", "nope.cpp")
    assert result.code == 2
    assert result.out == ""
    assert result.errors == ["nbfix: error: nope.cpp: path does not exist"]


def test_a_missing_path_beside_a_clean_file_still_does_not_claim_all_checks_passed(run, tmp_path):
    write(tmp_path / "clean.cpp", "int x;\n")
    result = run("check", "clean.cpp", "nope.cpp")
    assert result.code == 2 and "All checks passed" not in result.out


@pytest.mark.parametrize("command", [[], ["check"], ["apply"], ["diff"]])
def test_dash_h_is_help(run, command):
    result = run(*command, "-h")
    assert result.code == 0 and "Usage: nbfix" in result.out, result.err


def test_quiet_prints_findings_only(run, tmp_path):
    write(tmp_path / "a.cpp", sample(1))
    loud, quiet = run("check", "--no-cache"), run("check", "--no-cache", "-q")
    assert loud.code == quiet.code == 1
    assert [m["path"] for m in quiet.findings] == ["a.cpp"]
    assert quiet.out.strip().splitlines() == [line for line in loud.out.strip().splitlines() if line.startswith("a.cpp:")]
    applied = run("apply", "--quiet")
    assert applied.code == 0 and applied.out == "" and applied.err == ""
    assert (tmp_path / "a.cpp").read_text() == fixed(sample(1))


def test_exit_zero_keeps_errors(run, tmp_path):
    write(tmp_path / "a.cpp", sample(1))
    assert run("check", "--exit-zero").code == 0
    assert run("diff", "--exit-zero").code == 0
    assert run("check", "--exit-zero", "nope.cpp").code == 2


def test_colour_follows_the_flag_then_no_color_then_force_color(run, tmp_path, clean_env):
    write(tmp_path / "a.cpp", sample(1))
    assert CYAN in run("diff", "--color", "always").out
    assert CYAN not in run("diff", "--color", "never", env={**clean_env, "FORCE_COLOR": "1"}).out
    assert CYAN not in run("diff").out  # not a terminal
    assert CYAN in run("diff", env={**clean_env, "FORCE_COLOR": "1"}).out
    assert CYAN not in run("diff", env={**clean_env, "FORCE_COLOR": "1", "NO_COLOR": "1"}).out
    bad = run("diff", "--color", "sometimes")
    assert bad.code == 2 and "auto, always or never" in bad.err


@pytest.mark.parametrize("args", [["check", "--select", "NB1O2"], ["explain", "NB1022"], ["check", "--ignore", "missing-rpr"]])
def test_a_mistyped_code_gets_a_suggestion(run, tmp_path, args):
    result = run(*args)
    assert result.code == 2 and "did you mean" in result.err, result.err
    assert ("missing-repr" if "rpr" in args[-1] else "NB102") in result.err


def test_check_fix_and_check_diff_work_as_apply_and_diff(run, tmp_path):
    path = write(tmp_path / "a.cpp", sample(2))
    shown = run("check", "--diff")
    assert shown.code == 1 and shown.out == run("diff").out and path.read_text() == sample(2)
    both = run("check", "--fix", "--diff")
    assert both.code == 2 and "exclude each other" in both.err
    fixed_run = run("check", "--fix")
    assert fixed_run.code == 0, fixed_run.err
    assert fixed_run.out.splitlines()[-1] == "Fixed 2 findings in 1 file (0 remaining)."
    assert path.read_text() == fixed(sample(2))


def test_a_suppression_naming_no_rule_is_a_warning_with_its_line(run, tmp_path):
    text = sample(1).replace("struct Child", "// nbfix: ignore[NB1O2]\nstruct Child", 1)
    write(tmp_path / "a.cpp", text)
    result = run("check")
    assert result.code == 1  # a warning does not make the run fail
    assert result.errors == ["nbfix: warning: a.cpp:3: `nbfix: ignore[NB1O2]` names no rule; did you mean NB102 or NB502?"]
    again = run("check")  # from the cache: the warning is still there
    assert again.errors == result.errors


@pytest.mark.parametrize("command", ["check", "diff"])
def test_read_only_commands_say_they_write_the_cache(run, command):
    text = " ".join(run(command, "--help", env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"}).out.split()).lower()
    assert "keeps what it learns in .nbfix_cache/" in text  # not only under --no-cache


def test_a_profiler_gets_its_results_written(run, tmp_path):
    """`python -m cProfile -o out -m nbfix check`: the quick exit skipped the profiler's own
    writing at exit (os._exit), so the profile was never written."""
    import sys

    write(tmp_path / "a.cpp", sample(1))
    result = run("-m", "cProfile", "-o", "out.prof", "-m", "nbfix", "check", "--no-cache", "a.cpp", cmd=[sys.executable])
    assert "NB101" in result.out, result.err  # (cProfile ends with its own exit code)
    assert (tmp_path / "out.prof").stat().st_size > 1000


def test_nbfix_profile_writes_where_the_time_went(tmp_path):
    """NBFIX_PROFILE=FILE: the process appends its per-phase times (parse, facts, model, each
    rule run...) as one JSON line; their sum never exceeds the process's own time."""
    import json
    import os
    import subprocess
    import sys

    (tmp_path / "bind.cpp").write_text(
        '#include <nanobind/nanobind.h>\nnamespace nb = nanobind;\nstruct P { int x; };\n'
        'NB_MODULE(m, m) { nb::class_<P>(m, "P").def_rw("x", &P::x); }\n'
    )
    target = tmp_path / "profile.jsonl"
    for command in (["check", "--no-cache", "bind.cpp"], ["diff", "--no-cache", "bind.cpp"]):
        run = subprocess.run([sys.executable, "-m", "nbfix", *command], cwd=tmp_path, capture_output=True, text=True,
                             env={**os.environ, "NBFIX_PROFILE": str(target)})
        assert run.returncode in (0, 1), run.stderr
    records = [json.loads(line) for line in target.read_text().splitlines()]
    assert len(records) == 2
    for record in records:
        phases = record["phases"]
        assert {"read", "parse", "facts", "model", "lint", "NB102"} <= set(phases), phases
        assert all(value >= 0 for value in phases.values())
        assert sum(phases.values()) <= record["total"]
