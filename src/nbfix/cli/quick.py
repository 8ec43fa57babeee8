"""The quick start-up path: `nbfix check` and `nbfix apply` parsed without building the typer
application (neither typer nor rich is imported here), from the same options table."""

from __future__ import annotations

import os
from pathlib import Path

from nbfix.cli.commands import check, progress_bar, with_exit_zero
from nbfix.cli.options import OPTIONS, QUICK


def _spellings(command: str) -> dict[str, tuple[str, object]]:
    """flag -> (option key, the value a flag or switch sets; None: the option takes a value)."""
    table: dict[str, tuple[str, object]] = {}
    for key in QUICK[command]:
        option = OPTIONS[key]
        if option.kind == "switch":
            table[option.flags[0]], table[option.flags[1]] = (key, True), (key, False)
        else:
            for flag in option.flags:
                table[flag] = (key, True if option.kind == "flag" else None)
    return table


def quick(argv: list[str]) -> int | None:
    """`nbfix check` and `nbfix apply` run without building the typer application (pre-commit,
    editors and CI call them on every commit). None: anything it does not take exactly as typer
    would (help, a bad or unknown option, `apply --dry-run` or `--interactive`), for the full CLI."""
    if not argv or argv[0] not in QUICK or os.environ.get("NBFIX_NO_QUICK"):
        return None
    spellings = _spellings(argv[0])
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
        if name not in spellings or (has_value and not name.startswith("--")):
            return None  # unknown, or click's reading of `-o=x` (the value `=x`): typer decides
        key, setting = spellings[name]
        if setting is not None:
            if has_value:
                return None
            options[key] = setting
            continue
        value = value if has_value else next(args, None)
        if value is None or value.startswith("-") and not has_value:
            return None
        kind = OPTIONS[key].kind
        if kind == "texts":
            options.setdefault(key, []).append(value)
        elif kind == "int":
            if not value.isdigit():
                return None
            options[key] = int(value)
        else:
            options[key] = Path(value) if kind == "path" else value
    if any(str(path) == "" for path in paths):
        return None
    exit_zero = options.pop("exit_zero", False)
    if argv[0] == "apply":
        from nbfix.cli.applying import apply

        code = apply(paths or None, progress=progress_bar(), **options)
    else:
        code = check(paths or None, progress=progress_bar(), **options)
    return with_exit_zero(code, exit_zero)
