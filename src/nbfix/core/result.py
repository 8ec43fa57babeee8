"""What a run found in one file, as plain data (cached, sent between processes, reported)."""

import bisect
import re
from typing import NamedTuple

from nbfix.core.findings import Edit, Finding
from nbfix.core.records import Fields
from nbfix.core.source import Source


class Located(NamedTuple):
    """A finding with its human position (1-based line and column, in characters)."""

    finding: Finding
    line: int
    column: int
    end_line: int
    end_column: int


class FileResult(Fields):
    __slots__ = _fields = ("source", "remaining", "fixed", "new_content", "passes", "error", "hidden", "warnings")

    def __init__(
        self,
        source: Source,
        remaining: list[Located] | None = None,
        fixed: list[Located] | None = None,
        new_content: bytes | None = None,  # set when fixes changed the file
        passes: list[tuple[Edit, ...]] | None = None,  # the edits applied, pass by pass
        error: str | None = None,
        hidden: dict[str, int] | None = None,  # rule code -> findings with nothing to act on, not shown
        warnings: list[str] | None = None,  # one line each, e.g. a suppression naming no rule
    ) -> None:
        self.source = source
        self.remaining = [] if remaining is None else remaining
        self.fixed = [] if fixed is None else fixed
        self.new_content = new_content
        self.passes = [] if passes is None else passes
        self.error = error
        self.hidden = {} if hidden is None else hidden
        self.warnings = [] if warnings is None else warnings

    @property
    def changed(self) -> bool:
        return self.new_content is not None and self.new_content != self.source.content

    @property
    def content(self) -> bytes:
        """The content the remaining findings refer to."""
        return self.new_content if self.new_content is not None else self.source.content


class LineIndex:
    def __init__(self, content: bytes) -> None:
        self.content = content
        self.starts = [0] + [m.end() for m in re.finditer(rb"\n", content)]

    def line_of(self, offset: int) -> int:
        """0-based line holding a byte offset."""
        return bisect.bisect_right(self.starts, offset) - 1

    def position(self, offset: int) -> tuple[int, int]:
        line = self.line_of(offset)
        column = len(self.content[self.starts[line]:offset].decode("utf-8", "replace"))
        return line + 1, column + 1

    def line(self, number: int) -> bytes:
        end = self.starts[number + 1] if number + 1 < len(self.starts) else len(self.content)
        return self.content[self.starts[number]:end]
