"""Worker processes change nothing but speed: same output, same fixes, same order."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

from conftest import nbfix_executable
from test_prefilter import generated_corpus


def nbfix(*args, cwd, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([nbfix_executable(), *args], cwd=cwd, capture_output=True, text=True, env=env)


def test_check_and_apply_are_the_same_with_workers(tmp_path):
    corpus = tmp_path / "corpus"
    generated_corpus(corpus)
    serial = nbfix("check", "-j", "1", "--no-cache", "--output-format", "json", ".", cwd=corpus)
    parallel = nbfix("check", "-j", "2", "--no-cache", "--output-format", "json", ".", cwd=corpus)
    assert serial.returncode == parallel.returncode == 1
    assert serial.stdout == parallel.stdout and serial.stdout.count('"code"') > 50
    # Workers writing the cache, then answered by it; then one file changed under a warm cache.
    for _ in range(2):
        assert nbfix("check", "-j", "2", "--output-format", "json", ".", cwd=corpus).stdout == serial.stdout
    changed = next(p for p in sorted(corpus.rglob("*.c*")) if b"rv_policy::reference" in p.read_bytes())
    changed.write_bytes(re.sub(rb"rv_policy::reference\b(?!_)", b"rv_policy::reference_internal", changed.read_bytes()))
    fresh = nbfix("check", "-j", "1", "--no-cache", "--output-format", "json", ".", cwd=corpus)
    assert fresh.stdout != serial.stdout
    assert nbfix("check", "-j", "2", "--output-format", "json", ".", cwd=corpus).stdout == fresh.stdout

    copy = tmp_path / "copy"
    shutil.copytree(corpus, copy)
    nbfix("apply", "-j", "1", ".", cwd=corpus)
    nbfix("apply", "-j", "2", ".", cwd=copy)
    for path in sorted(corpus.rglob("*.c*")):
        assert path.read_bytes() == (copy / path.relative_to(corpus)).read_bytes(), path


def test_line_formats_built_file_by_file_are_the_same_with_workers(tmp_path):
    """`check` hands each file's result to the report as it arrives: in file order, from this
    process and the workers alike, with the same summary and statistics."""
    corpus = tmp_path / "corpus"
    generated_corpus(corpus)
    for options in (["--output-format", "text"], ["--output-format", "github"], ["--statistics"],
                    ["--output-format", "concise", "--unsafe-fixes"]):
        serial = nbfix("check", "-j", "1", "--no-cache", *options, ".", cwd=corpus)
        parallel = nbfix("check", "-j", "3", "--no-cache", *options, ".", cwd=corpus)
        assert serial.returncode == parallel.returncode == 1, serial.stderr
        assert serial.stdout == parallel.stdout and serial.stdout.count("\n") >= 3
    text = nbfix("check", "-j", "2", "--no-cache", ".", cwd=corpus).stdout.splitlines()
    assert text[-2].startswith("Found ") and "with nothing to act on not shown" in text[-1] and len(text) > 50
    paths = [line.split(":", 1)[0] for line in text[:-2]]
    runs = [path for i, path in enumerate(paths) if i == 0 or paths[i - 1] != path]
    assert len(runs) == len(set(runs)) > 3  # each file's lines together


def test_diff_printed_file_by_file_matches_a_dry_run(tmp_path):
    """`diff` prints each file's diff as its result arrives; `apply --dry-run` prints them from
    the whole result: the same text, serial or with workers."""
    corpus = tmp_path / "corpus"
    generated_corpus(corpus)
    dry_run = nbfix("apply", "--dry-run", "-j", "1", "--no-cache", "--unsafe-fixes", ".", cwd=corpus)
    assert dry_run.returncode == 1 and dry_run.stdout.count("+++ b/") > 3
    for jobs in ("1", "3"):
        shown = nbfix("diff", "-j", jobs, "--no-cache", "--unsafe-fixes", ".", cwd=corpus)
        assert (shown.returncode, shown.stdout, shown.stderr) == (1, dry_run.stdout, dry_run.stderr)


def _children(pid: int) -> list[int]:
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as handle:
            found += [int(child) for child in handle.read().split()]
    return found


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as handle:
            return "State:\tZ" not in handle.read()
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="reads the process tree from /proc")
def test_workers_die_with_a_killed_run_and_its_folder_is_removed_by_the_next(tmp_path):
    """kill -9 of `nbfix check` mid-run: its worker processes end (they used to wait forever on
    a queue their siblings held open), and the next run removes the index folder it left."""
    corpus, temp = tmp_path / "corpus", tmp_path / "tmp"
    temp.mkdir()
    if "bench_check" not in sys.modules:
        generated_corpus(tmp_path / "warm-up")  # loads benchmarks/bench_check.py as a module
    sys.modules["bench_check"].write_corpus(corpus, 3.0, seed=3)
    env = {**os.environ, "TMPDIR": str(temp)}
    run = subprocess.Popen([nbfix_executable(), "check", "--no-cache", "-j", "2", "."], cwd=corpus, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not _children(run.pid) and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.5)  # into the run: workers busy, the index folder made
    workers = _children(run.pid)
    assert workers and run.poll() is None, "the run finished before it could be killed"
    left = [p.name for p in temp.iterdir()]
    run.send_signal(signal.SIGKILL)
    run.wait()
    deadline = time.monotonic() + 10
    while any(_running(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [w for w in workers if _running(w)], "workers outlived the killed run"
    assert left and all(name.startswith(f"nbfix-{run.pid}-") for name in left), left
    assert nbfix("check", "--no-cache", "-j", "2", ".", cwd=corpus, env=env).returncode in (0, 1)
    assert not list(temp.iterdir())
