"""Human output: finding lines, summaries, unified diffs."""

from __future__ import annotations

from nbfix.core.findings import fixable
from nbfix.core.result import Located

_COLOURS = {"+": "\x1b[32m", "-": "\x1b[31m", "@": "\x1b[36m"}
_RESET = "\x1b[0m"


def finding_line(path: str, item: Located, unsafe_fixes: bool) -> str:
    marker = "[*] " if fixable(item.finding.fix, unsafe_fixes) else ""
    return f"{path}:{item.line}:{item.column}: {item.finding.code} {marker}{item.finding.message}"


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _split_lines(text: str) -> list[str]:
    lines = text.split("\n")
    result = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        result.append(lines[-1])
    return result


def unified_diff(path: str, before: bytes, after: bytes, created: bool = False) -> str:
    """A diff `git apply` accepts: a/ and b/ prefixes (/dev/null before a file it creates),
    '\\ No newline at end of file' markers."""
    import difflib  # only the diff commands need it

    out = []
    name = path.lstrip("/")
    lines = difflib.unified_diff(
        _split_lines(before.decode("utf-8")), _split_lines(after.decode("utf-8")),
        "/dev/null" if created else f"a/{name}", f"b/{name}",
    )
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def colourise(diff: str) -> str:
    out = []
    for line in diff.splitlines(keepends=True):
        colour = None if line.startswith(("+++", "---")) else _COLOURS.get(line[:1])
        out.append(f"{colour}{line.rstrip(chr(10))}{_RESET}\n" if colour else line)
    return "".join(out)
