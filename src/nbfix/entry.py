"""The `nbfix` console script: the common `check` call starts quickly; the rest goes to typer."""

from __future__ import annotations

import sys


def main() -> None:
    from nbfix.commands import quick

    code = quick(sys.argv[1:])
    if code is not None:
        sys.stdout.flush()
        raise SystemExit(code)
    from nbfix.cli import app

    app()
