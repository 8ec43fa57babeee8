"""The `nbfix` console script: the common `check` call starts quickly; the rest goes to typer."""

from __future__ import annotations

import os
import sys


def main() -> None:
    from nbfix.cli.quick import quick
    from nbfix.core import phases

    code = quick(sys.argv[1:])
    if code is not None:
        phases.write()
        _leave(code)
    from nbfix.cli.app import app

    try:
        app()
    finally:
        phases.write()


def _leave(code: int) -> None:
    """End a finished `check` or `apply` without tearing the interpreter down: freeing every module and
    object costs a one-file run about 7 ms. Everything the run opened is closed by now (output
    files, the process pool, temporary folders), so only the standard streams need flushing."""
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)  # a profiler or coverage tool writes its results at exit: let it
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
