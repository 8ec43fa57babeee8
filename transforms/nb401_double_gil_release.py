"""NB401 double-gil-release."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from nbfix.cpp.text import remove_statement
from nbfix.model.bindings import BindingModel
from nbfix.rules import Context, Edit, Finding, Priority, Rule, Safety

if TYPE_CHECKING:
    from tree_sitter import Node


class DoubleGilRelease(Rule):
    """
    ## What it finds
    A binding annotated with `call_guard<gil_scoped_release>()` whose lambda body creates a
    `gil_scoped_release` of its own.

    ## Why it matters
    The call guard has already released the GIL when the body runs. Releasing it a second time is
    a fatal error on every call: `Fatal Python error: PyEval_SaveThread: the function must be called
    with the GIL held, but the GIL is released`, and the interpreter aborts.

    ## Example
    ```cpp
    .def("run", [](Worker &w) {
        nb::gil_scoped_release release;
        return w.run();
    }, nb::call_guard<nb::gil_scoped_release>())
    ```
    Use instead:
    ```cpp
    .def("run", [](Worker &w) {
        return w.run();
    }, nb::call_guard<nb::gil_scoped_release>())
    ```

    ## Fix safety
    Safe. The body already runs without the GIL under the guard, so the in-body release did nothing
    but crash. A `gil_scoped_acquire` later in the same block is removed too when it only undid the
    release (nothing after it in that block touches Python); any other acquire stays, because
    re-acquiring inside a released guard is valid and still needed there.
    """

    code = "NB401"
    name = "double-gil-release"
    priority = Priority.HIGH
    fix_safety = Safety.SAFE
    summary = "call_guard<gil_scoped_release> plus an in-body gil_scoped_release: fatal error on every call"
    needles = (b"gil_scoped_release",)

    def check(self, ctx: Context) -> Iterator[Finding]:
        model = ctx.model
        for binding in model.bindings:
            guards = [e for e in binding.extras_of("call_guard") if "gil_scoped_release" in str(e.value)]
            body = binding.callable.body if binding.callable is not None else None
            if not guards or body is None:
                continue
            releases = model.declarations_of(body, "gil_scoped_release")
            if not releases:
                continue
            edits = [remove_statement(ctx.content, r) for r in releases]
            edits += [remove_statement(ctx.content, a) for a in self.undoing_acquires(model, body, releases)]
            what = f'"{binding.python_name}"' if binding.python_name else "this binding"
            yield self.finding(
                releases[0],
                f"{what} releases the GIL in its body under call_guard<gil_scoped_release>: "
                "a fatal error on every call",
                self.fix("Remove the in-body release", *self.merge(edits)),
            )

    @staticmethod
    def undoing_acquires(model: BindingModel, body: Node, releases: list[Node]) -> list[Node]:
        undoing = []
        for acquire in model.declarations_of(body, "gil_scoped_acquire"):
            block = acquire.parent
            if not any(r.parent == block and r.start_byte < acquire.start_byte for r in releases):
                continue
            after = [s for s in block.named_children if s.start_byte > acquire.end_byte and s.type != "comment"]
            if all(s.type == "return_statement" and not model.touches_python(s) for s in after):
                undoing.append(acquire)
        return undoing

    @staticmethod
    def merge(edits: list[Edit]) -> list[Edit]:
        """Whole-line deletions of neighbouring statements may touch: join them."""
        merged: list[Edit] = []
        for edit in sorted(edits):
            if merged and merged[-1].end >= edit.start:
                last = merged.pop()
                merged.append(Edit(last.start, max(last.end, edit.end), ""))
            else:
                merged.append(edit)
        return merged
