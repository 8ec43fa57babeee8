"""NB509 python-side."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from nbfix.rules import PortContext, PortedFile, PortRule, Priority, Safety

if TYPE_CHECKING:
    from nbfix_transforms._port_text import Text
    from nbfix_transforms._python_calls import Exports


class PythonSide(PortRule):
    """
    ## What it finds
    Python code (tests, package code) calling a ported extension module in ways nanobind
    rejects or answers differently, for `nbfix port`: `0`/`1` passed to a `bool` parameter,
    `int()` of a member of an enum that is not arithmetic, pybind11's enum internals
    (`Color.__entries`), `None` for a pointer parameter without `.none()`, `repr()` of an enum
    member, `builtin_function_or_method` type checks, pickled bound functions. Only calls that
    visibly reach the module are looked at (`ext.f(...)`, `from ext import f`, a package
    re-exporting the module's names, a submodule the bindings make with `def_submodule`:
    `ext.linalg.f(...)`, `from ext import linalg`); the parameter types, keywords and enums come
    from the C++ bindings.

    ## Why it matters
    pybind11 converts `0`/`1` to `bool` and its enums to `int`; nanobind raises `TypeError` for
    both, so tests that passed before the port fail after it although the C++ is right.

    ## Example
    ```python
    import ext
    ext.configure(10, 1, strict=0)
    assert int(ext.Color.Red) == 0
    ```
    Use instead:
    ```python
    import ext
    ext.configure(10, True, strict=False)
    assert ext.Color.Red.value == 0
    ```

    ## Fix safety
    Safe: `True`/`False` is what pybind11 made of `1`/`0` for these parameters, `.value` is what
    `int()` returned for the member, and `__members__` holds the enum's members. Where the
    overloads disagree or the difference is in behaviour (`None`, `repr`, pickling, function
    types) it reports with advice instead. Only `nbfix port` runs this rule.
    """

    code = "NB509"
    name = "python-side"
    priority = Priority.HIGH
    fix_safety = Safety.SAFE
    summary = "Python calls into the ported module that nanobind rejects (0/1 for bool, int(enum), ...)"
    files = "python"

    def port(self, ctx: PortContext) -> list[PortedFile]:
        if ctx.api is None or not ctx.api.modules:
            return []
        # The helpers (libcst) load only when a port runs, never for `check`.
        from nbfix_transforms._port_text import Text
        from nbfix_transforms._python_calls import reexports

        texts = {path: Text.read(path) for path in ctx.python_paths}
        inits = [(p.parent.name, t.text) for p, t in texts.items() if p.name == "__init__.py" and t is not None]
        exports = reexports(inits, ctx.api)
        ported = []
        for path, text in texts.items():
            if text is None:
                continue
            result = self._port_file(path, text, ctx, exports)
            if result.changed or result.findings:
                ported.append(result)
        return ported

    def _port_file(self, path: Path, text: Text, ctx: PortContext, exports: Exports) -> PortedFile:
        import libcst as cst

        from nbfix_transforms._port_text import Note, byte_offset
        from nbfix_transforms._python_calls import port_python

        try:
            new, notes = port_python(text.text, ctx.api, exports)
        except cst.ParserSyntaxError as exc:
            new, notes = text.text, [Note(0, 0, f"not parsed as Python ({exc.message}); not ported")]
        findings = tuple(self.at(byte_offset(text.text, n.start), byte_offset(text.text, n.end), n.message) for n in notes)
        return PortedFile(path, text.encoded(text.text), text.encoded(new), findings)
