"""Byte offsets (nbfix) to LSP positions: a 0-based line and a column counted in the code units
the client and server agreed on (UTF-16 unless the client offers UTF-8 or UTF-32)."""

from __future__ import annotations

from typing import NamedTuple

from nbfix.core.result import LineIndex

UNIT_BYTES = {"utf-8": 1, "utf-16": 2, "utf-32": 4}


class Position(NamedTuple):
    line: int
    character: int


class Positions:
    """Positions in one buffer's bytes (its BOM included: the editor's text holds it too)."""

    def __init__(self, raw: bytes, encoding: str = "utf-16") -> None:
        self.lines = LineIndex(raw)
        self.unit = UNIT_BYTES.get(str(encoding).lower(), 2)

    def at(self, offset: int) -> Position:
        line = self.lines.line_of(offset)
        before = self.lines.content[self.lines.starts[line]:offset]
        return Position(line, self._units(before))

    def _units(self, text: bytes) -> int:
        if self.unit == 1:
            return len(text)
        # (surrogatepass: a lone surrogate in the buffer still counts as one unit)
        return len(text.decode("utf-8", "surrogatepass").encode(f"utf-{self.unit * 8}-le", "surrogatepass")) // self.unit

    def end(self) -> Position:
        return self.at(len(self.lines.content))


def changed_span(old: bytes, new: bytes) -> tuple[int, int, int]:
    """(start, old end, new end): the one byte range of `old` to replace by `new[start:new end]`
    to get `new`. It starts and ends on whole characters, never between a CR and its LF."""
    start = 0
    limit = min(len(old), len(new))
    while start < limit and old[start] == new[start]:
        start += 1
    while start > 0 and (_continues(old, start) or old[start - 1:start + 1] == b"\r\n"):
        start -= 1
    tail = 0
    while tail < limit - start and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    old_end, new_end = len(old) - tail, len(new) - tail
    while tail > 0 and (_continues(old, old_end) or old[old_end - 1:old_end + 1] == b"\r\n"):
        tail -= 1
        old_end, new_end = old_end + 1, new_end + 1
    return start, old_end, new_end


def _continues(data: bytes, offset: int) -> bool:
    """Whether `offset` falls inside a UTF-8 character (its byte there is a continuation byte)."""
    return offset < len(data) and data[offset] & 0xC0 == 0x80
