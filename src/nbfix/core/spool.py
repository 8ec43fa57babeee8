"""A run's report text, kept out of memory when it is big: written while the run goes, read back
in chunks to print it (and to keep it in the cache)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

CHUNK = 1 << 16


class Spool:
    """Text in memory while small, then in a temporary file (in memory still, if no temporary
    file can be made)."""

    LIMIT = 1 << 20  # characters

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.file = None
        self.in_memory = False  # no temporary file could be made

    def write(self, text: str) -> None:
        if self.file is not None:
            self.file.write(text)
            return
        self.parts.append(text)
        self.size += len(text)
        if self.size > self.LIMIT and not self.in_memory:
            self._to_file()

    def _to_file(self) -> None:
        import tempfile

        try:
            self.file = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")
        except OSError:
            self.in_memory = True
            return
        self.file.writelines(self.parts)
        self.parts = []

    def chunks(self) -> Iterator[str]:
        """The text so far, from the start (again on each call)."""
        if self.file is None:
            yield "".join(self.parts)
            return
        self.file.seek(0)
        while chunk := self.file.read(CHUNK):
            yield chunk


class TextFile:
    """Text kept in a file (a cached report), read in chunks."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def chunks(self) -> Iterator[str]:
        with open(self.path, encoding="utf-8", newline="") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk
