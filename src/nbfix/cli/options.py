"""Every command-line option, once: its flags, kind, default and help. The typer application
(`cli/app.py`) and the quick start-up path (`cli/quick.py`) are both built from this table, so
the two cannot drift apart. Nothing here imports typer."""

from typing import NamedTuple


class Option(NamedTuple):
    flags: tuple[str, ...]  # a switch: (on, off); every other kind: its spellings
    kind: str  # "texts" (repeatable), "text", "path", "int", "flag" (False unless given), "switch"
    help: str
    default: object = None


OPTIONS: dict[str, Option] = {
    "select": Option(("--select",), "texts", "Only these rules: code, code prefix (NB1) or name."),
    "ignore": Option(("--ignore",), "texts", "Skip these rules: code, code prefix or name."),
    "priority": Option(("--priority",), "text", "Threshold: high, medium (default) or low."),
    "config": Option(("--config",), "path", "Read settings from this file instead of searching."),
    "unsafe_fixes": Option(("--unsafe-fixes", "--no-unsafe-fixes"), "switch", "Also apply unsafe fixes."),
    "force_exclude": Option(
        ("--force-exclude", "--no-force-exclude"), "switch", "Apply excludes to paths named on the command line too."
    ),
    "output_format": Option(
        ("--output-format",), "text", "text, concise, json, json-lines, sarif or github.", "text"
    ),
    "port_format": Option(("--output-format",), "text", "The port report: text or json.", "text"),
    "output_file": Option(("--output-file", "-o"), "path", "Write the findings to this file."),
    "statistics": Option(("--statistics",), "flag", "Print counts per rule instead of findings.", False),
    "jobs": Option(("--jobs", "-j"), "int", "Worker processes (default: one per core for big runs)."),
    "no_cache": Option(
        ("--no-cache",), "flag",
        "Neither read nor write .nbfix_cache/ (every command but `clean` writes it otherwise).", False,
    ),
    "quiet": Option(("--quiet", "-q"), "flag", "Print findings, diffs and errors only: no summary lines.", False),
    "exit_zero": Option(
        ("--exit-zero",), "flag", "Exit 0 even when findings remain (errors still exit 2).", False
    ),
    "color": Option(
        ("--color",), "text",
        "Colour diffs: auto (a terminal, unless NO_COLOR; FORCE_COLOR forces), always or never.", "auto",
    ),
    "fix": Option(("--fix",), "flag", "Apply the fixes (as `nbfix apply`).", False),
    "diff": Option(("--diff",), "flag", "Show the fixes as a diff, change nothing (as `nbfix diff`).", False),
    "dry_run": Option(("--dry-run",), "flag", "Show the diff instead of writing (as `nbfix diff`).", False),
    "exit_non_zero_on_fix": Option(
        ("--exit-non-zero-on-fix",), "flag", "Exit 1 when any file was written (for pre-commit).", False
    ),
    "interactive": Option(("--interactive", "-i"), "flag", "Show each fix and ask before applying it.", False),
    "show_fixes": Option(("--show-fixes",), "flag", "List the fixes that were applied.", False),
    "fix_only": Option(
        ("--fix-only",), "flag", "Apply fixes; neither report nor fail on what remains (as ruff's --fix-only).", False
    ),
    "markdown": Option(("--markdown",), "flag", "Print the full rule reference in Markdown.", False),
    "target_version": Option(
        ("--target-version",), "int", "nanobind major version to port to: 2 or 3 (default: the one installed, else 3)."
    ),
    "no_lint": Option(("--no-lint",), "flag", "Port only: do not run the other rules over the result.", False),
}

_COMMON = ("select", "ignore", "priority", "config", "unsafe_fixes", "force_exclude")
_REPORT = ("output_format", "output_file", "statistics")
_RUN = ("jobs", "no_cache", "quiet", "exit_zero")

# Each command's options, in the order `--help` lists them.
COMMANDS: dict[str, tuple[str, ...]] = {
    "check": (*_COMMON, *_REPORT, *_RUN, "fix", "diff", "color"),
    "diff": (*_COMMON, *_RUN, "color"),
    "apply": (
        *_COMMON, *_REPORT, "dry_run", "exit_non_zero_on_fix", "interactive", "show_fixes", "fix_only", *_RUN, "color",
    ),
    "clean": ("config",),
    "rules": ("markdown",),
    "port": ("config", "ignore", "target_version", "diff", "no_lint", "port_format", "output_file", "quiet",
             "exit_zero", "color"),
    "server": (),  # settings come from the workspace's configuration; debounce from initializationOptions
}

# What the quick start-up path takes; anything else (help, `apply --dry-run`, `check --diff`, a
# misspelt option) goes to typer. `color` only matters for diffs, which the quick path never shows.
QUICK: dict[str, tuple[str, ...]] = {
    "check": (*_COMMON, *_REPORT, *_RUN),
    "apply": (*_COMMON, *_REPORT, "exit_non_zero_on_fix", "show_fixes", "fix_only", *_RUN),
}
