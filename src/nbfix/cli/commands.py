"""What `nbfix check` does once its arguments are known, shared by the typer CLI and the
quick start-up path for `check` and `apply` (neither typer nor rich is imported here)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable, Optional, Sequence

from nbfix.report.formats import FORMATS, LINE_FORMATS

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    """A bad option, configuration or plugin: one line on stderr, exit code 2."""


def with_exit_zero(code: int, exit_zero: bool) -> int:
    """`--exit-zero`: findings exit 0; errors still exit 2."""
    return EXIT_CLEAN if exit_zero and code == EXIT_FINDINGS else code


def fail(message: str) -> int:
    print(f"nbfix: error: {message}", file=sys.stderr)
    return EXIT_ERROR


def split(values: Optional[Sequence[str]]) -> tuple[str, ...] | None:
    if values is None:
        return None
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def settings_for(config, select, ignore, priority, unsafe, force_exclude=None):
    from nbfix.run.config import load_settings, parse_priority

    settings = load_settings(config)
    ignored = split(ignore)
    return settings.with_overrides(
        select=split(select),
        ignore=(settings.ignore + ignored) if ignored else None,
        priority=parse_priority(priority) if priority is not None else None,
        unsafe_fixes=unsafe,
        force_exclude=force_exclude,
    )


def check_format(output_format: str) -> str:
    if output_format not in FORMATS:
        raise UsageError(f"unknown output format '{output_format}' (use {', '.join(FORMATS)})")
    return output_format


PROGRESS_THRESHOLD = 50  # files; smaller runs finish before a bar would help


class ProgressBar:
    """A rich progress bar on stderr for big runs (rich is imported only when one is shown)."""

    def __init__(self) -> None:
        self.bar = None
        self.task = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            if total < PROGRESS_THRESHOLD:
                return
            from rich.console import Console
            from rich.progress import Progress

            self.bar = Progress(console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task("Checking", total=total)
        step = max(1, total // 100)
        self.bar.update(self.task, completed=done, refresh=done % step == 0 or done == total)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def progress_bar() -> ProgressBar | None:
    """Only on a terminal, never in pipes or CI."""
    return ProgressBar() if sys.stderr.isatty() and not os.environ.get("CI") else None


def run_paths(paths, settings, fix: bool, decide=None, jobs=None, no_cache=False, keep_content=True, progress=None,
              consume=None):
    from nbfix.run.config import selected_rules
    from nbfix.run.runner import run

    selected_rules(settings)  # an unknown selector is an error before any file is read
    try:
        return run(
            list(paths) if paths else [Path(".")], settings, fix, decide, progress, jobs,
            use_cache=not no_cache, keep_content=keep_content, consume=consume,
        )
    finally:
        if progress is not None:
            progress.close()


def emit(output, output_file: Optional[Path]) -> None:
    """Print `output` (a str, or a `nbfix.spool` text read in chunks) or write it to a file."""
    chunks = [output] if isinstance(output, str) else output.chunks()
    if output_file is None:
        for chunk in chunks:
            sys.stdout.write(chunk)
        return
    try:
        with open(output_file, "w", encoding="utf-8") as out:
            for chunk in chunks:
                out.write(chunk)
    except OSError as exc:
        raise UsageError(f"{output_file}: cannot write ({exc.strerror or exc})") from None


def print_errors(errors: list[str]) -> None:
    """One line each on stderr; lines that start with `warning: ` are warnings."""
    for error in errors:
        print(f"nbfix: {error}" if error.startswith("warning: ") else f"nbfix: error: {error}", file=sys.stderr)


def guarded(body: Callable[[], int]) -> int:
    """Configuration, plugin and usage errors become one line on stderr and exit code 2."""
    from nbfix.rules.registry import RegistryError
    from nbfix.run.config import ConfigError

    try:
        return body()
    except (ConfigError, RegistryError, UsageError) as exc:
        return fail(str(exc))


def check(
    paths: Optional[Sequence[Path]] = None,
    select: Optional[Sequence[str]] = None,
    ignore: Optional[Sequence[str]] = None,
    priority: Optional[str] = None,
    config: Optional[Path] = None,
    unsafe_fixes: Optional[bool] = None,
    force_exclude: Optional[bool] = None,
    output_format: str = "text",
    output_file: Optional[Path] = None,
    statistics: bool = False,
    jobs: Optional[int] = None,
    no_cache: bool = False,
    progress=None,
    quiet: bool = False,
) -> int:
    def body() -> int:
        fmt = check_format(output_format)
        settings = settings_for(config, select, ignore, priority, unsafe_fixes, force_exclude)
        memo = None
        if not no_cache:
            from nbfix.run.cache import RunMemo

            memo = RunMemo.for_check(settings, list(paths) if paths else [Path(".")], f"{fmt}:{statistics}:{quiet}")
        answer = memo.load() if memo is not None else None
        if answer is None:
            answer = _check(settings, fmt)
            if memo is not None:
                memo.store(*answer)
        output, errors, code = answer
        emit(output, output_file)
        print_errors(errors)
        return code

    def _check(settings, fmt: str) -> tuple:
        if statistics or fmt in LINE_FORMATS:  # written file by file: no findings kept
            from nbfix.core.spool import Spool
            from nbfix.report.formats import LineReport

            output = Spool()
            report = LineReport(fmt, settings.unsafe_fixes, statistics, output.write)
            result = run_paths(paths, settings, False, jobs=jobs, no_cache=no_cache, keep_content=False,
                               progress=progress, consume=report.add)
            # "All checks passed!" is not true when a path could not be checked: only the errors say so.
            report.close("" if quiet or result.errors and not sum(report.counts.values()) else None)
            if fmt in ("text", "concise") and not statistics and not quiet:
                from nbfix.report.formats import hidden_note

                output.write(hidden_note(result.hidden))
        else:
            from nbfix.report.formats import render

            result = run_paths(paths, settings, False, jobs=jobs, no_cache=no_cache, progress=progress)
            clean_but_failed = result.errors and not result.remaining
            output = render(fmt, result.files, settings.unsafe_fixes, "" if clean_but_failed or quiet else None)
        code = EXIT_ERROR if result.errors else EXIT_FINDINGS if result.remaining else EXIT_CLEAN
        return output, result.warnings + result.errors, code

    return guarded(body)
