"""Mutable plain data without `dataclasses`: creating a dataclass costs about a millisecond at
import and `dataclasses` itself about 20 ms, paid by every one-file `nbfix check`. Immutable
data is a `typing.NamedTuple`; mutable data is a class with an explicit `__init__` that lists
its fields in `_fields` and takes equality and repr from here.

A module that defines a NamedTuple does without `from __future__ import annotations`: typing
compiles each string annotation of a NamedTuple, and the first `compile()` of a process builds
every AST type (about 2 ms). Annotations that name what is imported only for type checkers, or
a class defined further down, are written as strings there."""

from __future__ import annotations


class Fields:
    """Equality (same class, equal fields) and a repr, from the class's `_fields`."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()
    __hash__ = None  # mutable: never a dict key

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in self._fields)

    def replace(self, **changes: object):
        """A copy with some fields changed (the class's `__init__` takes every field by name)."""
        return type(self)(**{**{name: getattr(self, name) for name in self._fields}, **changes})

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({inner})"


def is_record(cls: type) -> bool:
    """nbfix's plain data: a NamedTuple or a `Fields` class (`_fields` names its data)."""
    return issubclass(cls, Fields) or (issubclass(cls, tuple) and hasattr(cls, "_fields"))
