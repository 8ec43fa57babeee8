"""Atomic writes that keep permissions and never clobber a file changed behind our back."""

from __future__ import annotations

import os

from nbfix.source import Source
from nbfix.tempfiles import mkstemp


class WriteError(Exception):
    pass


def write_atomic(source: Source, content: bytes) -> None:
    """Replace the file with `content` (BOM kept), via a temporary file in the same folder."""
    try:
        current = source.path.read_bytes()
    except OSError as exc:
        raise WriteError(f"{source.display}: cannot re-read before writing ({exc.strerror})") from None
    if current != source.raw:
        raise WriteError(f"{source.display}: changed on disk since it was read; not written")
    folder = source.path.parent
    handle, temporary = mkstemp(folder, f".{source.path.name}.", ".nbfix")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(source.with_content(content))
        os.chmod(temporary, source.mode & 0o7777)
        os.replace(temporary, source.path)
    except OSError as exc:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise WriteError(f"{source.display}: cannot write ({exc.strerror or exc})") from None


def write_all(files: list[tuple[Source, bytes]]) -> None:
    """Write every file or none: all new contents are staged next to their files first, and only
    when every one is staged are they renamed into place."""
    staged: list[tuple[str, Source]] = []
    try:
        for source, content in files:
            if source.path.read_bytes() != source.raw:
                raise WriteError(f"{source.display}: changed on disk since it was read; nothing written")
            handle, temporary = mkstemp(source.path.parent, f".{source.path.name}.", ".nbfix")
            staged.append((temporary, source))
            with os.fdopen(handle, "wb") as out:
                out.write(source.with_content(content))
            os.chmod(temporary, source.mode & 0o7777)
    except OSError as exc:
        _discard(staged)
        raise WriteError(f"cannot stage the changes ({exc.strerror or exc}); nothing written") from None
    except WriteError:
        _discard(staged)
        raise
    for temporary, source in staged:
        os.replace(temporary, source.path)


def _discard(staged: list[tuple[str, Source]]) -> None:
    for temporary, _ in staged:
        try:
            os.unlink(temporary)
        except OSError:
            pass
