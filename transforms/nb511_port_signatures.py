"""NB511 port-signatures (PORTING.md rows 51 and 84: `pos_only`, docstring signature options)."""

import re
from typing import Iterator, NamedTuple

from tree_sitter import Node

from nbfix.cpp.parsing import descendants
from nbfix.cpp.syntax import node_text, squash
from nbfix.cpp.text import remove_argument, remove_statement
from nbfix.model.bindings import Binding, BindingModel
from nbfix.model.signatures import cpp_types, split_params, validate
from nbfix.rules import Context, Edit, Finding, Priority, Rule, Safety

_LIBRARY = frozenset({"py", "pybind11", "nb", "nanobind"})
_RENAMED = {"py": "nb", "pybind11": "nanobind"}  # as NB501 renames the qualifiers
# A docstring's first line that is a signature: `name(params) -> result`.
_SIGNATURE = re.compile(r"(?P<name>[A-Za-z_]\w*)\((?P<params>.*)\)\s*(?:->\s*(?P<result>\S.*?))?\s*")


class OptionsScope(NamedTuple):
    """`py::options options; options.disable_function_signatures();` and the block they govern."""

    declaration: Node
    calls: list[Node]  # the statements calling the object's methods
    block: Node
    only_signatures: bool  # every call is `disable_function_signatures()`


class PortSignatures(Rule):
    """
    ## What it finds
    pybind11 ways of declaring a Python signature that nanobind does not have: `py::pos_only()`
    after the positional-only parameters; `py::options` with `disable_function_signatures()`,
    under which each docstring starts with the signature (`reshape(a: array, /, shape:
    List[int]) -> array`); and `std::monostate` defaults (`"stream"_a = none` with
    `constexpr std::monostate none{}`), which pybind11 turned into None. Part of `nbfix port`;
    off for `check` and `apply`.

    ## Why it matters
    The first two do not compile against nanobind, and dropping them would silently change the
    API: parameters that were positional-only would take keywords, and every docstring would
    show its signature twice (nanobind always renders one). The third compiles and fails at run
    time: nanobind decides when it compiles whether a parameter takes None, so every call that
    relies on such a default raises TypeError (measured with nanobind 3.1).

    ## Example
    ```cpp
    py::options options;
    options.disable_function_signatures();
    m.def("reshape", &reshape, "a"_a, py::pos_only(), "shape"_a, R"pbdoc(
        reshape(a: array, /, shape: List[int]) -> array

        Reshape an array.
    )pbdoc");
    ```
    Use instead:
    ```cpp
    m.def("reshape", &reshape, nb::arg(), "shape"_a,
          nb::sig("def reshape(a: array, /, shape: List[int]) -> array"), R"pbdoc(
        Reshape an array.
    )pbdoc");
    ```
    The parameters before `pos_only()` become unnamed `nb::arg()` (keeping `= default` and
    `.noconvert()`), which nanobind takes by position only. A docstring's signature line becomes
    `nb::sig("def ...")` (with `self` first for methods) and leaves the docstring; once no such
    line is left in its block, the `options` object goes. A `std::monostate` default becomes
    `nb::none()`, which marks the parameter as taking None.

    ## Fix safety
    Safe. A signature is moved only when nbfix can check it the way nanobind would need it (the
    bound name, `self` for methods, as many parameters as the C++ callable): nanobind never
    checks a sig, and a wrong one renames the binding or aborts at import. Otherwise the binding
    is reported and left as it is. Options objects that also disable user docstrings are
    reported, not removed (nanobind always shows them).
    """

    code = "NB511"
    name = "port-signatures"
    priority = Priority.HIGH
    fix_safety = Safety.SAFE
    summary = "pybind11 pos_only() and docstring signature options to nb::arg()/nb::sig (port to nanobind)"
    needles = (b"pos_only", b"disable_function_signatures", b"_a", b"arg")
    opt_in = True

    def check(self, ctx: Context) -> Iterator[Finding]:
        if ctx.file_content is not None:  # macro bodies are ported by hand
            return
        model = ctx.model
        for binding in model.bindings:
            finding = self._pos_only(ctx, binding)
            if finding is not None:
                yield finding
            yield from self._none_defaults(model, binding)
        for scope in options_scopes(model.tree.root_node):
            moving = left = 0
            for binding in model.bindings:
                if scope.declaration.end_byte <= binding.call.start_byte < scope.block.end_byte:
                    finding = self._docstring_signature(ctx, model, binding)
                    if finding is not None:
                        moving += finding.fix is not None
                        left += finding.fix is None
                        yield finding
            if moving:
                continue  # the options object goes once the signatures that can move have moved
            if left or not scope.only_signatures:
                yield self.finding(scope.declaration, "port by hand: nanobind has no `options`; remove it once no "
                                   "docstring below starts with a signature and no other setting is needed")
                continue
            statements = [scope.declaration, *scope.calls]
            yield self.finding(scope.declaration, "nanobind has no `options`: it always renders signatures",
                               self.fix("Remove the options object", *(remove_statement(ctx.content, s) for s in statements)))

    def _pos_only(self, ctx: Context, binding: Binding) -> Finding | None:
        arguments = binding.call.child_by_field_name("arguments")
        marker = next((a for a in binding.arguments if _library_call(a, "pos_only")), None)
        if marker is None or arguments is None:
            return None
        before = [a for a in binding.arguments if a.end_byte <= marker.start_byte]
        names = [_arg_name(a) for a in before if _is_arg(a)]
        if not names or any(n is None for n in names):
            return self.finding(marker, "port by hand: nanobind has no `pos_only()`: make the parameters before it "
                                "unnamed `nb::arg()`")
        prefix = _prefix(marker)
        edits = [Edit(n.start_byte, n.end_byte, f"{prefix}arg()") for n in names]
        edits.append(remove_argument(arguments, marker))
        return self.finding(marker, "nanobind has no `pos_only()`: unnamed `arg()`s are positional-only",
                            self.fix("Use unnamed nb::arg() for positional-only parameters", *edits))

    def _none_defaults(self, model: BindingModel, binding: Binding) -> Iterator[Finding]:
        """`"stream"_a = none` where `none` is a `std::monostate`: nanobind decides at compile
        time whether a parameter takes None, so such a default fails every call that relies on
        it (measured: TypeError); `nb::none()` says it."""
        for argument in binding.arguments:
            if argument.type != "assignment_expression" or _arg_name(argument) is None:
                continue
            value = argument.child_by_field_name("right")
            if value is not None and _is_none_value(value, model.project.none_values):
                yield self.finding(value, "a `std::monostate` default: nanobind rejects the None it becomes",
                                   self.fix("Use nb::none() as the default", Edit(
                                       value.start_byte, value.end_byte, f"{_prefix_for(model)}none()")))

    def _docstring_signature(self, ctx: Context, model: BindingModel, binding: Binding) -> Finding | None:
        docs = binding.extras_of("doc")
        if not docs or not isinstance(docs[-1].value, str) or binding.python_name is None:
            return None
        doc = docs[-1].node
        first = next((line for line in docs[-1].value.split("\n") if line.strip()), "")
        match = _SIGNATURE.fullmatch(first.strip())
        if match is None or match["name"] != binding.python_name:
            return None
        signature = _nanobind_signature(match, binding.is_method)
        types = cpp_types(model, binding) if binding.method == "def" else None
        problem = "nbfix cannot count the C++ parameters" if types is None else validate(
            signature, binding.python_name, binding.is_method, len(types[0]))
        removal = _without_first_line(doc, first)
        if problem is None and removal is None:
            problem = "the docstring is not one plain or raw string literal"
        if problem is not None:
            return self.finding(binding.anchor, f"port by hand: move the docstring's signature line into "
                                f"`nb::sig(\"{signature}\")` ({problem})")
        escaped = signature.replace("\\", "\\\\").replace('"', '\\"')
        sig = f'{_prefix_for(model)}sig("{escaped}")'
        previous = max((a for a in binding.arguments if a.end_byte <= doc.start_byte), key=lambda a: a.end_byte)
        separator = ctx.content[previous.end_byte:doc.start_byte].decode("utf-8")
        edits = [Edit(doc.start_byte, doc.start_byte, f"{sig}{separator}"), removal]
        if not docs[-1].value.replace(first, "", 1).strip():  # the signature was all the docstring said
            edits = [Edit(doc.start_byte, doc.end_byte, sig)]
        return self.finding(binding.anchor, "a pybind11 docstring signature: nanobind takes it as `sig`",
                            self.fix("Move the signature line into nb::sig", *edits))


def options_scopes(root: Node) -> list[OptionsScope]:
    """Each `py::options name;` declared in a block, with the statements that call its methods."""
    scopes = []
    for declaration in descendants(root, {"declaration"}):
        kind = declaration.child_by_field_name("type")
        declarator = declaration.child_by_field_name("declarator")
        block = declaration.parent
        if not _library_name(kind, "options") or declarator is None or declarator.type != "identifier":
            continue
        if block is None or block.type != "compound_statement":
            continue
        name = node_text(declarator)
        calls = [s for s in block.named_children if s.type == "expression_statement" and s.start_byte > declaration.end_byte
                 and squash(node_text(s)).startswith(f"{name}.")]
        only = all(squash(node_text(s)) == f"{name}.disable_function_signatures();" for s in calls)
        scopes.append(OptionsScope(declaration, calls, block, only))
    return scopes


def _is_none_value(node: Node, constants) -> bool:
    """`std::monostate{}`, `std::monostate()`, or a constant declared `std::monostate`."""
    if node.type == "identifier":
        return node_text(node) in constants
    if node.type in ("compound_literal_expression", "call_expression"):
        head = node.child_by_field_name("type") or node.child_by_field_name("function")
        arguments = node.child_by_field_name("value") or node.child_by_field_name("arguments")
        empty = arguments is not None and not [c for c in arguments.named_children if c.type != "comment"]
        return head is not None and empty and squash(node_text(head)).removeprefix("::") in ("std::monostate", "monostate")
    return False


def _library_name(node: Node | None, name: str) -> bool:
    """`py::name` under any of the libraries' qualifiers."""
    if node is None or node.type != "qualified_identifier":
        return False
    scope, last = node.child_by_field_name("scope"), node.child_by_field_name("name")
    return scope is not None and node_text(scope) in _LIBRARY and last is not None and node_text(last) == name


def _library_call(node: Node, name: str) -> bool:
    return node.type == "call_expression" and _library_name(node.child_by_field_name("function"), name)


def _is_arg(node: Node) -> bool:
    return _arg_name(node) is not None or node.type in ("user_defined_literal", "assignment_expression")


def _arg_name(node: Node) -> Node | None:
    """The part of an `arg` annotation that names it: `"a"_a` or `py::arg("a")`, inside
    `= default` and `.noconvert()`/`.none()` calls."""
    while True:
        if node.type == "assignment_expression":
            node = node.child_by_field_name("left")
        elif node.type == "call_expression" and _library_call(node, "arg"):
            return node
        elif node.type == "call_expression":
            function = node.child_by_field_name("function")
            if function is None or function.type != "field_expression":
                return None
            node = function.child_by_field_name("argument")
        elif node.type == "user_defined_literal":
            suffix = next((c for c in node.children if c.type == "literal_suffix"), None)
            return node if suffix is not None and node_text(suffix) == "_a" else None
        else:
            return None
        if node is None:
            return None


def _prefix(node: Node) -> str:
    """The nanobind qualifier for new code near `node`: that of a library call it is or holds."""
    function = node.child_by_field_name("function")
    scope = function.child_by_field_name("scope") if function is not None else None
    text = node_text(scope) if scope is not None else "nb"
    return f"{_RENAMED.get(text, text)}::"


def _prefix_for(model: BindingModel) -> str:
    qualifier = model.dialect.prefix.removesuffix("::") or "nb"
    return f"{_RENAMED.get(qualifier, qualifier)}::"


def _nanobind_signature(match: re.Match, is_method: bool) -> str:
    """`def name(self, ...) -> result` from a docstring's `name(self: T, ...) -> result`."""
    params = [p.strip() for p in split_params(match["params"]) if p.strip()]
    if is_method:
        if params and (params[0] == "self" or params[0].startswith("self:")):
            params[0] = "self"
        else:
            params.insert(0, "self")
    result = f" -> {match['result']}" if match["result"] else ""
    return f"def {match['name']}({', '.join(params)}){result}"


def _without_first_line(doc: Node, first: str) -> Edit | None:
    """The edit removing the signature line (and the blank lines after it) from the literal."""
    text = doc.text.decode("utf-8") if doc.text else ""
    if doc.type == "raw_string_literal":
        opening = text.find("(") + 1
        at = text.find(first, opening)
        if opening <= 0 or at < 0 or text[opening:at].strip():
            return None
        begin = text.rfind("\n", opening, at) + 1 or opening
        cursor = text.find("\n", at + len(first))
        if cursor < 0:
            return None
        cursor += 1
        while (next_line := text.find("\n", cursor)) >= 0 and not text[cursor:next_line].strip():
            cursor = next_line + 1  # blank lines after the signature go with it
        return _byte_edit(doc, text, begin, cursor)
    if doc.type == "string_literal":
        at = text.find(first.strip())
        if at < 0 or text[1:at].strip() or "\\" in first:
            return None
        end = at + len(first.strip())
        while text.startswith("\\n", end) or text.startswith(" ", end):
            end += 2 if text.startswith("\\n", end) else 1
        return _byte_edit(doc, text, 1, end)
    return None


def _byte_edit(node: Node, text: str, start: int, end: int) -> Edit:
    begin = node.start_byte + len(text[:start].encode("utf-8"))
    finish = node.start_byte + len(text[:end].encode("utf-8"))
    return Edit(begin, finish, "")
