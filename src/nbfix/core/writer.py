"""Writing fixed files: atomic where that keeps the file what it was, never a surprise.

A file is replaced through a temporary file and a rename, keeping its mode, owner and group. A
file with more than one hard link, or whose owner cannot be kept, is rewritten in place (as
editors do): a rename would split the links or hand the file to the running user. Read-only
files and symlinks (discovery resolves those that point inside the given paths) are refused.
"""

from __future__ import annotations

import os
import stat
import tempfile

from nbfix.core.phases import phase
from nbfix.core.source import Source


class WriteError(Exception):
    pass


def _checked(source: Source) -> os.stat_result:
    """The file's status, once it is known that writing it is allowed and it has not changed."""
    if source.path.is_symlink():
        raise WriteError(f"{source.display}: a symlink to a file outside the given paths; not written")
    try:
        info = os.stat(source.path)
        current = source.path.read_bytes()
    except OSError as exc:
        raise WriteError(f"{source.display}: cannot re-read before writing ({exc.strerror})") from None
    if current != source.raw:
        raise WriteError(f"{source.display}: changed on disk since it was read; not written")
    if not info.st_mode & stat.S_IWUSR or not os.access(source.path, os.W_OK):
        raise WriteError(f"{source.display}: file is read-only; not written")
    return info


def _stage(source: Source, content: bytes, info: os.stat_result) -> str | None:
    """A temporary file beside the source holding the new bytes, with the source's mode, owner
    and group; None when the file must be rewritten in place instead."""
    if info.st_nlink > 1:
        return None
    try:
        handle, temporary = tempfile.mkstemp(".nbfix", f".{source.path.name}.", source.path.parent)
    except OSError as exc:
        raise WriteError(f"{source.display}: cannot create a temporary file beside it ({exc.strerror or exc})") from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(source.with_content(content))
            if (info.st_uid, info.st_gid) != (os.geteuid(), os.getegid()):
                try:
                    os.fchown(out.fileno(), info.st_uid, info.st_gid)
                except PermissionError:
                    raise _KeepOwner from None
            os.fchmod(out.fileno(), stat.S_IMODE(info.st_mode))
    except _KeepOwner:
        _unlink(temporary)
        return None
    except OSError as exc:
        _unlink(temporary)
        raise WriteError(f"{source.display}: cannot write ({exc.strerror or exc})") from None
    return temporary


class _KeepOwner(Exception):
    """Only the owner may give a file away: rewrite it in place to keep its owner."""


def _rewrite_in_place(source: Source, content: bytes) -> None:
    try:
        with open(source.path, "r+b") as out:
            out.write(source.with_content(content))
            out.truncate()
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        raise WriteError(f"{source.display}: cannot write ({exc.strerror or exc})") from None


def _commit(source: Source, content: bytes, temporary: str | None) -> None:
    if temporary is None:
        _rewrite_in_place(source, content)
        return
    try:
        os.replace(temporary, source.path)
    except OSError as exc:
        _unlink(temporary)
        raise WriteError(f"{source.display}: cannot write ({exc.strerror or exc})") from None


@phase("write")
def write_atomic(source: Source, content: bytes) -> None:
    """Write `content` (BOM kept) over the file, as described in the module docstring."""
    info = _checked(source)
    _commit(source, content, _stage(source, content, info))


@phase("write")
def write_all(files: list[tuple[Source, bytes]]) -> None:
    """Write every file or none: every file is checked and staged first, and only when all are
    staged are they put in place."""
    staged: list[tuple[Source, bytes, str | None]] = []
    try:
        for source, content in files:
            staged.append((source, content, _stage(source, content, _checked(source))))
    except WriteError as exc:
        for _, _, temporary in staged:
            _unlink(temporary)
        raise WriteError(f"{exc}; nothing written") from None
    for source, content, temporary in staged:
        _commit(source, content, temporary)


def _unlink(temporary: str | None) -> None:
    if temporary is None:
        return
    try:
        os.unlink(temporary)
    except OSError:
        pass


@phase("write")
def write_new(path: str | os.PathLike[str], content: bytes) -> None:
    """Create a file that must not exist yet (a generated build file): the bytes go to a
    temporary file beside it, which is then linked into place, so the file appears whole or not
    at all and an existing file is never overwritten."""
    import tempfile

    folder, name = os.path.split(os.fspath(path))
    try:
        handle, temporary = tempfile.mkstemp(".nbfix", f".{name}.", folder or ".")
    except OSError as exc:
        raise WriteError(f"{path}: cannot create a file there ({exc.strerror or exc})") from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            umask = os.umask(0)
            os.umask(umask)
            os.fchmod(out.fileno(), 0o666 & ~umask)
        os.link(temporary, path)
    except FileExistsError:
        raise WriteError(f"{path}: exists already; not written") from None
    except OSError as exc:
        raise WriteError(f"{path}: cannot write ({exc.strerror or exc})") from None
    finally:
        _unlink(temporary)
