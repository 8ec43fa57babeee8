"""Real projects' sources for the tests: PyPI sdists, downloaded once into `$NBFIX_REAL_CACHE`
(default `~/.cache/nbfix-real`) and checked against their pinned sha256; `NBFIX_REAL_OFFLINE=1`
skips the tests that would download."""

from __future__ import annotations

import hashlib
import os
import tarfile
import urllib.request
from pathlib import Path

import pytest


def cache() -> Path:
    return Path(os.environ.get("NBFIX_REAL_CACHE") or Path.home() / ".cache" / "nbfix-real")


def sdist_root(url: str, sha256: str, folder: str) -> Path:
    """The unpacked sdist at `url` (its top folder `folder`), from the cache when it is there."""
    unpacked = cache() / sha256[:16]
    done = unpacked / ".complete"
    if not done.exists():
        if os.environ.get("NBFIX_REAL_OFFLINE") == "1":
            pytest.skip("NBFIX_REAL_OFFLINE=1: sdist not in the cache")
        with urllib.request.urlopen(url, timeout=120) as response:
            data = response.read()
        assert hashlib.sha256(data).hexdigest() == sha256, f"{url}: sha256 differs from the pin"
        unpacked.mkdir(parents=True, exist_ok=True)
        archive = unpacked / "sdist.tar.gz"
        archive.write_bytes(data)
        with tarfile.open(archive) as tar:
            tar.extractall(unpacked, filter="data")
        done.touch()
    return unpacked / folder
