"""Reading source files: original bytes, encoding, line endings."""

import os
import stat
from pathlib import Path
from typing import NamedTuple

from nbfix.core.phases import phase

UTF8_BOM = b"\xef\xbb\xbf"


class SourceError(Exception):
    """A file that cannot be processed; the message is one line for the user."""

    def __init__(self, display: str, message: str) -> None:
        super().__init__(f"{display}: {message}")
        self.display = display
        self.message = message


class Source(NamedTuple):
    """One file as read from disk. `content` excludes the BOM; edits are offsets into it."""

    path: Path
    display: str
    raw: bytes
    bom: bytes
    newline: str
    mode: int

    @property
    def content(self) -> bytes:
        return self.raw[len(self.bom):]

    def with_content(self, content: bytes) -> bytes:
        """The bytes to write for new content: the original BOM kept."""
        return self.bom + content


def detect_newline(data: bytes) -> str:
    crlf = data.count(b"\r\n")
    return "\r\n" if crlf and crlf * 2 >= data.count(b"\n") else "\n"


@phase("read")
def read_source(path: Path, display: str) -> Source:
    try:
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            raise SourceError(display, "is a directory, not a file")
        if not stat.S_ISREG(mode):  # a FIFO or a device would block the read or never end
            raise SourceError(display, "not a regular file, skipped")
        raw = path.read_bytes()
    except PermissionError:
        raise SourceError(display, "cannot read file (permission denied)") from None
    except IsADirectoryError:
        raise SourceError(display, "is a directory, not a file") from None
    except OSError as exc:
        raise SourceError(display, f"cannot read file ({exc.strerror or exc})") from None
    return source_from_bytes(path, display, raw, mode)


def source_from_bytes(path: Path, display: str, raw: bytes, mode: int = 0) -> Source:
    """A file's bytes as a `Source`, from disk or from an editor's unsaved buffer: the same
    checks either way (no NUL bytes, valid UTF-8), the BOM and line ends as they are."""
    if b"\0" in raw:
        raise SourceError(display, "binary file (contains NUL bytes), skipped")
    bom = UTF8_BOM if raw.startswith(UTF8_BOM) else b""
    try:
        raw[len(bom):].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(
            display, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}), skipped"
        ) from None
    return Source(path, display, raw, bom, detect_newline(raw), mode)


def display_path(path: Path, cwd: Path | None = None) -> str:
    """Path relative to the working directory when below it, always with forward slashes."""
    cwd = cwd or Path.cwd()
    absolute = path if path.is_absolute() else cwd / path
    try:
        return absolute.relative_to(cwd).as_posix()
    except ValueError:
        return absolute.as_posix()
