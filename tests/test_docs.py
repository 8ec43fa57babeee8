"""The documentation users read stays true: quick start, CI command, rule tables."""

from __future__ import annotations

import re
import subprocess

from conftest import ROOT, nbfix_executable

from nbfix.rules.registry import all_rules


def quick_start_commands() -> list[str]:
    section = (ROOT / "README.md").read_text().split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)\n```", section, re.S)


def test_quick_start_is_two_commands_and_ci_runs_the_second():
    commands = quick_start_commands()
    assert len(commands) == 2 and all("\n" not in c for c in commands)
    assert "examples" in commands[0] and "nbfix apply" in commands[0]
    assert commands[1] in (ROOT / ".ci" / "run").read_text()


def test_readme_rule_table_matches_the_rules():
    rows = re.findall(r"^\| (NB\d{3}) \| ([\w-]+) \| (\w+) \| (\w+) \|$", (ROOT / "README.md").read_text(), re.M)
    assert rows == [(r.code, r.name, r.priority.value, r.fix_safety.value) for r in all_rules()]


def test_rule_reference_is_generated_from_the_docstrings():
    generated = subprocess.run([nbfix_executable(), "rules", "--markdown"], capture_output=True, text=True, check=True)
    assert (ROOT / "docs" / "rules.md").read_text() == generated.stdout, "regenerate: nbfix rules --markdown > docs/rules.md"


def test_every_rule_documents_the_four_sections():
    for rule in all_rules():
        doc = rule.documentation()
        headings = re.findall(r"^## (.+)$", doc, re.M)
        assert headings == ["What it finds", "Why it matters", "Example", "Fix safety"], rule.code
