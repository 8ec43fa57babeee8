from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def nbfix_executable() -> str:
    """The installed console script, next to this interpreter (tests run what users run)."""
    candidate = Path(sys.executable).with_name("nbfix")
    found = str(candidate) if candidate.exists() else shutil.which("nbfix")
    if not found:
        pytest.fail("the nbfix console script is not installed: pip install -e '.[test]'")
    return found


@pytest.fixture
def nbfix_cmd() -> list[str]:
    return [nbfix_executable()]


@pytest.fixture
def clean_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("NO_COLOR", None)
    return env
