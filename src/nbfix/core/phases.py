"""Where a run's time goes, phase by phase (read, parse, facts, model, each rule, fix passes,
report, write): measured only when the environment variable NBFIX_PROFILE names a file, which
the process writes as JSON when it ends. The benchmark reads it; a run without it pays one
`is None` test per phase. Each phase's time excludes the phases timed inside it."""

from __future__ import annotations

import os
import time

_TARGET = os.environ.get("NBFIX_PROFILE") or None
_totals: dict[str, float] | None = {} if _TARGET else None
_stack: list[list] = []  # [name, start, time of the phases inside it]
_START = time.perf_counter()


class timed:
    """`with timed("parse"):` adds the block's own time to the phase."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> None:
        if _totals is not None:
            _stack.append([self.name, time.perf_counter(), 0.0])

    def __exit__(self, *exc: object) -> None:
        if _totals is None:
            return
        name, start, inner = _stack.pop()
        spent = time.perf_counter() - start
        _totals[name] = _totals.get(name, 0.0) + spent - inner
        if _stack:
            _stack[-1][2] += spent


def enabled() -> bool:
    return _totals is not None


def write() -> None:
    """Write the totals to NBFIX_PROFILE (with `total`: the process's time since nbfix started)."""
    if _totals is None or _TARGET is None:
        return
    import json

    record = {"pid": os.getpid(), "total": time.perf_counter() - _START, "phases": dict(_totals)}
    try:
        with open(_TARGET, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
    except OSError:
        pass


def phase(name: str):
    """Decorator: the function's calls count as `name`. Without NBFIX_PROFILE the function is
    returned as it is (no wrapper at all)."""

    def wrap(function):
        if _totals is None:
            return function

        def timed_call(*args, **kwargs):
            with timed(name):
                return function(*args, **kwargs)

        timed_call.__name__, timed_call.__doc__, timed_call.__wrapped__ = function.__name__, function.__doc__, function
        return timed_call

    return wrap
