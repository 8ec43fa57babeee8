"""Preprocessor lines inside a method chain, hidden from tree-sitter.

tree-sitter-cpp parses `#if`/`#endif` as statements or declarations, never inside an expression.
A binding chain with a conditional `.def` in it (pyopencl's style, pybind11's own tests) becomes
one ERROR node, often the whole file, and nothing in it can be checked or fixed:

    py::class_<device>(m, "Device")
        .def("get_info", &device::get_info)
    #if PYOPENCL_CL_VERSION >= 0x1020
        .def("create_sub_devices", &device::create_sub_devices)
    #endif
        ;

The parser is given the file with such lines blanked (same length, so every offset holds): the
chain then parses as every branch joined. A dead branch (`#if 0`, the rest of an `#if 1`) is
blanked whole. So is a macro call standing for chain links (`PYOPENCL_EXPOSE_TO_FROM_INT_PTR(x)`
between two links, without the dot). The blanked lines are not code: no edit may touch them.

A conditional is hidden only where the code before it runs on into it (its last line does not end
a statement, block or label) and its first branch continues a chain (starts with `.` or `->`).
Measured on mlx, drjit, pyopencl and pybind11 (sources and tests): parse-error bytes fell
from 1,006,045 to 938,459 and no file parsed worse.
"""

from __future__ import annotations

from functools import lru_cache

from nbfix.core.patterns import LazyPattern

_CONDITIONAL = LazyPattern(rb"(?m)^[ \t]*#[ \t]*(if|ifdef|ifndef|elif|else|endif)\b")
_MACRO_LINK = LazyPattern(rb"(?m)^[ \t]*[A-Z][A-Z0-9_]*[ \t]*\([^;{}\n]*\)[ \t\r]*$")
_CONSTANT = LazyPattern(rb"[ \t]*#[ \t]*(?:if|elif)[ \t]+(0|1|false|true)[ \t]*(?://.*|/\*.*)?\r?$")
_ENDS_STATEMENT = b";{}:,"
_LINE_ENDS = b"\r\n"


@lru_cache(maxsize=8)
def hidden_lines(content: bytes) -> tuple[tuple[int, int], ...]:
    """The byte ranges blanked for the parser, sorted (their line ends stay)."""
    if b"#" not in content:
        return ()
    lines = _Lines(content)
    links = [
        (m.start(), m.end()) for m in _MACRO_LINK.finditer(content)
        if lines.code_before(m.start()).endswith(b")") and lines.code_after(m.end()).startswith((b".", b";"))
    ]
    lines.skipped.update(start for start, _ in links)
    hidden = [(start, lines.end_of(start)) for start, _ in links]
    for group in _groups(content):
        first = group[0]
        before, after = lines.code_before(first), lines.code_after(lines.end_of(first))
        if before and before[-1:] not in _ENDS_STATEMENT and after.startswith((b".", b"->")):
            hidden.extend(_group_ranges(content, lines, group))
    return tuple(sorted(hidden))


def blanked(content: bytes) -> bytes:
    """The content as the parser gets it: hidden lines turned to spaces, line ends kept."""
    ranges = hidden_lines(content)
    if not ranges:
        return content
    out = bytearray(content)
    for start, end in ranges:
        out[start:end] = bytes(byte if byte in _LINE_ENDS else 0x20 for byte in content[start:end])
    return bytes(out)


def logical_line_end(content: bytes, start: int) -> int:
    """The end of the line at `start` with its backslash continuations, before its line end."""
    end = content.find(b"\n", start)
    while end > 0 and content[max(start, end - 2):end].rstrip(b"\r").endswith(b"\\"):
        end = content.find(b"\n", end + 1)
    end = len(content) if end < 0 else end
    return end - 1 if end > start and content[end - 1:end] == b"\r" else end


def _groups(content: bytes) -> list[list[int]]:
    """Each `#if ... #endif` as the start offsets of its directive lines, nested ones apart."""
    groups, open_groups = [], []
    for match in _CONDITIONAL.finditer(content):
        kind = match[1]
        if kind in (b"if", b"ifdef", b"ifndef"):
            open_groups.append([match.start()])
        elif open_groups:
            open_groups[-1].append(match.start())
            if kind == b"endif":
                groups.append(open_groups.pop())
    return groups


def _group_ranges(content: bytes, lines: _Lines, group: list[int]) -> list[tuple[int, int]]:
    """The directive lines of a group, and the branches the preprocessor never compiles."""
    ranges = []
    taken = False  # an earlier `#if 1` branch: every later branch is dead
    for index, start in enumerate(group):
        end = lines.end_of(start)
        ranges.append((start, end))
        if index + 1 == len(group):
            break
        constant = _CONSTANT.match(content, start, end)
        value = constant[1] if constant else None
        if taken or value in (b"0", b"false"):
            ranges.append((content.find(b"\n", end) + 1, group[index + 1]))  # its lines, whole
        taken = taken or value in (b"1", b"true")
    return ranges


class _Lines:
    """Finding the code next to an offset: the nearest line that is not blank, a comment, a
    preprocessor line (or its continuation) or a line already hidden."""

    def __init__(self, content: bytes) -> None:
        self.content = content
        self.skipped: set[int] = set()

    def end_of(self, start: int) -> int:
        return logical_line_end(self.content, start)

    def code_before(self, offset: int) -> bytes:
        content = self.content
        end = content.rfind(b"\n", 0, offset)
        while end >= 0:
            start = content.rfind(b"\n", 0, end) + 1
            code = self._code(start, end)
            if code is not None:
                return code
            end = start - 1
        return b""

    def code_after(self, offset: int) -> bytes:
        content = self.content
        start = content.find(b"\n", offset)
        while start >= 0:
            start += 1
            end = content.find(b"\n", start)
            end = len(content) if end < 0 else end
            code = self._code(start, end)
            if code is not None:
                return code
            start = end if end < len(content) else -1
        return b""

    def _code(self, start: int, end: int) -> bytes | None:
        line = self.content[start:end]
        if start in self.skipped or line.rstrip().endswith(b"\\"):
            return None
        code = _without_comment(line).strip()
        if not code or code.startswith((b"#", b"/*", b"*")):
            return None
        return code


def _without_comment(line: bytes) -> bytes:
    """The line up to a `//` comment that is not inside a string or character literal."""
    comment = line.find(b"//")
    if comment < 0:
        return line
    if b'"' not in line[:comment] and b"'" not in line[:comment]:
        return line[:comment]
    quote = None
    index = 0
    while index < len(line):
        char = line[index:index + 1]
        if quote:
            if char == b"\\":
                index += 1
            elif char == quote:
                quote = None
        elif char in (b'"', b"'"):
            quote = char
        elif line.startswith(b"//", index):
            return line[:index]
        index += 1
    return line
