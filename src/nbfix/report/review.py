"""`nbfix apply --interactive`: show each fix as a coloured hunk and ask before applying it."""

from __future__ import annotations

import sys
from typing import Callable, TextIO

from nbfix.core.findings import Finding
from nbfix.core.source import Source
from nbfix.engine.linter import LineIndex, apply_edits
from nbfix.report.text import colourise, unified_diff
from nbfix.run.config import Settings
from nbfix.run.runner import RunResult, rewrite_python

PROMPT = "Apply? [y]es, [n]o, [a]ll remaining {code} fixes, [q]uit: "


def hunk(before: bytes, after: bytes, context: int = 2) -> str:
    """The changed lines with a little context, as unified-diff hunks without file headers."""
    import difflib

    old = before.decode("utf-8").splitlines(keepends=True)
    new = after.decode("utf-8").splitlines(keepends=True)
    lines = list(difflib.unified_diff(old, new, n=context))[2:]
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


class Reviewer:
    """Decides, by asking, whether each fix is applied. Remembers 'all' per rule and 'quit'."""

    def __init__(
        self,
        out: TextIO = sys.stdout,
        ask: Callable[[str], str] = input,
        python_preview: Callable[[list], str] | None = None,
    ) -> None:
        self.out = out
        self.ask = ask
        self.python_preview = python_preview  # the Python edits that go with a fix, if any
        self.accept_all: set[str] = set()
        self.stopped = False

    def __call__(self, source: Source, finding: Finding, content: bytes) -> bool:
        if finding.fix is None:
            return False
        if finding.code in self.accept_all:
            return True  # answered already, before or after a quit: `q` stops the questions only
        if self.stopped:
            return False
        line, column = LineIndex(content).position(finding.start)
        self.out.write(f"\n\x1b[1m{source.display}:{line}:{column}: {finding.code}\x1b[0m {finding.message}\n")
        self.out.write(f"Fix ({finding.fix.safety.value}): {finding.fix.title}\n")
        self.out.write(colourise(hunk(content, apply_edits(content, finding.fix.edits))))
        if finding.fix.python_moves and self.python_preview is not None:
            self.out.write("With these changes to the Python code that uses it:\n")
            self.out.write(colourise(self.python_preview(list(finding.fix.python_moves))))
        self.out.flush()
        while True:
            try:
                answer = self.ask(PROMPT.format(code=finding.code)).strip().lower()
            except EOFError:
                answer = "q"
            if answer in ("y", "yes"):
                return True
            if answer in ("n", "no"):
                return False
            if answer in ("a", "all"):
                self.accept_all.add(finding.code)
                return True
            if answer in ("q", "quit"):
                self.stopped = True
                return False


def python_preview(settings: Settings, moves: list) -> str:
    """The diff the Python side of `moves` would make in `python-paths` (for interactive review)."""
    scratch = RunResult()
    rewrite_python(scratch, settings, moves)
    return "".join(
        unified_diff(f.source.display, f.source.raw, f.source.with_content(f.new_content)) for f in scratch.files
    )
