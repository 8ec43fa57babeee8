"""Digests for cache keys: of bytes and texts, and of where Python finds packages."""

from __future__ import annotations

import os

try:  # what `hashlib.blake2b` is; importing hashlib itself also loads OpenSSL (a few ms)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - other Pythons
    from hashlib import blake2b


def digest(*parts: bytes | str) -> str:
    h = blake2b(digest_size=20)
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def environment_fingerprint() -> str:
    """Where Python finds packages: installing or removing a rule plugin changes these folders."""
    import sys

    stats = []
    here = os.getcwd()
    for entry in sys.path:
        if entry in ("", here):  # `python -m nbfix`: the project folder itself holds no plugins
            continue
        try:
            stats.append(f"{entry}:{os.stat(entry or '.').st_mtime_ns}")
        except OSError:
            continue
    return digest(*stats)
