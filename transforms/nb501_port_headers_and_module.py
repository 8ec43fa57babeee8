"""NB501 port-headers-and-module (PORTING.md 1.1)."""

from __future__ import annotations

import re
from typing import Iterator

from nbfix.cpp.parsing import descendants
from nbfix.cpp.syntax import node_text
from nbfix.cpp.text import insert_line_before, line_end, line_start, newline_of, remove_statement
from nbfix.index.casters import needed_headers, opaque_types
from nbfix.model.porting import (
    NANOBIND_ALIAS,
    PortView,
    nanobind_qualifier,
    node_edit,
    macro_arguments,
    port_view,
)
from nbfix.rules import TARGET_VERSION, Context, Edit, Finding, Priority, Rule, Safety

# pybind11 header -> the nanobind headers that replace it (rows 1, 8-14, 17). Headers whose
# replacement depends on the types the file exchanges (stl.h, functional.h, ...) map to none here:
# the caster headers the bound signatures need are added instead.
HEADERS = {
    "pybind11/pybind11.h": ("nanobind/nanobind.h",),
    "pybind11/stl.h": (),
    "pybind11/functional.h": (),
    "pybind11/chrono.h": ("nanobind/stl/chrono.h",),
    "pybind11/complex.h": ("nanobind/stl/complex.h",),
    "pybind11/stl/filesystem.h": ("nanobind/stl/filesystem.h",),
    "pybind11/stl_bind.h": ("nanobind/stl/bind_vector.h", "nanobind/stl/bind_map.h"),
    "pybind11/operators.h": ("nanobind/operators.h",),
    "pybind11/eigen.h": ("nanobind/eigen/dense.h",),
    "pybind11/eigen/matrix.h": ("nanobind/eigen/dense.h",),
    "pybind11/eigen/tensor.h": ("nanobind/eigen/tensor.h",),
    "pybind11/numpy.h": ("nanobind/ndarray.h",),
    "pybind11/eval.h": ("nanobind/eval.h",),
    "pybind11/typing.h": ("nanobind/typing.h",),
}
# Headers with no nanobind counterpart (rows 15, 16): reported, left in place.
NO_COUNTERPART = {
    "pybind11/embed.h": "nanobind cannot embed an interpreter (no `scoped_interpreter`, no "
    "`PYBIND11_EMBEDDED_MODULE`): keep the embedding on the CPython C API or on pybind11",
    "pybind11/iostream.h": "nanobind has no `scoped_ostream_redirect`/`add_ostream_redirect`: "
    "write to Python's `sys.stdout` through `nb::print` or redirect in Python",
}
# Standard headers `pybind11.h` includes and `nanobind.h` does not: code that relied on them
# stops compiling. std name -> its header.
STD_HEADERS = {
    "array": "array", "vector": "vector", "deque": "deque", "forward_list": "forward_list",
    "unordered_map": "unordered_map", "unordered_set": "unordered_set", "stack": "stack",
    "tuple": "tuple", "make_tuple": "tuple", "tie": "tuple", "optional": "optional", "nullopt": "optional",
    "make_optional": "optional", "function": "functional", "shared_ptr": "memory", "unique_ptr": "memory",
    "make_shared": "memory", "make_unique": "memory", "weak_ptr": "memory",
    "enable_shared_from_this": "memory", "stringstream": "sstream", "ostringstream": "sstream",
    "istringstream": "sstream", "sort": "algorithm", "find": "algorithm", "find_if": "algorithm",
    "transform": "algorithm", "reverse": "algorithm", "fill": "algorithm", "min_element": "algorithm",
    "max_element": "algorithm", "count_if": "algorithm", "mutex": "mutex", "lock_guard": "mutex",
    "unique_lock": "mutex", "thread": "thread", "atomic": "atomic", "type_index": "typeindex",
}
# What a nanobind caster header brings along, so that `<vector>` is not added next to it.
BROUGHT_BY = {
    "nanobind/stl/vector.h": "vector", "nanobind/stl/array.h": "array", "nanobind/stl/optional.h": "optional",
    "nanobind/stl/tuple.h": "tuple", "nanobind/stl/function.h": "functional",
    "nanobind/stl/shared_ptr.h": "memory", "nanobind/stl/unique_ptr.h": "memory",
    "nanobind/stl/unordered_map.h": "unordered_map", "nanobind/stl/unordered_set.h": "unordered_set",
}
MACROS = {
    "PYBIND11_MODULE": "NB_MODULE",
    "PYBIND11_NAMESPACE": "NB_NAMESPACE",
    "PYBIND11_NAMESPACE_BEGIN": "NAMESPACE_BEGIN",
    "PYBIND11_NAMESPACE_END": "NAMESPACE_END",
    "PYBIND11_VERSION_MAJOR": "NB_VERSION_MAJOR",
    "PYBIND11_VERSION_MINOR": "NB_VERSION_MINOR",
    "PYBIND11_VERSION_PATCH": "NB_VERSION_PATCH",
}
NO_MACRO = {
    "PYBIND11_EMBEDDED_MODULE": NO_COUNTERPART["pybind11/embed.h"],
}
# `PYBIND11_*` macros the other port rules rewrite or report (NB502, NB507).
PORTED_ELSEWHERE = frozenset({
    *(f"PYBIND11_{kind}{pure}{name}" for kind in ("OVERRIDE", "OVERLOAD") for pure in ("", "_PURE") for name in ("", "_NAME")),
    "PYBIND11_MAKE_OPAQUE", "PYBIND11_DECLARE_HOLDER_TYPE", "PYBIND11_NUMPY_DTYPE", "PYBIND11_OVERRIDE_IMPL",
    "PYBIND11_OBJECT", "PYBIND11_OBJECT_DEFAULT", "PYBIND11_OBJECT_CVT", "PYBIND11_TYPE_CASTER",
    "PYBIND11_TYPE",  # only ever inside an override macro's return type, which NB502 drops
})
# Names of other rules that replace the qualifier too (`py::ssize_t` -> `Py_ssize_t`).
QUALIFIER_OWNED_ELSEWHERE = frozenset({"ssize_t", "set_error"})
ITERATOR_MAKERS = frozenset({"make_iterator", "make_key_iterator", "make_value_iterator"})


_TRAILING_COMMENT = re.compile(rb"^[ \t]*#[ \t]*include[ \t]*[<\"][^>\"\n]*[>\"]([ \t]*(?://[^\r\n]*|/\*.*?\*/))[ \t]*\r?\n?$")


def _keep_comment(line: bytes, text: str, newline: str) -> str:
    """The replacement of one pybind11 include line, keeping the comment that ended it: on the
    first nanobind include written there, or on a line of its own where the line goes."""
    found = _TRAILING_COMMENT.match(line)
    if found is None:
        return text
    comment = found[1].decode("utf-8", "replace")
    if not text:
        return f"{comment.lstrip()}{newline}"
    first, _, rest = text.partition(newline)
    return f"{first}{comment}{newline}{rest}"


class PortHeadersAndModule(Rule):
    """
    ## What it finds
    The pybind11 parts of a file that PORTING.md section 1.1 lists: `#include <pybind11/...>`,
    `namespace py = pybind11;`, every `py::`/`pybind11::` qualifier, `using namespace
    pybind11::literals;`, `PYBIND11_MODULE`, `namespace pybind11 { namespace detail {`,
    `PYBIND11_NAMESPACE_BEGIN` and `PYBIND11_VERSION_*`. Only run by `nbfix port` (or when
    selected by its code).

    ## Why it matters
    These are the spellings every pybind11 file starts with; nanobind names them differently.
    Two are easy to miss by hand: `pybind11.h` converts `std::string`, `std::pair`,
    `std::tuple`, `std::unique_ptr` and `std::shared_ptr` by itself while nanobind needs a
    `nanobind/stl/*.h` header for each (without it the module builds and every call raises
    `TypeError`), and `pybind11.h` brings standard headers (`<array>`, `<vector>`, `<memory>`,
    `<functional>`...) that `nanobind.h` does not.

    ## Example
    ```cpp
    #include <pybind11/pybind11.h>
    #include <pybind11/stl.h>
    namespace py = pybind11;
    PYBIND11_MODULE(ext, m) { m.def("greet", [](const std::string &s) { return s; }); }
    ```
    Use instead:
    ```cpp
    #include <nanobind/nanobind.h>
    #include <nanobind/stl/string.h>
    namespace nb = nanobind;
    NB_MODULE(ext, m) { m.def("greet", [](const std::string &s) { return s; }); }
    ```

    ## Fix safety
    Safe: token and syntax-tree rewrites, never inside comments or strings. The caster headers
    come from the types of the bound signatures (lambdas, declared functions and members, fields,
    `init<...>`, holder arguments), `nanobind/trampoline.h` from `PYBIND11_OVERRIDE*`,
    `nanobind/make_iterator.h` from `make_iterator`. `pybind11/embed.h` and `pybind11/iostream.h`
    have no nanobind counterpart: reported, not changed. A third `PYBIND11_MODULE` argument
    (`py::mod_gil_not_used()`) is dropped and reported: free threading is a CMake option in
    nanobind (`nanobind_add_module(... FREE_THREADED ...)`, which NB508 adds to the module's
    target when porting to nanobind 3).
    """

    code = "NB501"
    name = "port-headers-and-module"
    priority = Priority.HIGH
    fix_safety = Safety.SAFE
    summary = "pybind11 headers, namespace, qualifiers and module macro (port to nanobind)"
    needles = (b"pybind11", b"py::", b"PYBIND11_")
    opt_in = True
    options = {"target-version": TARGET_VERSION}
    # Token renames are safe inside regions tree-sitter cannot parse (pybind11's own tests are
    # full of them), and the engine still refuses a result with more parse errors.
    edits_parse_errors = True

    def check(self, ctx: Context) -> Iterator[Finding]:
        view = port_view(ctx.model, ctx.content)
        if not view.uses_pybind11():
            return
        if ctx.file_content is None:  # includes and aliases live in the file, not in macro bodies
            yield from self._includes(ctx, view)
            yield from self._namespaces(ctx, view)
        for reference in view.pybind11_references:
            new = nanobind_qualifier(node_text(reference.scope))
            if new != node_text(reference.scope) and reference.head not in QUALIFIER_OWNED_ELSEWHERE:
                yield self.finding(
                    reference.scope, f"`{node_text(reference.scope)}::` is pybind11's namespace",
                    self.fix(f"Use `{new}::`", node_edit(reference.scope, new)),
                )
        for token in view.loose_qualifiers():
            new = nanobind_qualifier(token.name)
            if new != token.name:
                yield Finding(self.code, self.name, self.priority, f"`{token.name}::` is pybind11's namespace",
                              token.start, token.end, self.fix(f"Use `{new}::`", Edit(token.start, token.end, new)))
        yield from self._macros(ctx, view)

    # -- includes --------------------------------------------------------------------------

    def _includes(self, ctx: Context, view: PortView) -> Iterator[Finding]:
        includes = view.pybind11_includes()
        present = set(ctx.model.includes)
        needed = [h for h in self._caster_headers(ctx, view) if h not in present]
        for node, path in includes:
            if path in NO_COUNTERPART:
                yield self.finding(node, f"<{path}>: {NO_COUNTERPART[path]}")
        portable = [(node, path) for node, path in includes if path not in NO_COUNTERPART]
        if not portable:
            edit = ctx.ensure_includes(needed, "nanobind") if needed and ctx.model.bindings else None
            if edit is not None:
                yield self.finding(
                    ctx.model.tree.root_node, f"nanobind needs {', '.join(f'<{h}>' for h in needed)} "
                    "for the types these bindings exchange", self.fix("Add the nanobind caster headers", edit),
                )
            return
        newline = newline_of(ctx.content)
        block: list[str] = [h for h in self._standard_headers(ctx, view, needed) if h not in present]
        block += ["nanobind/nanobind.h"] if "nanobind/nanobind.h" not in present else []
        block += needed
        for _, path in portable:
            block += [h for h in HEADERS.get(path, ("nanobind/nanobind.h",)) if h not in present]
        edits = []
        written: set[str] = set()
        for index, (node, path) in enumerate(portable):
            lines = block if index == 0 else []
            text = "".join(f"#include <{h}>{newline}" for h in lines if not (h in written or written.add(h)))
            start, end = line_start(ctx.content, node.start_byte), line_end(ctx.content, node.start_byte)
            edits.append(Edit(start, end, _keep_comment(ctx.content[start:end], text, newline)))
        first = portable[0][0]
        yield self.finding(
            first, "pybind11 headers: nanobind has its own, and a caster header per STL type that crosses",
            self.fix("Include the nanobind headers", *edits),
        )

    def _caster_headers(self, ctx: Context, view: PortView) -> list[str]:
        """The nanobind headers the file's bindings need: casters for the exchanged STL types
        (holder arguments included), trampolines, iterators."""
        model = ctx.model
        opaque = opaque_types(model.text) | model.project.bound_short_names()[1]
        types = [t for binding in model.bindings for t in model.exchanged_types(binding)]
        types += [t for cls in model.classes for t in cls.extra_types]
        headers = list(needed_headers(types, "nanobind", opaque))
        if any(token.name.startswith(("PYBIND11_OVERRIDE", "PYBIND11_OVERLOAD")) for token in view.tokens()):
            headers.append("nanobind/trampoline.h")
        if any(reference.head in ITERATOR_MAKERS for reference in view.pybind11_references):
            headers.append("nanobind/make_iterator.h")
        return sorted(set(headers))

    def _standard_headers(self, ctx: Context, view: PortView, needed: list[str]) -> list[str]:
        """`<array>`, `<memory>`...: standard headers the file uses that came with pybind11's
    headers (each of them includes `pybind11.h`'s own)."""
        if not view.pybind11_includes():
            return []
        brought = {BROUGHT_BY[h] for h in needed if h in BROUGHT_BY}
        used = set()
        for node in descendants(view.root, {"qualified_identifier"}):
            scope = node.child_by_field_name("scope")
            name = node.child_by_field_name("name")
            if scope is not None and name is not None and node_text(scope) == "std":
                bare = name.child_by_field_name("name") if name.type.startswith("template") else name
                header = STD_HEADERS.get(node_text(bare) if bare is not None else "")
                if header is not None and header not in brought:
                    used.add(header)
        return sorted(used)

    # -- namespaces --------------------------------------------------------------------------

    def _namespaces(self, ctx: Context, view: PortView) -> Iterator[Finding]:
        root = ctx.model.tree.root_node
        has_nanobind_alias = False
        aliased = False
        for node in descendants(root, {"namespace_alias_definition"}):
            target = node_text(node).rstrip(";").partition("=")[2].strip().removeprefix("::")
            name = node.child_by_field_name("name")
            if target == "nanobind" and name is not None and node_text(name) == NANOBIND_ALIAS:
                has_nanobind_alias = True
        for node in descendants(root, {"namespace_alias_definition", "using_declaration", "namespace_definition"}):
            finding = self._namespace(ctx, node, has_nanobind_alias)
            if finding is not None:
                aliased = aliased or node.type == "namespace_alias_definition"
                yield finding
        uses_py = any(node_text(r.scope) == "py" for r in view.pybind11_references)
        if uses_py and not aliased and not has_nanobind_alias:
            # Every child, not only named ones: in a file tree-sitter cannot parse the first code
            # may be a bare keyword (`namespace` of `namespace pybind11_tests {`), and the alias
            # must go before it, not between it and its name.
            anchor = next((n for n in root.children if not n.type.startswith("preproc") and n.type != "comment"), None)
            if anchor is not None:
                yield self.finding(
                    anchor, "the file uses `py::` without defining it; nanobind's alias is `nb`",
                    self.fix("Define `namespace nb = nanobind;`", insert_line_before(ctx.content, anchor, "namespace nb = nanobind;")),
                )

    def _namespace(self, ctx: Context, node, has_nanobind_alias: bool) -> Finding | None:
        text = node_text(node)
        if node.type == "namespace_alias_definition":
            name = node.child_by_field_name("name")
            target = text.rstrip(";").partition("=")[2].strip().removeprefix("::")
            if name is None or target != "pybind11":
                return None
            alias = nanobind_qualifier(node_text(name))
            if alias == NANOBIND_ALIAS and has_nanobind_alias:
                return self.finding(node, "`namespace py = pybind11;`: the file already defines `nb`",
                                    self.fix("Remove the pybind11 alias", remove_statement(ctx.content, node)))
            return self.finding(node, "pybind11 namespace alias",
                                self.fix(f"Use `namespace {alias} = nanobind;`", node_edit(node, f"namespace {alias} = nanobind;")))
        if node.type == "using_declaration":
            named = [c for c in node.named_children if c.type in ("identifier", "namespace_identifier")]
            if len(named) == 1 and node_text(named[0]) == "pybind11":
                return self.finding(node, "`using namespace pybind11;`",
                                    self.fix("Use `using namespace nanobind;`", node_edit(named[0], "nanobind")))
            return None
        name = node.child_by_field_name("name")
        if name is not None and name.type == "nested_namespace_specifier":
            name = name.named_children[0] if name.named_children else None
        if name is not None and node_text(name) == "pybind11":
            return self.finding(name, "`namespace pybind11 {` (a type caster or other specialisation)",
                                self.fix("Use `namespace nanobind {`", node_edit(name, "nanobind")))
        return None

    # -- macros ------------------------------------------------------------------------------

    def _macros(self, ctx: Context, view: PortView) -> Iterator[Finding]:
        for token in view.tokens():
            if token.name in NO_MACRO:
                yield Finding(self.code, self.name, self.priority, f"`{token.name}`: {NO_MACRO[token.name]}",
                              token.start, token.end)
                continue
            new = MACROS.get(token.name)
            if new is None:
                if token.name not in PORTED_ELSEWHERE:
                    yield Finding(self.code, self.name, self.priority, f"`{token.name}` is pybind11's own macro: "
                                  "nanobind has no counterpart; remove it or define it in the project", token.start, token.end)
                continue
            edits = [Edit(token.start, token.end, new)]
            message = f"`{token.name}` is spelled `{new}` in nanobind"
            fix = self.fix(f"Use `{new}`", *edits)
            if token.name in ("PYBIND11_NAMESPACE_BEGIN", "PYBIND11_NAMESPACE_END"):
                fix = self.fix(f"Use `{new}`", *edits, *_namespace_argument(ctx.content, token.end))
            if token.name == "PYBIND11_MODULE":
                edits_more, advice = _module_arguments(ctx.content, token.end)
                fix = self.fix(f"Use `{new}`", *edits, *edits_more)._replace(follow_up=advice or "")
            yield Finding(self.code, self.name, self.priority, message, token.start, token.end, fix)


def _module_arguments(content: bytes, after: int) -> tuple[list[Edit], str | None]:
    """`PYBIND11_MODULE(name, m, py::mod_gil_not_used())`: drop the third argument (row 6)."""
    found = macro_arguments(content, after)
    if found is None or len(found[0]) <= 2:
        return [], None
    spans = found[0]
    dropped = content[spans[2][0]:spans[-1][1]].decode("utf-8", "replace")
    advice = (f"`{dropped}` dropped from the module macro: in nanobind free threading is chosen in CMake "
              "(`nanobind_add_module(<target> FREE_THREADED ...)`: `nbfix port` adds it to the target named after "
              "the module, check any other); multiple interpreters are not supported")
    return [Edit(spans[1][1], spans[-1][1], "")], advice


def _namespace_argument(content: bytes, after: int) -> list[Edit]:
    """`PYBIND11_NAMESPACE_BEGIN(pybind11)` names pybind11's namespace: `NB_NAMESPACE` in nanobind."""
    found = macro_arguments(content, after)
    if found is None or len(found[0]) != 1:
        return []
    start, end = found[0][0]
    return [Edit(start, end, "NB_NAMESPACE")] if content[start:end] in (b"pybind11", b"PYBIND11_NAMESPACE") else []
