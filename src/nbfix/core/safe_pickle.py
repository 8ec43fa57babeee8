"""Pickles of nbfix's plain data that cannot run code when loaded (cache entries). A module of
its own so that `pickle` loads only when an entry is read or written."""

from __future__ import annotations

import enum
import io
import pickle
from typing import Any, BinaryIO

from nbfix.core.records import is_record

PicklingError = pickle.PicklingError


class _SafeUnpickler(pickle.Unpickler):
    """Only nbfix's plain data, enums and plain containers: a planted entry cannot run code."""

    _BUILTINS = frozenset({"set", "frozenset", "list", "dict", "tuple", "bytes", "str", "int", "bool"})

    def find_class(self, module: str, name: str) -> Any:
        if module == "builtins" and name in self._BUILTINS:
            return super().find_class(module, name)
        if module.split(".")[0] in ("nbfix", "nbfix_transforms") and not name.startswith("_"):
            found = super().find_class(module, name)
            if isinstance(found, type) and (is_record(found) or issubclass(found, enum.Enum)):
                return found  # plain data: building one runs no code of the entry's choosing
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the nbfix cache")


def loads(data: bytes) -> Any:
    return _SafeUnpickler(io.BytesIO(data)).load()


def dump(value: Any, out: BinaryIO) -> None:
    pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
