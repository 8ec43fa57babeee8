"""nbfix on real projects nobody here wrote, against findings a reviewer labelled one by one.

Each `tests/real/labels/<project>.json` pins a project (a PyPI sdist by URL and sha256, or a
GitHub repository by commit), the command that was run from its root, and every finding it
printed, labelled TRUE, FALSE or NOISE with the evidence. The test re-runs the command and
fails when a FALSE or NOISE finding comes back, when a finding nobody labelled appears, or when
a TRUE one disappears (a recall loss: update the labels only on purpose).

Sdists are downloaded once into `$NBFIX_REAL_CACHE` (default `~/.cache/nbfix-real`). GitHub
sources cannot be downloaded here: set `NBFIX_REAL_SOURCES` to a folder holding `<project>/` at
the pinned commit, or those projects are skipped. `NBFIX_REAL_OFFLINE=1` skips the downloads.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, nbfix_executable
from real_sources import sdist_root

LABELS = sorted((ROOT / "tests" / "real" / "labels").glob("*.json"))
_CONCISE = re.compile(r"^(\S+?):(\d+):(\d+): (NB\d{3}) ")


def _project_root(labels: dict) -> Path:
    source = labels["source"]
    if "sdist" in source:
        return sdist_root(source["sdist"], source["sha256"], source["folder"])
    given = os.environ.get("NBFIX_REAL_SOURCES")
    root = Path(given) / labels["project"] if given else None
    if root is None or not root.is_dir():
        pytest.skip(f"{source['github']}@{source['commit'][:12]} is not downloadable here: set NBFIX_REAL_SOURCES")
    return root


def _printed(stdout: str) -> dict[tuple[str, int, str], str]:
    return {(m[1], int(m[2]), m[4]): line for line in stdout.splitlines() if (m := _CONCISE.match(line))}


@pytest.mark.parametrize("path", LABELS, ids=lambda p: p.stem)
def test_findings_match_the_labels(path: Path):
    labels = json.loads(path.read_text(encoding="utf-8"))
    root = _project_root(labels)
    run = subprocess.run(
        [nbfix_executable(), *labels["command"]], cwd=root, capture_output=True, text=True, timeout=1200,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert run.returncode in (0, 1), run.stderr
    printed = _printed(run.stdout)
    labelled = {(f["path"], f["line"], f["code"]): f for f in labels["findings"]}

    unlabelled = [line for key, line in printed.items() if key not in labelled]
    wrong = [f"{line}\n    labelled {labelled[key]['label']}: {labelled[key]['reason']}"
             for key, line in printed.items() if key in labelled and labelled[key]["label"] != "TRUE"]
    lost = [f"{k[0]}:{k[1]}: {k[2]} ({f['reason']})" for k, f in labelled.items()
            if f["label"] == "TRUE" and k not in printed]
    assert not wrong, "findings labelled FALSE or NOISE are back:\n" + "\n".join(wrong)
    assert not unlabelled, "findings nobody labelled (label them in " + path.name + "):\n" + "\n".join(unlabelled)
    assert not lost, "TRUE findings no longer reported (a recall loss):\n" + "\n".join(lost)


def test_every_label_names_its_evidence():
    for path in LABELS:
        labels = json.loads(path.read_text(encoding="utf-8"))
        assert labels["source"].get("sha256") or labels["source"].get("commit"), path.name
        keys = [(f["path"], f["line"], f["code"]) for f in labels["findings"]]
        assert len(keys) == len(set(keys)), f"{path.name}: a finding is labelled twice"
        for finding in labels["findings"]:
            assert finding["label"] in ("TRUE", "FALSE", "NOISE") and finding["reason"].strip(), (path.name, finding)


def test_readme_reports_the_labelled_counts():
    """The README's precision table says what the labels say: every finding printed is TRUE (the
    test above fails otherwise), so the counts are the TRUE labels and those with a fix."""
    table = (ROOT / "README.md").read_text(encoding="utf-8").split("## How precise is nbfix", 1)[1].split("\n## ", 1)[0]
    rows = {m[1]: (int(m[2]), int(m[3]), int(m[4])) for m in re.finditer(
        r"^\| (?:[\w.-]+/)?(?:FEniCS )?(\w+) \|.*\| (\d+) \| (\d+) \| 0 \| (\d+) \|$", table, re.M)}
    for path in LABELS:
        labels = json.loads(path.read_text(encoding="utf-8"))
        true = [f for f in labels["findings"] if f["label"] == "TRUE"]
        assert rows.get(labels["project"]) == (len(true), len(true), sum(f["fixed"] for f in true)), labels["project"]
