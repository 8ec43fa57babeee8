"""The one way nbfix replaces a file of its own (a cache entry, the kept rule-plugin list). Users'
files go through `core.writer`, which also keeps their mode, owner and links."""

from __future__ import annotations

import os
from typing import IO, Callable


def replace_atomically(path, write: Callable[[IO[bytes]], object], errors: tuple[type[BaseException], ...] = (OSError,)) -> bool:
    """Create or replace `path` with what `write` puts into a new file beside it: readers see the
    old file or the new one, never a part. False, with nothing left behind, when the folder cannot
    take a file or `write` raised one of `errors`."""
    import tempfile  # not on the path of a check answered by the cache

    try:
        handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=os.path.dirname(path) or ".")
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
