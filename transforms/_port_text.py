"""Text edits and notes of the porting rules, in character offsets of one file's text."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from nbfix.core.source import UTF8_BOM


class Change(NamedTuple):
    start: int
    end: int
    text: str


class Note(NamedTuple):
    """Advice for a person, at a span of the file."""

    start: int
    end: int
    message: str


def applied(text: str, changes: list[Change]) -> str:
    """`text` with the changes made; the same change given twice is made once."""
    pieces = []
    position = 0
    for change in sorted(set(changes)):
        if change.start < position:
            raise ValueError(f"overlapping changes at {change.start}")
        pieces += [text[position:change.start], change.text]
        position = change.end
    pieces.append(text[position:])
    return "".join(pieces)


def byte_offset(text: str, at: int) -> int:
    return len(text[:at].encode("utf-8"))


class Lines:
    """Character offsets of (line, column) positions, as libcst's PositionProvider gives them."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [i + 1 for i, char in enumerate(text) if char == "\n"]

    def offset(self, line: int, column: int) -> int:
        return self.starts[line - 1] + column


class Text(NamedTuple):
    """A file's text, with the BOM it had (kept when written back)."""

    text: str
    bom: bytes

    @classmethod
    def read(cls, path: Path) -> "Text | None":
        if not path.is_file():
            return None
        raw = path.read_bytes()
        bom = UTF8_BOM if raw.startswith(UTF8_BOM) else b""
        return cls(raw[len(bom):].decode("utf-8"), bom)

    def encoded(self, text: str) -> bytes:
        return self.bom + text.encode("utf-8")
