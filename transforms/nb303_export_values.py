"""NB303 export-values."""

from __future__ import annotations

from typing import Iterator

from nbfix.model.edits import append_to_class
from nbfix.rules import Context, Finding, Priority, Rule, Safety


class ExportValues(Rule):
    """
    ## What it finds
    An `enum_` binding of an unscoped C++ `enum` (not `enum class`), whose declaration is among
    the given files, without `.export_values()`. Off unless selected by its code or name.

    ## Why it matters
    C++ code names the values of an unscoped enum without the enum's name (`Circle`, not
    `Shape::Circle`), and so does a Python API that mirrors it: `export_values()` copies the
    members into the enclosing scope, so `ext.Circle` works next to `ext.Shape.Circle`.

    ## Example
    ```cpp
    enum Shape { Circle, Square };
    nb::enum_<Shape>(m, "Shape").value("Circle", Circle).value("Square", Square);
    ```
    Use instead:
    ```cpp
    nb::enum_<Shape>(m, "Shape").value("Circle", Circle).value("Square", Square).export_values();
    ```

    ## Fix safety
    Unsafe: it adds attributes to the module (or the enclosing class), which can shadow or be
    shadowed by other names there. Scoped enums are never reported: their values are meant to
    stay inside the enum.
    """

    code = "NB303"
    name = "export-values"
    priority = Priority.LOW
    fix_safety = Safety.UNSAFE
    summary = "enum_ of an unscoped C++ enum without .export_values()"
    needles = (b"enum_",)
    opt_in = True

    def check(self, ctx: Context) -> Iterator[Finding]:
        model = ctx.model
        for cls in model.classes:
            if cls.kind != "enum" or not cls.creates or model.project.enums.get(cls.short_type) is not False:
                continue
            exported = "export_values" in (cls.chain_end().text or b"").decode("utf-8", "replace")
            exported = exported or any(
                b"export_values" in (s.text or b"") for s in statements_on(cls)
            )
            if exported:
                continue
            yield self.finding(
                cls.node,
                f'enum "{cls.python_name}" mirrors an unscoped C++ enum but does not export its values '
                f"into the enclosing scope",
                self.fix("Add .export_values()", append_to_class(ctx.content, cls, ["export_values()"])),
            )


def statements_on(cls):
    """Statements after the creating one that use the enum's variable."""
    if cls.variable is None:
        return []
    statement = cls.statement()
    block = statement.parent
    return [
        s for s in (block.named_children if block is not None else [])
        if s.start_byte > statement.start_byte and cls.variable.encode() in (s.text or b"")
    ]
