"""What a rule is: its metadata, options, the context it sees of one file, and `check`."""

from typing import TYPE_CHECKING, Any, ClassVar, Iterator, NamedTuple

from nbfix.core.findings import Edit, FileEdit, Finding, Fix, Priority, Safety
from nbfix.core.source import Source

if TYPE_CHECKING:
    from tree_sitter import Node

    from nbfix.model.bindings import BindingModel


class Option(NamedTuple):
    """A per-rule setting under `[tool.nbfix.rules.<name>]`."""

    default: Any
    help: str

    def validate(self, rule: str, key: str, value: Any) -> Any:
        expected = type(self.default)
        if isinstance(self.default, list):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"rules.{rule}.{key} must be a list of strings")
        elif isinstance(self.default, dict):
            def text_or_texts(v: Any) -> bool:
                return isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v))

            if not isinstance(value, dict) or not all(text_or_texts(v) for v in value.values()):
                raise ValueError(f"rules.{rule}.{key} must be a table of strings or lists of strings")
        elif not isinstance(value, expected):
            raise ValueError(f"rules.{rule}.{key} must be a {expected.__name__}")
        return value


class Context:
    """What a rule sees of one file."""

    def __init__(
        self,
        source: Source,
        content: bytes,
        model: "BindingModel",
        options: dict[str, Any] | None = None,
        file_content: bytes | None = None,  # set when `content` is a macro body inside this file
        file_root: "Node | None" = None,
    ) -> None:
        self.source = source
        self.content = content
        self.model = model
        self.options = {} if options is None else options
        self.file_content = file_content
        self.file_root = file_root

    def text(self, node: "Node") -> str:
        return self.content[node.start_byte:node.end_byte].decode("utf-8")

    def ensure_includes(self, headers: list[str], library: str) -> Edit | None:
        """The edit adding missing `#include`s to the file (also from inside a macro body)."""
        from nbfix.cpp.text import ensure_includes

        if self.file_content is None or self.file_root is None:
            return ensure_includes(self.content, self.model.tree.root_node, headers, library)
        edit = ensure_includes(self.file_content, self.file_root, headers, library)
        return FileEdit(edit.start, edit.end, edit.text) if edit is not None else None


class Rule:
    """Base class of every rule. Subclasses set the metadata and implement `check`.

    The subclass docstring is the rule's documentation, in four sections:
    What it finds / Why it matters / Example / Fix safety.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    priority: ClassVar[Priority]
    fix_safety: ClassVar[Safety]
    summary: ClassVar[str]
    options: ClassVar[dict[str, Option]] = {}
    # Rules that only run when selected by exact code or name.
    opt_in: ClassVar[bool] = False
    # What the rule reads: "cpp" rules check one C++ file; other kinds are porting rules
    # (`nbfix.rules.porting.PortRule`), which only `nbfix port` runs.
    files: ClassVar[str] = "cpp"
    # Text the rule cannot fire without: a file containing none of it is not modelled for the
    # rule (empty: always run). Must be a necessary condition; tests compare with and without.
    needles: ClassVar[tuple[bytes, ...]] = ()
    # Its unsafe fixes may move Python names (`Fix.python_moves`): with unsafe fixes on, `apply`
    # then writes every file at the end, together with the Python side, instead of file by file.
    moves_python_names: ClassVar[bool] = False

    def may_fire(self, content: bytes) -> bool:
        return not self.needles or any(needle in content for needle in self.needles)

    def check(self, ctx: Context) -> Iterator[Finding]:
        raise NotImplementedError

    @classmethod
    def documentation(cls) -> str:
        import inspect

        return inspect.cleandoc(cls.__doc__ or "")

    def finding(self, node: "Node", message: str, fix: Fix | None = None, noise: bool = False) -> Finding:
        return Finding(self.code, self.name, self.priority, message, node.start_byte, node.end_byte, fix, noise)

    def fix(self, title: str, *edits: Edit, safety: Safety | None = None) -> Fix:
        return Fix(tuple(sorted(edits)), safety or self.fix_safety, title)
