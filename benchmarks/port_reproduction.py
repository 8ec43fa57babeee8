"""How much of a real hand port from pybind11 to nanobind `nbfix port` reproduces, token by token.

Given a git repository and the commit that moved it to nanobind, the script exports the tree as
it was before that commit, runs `nbfix port --no-lint PATHS` on it (default `.`, as a user ports a
project), and compares three versions of every file either port changed as token sequences,
comments and whitespace ignored: before (B), the hand port (H) and nbfix's port (P).

    hand edit     = tokens removed + tokens inserted going from B to H   (difflib opcodes)
    left to do    = the same count going from P to H
    reproduced    = 1 - left to do / hand edit

A second figure ignores which name each port gives nanobind's namespace (`namespace py =
nanobind;` kept from pybind11 against nbfix's `nb`): that choice is style, not port work. A
third counts only the C++ files the hand port changed where they were (or moved): the port
proper, without the files it added or deleted and without build and Python files.

A wrong rewrite by nbfix counts against it (it adds to what is left to do), and so does every part
of the hand port that nbfix does not make. Files the hand port added (new helpers) count in full;
a file it moved (`pybind/x.cpp` -> `nanobind/x.cpp`, as git detects moves) is compared at its new
name, since moving a file changes no token.

    python benchmarks/port_reproduction.py REPO_GIT_DIR COMMIT [PATHS...] [--nbfix PATH] [--json]
        [--target-version 2|3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PORTED = re.compile(r"\.(?:c|cc|cpp|cxx|h|hh|hpp|hxx|inl|py|toml|txt|cmake|cfg)$|(?:^|/)CMakeLists\.txt$")
_CPP_TOKEN = re.compile(
    r"""
    //[^\n]*                                   # line comment (dropped)
  | /\*.*?\*/                                  # block comment (dropped)
  | \#[ \t]*(?:[A-Za-z_]\w*)                   # preprocessor directive name
  | R"(?P<delim>[^(\s]*)\(.*?\)(?P=delim)"     # raw string
  | "(?:\\.|[^"\\\n])*"                        # string
  | '(?:\\.|[^'\\\n])*'                        # character
  | [A-Za-z_]\w*                               # identifier or keyword
  | \d[\w.']*                                  # number
  | ::|->|<<=|>>=|\.\.\.|[-+*/%&|^!=<>]=|&&|\|\||<<|>>|\+\+|--   # multi-character punctuation
  | \S                                         # any other single character
    """,
    re.VERBOSE | re.DOTALL,
)
_HASH_TOKEN = re.compile(r"""\#[^\n]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|[A-Za-z_][\w.-]*|\d[\w.]*|\S""")


_CPP_FILE = re.compile(r"\.(?:c|cc|cpp|cxx|h|hh|hpp|hxx|inl)$")


def tokens(path: str, text: str) -> list[str]:
    """The file's tokens without comments or whitespace: C-style comments for C/C++, `#` comments
    for Python, TOML and CMake."""
    if _CPP_FILE.search(path):
        found = (m.group(0) for m in _CPP_TOKEN.finditer(text))
        return _joined_strings([t for t in found if not t.startswith(("//", "/*"))])
    found = (m.group(0) for m in _HASH_TOKEN.finditer(text))
    return [t for t in found if not t.startswith("#")]


def _joined_strings(found: list[str]) -> list[str]:
    """Adjacent plain string literals as the one literal C++ makes of them (a formatter splits
    long ones across lines)."""
    joined: list[str] = []
    for token in found:
        if token.startswith('"') and joined and joined[-1].startswith('"'):
            joined[-1] = joined[-1][:-1] + token[1:]
        else:
            joined.append(token)
    return joined


def edit_size(a: list[str], b: list[str]) -> int:
    """Tokens removed plus tokens inserted to turn `a` into `b`."""
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return sum((i2 - i1) + (j2 - j1) for op, i1, i2, j1, j2 in matcher.get_opcodes() if op != "equal")


def git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", "--git-dir", str(repo), *args], check=True, capture_output=True).stdout


def changed_files(repo: Path, commit: str) -> list[tuple[str, str, str]]:
    """(status, path before, path after) of each file the commit changed that a port could touch.
    A file git sees as moved (`R`, its default 50% similarity) is one row: the move itself changes
    no token, its edits count like those of a file left in place."""
    out = git(repo, "diff", "--name-status", "--find-renames", f"{commit}^", commit).decode()
    rows = []
    for line in filter(None, out.splitlines()):
        status, *paths = line.split("\t")
        old, new = (paths * 2)[:2] if len(paths) == 1 else paths
        if PORTED.search(old) or PORTED.search(new):
            rows.append((status[0], old, new))
    return rows


def export_before(repo: Path, commit: str, folder: Path) -> None:
    """The whole tree as it was before the commit (the port needs the headers too)."""
    try:
        archive = git(repo, "archive", "--format=tar", f"{commit}^")
    except subprocess.CalledProcessError:  # a mirror without its largest blobs: take file by file
        listing = git(repo, "ls-tree", "-r", "-z", f"{commit}^").decode("utf-8", "replace")
        for entry in filter(None, listing.split("\0")):
            meta, path = entry.split("\t", 1)
            mode, kind, blob = meta.split()
            if kind != "blob" or mode == "120000":
                continue
            shown = subprocess.run(["git", "--git-dir", str(repo), "cat-file", "blob", blob], capture_output=True)
            if shown.returncode == 0:
                (folder / path).parent.mkdir(parents=True, exist_ok=True)
                (folder / path).write_bytes(shown.stdout)
        return
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)


def show(repo: Path, commit: str, path: str) -> str:
    try:
        return git(repo, "show", f"{commit}:{path}").decode("utf-8", "replace")
    except subprocess.CalledProcessError:
        return ""


_NANOBIND_ALIAS = re.compile(r"\bnamespace\s+(\w+)\s*=\s*(?:::)?nanobind\s*;")


def alias_blind(found: list[str], aliases: set[str]) -> list[str]:
    """The tokens with every namespace alias of nanobind spelt `nanobind`: which name a project
    gives the namespace (`nb`, or `py` kept from pybind11) is a free choice, not port work."""
    out = list(found)
    for i, token in enumerate(found):
        if token in aliases and ((i + 1 < len(found) and found[i + 1] == "::") or (i and found[i - 1] == "namespace")):
            out[i] = "nanobind"
    return out


def measure(repo: Path, commit: str, nbfix: str, paths: list[str], options: list[str] = (), keep: Path | None = None) -> dict:
    """`nbfix port` on `paths` of the tree before the commit (as a user ports a project: with
    the headers its bindings use), compared over every file either port changed. `options` go to
    `nbfix port` (`--target-version 2` for a port to nanobind 1 or 2); `keep` gets a copy of the
    ported tree to read."""
    files = changed_files(repo, commit)
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        export_before(repo, commit, root)
        subprocess.run(["git", "init", "-q"], cwd=root, check=True)
        subprocess.run(["git", "add", "-A"], cwd=root, check=True)
        run = subprocess.run([nbfix, "port", "--no-lint", *options, *paths], cwd=root, capture_output=True, text=True)
        if keep is not None:
            shutil.copytree(root, keep, dirs_exist_ok=True)
        touched = subprocess.run(["git", "diff", "--name-only"], cwd=root, capture_output=True, text=True).stdout.split()
        files += [("M", path, path) for path in touched if path not in {old for _, old, _ in files}]
        texts = []
        for status, old, new in files:
            before = "" if status == "A" else show(repo, f"{commit}^", old)
            hand = "" if status == "D" else show(repo, commit, new)
            ported_path = root / old
            ported = ported_path.read_text("utf-8", "replace") if ported_path.exists() and status != "A" else before
            path = new if old == new else f"{old} -> {new}"
            texts.append((status, path, before, hand, ported))
    aliases = {name for *_, hand, ported in texts for name in _NANOBIND_ALIAS.findall(hand + ported)}
    rows = []
    for status, path, before, hand, ported in texts:
        kind = path.rsplit(" -> ", 1)[-1]
        b, h, p = tokens(kind, before), tokens(kind, hand), tokens(kind, ported)
        rows.append({"path": path, "status": status, "hand_edit": edit_size(b, h), "left": edit_size(p, h),
                     "nbfix_edit": edit_size(b, p),
                     "left_alias_blind": edit_size(alias_blind(p, aliases), alias_blind(h, aliases))})
    # The port proper: C++ files the maintainers changed where they were (or moved), not the
    # files they added or deleted, nor build or Python files.
    in_place = [r for r in rows if r["status"] in ("M", "R") and _CPP_FILE.search(r["path"]) and r["hand_edit"]]
    in_place_hand = sum(r["hand_edit"] for r in in_place)
    in_place_left = sum(r["left_alias_blind"] for r in in_place)
    total_hand = sum(r["hand_edit"] for r in rows)
    total_left = sum(r["left"] for r in rows)
    blind_left = sum(r["left_alias_blind"] for r in rows)
    return {
        "nanobind_aliases": sorted(aliases),
        "reproduced_alias_blind": 1 - blind_left / total_hand if total_hand else 1.0,
        "commit": commit,
        "nbfix_exit": run.returncode,
        "nbfix_stderr": run.stderr[-2000:],
        "files": rows,
        "hand_edit": total_hand,
        "left": total_left,
        "reproduced": 1 - total_left / total_hand if total_hand else 1.0,
        "cpp_in_place_hand_edit": in_place_hand,
        "cpp_in_place_reproduced_alias_blind": 1 - in_place_left / in_place_hand if in_place_hand else 1.0,
    }


def markdown(result: dict) -> str:
    lines = [
        f"| file | hand port (tokens changed) | nbfix changed | left to do | reproduced |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in sorted(result["files"], key=lambda r: -r["hand_edit"]):
        share = f"{1 - row['left'] / row['hand_edit']:.0%}" if row["hand_edit"] else "not in the hand port"
        lines.append(f"| `{row['path']}` ({row['status']}) | {row['hand_edit']} | {row['nbfix_edit']} | {row['left']} | {share} |")
    lines.append(f"| **all** | {result['hand_edit']} | {sum(r['nbfix_edit'] for r in result['files'])} | "
                 f"{result['left']} | **{result['reproduced']:.1%}** |")
    if result["cpp_in_place_hand_edit"]:
        lines.append(f"\nC++ files ported where they were (or moved), alias name ignored: "
                     f"{result['cpp_in_place_hand_edit']} of the {result['hand_edit']} tokens, "
                     f"**{result['cpp_in_place_reproduced_alias_blind']:.1%}** reproduced.")
    if set(result["nanobind_aliases"]) - {"nb"}:
        lines.append(f"\nWith the name of nanobind's namespace alias ignored ({', '.join(result['nanobind_aliases'])}): "
                     f"**{result['reproduced_alias_blind']:.1%}** reproduced.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repo", type=Path, help="the repository's git directory")
    parser.add_argument("commit", help="the commit that moved the project to nanobind")
    parser.add_argument("--nbfix", default=shutil.which("nbfix") or str(Path(sys.executable).with_name("nbfix")))
    parser.add_argument("--json", action="store_true", help="print the result as JSON as well")
    parser.add_argument("--target-version", choices=("2", "3"), help="passed to `nbfix port` (the hand port's nanobind)")
    parser.add_argument("--keep", type=Path, help="copy the ported tree there, to read")
    parser.add_argument("paths", nargs="*", default=["."], help="what to port, from the tree's root (default: .)")
    args = parser.parse_args(argv)
    options = ["--target-version", args.target_version] if args.target_version else []
    result = measure(args.repo, args.commit, args.nbfix, args.paths, options, args.keep)
    print(f"`nbfix port --no-lint {' '.join(options + args.paths)}` on the tree before {args.commit} "
          f"(exit {result['nbfix_exit']}):\n")
    print(markdown(result))
    if args.json:
        print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
