"""Running one rule over one fixture file, the way the engine runs it for users."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from nbfix.run.config import Settings, settings_from_table

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib
from nbfix.core.source import read_source
from nbfix.cpp.parsing import error_count, parse
from nbfix.engine.linter import FileResult, Linter
from nbfix.model.facts import project_index
from nbfix.rules.registry import rule_by_selector

# `expect: CODE` marks the line it stands on; `expect-above: CODE` the line before and
# `expect-above-N: CODE` the Nth line above (for lines that cannot carry a comment, such as the
# continued lines of a macro).
EXPECT = re.compile(r"(?://|/\*)[^\n]*?\bexpect(-above(?:-(\d+))?)?:\s*((?:NB\d{3}[, ]*)+)")


@dataclass(frozen=True)
class Case:
    code: str
    path: Path

    @property
    def expected_path(self) -> Path:
        return self.path.with_name(self.path.name.replace(".", ".expected.", 1))

    @property
    def id(self) -> str:
        return f"{self.code}/{self.path.name}"


def cases(root: Path) -> list[Case]:
    found = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and re.fullmatch(r"NB\d{3}", p.name)):
        for path in sorted(folder.iterdir()):
            if path.is_file() and ".expected." not in path.name and path.suffix != ".toml":
                found.append(Case(folder.name, path))
    return found


def case_settings(path: Path) -> Settings:
    """A case's own settings, from `<case>.toml` beside it (keys as in `[tool.nbfix]`)."""
    options = path.with_suffix(".toml")
    if not options.exists():
        return Settings()
    return settings_from_table(tomllib.loads(options.read_text()), options)


def expected_findings(content: bytes) -> list[tuple[int, str]]:
    """(line, code) for every `// expect: CODE` marker: the finding is reported on that line."""
    result = []
    for number, line in enumerate(content.decode("utf-8").split("\n"), start=1):
        for match in EXPECT.finditer(line):
            at = number - (int(match[2] or 1) if match[1] else 0)
            result.extend((at, code.strip()) for code in match[3].split(",") if code.strip())
    return sorted(result)


def run_rule(code: str, path: Path, fix: bool, content: bytes | None = None) -> FileResult:
    source = read_source(path, path.name)
    if content is not None:
        source = type(source)(source.path, source.display, source.bom + content, source.bom, source.newline, source.mode)
    rules = [rule() for rule in rule_by_selector(code)]
    tree = parse(source.content)
    index = project_index([(path.as_posix(), tree, source.content)])
    linter = Linter(rules, case_settings(path).rule_options, index, unsafe_fixes=True)
    return linter.run(source, tree, fix, set())


def parse_errors(content: bytes) -> int:
    return error_count(parse(content))
