"""The `nbfix` command line. Exit codes: 0 clean, 1 findings (or changes), 2 usage/config/IO error."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from nbfix import __version__

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

app = typer.Typer(
    name="nbfix",
    help="Find and fix defects in nanobind and pybind11 bindings.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

# readable=False: an unreadable file is reported by nbfix itself, and the other files still run.
PathsArg = typer.Argument(
    None, help="Files or folders to process (default: .).", show_default=False, readable=False
)
SelectOpt = typer.Option(None, "--select", help="Only these rules: code, code prefix (NB1) or name.")
IgnoreOpt = typer.Option(None, "--ignore", help="Skip these rules: code, code prefix or name.")
PriorityOpt = typer.Option(None, "--priority", help="Threshold: high, medium (default) or low.")
ConfigOpt = typer.Option(None, "--config", help="Read settings from this file instead of searching.")
UnsafeOpt = typer.Option(None, "--unsafe-fixes/--no-unsafe-fixes", help="Also apply unsafe fixes.")


def _fail(message: str) -> typer.Exit:
    print(f"nbfix: error: {message}", file=sys.stderr)
    return typer.Exit(EXIT_ERROR)


def _split(values: Optional[List[str]]) -> tuple[str, ...] | None:
    if values is None:
        return None
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def _settings(config, select, ignore, priority, unsafe):
    from nbfix.config import load_settings, parse_priority

    settings = load_settings(config)
    ignored = _split(ignore)
    return settings.with_overrides(
        select=_split(select),
        ignore=(settings.ignore + ignored) if ignored else None,
        priority=parse_priority(priority) if priority is not None else None,
        unsafe_fixes=unsafe,
    )


def _run(paths, settings, fix: bool):
    from nbfix.config import selected_rules
    from nbfix.runner import run

    selected_rules(settings)  # an unknown selector is an error before any file is read
    return run(list(paths) if paths else [Path(".")], settings, fix)


def _print_errors(errors: list[str]) -> None:
    for error in errors:
        print(f"nbfix: error: {error}", file=sys.stderr)


def _guarded(body):
    """Turn configuration and plugin errors into one line on stderr and exit code 2."""
    from nbfix.config import ConfigError
    from nbfix.registry import RegistryError

    try:
        return body()
    except (ConfigError, RegistryError) as exc:
        raise _fail(str(exc)) from None


@app.command()
def check(
    paths: Optional[List[Path]] = PathsArg,
    select: Optional[List[str]] = SelectOpt,
    ignore: Optional[List[str]] = IgnoreOpt,
    priority: Optional[str] = PriorityOpt,
    config: Optional[Path] = ConfigOpt,
    unsafe_fixes: Optional[bool] = UnsafeOpt,
) -> None:
    """Report findings, one line each: path:line:col: CODE [*] message ([*]: fixable)."""

    def body():
        from nbfix.report import check_summary, finding_line

        settings = _settings(config, select, ignore, priority, unsafe_fixes)
        result = _run(paths, settings, fix=False)
        for file in result.files:
            for item in file.remaining:
                print(finding_line(file.source.display, item, settings.unsafe_fixes))
        print(check_summary(result.files, settings.unsafe_fixes))
        _print_errors(result.errors)
        code = EXIT_ERROR if result.errors else EXIT_FINDINGS if result.remaining else EXIT_CLEAN
        raise typer.Exit(code)

    _guarded(body)


def _show_diff(result) -> int:
    from nbfix.report import colourise, plural, unified_diff

    colour = sys.stdout.isatty()
    changed = [f for f in result.files if f.changed]
    for file in changed:
        text = unified_diff(file.source.display, file.source.raw, file.source.with_content(file.new_content))
        sys.stdout.write(colourise(text) if colour else text)
    fixed = sum(len(f.fixed) for f in changed)
    print(f"Would fix {plural(fixed, 'finding')} in {plural(len(changed), 'file')}.", file=sys.stderr)
    _print_errors(result.errors)
    return EXIT_ERROR if result.errors else EXIT_FINDINGS if changed else EXIT_CLEAN


@app.command()
def diff(
    paths: Optional[List[Path]] = PathsArg,
    select: Optional[List[str]] = SelectOpt,
    ignore: Optional[List[str]] = IgnoreOpt,
    priority: Optional[str] = PriorityOpt,
    config: Optional[Path] = ConfigOpt,
    unsafe_fixes: Optional[bool] = UnsafeOpt,
) -> None:
    """Show the fixes as a unified diff (git apply accepts it); change nothing. Exit 1 if any."""

    def body():
        settings = _settings(config, select, ignore, priority, unsafe_fixes)
        raise typer.Exit(_show_diff(_run(paths, settings, fix=True)))

    _guarded(body)


@app.command()
def apply(
    paths: Optional[List[Path]] = PathsArg,
    select: Optional[List[str]] = SelectOpt,
    ignore: Optional[List[str]] = IgnoreOpt,
    priority: Optional[str] = PriorityOpt,
    config: Optional[Path] = ConfigOpt,
    unsafe_fixes: Optional[bool] = UnsafeOpt,
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the diff instead of writing (as `nbfix diff`)."),
    exit_non_zero_on_fix: bool = typer.Option(
        False, "--exit-non-zero-on-fix", help="Exit 1 when any file was written (for pre-commit)."
    ),
) -> None:
    """Apply safe fixes (and unsafe ones with --unsafe-fixes) in place."""

    def body():
        from nbfix.report import finding_line, plural
        from nbfix.writer import WriteError, write_atomic

        settings = _settings(config, select, ignore, priority, unsafe_fixes)
        result = _run(paths, settings, fix=True)
        if dry_run:
            raise typer.Exit(_show_diff(result))
        written = fixed = 0
        for file in result.files:
            if not file.changed:
                continue
            try:
                write_atomic(file.source, file.new_content)
            except WriteError as exc:
                result.errors.append(str(exc))
                continue
            written += 1
            fixed += len(file.fixed)
        for file in result.files:
            for item in file.remaining:
                print(finding_line(file.source.display, item, settings.unsafe_fixes))
        remaining = result.remaining
        print(f"Fixed {plural(fixed, 'finding')} in {plural(written, 'file')} ({remaining} remaining).")
        _print_errors(result.errors)
        if result.errors:
            raise typer.Exit(EXIT_ERROR)
        if remaining or (exit_non_zero_on_fix and written):
            raise typer.Exit(EXIT_FINDINGS)
        raise typer.Exit(EXIT_CLEAN)

    _guarded(body)


@app.command()
def rules(
    markdown: bool = typer.Option(False, "--markdown", help="Print the full rule reference in Markdown."),
) -> None:
    """List every rule: code, name, priority, fix safety."""

    def body():
        from nbfix.registry import all_rules

        if markdown:
            from nbfix.docs import rule_reference

            sys.stdout.write(rule_reference(all_rules()))
            return
        rows = [(r.code, r.name, r.priority.value, r.fix_safety.value, r.summary) for r in all_rules()]
        header = ("code", "name", "priority", "fix", "summary")
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
        for row in [header, *rows]:
            print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[4])

    _guarded(body)


@app.command()
def explain(rule: str = typer.Argument(..., help="A rule code or name, e.g. NB101.")) -> None:
    """Print a rule's documentation."""

    def body():
        from nbfix.registry import all_rules

        matches = [r for r in all_rules() if rule.upper() == r.code or rule.lower() == r.name]
        if not matches:
            known = ", ".join(r.code for r in all_rules())
            raise _fail(f"unknown rule '{rule}' (codes: {known})")
        r = matches[0]
        print(f"{r.code} ({r.name}) · priority {r.priority.value} · fix {r.fix_safety.value}\n")
        print(r.documentation())

    _guarded(body)


def _version(value: bool) -> None:
    if value:
        print(f"nbfix {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """Find and fix defects in nanobind and pybind11 bindings."""


def main() -> None:
    app()
