"""What `nbfix port` does once its arguments are known: port, then write (through the one writer)
or show the diff, then the port report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional, Sequence

from nbfix.cli import commands
from nbfix.cli.commands import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS

TARGET_VERSIONS = (2, 3)


def port(
    paths: Optional[Sequence[Path]],
    config: Optional[Path],
    ignore: Optional[Sequence[str]],
    target_version: Optional[int],
    show_diff: bool,
    no_lint: bool,
    output_format: str,
    output_file: Optional[Path],
    quiet: bool,
    colour: bool,
) -> int:
    def body() -> int:
        from nbfix.port.files import write_results
        from nbfix.port.sides import default_target_version
        from nbfix.port.session import port as port_files
        from nbfix.report.porting import FORMATS

        if output_format not in FORMATS:
            raise commands.UsageError(f"port reports as {' or '.join(FORMATS)}, not '{output_format}'")
        target = default_target_version() if target_version is None else target_version
        if target not in TARGET_VERSIONS:
            raise commands.UsageError(f"--target-version must be 2 or 3, not {target}")
        settings = commands.settings_for(config, None, ignore, None, None)
        result = port_files(list(paths) if paths else [Path(".")], settings, target, lint=not no_lint)
        errors = list(result.errors)
        if show_diff:
            _print_diffs(result.files, colour)
        else:
            errors += write_results(result.files)
        if not quiet or output_file is not None:
            commands.emit(FORMATS[output_format](result.files, not show_diff), output_file)
        commands.print_errors(result.warnings + errors)
        if errors:
            return EXIT_ERROR
        changed = any(f.changed for f in result.files)
        needs_a_person = any(f.remaining for f in result.files)
        return EXIT_FINDINGS if needs_a_person or (show_diff and changed) else EXIT_CLEAN

    return commands.guarded(body)


def _print_diffs(files, colour: bool) -> None:
    from nbfix.port.files import is_new
    from nbfix.report.text import colourise, unified_diff

    for file in files:
        if file.changed:
            after = file.source.with_content(file.new_content)
            text = unified_diff(file.source.display, file.source.raw, after, is_new(file))
            sys.stdout.write(colourise(text) if colour else text)
