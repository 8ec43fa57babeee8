"""NB201 gil-release."""

from typing import Iterator, NamedTuple

from tree_sitter import Node

from nbfix.cpp.parsing import descendants
from nbfix.cpp.syntax import code_text, node_text
from nbfix.cpp.text import add_argument, replace
from nbfix.index.declarations import short_name
from nbfix.model.bindings import Binding, BindingModel
from nbfix.rules import Context, Edit, Finding, Option, Priority, Rule, Safety

DEFAULT_FUNCTIONS = [
    "execute", "run", "compile", "synchronize", "wait", "wait_for", "wait_until", "join", "barrier", "sleep",
    "sleep_for", "sleep_until",
]
# Python object wrappers: touching them, or destroying a by-value one, needs the GIL.
PYTHON_TYPES = frozenset({
    "object", "handle", "handle_t", "list", "dict", "tuple", "set", "frozenset", "iterable", "iterator",
    "callable", "str", "bytes", "bytearray", "int_", "float_", "bool_", "sequence", "mapping", "args",
    "kwargs", "capsule", "module_", "module", "type_object", "type", "any", "slice", "ellipsis",
    "weakref", "none", "typed", "array", "array_t", "buffer", "memoryview", "function", "cpp_function",
})


class Decision(NamedTuple):
    edits: tuple[Edit, ...] = ()
    blocker: str | None = None  # why the GIL cannot be released (a suggestion)
    how: str = ""
    noise: bool = False  # the blocker leaves nothing to act on: Python objects, or nbfix cannot see


def cannot_tell(blocker: str) -> Decision:
    return Decision(blocker=blocker, noise=True)


class GilRelease(Rule):
    """
    ## What it finds
    A binding of a long-running call (by default `execute`, `run`, `compile`, `synchronize`,
    `wait`, `join`, `barrier`, `sleep` and their `_for`/`_until` forms, matched against the Python
    name and the C++ callee) that holds the GIL for the whole call, so no other Python thread runs
    meanwhile.

    ## Why it matters
    While C++ computes with the GIL held, every other Python thread stops: progress bars freeze,
    servers stop answering, and thread pools run one task at a time.

    ## Example
    ```cpp
    .def("execute", [](Graph &g, nb::iterable inputs) {
        std::vector<Tensor> args = to_tensors(inputs);
        std::vector<Tensor> out = g.run(args);
        return to_list(out);
    })
    ```
    Use instead:
    ```cpp
    .def("execute", [](Graph &g, nb::iterable inputs) {
        std::vector<Tensor> args = to_tensors(inputs);
        std::vector<Tensor> out = [&] { nb::gil_scoped_release release; return g.run(args); }();
        return to_list(out);
    })
    ```

    ## Fix safety
    The decision comes from types, never from tests: code that touches Python objects without the
    GIL often seems to work and is still undefined behaviour.
    - Every parameter and the result are plain C++ (values, STL containers, `ndarray`,
      `std::function`, bound classes by reference or pointer) and the callable is a member pointer,
      a function, or a lambda whose body touches no Python object: `call_guard<gil_scoped_release>()`
      is added. Safe: argument and result conversion still run with the GIL held.
    - A lambda that converts Python objects first and then makes the long call on C++ values
      only: just that statement runs in a released scope (`T out = [&] { gil_scoped_release
      release; return call(...); }();`, which keeps the variable's type and needs no default
      constructor). Safe: every name used there is declared with a C++ type.
    - A long call nbfix cannot rewrite (inside a compound statement, a lambda with a declared
      result, an existing `call_guard`): a suggestion saying what to do by hand.
    - A call that needs Python objects, a body that makes no configured long call of its own, or
      a declaration nbfix cannot see leave nothing to act on: noise, hidden unless the option
      `report-noise` is set.
    A binding that already releases the GIL is left alone: releasing twice is fatal (NB401). Some
    projects use the GIL as the lock of their own shared C++ state: the message says to check that
    before applying.

    Option `functions`: the long-running names (Python names or C++ callees).
    """

    code = "NB201"
    name = "gil-release"
    priority = Priority.MEDIUM
    fix_safety = Safety.SAFE
    summary = "Long-running call bound without releasing the GIL"
    needles = (b".def",)
    options = {
        "functions": Option(DEFAULT_FUNCTIONS, "Names of long-running calls (Python or C++)."),
        "report-noise": Option(False, "Also report long calls whose GIL cannot be released (nothing to act on)."),
    }

    def check(self, ctx: Context) -> Iterator[Finding]:
        model = ctx.model
        names = set(ctx.options.get("functions", DEFAULT_FUNCTIONS))
        for binding in model.bindings:
            if binding.method not in ("def", "def_static") or binding.callable is None:
                continue
            long_calls = self.long_calls(binding, names)
            if binding.python_name not in names and not long_calls:
                continue
            if self.releases_already(model, binding):
                continue
            decision = self.decide(ctx, binding, long_calls)
            what = f'"{binding.python_name}"' if binding.python_name else "this binding"
            if decision.blocker is not None:
                yield self.finding(
                    binding.anchor,
                    f"{what} holds the GIL for a long call, and it cannot be released automatically: {decision.blocker}",
                    noise=decision.noise,
                )
            else:
                yield self.finding(
                    binding.anchor,
                    f"{what} holds the GIL for a long call: other Python threads stop meanwhile; before "
                    "releasing it, check that no C++ state shared between threads relies on the GIL as its lock",
                    self.fix(decision.how, *decision.edits),
                )

    @staticmethod
    def long_calls(binding: Binding, names: set[str]) -> list[Node]:
        target = binding.callable
        if target.kind in ("member_pointer", "function"):
            return [target.node] if short_name(target.name or "") in names else []
        if target.kind != "lambda" or target.body is None:
            return []
        found = []
        for call in descendants(target.body, {"call_expression"}):
            function = call.child_by_field_name("function")
            if function is None:
                continue
            callee = function.child_by_field_name("field") if function.type == "field_expression" else function
            if callee is not None and short_name(code_text(callee)) in names:
                found.append(call)
        return found

    @staticmethod
    def releases_already(model: BindingModel, binding: Binding) -> bool:
        if any("gil_scoped_release" in str(e.value) for e in binding.extras_of("call_guard")):
            return True
        body = binding.callable.body
        return body is not None and bool(model.declarations_of(body, "gil_scoped_release"))

    def decide(self, ctx: Context, binding: Binding, long_calls: list[Node]) -> Decision:
        model = ctx.model
        target = binding.callable
        types = self.signature_types(model, binding)
        if types is None:
            return cannot_tell(f"the declaration of `{target.name}` is not among the given files")
        python = [(what, t) for what, t in types if is_python_type(model, t)]
        if binding.extras_of("call_guard"):
            return Decision(blocker="it already has a call_guard; add gil_scoped_release to that one")
        body_clean = target.kind != "lambda" or not model.touches_python(target.body)
        if not python and body_clean:
            guard = f"{model.dialect.prefix}call_guard<{model.dialect.prefix}gil_scoped_release>()"
            arguments = binding.call.child_by_field_name("arguments")
            return Decision(add_argument(ctx.content, arguments, guard), how="Release the GIL with a call guard")
        if target.kind == "lambda" and long_calls:
            return self.release_statement(ctx, binding, long_calls)
        if target.kind == "lambda":
            # Whatever the parameters are, the body may convert them first: which statement is
            # long is unknown, so no parameter is named as the blocker.
            return cannot_tell("the body touches Python objects and makes no configured long call of its own")
        listed = ", ".join(f"{what} is `{type_text}`" for what, type_text in python)
        return cannot_tell(f"{listed}: Python objects that need the GIL")

    @staticmethod
    def signature_types(model: BindingModel, binding: Binding) -> list[tuple[str, str]] | None:
        """(what, type) for every parameter and the result; None when not visible."""
        target = binding.callable
        if target.kind == "lambda":
            types = [(f"parameter `{p.name or '?'}`", p.type) for p in target.params]
            if target.declared_return:
                types.append(("the result", target.declared_return))
            return types
        signatures = model.signatures(target)
        if not signatures:
            return None
        return [
            (what, t)
            for s in signatures
            for what, t in [*((f"a parameter of `{target.name}`", p) for p in s.params), ("the result", s.returns)]
        ]

    def release_statement(self, ctx: Context, binding: Binding, long_calls: list[Node]) -> Decision:
        """Release the GIL around the one statement of the lambda body that makes the long call."""
        model = ctx.model
        body = binding.callable.body
        statement = long_calls[0]
        while statement.parent is not None and statement.parent != body:
            statement = statement.parent
        if statement.parent != body:
            return Decision(blocker="the long call is not a statement of its own in the body")
        blocker = python_use(model, statement)
        if blocker is not None:
            return cannot_tell(blocker)
        release = f"{model.dialect.prefix}gil_scoped_release release;"
        if statement.type == "declaration":
            declarators = statement.children_by_field_name("declarator")
            value = declarators[0].child_by_field_name("value") if len(declarators) == 1 else None
            if value is None or value.type == "argument_list" or declarators[0].type != "init_declarator":
                return Decision(blocker="the long call initialises its variable in a form nbfix does not rewrite")
            edit = replace(value, f"[&] {{ {release} return {node_text(value)}; }}()")
        elif statement.type == "return_statement" and statement.named_children:
            if binding.callable.declared_return is not None:
                return Decision(blocker="the lambda declares its result type; release the GIL by hand")
            value = statement.named_children[0]
            edit = replace(value, f"[&] {{ {release} return {node_text(value)}; }}()")
        elif statement.type == "expression_statement":
            edit = replace(statement, f"{{ {release} {node_text(statement)} }}")
        else:
            return Decision(blocker="the long call sits inside a compound statement")
        return Decision((edit,), how="Release the GIL around the long call only")


def is_python_type(model: BindingModel, type_text: str) -> bool:
    core = "".join(type_text.replace("const ", " ").split()).rstrip("&*").removeprefix("const")
    base = core.partition("<")[0]
    stripped = model.dialect.strip(base)
    return stripped is not None and "::" not in stripped and stripped in PYTHON_TYPES and (
        "::" in base or model.dialect.unqualified
    )


def python_use(model: BindingModel, statement: Node) -> str | None:
    """Why a statement cannot run without the GIL, or None: every name it uses has a C++ type."""
    if model.touches_python(statement):
        return f"`{code_text(statement)[:60]}` uses the binding library"
    declared = None
    if statement.type == "declaration":
        declarators = statement.children_by_field_name("declarator")
        name = declarators[0].child_by_field_name("declarator") if declarators else None
        declared = node_text(name) if name is not None else None
    for identifier in descendants(statement, {"identifier"}):
        name = node_text(identifier)
        parent = identifier.parent
        if name == declared or (parent.type == "call_expression" and parent.child_by_field_name("function") == identifier):
            continue
        type_text = model.declared_type(name, statement)
        if type_text is None:
            return f"the type of `{name}` is not visible"
        if is_python_type(model, type_text):
            return f"`{name}` is `{type_text}`, a Python object that needs the GIL"
    return None
