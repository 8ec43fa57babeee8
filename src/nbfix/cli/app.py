"""The `nbfix` command line. Exit codes: 0 clean, 1 findings (or changes), 2 usage/config/IO error."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from nbfix import __version__
from nbfix.cli import commands
from nbfix.cli.commands import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS
from nbfix.cli.options import OPTIONS

app = typer.Typer(
    name="nbfix",
    help="Find and fix defects in nanobind and pybind11 bindings.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# readable=False: an unreadable file is reported by nbfix itself, and the other files still run.
PathsArg = typer.Argument(
    None, help="Files or folders to process (default: .).", show_default=False, readable=False
)


def _option(key: str):
    """The typer option for `key`, from the one options table."""
    spec = OPTIONS[key]
    names = ("/".join(spec.flags),) if spec.kind == "switch" else spec.flags
    return typer.Option(spec.default, *names, help=spec.help)


def _exit(code: int, exit_zero: bool) -> typer.Exit:
    return typer.Exit(commands.with_exit_zero(code, exit_zero))


def use_colour(choice: str, stream=None) -> bool:
    """--color, then NO_COLOR and FORCE_COLOR (https://no-color.org, https://force-color.org), then
    whether the stream is a terminal."""
    import os

    if choice not in ("auto", "always", "never"):
        raise commands.UsageError(f"--color must be auto, always or never, not '{choice}'")
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return (stream or sys.stdout).isatty()


@app.command()
def check(
    paths: Optional[List[Path]] = PathsArg,
    select: Optional[List[str]] = _option("select"),
    ignore: Optional[List[str]] = _option("ignore"),
    priority: Optional[str] = _option("priority"),
    config: Optional[Path] = _option("config"),
    unsafe_fixes: Optional[bool] = _option("unsafe_fixes"),
    force_exclude: Optional[bool] = _option("force_exclude"),
    output_format: str = _option("output_format"),
    output_file: Optional[Path] = _option("output_file"),
    statistics: bool = _option("statistics"),
    jobs: Optional[int] = _option("jobs"),
    no_cache: bool = _option("no_cache"),
    quiet: bool = _option("quiet"),
    exit_zero: bool = _option("exit_zero"),
    fix: bool = _option("fix"),
    show_diff: bool = _option("diff"),
    color: str = _option("color"),
) -> None:
    """Report findings, one line each: path:line:col: CODE [*] message ([*]: fixable). Changes no
    source file; keeps what it learns in .nbfix_cache/ (--no-cache: not)."""
    if fix and show_diff:
        raise typer.Exit(commands.guarded(lambda: _usage("--fix and --diff exclude each other")))
    if show_diff:
        raise _exit(_diff(paths, select, ignore, priority, config, unsafe_fixes, force_exclude, jobs, no_cache,
                          quiet, color), exit_zero)
    if fix:
        from nbfix.cli import applying

        raise _exit(applying.apply(
            paths, select, ignore, priority, config, unsafe_fixes, force_exclude, output_format, output_file,
            statistics, False, False, jobs, no_cache, progress=commands.progress_bar(), quiet=quiet,
        ), exit_zero)
    raise _exit(commands.check(
        paths, select, ignore, priority, config, unsafe_fixes, force_exclude, output_format, output_file,
        statistics, jobs, no_cache, progress=commands.progress_bar(), quiet=quiet,
    ), exit_zero)


def _usage(message: str) -> int:
    raise commands.UsageError(message)


class _DiffPrinter:
    """Prints each changed file's diff as its result arrives, and counts them."""

    def __init__(self, colour: bool | None = None, quiet: bool = False) -> None:
        self.quiet = quiet
        self.colour = sys.stdout.isatty() if colour is None else colour
        self.files = self.fixed = 0

    def __call__(self, file) -> None:
        from nbfix.report.text import colourise, unified_diff

        if not file.changed:
            return
        text = unified_diff(file.source.display, file.source.raw, file.source.with_content(file.new_content))
        sys.stdout.write(colourise(text) if self.colour else text)
        self.files += 1
        self.fixed += len(file.fixed)


def _show_diff(result, printer: _DiffPrinter | None = None) -> int:
    """The diffs of `result.files` (after those `printer` showed during the run), a summary on
    stderr, and the exit code."""
    from nbfix.report.text import plural

    printer = printer or _DiffPrinter()
    for file in result.files:
        printer(file)
    if not printer.quiet:
        print(f"Would fix {plural(printer.fixed, 'finding')} in {plural(printer.files, 'file')}.", file=sys.stderr)
    commands.print_errors(result.warnings + result.errors)
    return EXIT_ERROR if result.errors else EXIT_FINDINGS if printer.files else EXIT_CLEAN


@app.command()
def diff(
    paths: Optional[List[Path]] = PathsArg,
    select: Optional[List[str]] = _option("select"),
    ignore: Optional[List[str]] = _option("ignore"),
    priority: Optional[str] = _option("priority"),
    config: Optional[Path] = _option("config"),
    unsafe_fixes: Optional[bool] = _option("unsafe_fixes"),
    force_exclude: Optional[bool] = _option("force_exclude"),
    jobs: Optional[int] = _option("jobs"),
    no_cache: bool = _option("no_cache"),
    quiet: bool = _option("quiet"),
    exit_zero: bool = _option("exit_zero"),
    color: str = _option("color"),
) -> None:
    """Show the fixes as a unified diff (git apply accepts it); change no source file. Exit 1 if
    any. Keeps what it learns in .nbfix_cache/ (--no-cache: not)."""
    raise _exit(_diff(paths, select, ignore, priority, config, unsafe_fixes, force_exclude, jobs, no_cache,
                      quiet, color), exit_zero)


def _diff(paths, select, ignore, priority, config, unsafe_fixes, force_exclude, jobs, no_cache, quiet, color) -> int:
    def body() -> int:
        settings = commands.settings_for(config, select, ignore, priority, unsafe_fixes, force_exclude)
        progress = commands.progress_bar()
        printer = _DiffPrinter(use_colour(color), quiet)  # file by file: a big run keeps no file contents
        result = commands.run_paths(paths, settings, True, jobs=jobs, no_cache=no_cache, progress=progress,
                                    consume=printer)
        return _show_diff(result, printer)

    return commands.guarded(body)


@app.command()
def apply(
    paths: Optional[List[Path]] = PathsArg,
    select: Optional[List[str]] = _option("select"),
    ignore: Optional[List[str]] = _option("ignore"),
    priority: Optional[str] = _option("priority"),
    config: Optional[Path] = _option("config"),
    unsafe_fixes: Optional[bool] = _option("unsafe_fixes"),
    force_exclude: Optional[bool] = _option("force_exclude"),
    output_format: str = _option("output_format"),
    output_file: Optional[Path] = _option("output_file"),
    statistics: bool = _option("statistics"),
    dry_run: bool = _option("dry_run"),
    exit_non_zero_on_fix: bool = _option("exit_non_zero_on_fix"),
    interactive: bool = _option("interactive"),
    show_fixes: bool = _option("show_fixes"),
    fix_only: bool = _option("fix_only"),
    jobs: Optional[int] = _option("jobs"),
    no_cache: bool = _option("no_cache"),
    quiet: bool = _option("quiet"),
    exit_zero: bool = _option("exit_zero"),
    color: str = _option("color"),
) -> None:
    """Apply safe fixes (and unsafe ones with --unsafe-fixes) in place; report what remains."""
    from nbfix.cli import applying

    if not (dry_run or interactive):
        raise _exit(applying.apply(
            paths, select, ignore, priority, config, unsafe_fixes, force_exclude, output_format, output_file,
            statistics, exit_non_zero_on_fix, show_fixes, jobs, no_cache, progress=commands.progress_bar(),
            quiet=quiet, fix_only=fix_only,
        ), exit_zero)

    def body() -> int:
        fmt = commands.check_format(output_format)
        settings = commands.settings_for(config, select, ignore, priority, unsafe_fixes, force_exclude)
        decide = None
        if interactive:
            if not sys.stdin.isatty():
                raise commands.UsageError("--interactive needs a terminal on standard input; use `nbfix diff` to review")
            from nbfix.report.review import Reviewer, python_preview

            decide = Reviewer(python_preview=lambda moves: python_preview(settings, moves))
        printer = _DiffPrinter(use_colour(color), quiet) if dry_run and not interactive else None  # as `diff`
        result = commands.run_paths(
            paths, settings, True, decide, jobs, no_cache, progress=None if interactive else commands.progress_bar(),
            consume=printer,
        )
        if dry_run:
            return _show_diff(result, printer)
        report = applying.Report(settings, fmt, output_file, statistics, exit_non_zero_on_fix, show_fixes, quiet, fix_only)
        return applying.finish(result, report, paths, jobs, no_cache)

    raise _exit(commands.guarded(body), exit_zero)


@app.command()
def clean(config: Optional[Path] = _option("config")) -> None:
    """Remove the cache (.nbfix_cache/ next to the configuration, or here)."""

    def body() -> int:
        from nbfix.run.cache import CACHE_DIR
        from nbfix.run.cache import clean as remove_cache
        from nbfix.run.config import load_settings

        root = load_settings(config).root
        if remove_cache(root):
            print(f"Removed {root / CACHE_DIR}.", file=sys.stderr)
        return EXIT_CLEAN

    raise typer.Exit(commands.guarded(body))


@app.command()
def rules(
    markdown: bool = _option("markdown"),
) -> None:
    """List every rule: code, name, priority, fix safety."""

    def body() -> int:
        from nbfix.rules.registry import all_rules

        if markdown:
            from nbfix.rules.docs import rule_reference

            sys.stdout.write(rule_reference(all_rules()))
            return EXIT_CLEAN
        rows = [(r.code, r.name, r.priority.value, r.fix_safety.value, r.summary) for r in all_rules()]
        header = ("code", "name", "priority", "fix", "summary")
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
        for row in [header, *rows]:
            print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[4])
        return EXIT_CLEAN

    raise typer.Exit(commands.guarded(body))


@app.command()
def explain(rule: str = typer.Argument(..., help="A rule code or name, e.g. NB101.")) -> None:
    """Print a rule's documentation."""

    def body() -> int:
        from nbfix.rules.registry import all_rules

        matches = [r for r in all_rules() if rule.upper() == r.code or rule.lower() == r.name]
        if not matches:
            from nbfix.rules.registry import did_you_mean

            raise commands.UsageError(f"unknown rule '{rule}'{did_you_mean(rule)}")
        r = matches[0]
        print(f"{r.code} ({r.name}) · priority {r.priority.value} · fix {r.fix_safety.value}\n")
        print(r.documentation())
        return EXIT_CLEAN

    raise typer.Exit(commands.guarded(body))


@app.command()
def port(
    paths: Optional[List[Path]] = PathsArg,
    config: Optional[Path] = _option("config"),
    ignore: Optional[List[str]] = _option("ignore"),
    target_version: Optional[int] = _option("target_version"),
    show_diff: bool = _option("diff"),
    no_lint: bool = _option("no_lint"),
    output_format: str = _option("port_format"),
    output_file: Optional[Path] = _option("output_file"),
    quiet: bool = _option("quiet"),
    exit_zero: bool = _option("exit_zero"),
    color: str = _option("color"),
) -> None:
    """Port pybind11 code to nanobind in place (--diff: show it, change nothing), then run the
    other rules over the result; report what was rewritten and what needs a person. Exit 1 if
    anything needs a person (or, with --diff, would change)."""
    from nbfix.cli import porting

    def body() -> int:
        return porting.port(paths, config, ignore, target_version, show_diff, no_lint, output_format, output_file,
                            quiet, use_colour(color))

    raise _exit(commands.guarded(body), exit_zero)


@app.command()
def server() -> None:
    """Run the language server on standard input and output (LSP): diagnostics as you type, fixes
    as code actions. Settings come from the workspace's configuration, as for `check`."""
    from nbfix.server.lsp import serve  # pygls loads only here: other commands start as fast as before

    serve()


def _version(value: bool) -> None:
    if value:
        print(f"nbfix {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """Find and fix defects in nanobind and pybind11 bindings."""

