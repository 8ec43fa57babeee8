"""Text edits and notes of the porting rules, in character offsets of one file's text."""

from __future__ import annotations

from typing import NamedTuple


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
