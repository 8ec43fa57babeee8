"""Temporary files for atomic writes, next to the file they will replace."""

from __future__ import annotations

import errno
import os

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
