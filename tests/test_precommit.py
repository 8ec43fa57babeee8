"""The pre-commit hooks, run by the real `pre-commit` in a real git repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

BAD = """#include <nanobind/nanobind.h>
namespace nb = nanobind;
struct Item { int id; };
struct Box { Item it; Item *item() { return &it; } };
NB_MODULE(box_ext, m) {
    nb::class_<Item>(m, "Item").def_rw("id", &Item::id).def("__repr__", [](const Item &) { return nb::str("Item"); });
    nb::class_<Box>(m, "Box")
        .def("item", &Box::item, nb::rv_policy::reference)
        .def("__repr__", [](const Box &) { return nb::str("Box"); });
}
"""
CLEAN = BAD.replace("rv_policy::reference)", "rv_policy::reference_internal)")


def git(*args: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)


def snapshot_of_this_repository(target: Path, env: dict) -> str:
    """A git repository holding the working tree as it is now (pre-commit clones hooks by rev)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    for name in listed:
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "snapshot"]):
        assert git(*command, cwd=target, env=env).returncode == 0
    return git("rev-parse", "HEAD", cwd=target, env=env).stdout.strip()


def _environment(tmp_path) -> dict[str, str]:
    """pre-commit's cache in the test's folder, a git identity, and no CI variable."""
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-cache"),
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    env.pop("CI", None)
    return env


def _project_using_the_hooks(tmp_path, env, *hook_ids: str) -> tuple[Path, str, Path]:
    """(hooks repository, its commit, a new git project configured to use those hooks from it)."""
    hooks = tmp_path / "nbfix-hooks"
    hooks.mkdir()
    rev = snapshot_of_this_repository(hooks, env)
    project = tmp_path / "project"
    project.mkdir()
    assert git("init", "-q", cwd=project, env=env).returncode == 0
    ids = "".join(f"  - id: {hook}\n" for hook in hook_ids)
    (project / ".pre-commit-config.yaml").write_text(f"repos:\n- repo: {hooks}\n  rev: {rev}\n  hooks:\n{ids}")
    return hooks, rev, project


def test_hooks_block_a_fixable_commit_fix_it_and_then_pass(tmp_path):
    env = _environment(tmp_path)
    hooks, rev, project = _project_using_the_hooks(tmp_path, env, "nbfix-apply", "nbfix")
    (project / "pyproject.toml").write_text('[tool.nbfix]\nexclude = ["vendor/"]\n')
    pre_commit = [sys.executable, "-m", "pre_commit"]
    installed = subprocess.run([*pre_commit, "install"], cwd=project, env=env, capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr

    # The check hook alone reports and changes nothing.
    bad = project / "src" / "bind_box.cpp"
    bad.parent.mkdir()
    bad.write_text(BAD)
    git("add", "-A", cwd=project, env=env)
    checked = subprocess.run([*pre_commit, "run", "nbfix", "--all-files"], cwd=project, env=env, capture_output=True, text=True)
    assert checked.returncode == 1 and "NB101" in checked.stdout, checked.stdout + checked.stderr
    assert bad.read_text() == BAD

    # A commit with a fixable problem is blocked, and the file is fixed on disk.
    blocked = git("commit", "-m", "add box bindings", cwd=project, env=env)
    assert blocked.returncode != 0, blocked.stdout
    assert "files were modified by this hook" in blocked.stdout + blocked.stderr
    assert bad.read_text() == CLEAN
    # Re-staged, the same commit passes.
    git("add", "-A", cwd=project, env=env)
    passed = git("commit", "-m", "add box bindings", cwd=project, env=env)
    assert passed.returncode == 0, passed.stdout + passed.stderr

    # A clean commit passes untouched; an excluded file stays excluded though pre-commit names it.
    other = project / "src" / "bind_other.cpp"
    other.write_text(CLEAN.replace("box_ext", "other_ext"))
    vendored = project / "vendor" / "bind_vendor.cpp"
    vendored.parent.mkdir()
    vendored.write_text(BAD)
    git("add", "-A", cwd=project, env=env)
    clean = git("commit", "-m", "more bindings", cwd=project, env=env)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert other.read_text() == CLEAN.replace("box_ext", "other_ext")
    assert vendored.read_text() == BAD


UNFIXABLE = """#include <nanobind/nanobind.h>
namespace nb = nanobind;
double total(nb::iterable items) {
    double t = 0;
    for (nb::handle h : items) t += nb::cast<double>(h);
    return t;
}
NB_MODULE(total_ext, m) { m.def("total", &total); }
"""


def test_the_fix_hook_fails_only_when_it_changed_a_file(tmp_path):
    """A finding nbfix cannot fix (NB402 is a suggestion) does not block the auto-fix hook, as
    its description says; the check hook is the one that reports it."""
    env = _environment(tmp_path)
    hooks, rev, project = _project_using_the_hooks(tmp_path, env, "nbfix-apply")
    pre_commit = [sys.executable, "-m", "pre_commit"]
    assert subprocess.run([*pre_commit, "install"], cwd=project, env=env, capture_output=True).returncode == 0
    source = project / "bind_total.cpp"
    source.write_text(UNFIXABLE)
    git("add", "-A", cwd=project, env=env)
    committed = git("commit", "-m", "total", cwd=project, env=env)
    assert committed.returncode == 0, committed.stdout + committed.stderr
    assert source.read_text() == UNFIXABLE
    checked = subprocess.run([*pre_commit, "try-repo", str(hooks), "nbfix", "--ref", rev, "--all-files"],
                             cwd=project, env=env, capture_output=True, text=True)
    assert checked.returncode == 1 and "NB402" in checked.stdout, checked.stdout + checked.stderr


def test_the_readme_snippet_works_as_written(tmp_path):
    """The README's pre-commit configuration, copied as it stands, with the installed nbfix."""
    import re

    from conftest import ROOT, nbfix_executable

    snippet = re.search(r"### pre-commit.*?```yaml\n(.*?)```", (ROOT / "README.md").read_text(), re.S)[1]
    env = _environment(tmp_path)
    env["PATH"] = f"{os.path.dirname(nbfix_executable())}{os.pathsep}{env.get('PATH', '')}"
    project = tmp_path / "project"
    project.mkdir()
    assert git("init", "-q", cwd=project, env=env).returncode == 0
    (project / ".pre-commit-config.yaml").write_text(snippet)
    (project / "bind_box.cpp").write_text(BAD)
    git("add", "-A", cwd=project, env=env)
    run = subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files"], cwd=project, env=env,
                         capture_output=True, text=True)
    assert run.returncode == 1 and "files were modified by this hook" in run.stdout, run.stdout + run.stderr
    assert (project / "bind_box.cpp").read_text() == CLEAN
    git("add", "-A", cwd=project, env=env)
    again = subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files"], cwd=project, env=env,
                           capture_output=True, text=True)
    assert again.returncode == 0, again.stdout + again.stderr
