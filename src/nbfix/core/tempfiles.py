"""Temporary files for atomic writes, next to the file they will replace, and the one way nbfix
replaces a file of its own (a cache entry, the kept rule-plugin list). Users' files go through
`core.writer`, which also keeps their mode, owner and links."""

from __future__ import annotations

import errno
import os
from typing import IO, Callable

_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def mkstemp(folder, prefix: str, suffix: str = "") -> tuple[int, str]:
    """A new file, readable and writable by its owner only, under a random name in `folder`:
    `tempfile.mkstemp` without importing `tempfile` (with `random` and `shutil`, about 7 ms of
    every run that writes a file or a cache entry)."""
    for _ in range(100):
        name = os.path.join(folder, f"{prefix}{os.urandom(6).hex()}{suffix}")
        try:
            return os.open(name, _NEW_FILE, 0o600), name
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(folder))


def replace_atomically(path, write: Callable[[IO[bytes]], object], errors: tuple[type[BaseException], ...] = (OSError,)) -> bool:
    """Create or replace `path` with what `write` puts into a new file beside it: readers see the
    old file or the new one, never a part. False, with nothing left behind, when the folder cannot
    take a file or `write` raised one of `errors`."""
    try:
        handle, temporary = mkstemp(os.path.dirname(path) or ".", ".tmp-")
    except OSError:
        return False
    try:
        with os.fdopen(handle, "wb") as out:
            write(out)
        os.replace(temporary, path)
        return True
    except errors:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        return False
