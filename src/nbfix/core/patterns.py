"""Regular expressions compiled when first used, not at import."""

from __future__ import annotations

import re

_METHODS = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split")


class LazyPattern:
    """`re.compile(pattern, flags)`, compiled on its first use. A one-file run needs few of the
    patterns nbfix and its rules define, and compiling one costs 0.05 to 0.35 ms of start-up.
    The first use copies the compiled pattern's methods onto this object, so later calls go
    straight to them."""

    def __init__(self, pattern: str | bytes, flags: int = 0) -> None:
        self.pattern = pattern
        self.flags = flags

    def __getattr__(self, name: str):  # reached only while not compiled: later the methods are attributes
        if name not in _METHODS:
            raise AttributeError(name)
        compiled = re.compile(self.pattern, self.flags)
        for method in _METHODS:
            setattr(self, method, getattr(compiled, method))
        return getattr(compiled, name)
