"""Text of tree-sitter nodes as nbfix compares it: squashed, without comments, string literals unescaped."""


from tree_sitter import Node

from nbfix.core.patterns import LazyPattern

_WS = LazyPattern(r"\s+")


def squash(text: str) -> str:
    """Text with all white space removed, for comparing C++ spellings."""
    return _WS.sub("", text)


def node_text(node: Node) -> str:
    text = node.text  # a new copy of the bytes each time it is asked for
    return text.decode("utf-8", "replace") if text is not None else ""


def code_text(node: Node) -> str:
    """A node's tokens without comments or white space: `nb::rv_policy:: /* x */ reference`
    -> `nb::rv_policy::reference`."""
    text = node_text(node)
    if "/" not in text:
        return squash(text)
    parts = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "comment":
            continue
        if current.child_count == 0 or current.type in ("string_literal", "raw_string_literal"):
            parts.append(node_text(current))
        else:
            stack.extend(reversed(current.children))
    return squash("".join(parts))


def string_value(node: Node | None) -> str | None:
    """The text of a string literal (raw or not, concatenated or not), or None."""
    if node is None:
        return None
    if node.type == "string_literal":
        return "".join(
            _unescape(node_text(c)) if c.type == "escape_sequence" else node_text(c)
            for c in node.named_children
            if c.type in ("string_content", "escape_sequence")
        )
    if node.type == "raw_string_literal":
        content = [c for c in node.named_children if c.type == "raw_string_content"]
        return node_text(content[0]) if content else ""
    if node.type == "concatenated_string":
        parts = [string_value(c) for c in node.named_children]
        return "".join(p for p in parts if p is not None)
    return None


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'", "?": "?", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def _unescape(sequence: str) -> str:
    """A C escape sequence as the character it stands for (unknown ones stay as written)."""
    return _ESCAPES.get(sequence[1:], sequence) if len(sequence) == 2 else sequence


def inside_try(node: Node, stop: Node | None = None) -> bool:
    """Is `node` inside a `try` block, looking up to `stop` or the enclosing function?"""
    current = node.parent
    while current is not None and current != stop:
        if current.type == "try_statement":
            return True
        if current.type in ("function_definition", "lambda_expression"):
            return False
        current = current.parent
    return False


def squash_type(text: str) -> str:
    return " ".join(text.split())
