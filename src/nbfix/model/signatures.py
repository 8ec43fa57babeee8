"""nanobind `sig` strings: what a binding's C++ side says its Python signature must have, and
the checks nbfix makes before writing one (nanobind makes none)."""

from __future__ import annotations

import re

from nbfix.cpp.returns import returned_expressions
from nbfix.model.bindings import Binding, BindingModel


def validate(signature: str, name: str, is_method: bool, count: int) -> str | None:
    """nanobind does not check a sig: a bad one renames the binding or aborts at import."""
    match = re.fullmatch(r"def ([A-Za-z_]\w*)\((.*)\)(?: -> .+)?", signature)
    if signature.rstrip().endswith(":") or match is None:
        return "not of the form `def name(...) -> T`"
    if match[1] != name:
        return f"names `{match[1]}` instead of `{name}`"
    params = [p.strip() for p in split_params(match[2]) if p.strip() not in ("*", "/")]
    if is_method:
        if not params or params[0] != "self":
            return "lacks `self`"
        params = params[1:]
    if len(params) != count:
        return f"has {len(params)} parameters where C++ has {count}"
    return None


def split_params(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char in "[(" and 1 or (char in "])" and -1 or 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current] if current.strip() else parts


def cpp_types(model: BindingModel, binding: Binding) -> tuple[list[str], str | None] | None:
    """(parameter types without self, result type) of what a binding calls, or None. A lambda
    without `-> T` gets the type its `return` statements show, if they agree."""
    target = binding.callable
    if target.kind == "lambda":
        params = [p.type for p in target.params]
        result = target.declared_return
        if result is None:
            deduced = model.deduced_returns(target) if target.body is not None else []
            has_return = target.body is not None and any(True for _ in returned_expressions(target.body))
            result = deduced[0] if len(deduced) == 1 else None if has_return else "void"
        return (params[1:] if binding.is_method else params), result
    signatures = model.signatures(target)
    if not signatures or len(signatures) != 1:
        return None
    params = list(signatures[0].params)
    if target.kind == "function" and binding.is_method:
        params = params[1:]
    return params, signatures[0].returns
