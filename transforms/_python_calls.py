"""Rewriting Python code that calls a ported extension module (NB509, PORTING.md 1.9).

Only expressions that visibly reach the module are touched: `ext.f(...)`, `alias.f(...)`,
`f(...)` after `from ext import f`, and the same through a package whose `__init__.py`
re-exports the module's names. Facts about parameters and enums come from the C++ bindings
(`nbfix.model.python_api`); what they cannot settle is a note, never an edit.
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import MetadataWrapper, PositionProvider

from nbfix.model.python_api import Callee, PythonApi
from nbfix_transforms._port_text import Lines, Note

# What a module name exposes of the extension: None for everything, else the re-exported names.
Exports = dict[str, "frozenset[str] | None"]


def reexports(init_files: Iterable[tuple[str, str]], api: PythonApi) -> Exports:
    """The extension modules, and the packages whose `__init__.py` (given as package name and
    text) imports names from one of them."""
    exports: Exports = {name: None for name in api.modules}
    for package, text in init_files:
        try:
            module = cst.parse_module(text)
        except cst.ParserSyntaxError:
            continue
        names: set[str] = set()
        everything = False
        found = _ModuleImports()
        module.visit(found)
        for small in found.imports:
            if _last(small.module) in api.modules:
                if isinstance(small.names, cst.ImportStar):
                    everything = True
                else:
                    names.update(_local_name(a) for a in small.names)
        if everything or names:
            exports[package] = None if everything else frozenset(names)
    return exports


class _ModuleImports(cst.CSTVisitor):
    """The `from ... import` statements run when the module is imported: at the top level or
    under `if`/`try`/`with`, not inside functions or classes."""

    def __init__(self) -> None:
        super().__init__()
        self.imports: list[cst.ImportFrom] = []

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self.imports.append(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False


def _parent(node: cst.BaseExpression | None) -> str | None:
    """`ext` of `pkg.ext.linalg` (the module one level up, by its last name)."""
    dotted = get_full_name_for_node(node) if node is not None else None
    return dotted.rpartition(".")[0].rpartition(".")[2] if dotted and "." in dotted else None


def _last(node: cst.BaseExpression | None) -> str | None:
    name = get_full_name_for_node(node) if node is not None else None
    return name.rpartition(".")[2] if name else None


def _local_name(alias: cst.ImportAlias) -> str:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return get_full_name_for_node(alias.name) or ""


def port_python(text: str, api: PythonApi, exports: Exports) -> tuple[str, list[Note]]:
    """`text` with the calls into the extension that nanobind would reject made acceptable,
    and notes for what needs a person."""
    wrapper = MetadataWrapper(cst.parse_module(text))
    transformer = _PortCalls(api, exports, Lines(text))
    return wrapper.visit(transformer).code, transformer.notes


class _PortCalls(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, api: PythonApi, exports: Exports, lines: Lines) -> None:
        super().__init__()
        self.api = api
        self.exports = exports
        self.lines = lines
        self.modules: dict[str, frozenset[str] | None] = {}  # local dotted name -> what it exposes
        self.submodules: dict[str, str] = {}  # local name -> extension submodule (`from ext import linalg`)
        self.imported: dict[str, str] = {}  # local name -> module attribute
        self.notes: list[Note] = []

    # -- what reaches the module --------------------------------------------------------------

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            dotted = get_full_name_for_node(alias.name) or ""
            parent, _, last = dotted.rpartition(".")
            if last in self.exports:
                self.modules[_local_name(alias) if alias.asname else dotted] = self.exports[last]
            elif alias.asname and self._is_submodule(parent.rpartition(".")[2], last):  # `import ext.linalg as la`
                self.submodules[_local_name(alias)] = last

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        source = _last(node.module)
        if isinstance(node.names, cst.ImportStar):
            if source in self.exports:
                self.note(node, "`import *` from the extension: nbfix cannot tell which names are its, so calls "
                                "through them are not checked; import the names or the module")
            return
        for alias in node.names:
            name = get_full_name_for_node(alias.name) or ""
            if name in self.exports:  # `from pkg import _core [as e]`
                self.modules[_local_name(alias)] = self.exports[name]
            elif self._is_submodule(source, name):  # `from ext import linalg`
                self.submodules[_local_name(alias)] = name
            elif source in self.exports and self._exposes(self.exports[source], name):
                self.imported[_local_name(alias)] = name
            elif self._is_submodule(_parent(node.module), source):  # `from ext.linalg import norm`
                self.imported[_local_name(alias)] = f"{source}.{name}"

    @staticmethod
    def _exposes(names: frozenset[str] | None, name: str) -> bool:
        return names is None or name in names

    def _is_submodule(self, module: str | None, name: str | None) -> bool:
        """Is `module.name` a submodule the extension makes (`m.def_submodule(name)`)?"""
        return module in self.exports and name in self.api.submodules and self._exposes(self.exports[module], name)

    def attribute_of(self, node: cst.BaseExpression) -> str | None:
        """The module attribute an expression names, if it visibly reaches the module: `f` for
        `ext.f`, `linalg.norm` for `ext.linalg.norm` or `la.norm` after `from ext import linalg as la`."""
        if isinstance(node, cst.Name):
            return self.imported.get(node.value)
        if isinstance(node, cst.Attribute):
            owner = get_full_name_for_node(node.value)
            if owner in self.modules and self._exposes(self.modules[owner], node.attr.value):
                return node.attr.value
            if owner in self.submodules:
                return f"{self.submodules[owner]}.{node.attr.value}"
            parent, _, sub = (owner or "").rpartition(".")
            if parent in self.modules and sub in self.api.submodules and self._exposes(self.modules[parent], sub):
                return f"{sub}.{node.attr.value}"
        return None

    def enum_of(self, node: cst.BaseExpression) -> str | None:
        """`ext.Color.Red`, `Color.Red` -> "Color" for a bound enum."""
        if isinstance(node, cst.Attribute):
            owner = self.attribute_of(node.value)
            if owner in self.api.enums:
                return owner
        return None

    # -- rewrites -----------------------------------------------------------------------------

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        function = get_full_name_for_node(original.func)
        single = original.args[0].value if len(original.args) == 1 and original.args[0].keyword is None else None
        if function == "int" and single is not None and (enum := self.enum_of(single)) is not None:
            if self.api.enums[enum]:
                return updated  # `is_arithmetic()`: int() still works
            return cst.Attribute(value=updated.args[0].value, attr=cst.Name("value"))
        if function == "repr" and single is not None and (enum := self.enum_of(single)) is not None:
            self.note(original, f"repr() of a {enum} member is `{enum}.Member` under nanobind (pybind11: "
                                f"`<{enum}.Member: value>`): update what compares against it")
        elif function in ("pickle.dumps", "dumps") and single is not None and self.attribute_of(single) in self.api.callables:
            self.note(original, "nanobind's functions cannot be pickled (pybind11's can): pickle a reference to it "
                                "(module and name) instead")
        attribute = self.attribute_of(original.func)
        overloads = self.api.callables.get(attribute or "")
        if not overloads:
            return updated
        return updated.with_changes(args=[self._argument(original, i, arg, overloads) for i, arg in enumerate(updated.args)])

    def _argument(self, call: cst.Call, index: int, arg: cst.Arg, overloads: tuple[Callee, ...]) -> cst.Arg:
        if arg.star or any(a.star for a in call.args[:index]):
            return arg
        keyword = arg.keyword.value if arg.keyword is not None else None
        positions = [(o, index if keyword is None else o.position_of(keyword)) for o in overloads]
        taking = [(o, p) for o, p in positions if p is not None and p < len(o.types)]
        value = arg.value
        if isinstance(value, cst.Integer) and value.value in ("0", "1") and taking:
            bools = [o.takes_bool(p) for o, p in taking]
            if all(bools):
                return arg.with_changes(value=cst.Name("True" if value.value == "1" else "False"))
            if any(bools):
                self.note(call.args[index], "some overloads take a bool here and nanobind rejects 0/1 for bool: pass "
                                            "True/False if that overload is meant")
        if isinstance(value, cst.Name) and value.value == "None" and any(o.refuses_none(p) for o, p in taking):
            self.note(call.args[index], "None for a pointer parameter: nanobind raises TypeError unless the binding "
                                        "marks the argument `.none()` (`nb::arg(\"x\").none()`)")
        return arg

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        """pybind11's enum internals `Color.__entries` -> `Color.__members__` (enum.Enum's)."""
        if original.attr.value == "__entries" and self.attribute_of(original.value) in self.api.enums:
            return updated.with_changes(attr=cst.Name("__members__"))
        return updated

    def visit_Comparison(self, node: cst.Comparison) -> None:
        parts = [node.left] + [c.comparator for c in node.comparisons]
        if any(isinstance(p, cst.SimpleString) and p.evaluated_value == "builtin_function_or_method" for p in parts):
            self.note(node, "nanobind's functions are of type `nb_func`, not `builtin_function_or_method`: "
                            "test with callable() or inspect instead")

    def note(self, node: cst.CSTNode, message: str) -> None:
        position = self.get_metadata(PositionProvider, node)
        start = self.lines.offset(position.start.line, position.start.column)
        end = self.lines.offset(position.end.line, position.end.column)
        self.notes.append(Note(start, end, message))
