"""A run's report text, kept out of memory when it is big: written while the run goes, read back
in chunks to print it (and to keep it in the cache)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

CHUNK = 1 << 16


class Spool:
    """Report text in a `tempfile.SpooledTemporaryFile`: in memory up to `LIMIT`, then on disk."""

    LIMIT = 1 << 20  # bytes

    def __init__(self) -> None:
        import tempfile

        self.file = tempfile.SpooledTemporaryFile(self.LIMIT, "w+", encoding="utf-8", newline="")
        self.write = self.file.write

    def chunks(self) -> Iterator[str]:
        """The text so far, from the start (again on each call)."""
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
