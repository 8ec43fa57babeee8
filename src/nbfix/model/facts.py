"""What other files need to know about one file's bindings, read from its text (and, for reprs, its tree)."""

import re
from typing import Iterable

from tree_sitter import Tree

from nbfix.core.patterns import LazyPattern
from nbfix.core.phases import phase
from nbfix.cpp.parsing import found_in
from nbfix.cpp.syntax import node_text, string_value
from nbfix.index import declarations
from nbfix.index.casters import first_template_argument, opaque_types
from nbfix.index.declarations import ProjectIndex, file_declarations
from nbfix.model.bindings import ClassBinding
from nbfix.model.builder import BINDING_QUERY, Builder
from nbfix.model.dialect import detect_dialect, file_captures

_EXTENSION = LazyPattern(rb"\b(?:NB_MODULE|PYBIND11_MODULE)\s*\(\s*(\w+)")
_MODULE_SUFFIX = LazyPattern(rb"_MODULE\b")
_REGISTERED = LazyPattern(rb"\b(?:exception|register_exception|register_local_exception)\s*<\s*([\w:]+)\s*>\s*\(")
_CAUGHT = LazyPattern(rb"\bcatch\s*\(\s*(?:const\s+)?([\w:]+)\s*&")


_BOUND_TYPE = LazyPattern(r"\b(?:class_|enum_)\s*(<)")

def registered_exceptions(content: bytes) -> set[str]:
    """Exception classes a file registers: `exception<T>(...)`, `register_exception<T>(...)`, or
    a `register_exception_translator` that catches `T&`."""
    if b"exception" not in content:  # in every spelling; a scan for the pattern costs about 15 ms per MB
        return set()
    names = {declarations.short_name(m[1].decode()) for m in _REGISTERED.finditer(content)}
    if b"register_exception_translator" in content:
        names |= {declarations.short_name(m[1].decode()) for m in _CAUGHT.finditer(content)}
    return names


def bound_types(content: bytes) -> set[str]:
    """The C++ types this file binds: `class_<T>`, `enum_<T>`, opaque containers (squashed).
    No file of the project may add a type caster for a bound `std::` type (nanobind refuses to
    compile one, and elsewhere it silently takes over its conversions); a bound type converts."""
    if b"class_" not in content and b"enum_" not in content and b"OPAQUE" not in content and b"bind_" not in content:
        return set()
    text = content.decode("utf-8", "replace")
    found = opaque_types(text) if b"OPAQUE" in content or b"bind_" in content else set()
    for hit in _BOUND_TYPE.finditer(text):
        found.add(first_template_argument(text, hit.start(1)))
    if b"using" in content or b"typedef" in content:  # `NB_MAKE_OPAQUE(info_map)` binds what the alias names
        aliases = {m["name"] or m["name2"]: "".join((m["type"] or m["type2"]).split()) for m in _TYPE_ALIAS.finditer(text)}
        found |= {aliases[t] for t in found if t in aliases}
    return {t.lstrip(":") for t in found if t}


_TYPE_ALIAS = LazyPattern(
    r"\busing\s+(?P<name>\w+)\s*=\s*(?:typename\s+)?(?P<type>[^;{}]+);|\btypedef\s+(?P<type2>[^;{}]+?)\s*\b(?P<name2>\w+)\s*;"
)


def extension_modules(content: bytes) -> set[str]:
    """The names in `NB_MODULE(name, m)` and `PYBIND11_MODULE(name, m)`: what `_EXTENSION.finditer`
    finds, but the pattern is tried only where `_MODULE` is (ten times faster than a scan)."""
    names = set()
    end = 0
    for hit in _MODULE_SUFFIX.finditer(content):
        for start in (hit.start() - len(b"PYBIND11"), hit.start() - len(b"NB")):
            found = _EXTENSION.match(content, start) if start >= max(end, 0) else None
            if found is not None:
                names.add(found[1].decode())
                end = found.end()
    return names


_PRIVATE_CLASS = LazyPattern(rb'\bclass_\s*<[^;]{0,300}?>\s*\w*\s*\(\s*[\w:]+\s*,\s*"_')
_BOUND_POINTER = LazyPattern(rb'\.def\w*\s*\(\s*"[^"]*"\s*,\s*&\s*((?:\w+\s*::\s*)*\w+)')


def callees_by_visibility(content: bytes) -> tuple[set[str], set[str]]:
    """(private, public): the functions (short names) bound as `&f` in a chain on a class whose
    Python name starts with `_`, and those bound as `&f` anywhere else. A private class is the
    package's own plumbing: its Python wrapper checks what users pass."""
    private: set[str] = set()
    # The chain's extent from the text: an `#if` inside a chain splits it in the tree.
    hits = _PRIVATE_CLASS.finditer(content) if b'"_' in content else ()
    spans = [(hit.start(), statement_end(content, hit.start())) for hit in hits]
    public = set()
    for hit in _BOUND_POINTER.finditer(content):
        name = declarations.short_name(re.sub(r"\s+", "", hit[1].decode()))
        (private if any(a <= hit.start() < b for a, b in spans) else public).add(name)
    return private - public, public


_OPEN, _CLOSE = b"([{", b")]}"


def statement_end(content: bytes, start: int) -> int:
    """Where the statement that starts at `start` ends: its first `;` outside brackets, string
    and character literals and comments (or the end of the content)."""
    depth, i, n = 0, start, len(content)
    while i < n:
        c = content[i]
        if c in b"\"'":
            i += 1
            while i < n and content[i] != c:
                i += 2 if content[i] == 0x5C else 1  # backslash escapes
        elif content.startswith(b"//", i):
            i = content.find(b"\n", i)
            i = n if i < 0 else i
        elif content.startswith(b"/*", i):
            i = content.find(b"*/", i + 2)
            i = n if i < 0 else i + 1
        elif c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth -= 1
        elif c == 0x3B and depth <= 0:  # ;
            return i
        i += 1
    return n


def binding_facts(tree: Tree, content: bytes) -> ProjectIndex:
    """What other files need to know about this file's bindings, as plain data:
    the C++ classes it binds a `__repr__` for, and the exceptions it registers."""
    facts = ProjectIndex()
    facts.registered_exceptions = registered_exceptions(content)
    facts.extension_modules = extension_modules(content)
    facts.bound_types = bound_types(content)
    if b".def" in content:
        facts.private_callees, facts.public_callees = callees_by_visibility(content)
    if b"__repr__" in content:
        facts.reprs = repr_classes(tree, content)
    return facts


def repr_classes(tree: Tree, content: bytes) -> set[str]:
    """Classes this file binds `__repr__` for: only those calls' owners are resolved, not the
    whole model (this runs for every file before any rule does)."""
    text = content.decode("utf-8")
    found_captures = file_captures(tree)
    builder = Builder(tree, text, detect_dialect(found_captures, text))
    builder.module_parameters(found_captures)
    builder.collect_variables()
    found = set()
    for match in found_in(tree).matches(BINDING_QUERY):
        args = [a for a in match["args"][0].named_children if a.type != "comment"]
        if node_text(match["method"][0]) == "def" and args and string_value(args[0]) == "__repr__":
            owner = builder.resolve(match["object"][0])
            if isinstance(owner, ClassBinding):
                found.add(owner.short_type)
    return found


@phase("facts")
def project_index(files: Iterable[tuple[str, Tree, bytes]]) -> ProjectIndex:
    """Declarations, includes and binding facts of every file, keyed by the file's posix path."""
    index = ProjectIndex()
    for path, tree, content in files:
        index.merge(file_declarations(tree, path))
        index.merge(binding_facts(tree, content))
    return index
