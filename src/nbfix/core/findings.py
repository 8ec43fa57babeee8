"""What a rule yields: findings with optional fixes made of byte-range edits."""

from enum import Enum
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:

    pass


class Priority(str, Enum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        return {"high": 0, "medium": 1, "low": 2}[self.value]


class Safety(str, Enum):
    SAFE = "safe"
    UNSAFE = "unsafe"
    SUGGEST = "suggest"


# Plain data is a NamedTuple or a `records.Fields` class, never a dataclass (see records.py).


class Edit(NamedTuple):
    """Replace content bytes [start, end) with `text`. An insertion has start == end."""

    start: int
    end: int
    text: str

    @property
    def is_insertion(self) -> bool:
        return self.start == self.end

    def conflicts(self, other: "Edit") -> bool:
        if self.start < other.end and other.start < self.end:
            return True
        # An insertion touching another edit's range has no well-defined order: never apply both.
        if self.is_insertion and other.start <= self.start <= other.end:
            return True
        return other.is_insertion and self.start <= other.start <= self.end


class FileEdit(Edit):
    """An edit made from inside a macro body that belongs to the file itself (an `#include`):
    its offsets are file offsets already."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:  # never equal to an `Edit` at the same offsets
        return type(other) is FileEdit and tuple.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = Edit.__hash__


class PythonMove(NamedTuple):
    """A follow-up for Python code using the bindings: `module.name` is now `module.submodule.name`."""

    module: str
    name: str
    submodule: str


class Fix(NamedTuple):
    edits: tuple[Edit, ...]
    safety: Safety
    title: str
    python_moves: tuple[PythonMove, ...] = ()  # rewrites of Python call sites this fix needs
    follow_up: str = ""  # what a person must still do once the fix is made (the port rules say)


class Finding(NamedTuple):
    code: str
    name: str
    priority: Priority
    message: str
    start: int  # byte offsets into the file content
    end: int
    fix: Fix | None = None
    # Nothing to act on (no fix, no concrete advice): hidden, and counted, unless the rule's
    # `report-noise` option is on.
    noise: bool = False


def fixable(fix, unsafe_fixes: bool) -> bool:
    """Would `apply` make this fix (with or without `--unsafe-fixes`)?"""
    return fix is not None and (fix.safety is Safety.SAFE or (fix.safety is Safety.UNSAFE and unsafe_fixes))
