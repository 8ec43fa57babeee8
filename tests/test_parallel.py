"""Worker processes change nothing but speed: same output, same fixes, same order."""

from __future__ import annotations

import shutil
import subprocess

from conftest import nbfix_executable
from test_prefilter import generated_corpus


def nbfix(*args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([nbfix_executable(), *args], cwd=cwd, capture_output=True, text=True)


def test_check_and_apply_are_the_same_with_workers(tmp_path):
    corpus = tmp_path / "corpus"
    generated_corpus(corpus)
    serial = nbfix("check", "-j", "1", "--output-format", "json", ".", cwd=corpus)
    parallel = nbfix("check", "-j", "2", "--output-format", "json", ".", cwd=corpus)
    assert serial.returncode == parallel.returncode == 1
    assert serial.stdout == parallel.stdout and serial.stdout.count('"code"') > 50

    copy = tmp_path / "copy"
    shutil.copytree(corpus, copy)
    nbfix("apply", "-j", "1", ".", cwd=corpus)
    nbfix("apply", "-j", "2", ".", cwd=copy)
    for path in sorted(corpus.rglob("*.c*")):
        assert path.read_bytes() == (copy / path.relative_to(corpus)).read_bytes(), path
