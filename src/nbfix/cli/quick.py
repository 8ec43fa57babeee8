"""The quick start-up path: `nbfix check` and `nbfix apply` parsed without building the typer
application (neither typer nor rich is imported here)."""

from __future__ import annotations

import os
from pathlib import Path

from nbfix.cli.commands import check, progress_bar

_QUICK_FLAGS = {"--force-exclude": ("force_exclude", True), "--no-force-exclude": ("force_exclude", False),
                "--unsafe-fixes": ("unsafe_fixes", True), "--no-unsafe-fixes": ("unsafe_fixes", False),
                "--no-cache": ("no_cache", True), "--statistics": ("statistics", True)}
_QUICK_APPLY_FLAGS = {"--exit-non-zero-on-fix": ("exit_non_zero_on_fix", True), "--show-fixes": ("show_fixes", True),
                      "--fix-only": ("fix_only", True)}
_QUICK_VALUES = {"--select": "select", "--ignore": "ignore", "--priority": "priority", "--config": "config",
                 "--output-format": "output_format", "--output-file": "output_file", "-o": "output_file",
                 "--jobs": "jobs", "-j": "jobs"}


def quick(argv: list[str]) -> int | None:
    """`nbfix check` and `nbfix apply` run without building the typer application (pre-commit,
    editors and CI call them on every commit). None: anything it does not take exactly as typer
    would (help, a bad or unknown option, `apply --dry-run` or `--interactive`), for the full CLI."""
    if not argv or argv[0] not in ("check", "apply") or os.environ.get("NBFIX_NO_QUICK"):
        return None
    flags = {**_QUICK_FLAGS, **_QUICK_APPLY_FLAGS} if argv[0] == "apply" else _QUICK_FLAGS
    options: dict = {}
    paths: list[Path] = []
    args = iter(argv[1:])
    for arg in args:
        if arg == "--":
            paths += [Path(rest) for rest in args]
            break
        if not arg.startswith("-"):
            paths.append(Path(arg))
            continue
        name, has_value, value = arg.partition("=")
        if name in flags and not has_value:
            key, flag = flags[name]
            options[key] = flag
        elif name in _QUICK_VALUES and not (name in ("-o", "-j") and has_value):
            value = value if has_value else next(args, None)
            if value is None or value.startswith("-") and not has_value:
                return None
            key = _QUICK_VALUES[name]
            if key in ("select", "ignore"):
                options.setdefault(key, []).append(value)
            elif key == "jobs":
                if not value.isdigit():
                    return None
                options[key] = int(value)
            elif key in ("config", "output_file"):
                options[key] = Path(value)
            else:
                options[key] = value
        else:
            return None
    if any(str(path) == "" for path in paths):
        return None
    if argv[0] == "apply":
        from nbfix.cli.applying import apply

        return apply(paths or None, progress=progress_bar(), **options)
    return check(paths or None, progress=progress_bar(), **options)
