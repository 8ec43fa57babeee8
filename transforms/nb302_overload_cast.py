"""NB302 overload-cast."""

import re
from typing import Iterator, NamedTuple

from nbfix.core.patterns import LazyPattern
from nbfix.cpp.parsing import error_regions, errors_around_edit, found_in, shared_nodes
from nbfix.index.declarations import short_name
from nbfix.rules import Context, Edit, Finding, Priority, Rule, Safety

_MACRO_BODIES = shared_nodes(
    "nb302.macro_bodies", "(preproc_arg) @body", ("preproc_arg",), lambda node: [{"body": [node]}]
)
_START = LazyPattern(rb"\bstatic_cast\s*<")
_POINTER = LazyPattern(r"\(\s*(?:(?P<scope>[\w:<>, ]+?)\s*::\s*)?\*\s*\)")


class Cast(NamedTuple):
    start: int
    end: int
    returns: str
    scope: str | None  # the class of a member-function pointer
    params: str
    const: bool
    target: str  # `&C::f`, `f`, ...


def balanced(text: str, start: int, open_char: str, close_char: str) -> int | None:
    """Index just past the bracket that closes the one at `start`."""
    depth = 0
    for index in range(start, len(text)):
        char = text[index]
        if char == open_char:
            depth += 1
        elif char == close_char:
            depth -= 1
            if depth == 0:
                return index + 1
    return None


def _squash(text: str) -> str:
    """One line of code from a span that may run over continued macro lines."""
    return " ".join(text.replace("\\\n", " ").replace("\\\r\n", " ").split())


def _is_argument(text: str, start: int, end: int) -> bool:
    """Is the cast at [start, end) a whole argument of a call (`f(a, CAST)`), what a binding is
    handed? A cast that is called, assigned or returned picks nothing for a binding."""
    return _next_code(text, start - 1, -1) in "(," and _next_code(text, end, 1) in ",)"


def _next_code(text: str, index: int, step: int) -> str:
    """The first character from `index` on (in direction `step`) that is not blank or a macro
    line continuation ("" at either end of the text)."""
    while 0 <= index < len(text) and text[index] in " \t\r\n\\":
        index += step
    return text[index] if 0 <= index < len(text) else ""


def angle_end(text: str, start: int) -> int | None:
    """Index just past the `>` closing the template argument list opened at `start` (`<`)."""
    depth = 0
    for index in range(start, len(text)):
        char = text[index]
        if char in "<(":
            depth += 1
        elif char in ">)":
            depth -= 1
            if depth == 0:
                return index + 1 if char == ">" else None
    return None


def find_casts(content: bytes) -> Iterator[Cast]:
    """`static_cast<R (C::*)(A) const>(&C::f)` and `static_cast<R (*)(A)>(f)`, read from the text:
    tree-sitter-cpp cannot parse these casts."""
    text = content.decode("utf-8")
    for match in _START.finditer(content):
        start = len(content[: match.start()].decode("utf-8"))
        open_angle = text.index("<", start)
        close_angle = angle_end(text, open_angle)
        if close_angle is None:
            continue
        type_text = text[open_angle + 1:close_angle - 1]
        pointer = _POINTER.search(type_text)
        if pointer is None:
            continue
        returns = type_text[: pointer.start()].strip()
        rest = type_text[pointer.end():].lstrip()
        if not returns or not rest.startswith("("):
            continue
        params_end = balanced(rest, 0, "(", ")")
        if params_end is None:
            continue
        qualifiers = rest[params_end:].split()
        if any(q not in ("const", "noexcept") for q in qualifiers):
            continue  # ref-qualified or volatile members: leave them to a person
        after = text[close_angle:]
        stripped = after.lstrip()
        if not stripped.startswith("("):
            continue
        arg_open = close_angle + (len(after) - len(stripped))
        arg_close = balanced(text, arg_open, "(", ")")
        if arg_close is None:
            continue
        target = _squash(text[arg_open + 1:arg_close - 1])
        if not re.fullmatch(r"&?\s*[\w:]+", target):
            continue
        if not _is_argument(text, start, arg_close):
            continue  # called on the spot (`static_cast<...>(f)(args)`), assigned, returned...
        params = _squash(rest[1:params_end - 1])
        yield Cast(
            start, arg_close, returns, pointer["scope"], "" if params == "void" else params,
            "const" in qualifiers, target,
        )


class OverloadCast(Rule):
    """
    ## What it finds
    `static_cast<R (C::*)(A, B) [const]>(&C::f)` and `static_cast<R (*)(A)>(f)` used to pick one
    overload of a function for a binding: the cast is a whole argument of a call. A cast that is
    called on the spot (`static_cast<R (*)(A)>(f)(a)` inside a lambda), assigned or returned picks
    nothing for a binding and is left alone, and so is a cast whose visible overload set holds a
    function template: `overload_cast` cannot select from such a set, so `static_cast` is right.
    A cast around a member that its class (defined in the given files) declares once, with no base
    declaring the name, picks nothing: nbfix says to bind the member directly, without a fix.

    ## Why it matters
    The cast repeats the return type and is easy to get subtly wrong; `overload_cast<A, B>(&C::f)`
    names only what selects the overload. tree-sitter-cpp cannot even parse these casts, which
    hides the surrounding bindings from every other rule.

    ## Example
    ```cpp
    .def("area", static_cast<double (Shape::*)(int) const>(&Shape::area))
    ```
    Use instead:
    ```cpp
    .def("area", nb::overload_cast<int>(&Shape::area, nb::const_))
    ```

    ## Fix safety
    `const_` is added whenever the cast type is const: without it `overload_cast` picks the
    non-const member, and a const member that is not overloaded does not compile at all. Safe
    when the class (or function) is declared in the given files (so its whole overload set is
    visible and holds no template); otherwise unsafe, since a template declared elsewhere would
    make `overload_cast` fail to compile. nbfix only accepts the edit when the file then parses
    with fewer errors than before.
    """

    code = "NB302"
    name = "overload-cast"
    priority = Priority.LOW
    fix_safety = Safety.SAFE
    summary = "static_cast to a function-pointer type picking an overload"
    needles = (b"static_cast",)
    edits_parse_errors = True  # the casts are parse errors: this rule works inside them

    def check(self, ctx: Context) -> Iterator[Finding]:
        model = ctx.model
        if not model.includes or not any(i.startswith(("nanobind/", "pybind11/")) for i in model.includes):
            return
        unparsed = error_regions(model.tree)
        # Casts inside #define bodies are found when the engine runs this rule on the body itself.
        macro_bodies = [(n.start_byte, n.end_byte) for n in found_in(model.tree).captures(_MACRO_BODIES).get("body", [])]
        for cast in find_casts(ctx.content):
            if any(s <= cast.start < e for s, e in macro_bodies):
                continue
            if self.holds_a_template(model, cast):
                continue  # overload_cast cannot select from such a set; static_cast is right
            prefix = model.dialect.prefix
            if self.single_declaration(model, cast):
                yield Finding(
                    self.code, self.name, self.priority,
                    f"static_cast around `{cast.target.lstrip('&').strip()}`, which is declared once: there is no "
                    "overload to pick; bind it directly",
                    *self.span(ctx.content, cast),
                )
                continue
            arguments = cast.target + (f", {prefix}const_" if cast.const else "")
            replacement = f"{prefix}overload_cast<{cast.params}>({arguments})"
            start, end = self.span(ctx.content, cast)
            edit = Edit(start, end, replacement)
            fix = None
            errors_before, errors_after = errors_around_edit(model.tree, ctx.content, start, end, replacement.encode())
            cast_was_error = any(s < end and start < e for s, e in unparsed)
            # Inside a parse error the result must parse with fewer errors; elsewhere, no more.
            if errors_after < errors_before or (not cast_was_error and errors_after <= errors_before):
                safety = Safety.SAFE if self.visible_without_templates(model, cast) else Safety.UNSAFE
                fix = self.fix(f"Use {prefix}overload_cast", edit, safety=safety)
            yield Finding(
                self.code, self.name, self.priority,
                f"static_cast picks an overload of `{cast.target.lstrip('&').strip()}`: use overload_cast<{cast.params}>"
                + (" with const_" if cast.const else ""),
                start, end, fix,
            )

    @staticmethod
    def span(content: bytes, cast: Cast) -> tuple[int, int]:
        """The cast's byte range (`find_casts` counts characters)."""
        text = content.decode("utf-8")
        return len(text[: cast.start].encode("utf-8")), len(text[: cast.end].encode("utf-8"))

    @staticmethod
    def single_declaration(model, cast: Cast) -> bool:
        """Is the target a member its class (defined in the given files) declares exactly once,
        with no base declaring the name, and is the cast to that same class's member type?"""
        target = cast.target.lstrip("& ")
        scope = target.rpartition("::")[0]
        if not scope or cast.scope is None or short_name(cast.scope) != short_name(scope):
            return False
        lineage = list(model.project.lineage(scope))
        if not lineage or lineage[0].defined_in is None:
            return False
        name = short_name(target)
        declared = [d for d in lineage if name in d.methods or name in d.templated_methods]
        return declared == lineage[:1] and len(lineage[0].methods.get(name, ())) == 1

    @staticmethod
    def holds_a_template(model, cast: Cast) -> bool:
        """Does the visible overload set of the cast's target contain a function template?"""
        name = short_name(cast.target.lstrip("& "))
        project = model.project
        if cast.scope is not None or "::" in cast.target:
            scope = cast.scope or cast.target.lstrip("& ").rpartition("::")[0]
            decl = project.classes.get(short_name(scope))
            if decl is not None:
                return name in decl.templated_methods
        return name in project.templated_functions

    @staticmethod
    def visible_without_templates(model, cast: Cast) -> bool:
        name = short_name(cast.target.lstrip("& "))
        project = model.project
        if cast.scope is not None or "::" in cast.target:
            scope = cast.scope or cast.target.lstrip("& ").rpartition("::")[0]
            decl = project.classes.get(short_name(scope))
            if decl is not None and decl.defined_in is not None:
                return name not in decl.templated_methods and name in decl.methods
        return name in project.functions and name not in project.templated_functions
