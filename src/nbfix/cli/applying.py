"""What `nbfix apply` does once its arguments are known (writing fixes in place and reporting
what remains), shared by the typer CLI and the quick start-up path (the pre-commit hook's call).
`--dry-run` and `--interactive` stay with the typer CLI."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from nbfix.cli import commands
from nbfix.cli.commands import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS


def apply(
    paths: Sequence[Path] | None = None,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None,
    priority: str | None = None,
    config: Path | None = None,
    unsafe_fixes: bool | None = None,
    force_exclude: bool | None = None,
    output_format: str = "text",
    output_file: Path | None = None,
    statistics: bool = False,
    exit_non_zero_on_fix: bool = False,
    show_fixes: bool = False,
    jobs: int | None = None,
    no_cache: bool = False,
    progress=None,
    quiet: bool = False,
    fix_only: bool = False,
) -> int:
    def body() -> int:
        fmt = commands.check_format(output_format)
        settings = commands.settings_for(config, select, ignore, priority, unsafe_fixes, force_exclude)
        report = Report(settings, fmt, output_file, statistics, exit_non_zero_on_fix, show_fixes, quiet, fix_only)
        if may_move_python_names(settings):
            result = commands.run_paths(paths, settings, True, None, jobs, no_cache, progress=progress)
            return finish(result, report, paths, jobs, no_cache)
        return _file_by_file(paths, settings, report, jobs, no_cache, progress)

    return commands.guarded(body)


class Report:
    """How an `apply` run reports: output format and file, statistics, which exit code."""

    def __init__(self, settings, fmt: str, output_file: Path | None, statistics: bool,
                 exit_non_zero_on_fix: bool, show_fixes: bool, quiet: bool = False, fix_only: bool = False) -> None:
        self.settings = settings
        self.fix_only = fix_only  # as ruff's --fix-only: fix, never report or fail on what remains
        self.quiet = quiet  # findings and errors only: no summary, no note on hidden noise
        self.fmt = fmt
        self.output_file = output_file
        self.statistics = statistics
        self.exit_non_zero_on_fix = exit_non_zero_on_fix
        self.show_fixes = show_fixes

    def close(self, output, errors: list[str], remaining: int, written: int, fixed: int, fixes=None,
              hidden: dict[str, int] | None = None, warnings: list[str] = ()) -> int:
        """Print what was fixed and what remains (`output` renders it, given the summary line),
        the errors, and return the exit code."""
        from nbfix.report.text import plural

        if self.fix_only:
            summary = "" if self.quiet else f"Fixed {plural(fixed, 'finding')} in {plural(written, 'file')}."
        else:
            summary = "" if self.quiet else f"Fixed {plural(fixed, 'finding')} in {plural(written, 'file')} ({remaining} remaining)."
        if self.show_fixes and fixes is not None:
            commands.emit(fixes, None)
        if self.fix_only:
            remaining, hidden = 0, None
            commands.emit(f"{summary}\n" if summary and self.fmt in ("text", "github") else "", self.output_file)
        else:
            commands.emit(output(summary), self.output_file)
        if hidden and self.fmt in ("text", "concise") and not self.statistics and not self.quiet:
            from nbfix.report.formats import hidden_note

            sys.stdout.write(hidden_note(hidden))
        if (self.fmt not in ("text", "github") or self.statistics) and summary:
            print(summary, file=sys.stderr)
        commands.print_errors([*warnings, *errors])
        if errors:
            return EXIT_ERROR
        if remaining or (self.exit_non_zero_on_fix and written):
            return EXIT_FINDINGS
        return EXIT_CLEAN


def may_move_python_names(settings) -> bool:
    """Whether fixes of this run may move Python names (then C++ and Python files are written
    together at the end, or not at all)."""
    from nbfix.run.config import selected_rules

    return bool(settings.unsafe_fixes) and any(rule.moves_python_names for rule in selected_rules(settings))


def recheck(paths, settings, report: Report, jobs, no_cache, line_based: bool):
    """What remains after writing, as a check finds it now: a fix in one file (a registered
    exception, a repr on a base) settles findings in others, and a file that could not be written
    keeps its own. (line report and its spool, or the kept results; the run result)."""
    from nbfix.core.spool import Spool
    from nbfix.report.formats import LineReport

    output = Spool() if line_based else None
    lines = LineReport(report.fmt, settings.unsafe_fixes, report.statistics, output.write) if output is not None else None
    kept: list = []
    again = commands.run_paths(paths, settings, False, None, jobs, no_cache, keep_content=not line_based,
                               consume=lines.add if lines is not None else kept.append)
    return lines, output, kept, again


def finish(result, report: Report, paths=None, jobs=None, no_cache: bool = False) -> int:
    """Write the changed files of a finished run and report. Moved Python names: the C++ and the
    Python side are written together or not at all."""
    from nbfix.core.writer import WriteError, write_all, write_atomic
    from nbfix.report.formats import fixes_applied, render
    from nbfix.report.formats import statistics as statistics_table

    written = fixed = 0
    errors_before = len(result.errors)
    changed = [file for file in result.files if file.changed]
    if result.python_moves and result.errors:
        result.errors.append("names were to move between modules but a file failed; nothing written")
        changed = []
    elif result.python_moves:
        try:
            write_all([(file.source, file.new_content) for file in changed])
            written, fixed = len(changed), sum(len(file.fixed) for file in changed)
        except WriteError as exc:
            result.errors.append(str(exc))
            changed = []
    for file in changed if not result.python_moves else []:
        try:
            write_atomic(file.source, file.new_content)
        except WriteError as exc:
            result.errors.append(str(exc))
            file.fixed = []
            continue
        written += 1
        fixed += len(file.fixed)
    unsafe = report.settings.unsafe_fixes
    fixes = fixes_applied(result.files) if report.show_fixes else None
    if paths is not None and (written or len(result.errors) > errors_before) and not report.fix_only:
        lines, spool, kept, again = recheck(paths, report.settings, report, jobs, no_cache,
                                            report.statistics or report.fmt in commands.LINE_FORMATS)

        def rechecked(summary: str):
            if lines is None:
                return render(report.fmt, kept, unsafe, summary)
            lines.close(summary)
            return spool

        return report.close(rechecked, result.errors, again.remaining, written, fixed, fixes, again.hidden,
                            result.warnings)

    def output(summary: str) -> str:
        if report.statistics:
            return statistics_table(result.files, unsafe)
        return render(report.fmt, result.files, unsafe, summary)

    return report.close(output, result.errors, result.remaining, written, fixed, fixes, result.hidden,
                        result.warnings)


def _file_by_file(paths, settings, report: Report, jobs, no_cache, progress) -> int:
    """Write each file as soon as its result arrives and keep neither its content nor, for
    line-based output, its findings: memory stays flat on big trees. Same output, files and exit
    code as `finish`."""
    from nbfix.core.spool import Spool
    from nbfix.core.writer import WriteError, write_atomic
    from nbfix.report.formats import LineReport, fixes_applied, render

    line_based = report.statistics or report.fmt in commands.LINE_FORMATS
    output = Spool() if line_based else None
    lines = LineReport(report.fmt, settings.unsafe_fixes, report.statistics, output.write) if output is not None else None
    fixes = Spool() if report.show_fixes else None
    kept = []  # machine formats need every file's findings (and content) at the end
    write_errors: list[str] = []
    written = fixed = 0

    def consume(file) -> None:
        nonlocal written, fixed
        if any(item.finding.fix and item.finding.fix.python_moves for item in file.fixed):
            write_errors.append(f"{file.source.display}: a fix moves Python names but its rule does not declare "
                                "`moves_python_names`; not written")
            file.fixed = []
        elif file.changed:
            try:
                write_atomic(file.source, file.new_content)
                written, fixed = written + 1, fixed + len(file.fixed)
            except WriteError as exc:
                write_errors.append(str(exc))
                file.fixed = []
        if fixes is not None:
            fixes.write(fixes_applied([file]))
        if lines is not None:
            lines.add(file)
        else:
            kept.append(file)

    result = commands.run_paths(paths, settings, True, None, jobs, no_cache, keep_content=not line_based,
                                progress=progress, consume=consume)
    remaining, hidden = result.remaining, result.hidden
    if (written or write_errors) and not report.fix_only:
        lines, output, kept, again = recheck(paths, settings, report, jobs, no_cache, line_based)
        remaining, hidden = again.remaining, again.hidden

    def rendered(summary: str):
        if lines is None:
            return render(report.fmt, kept, settings.unsafe_fixes, summary)
        lines.close(summary)
        return output

    return report.close(rendered, result.errors + write_errors, remaining, written, fixed, fixes,
                        hidden, result.warnings)
