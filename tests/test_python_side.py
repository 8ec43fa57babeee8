"""Moving names into submodules on the Python side (libcst) and writing both sides together."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from conftest import nbfix_executable

from nbfix.core.findings import PythonMove
from nbfix.run.python_side import rewrite

MOVES = [PythonMove("ext", "area", "geometry"), PythonMove("ext", "load", "io")]


def test_imports_and_attribute_uses_follow_the_move_keeping_comments():
    source = (
        "import ext\n"
        "import pkg.ext\n"
        "import ext as e  # short\n"
        "from pkg import ext as ext2\n"
        "from ext import area, volume  # both\n"
        "from ext import (\n"
        "    load as read,  # renamed\n"
        "    save,\n"
        ")\n"
        "\n"
        "print(ext.area(1), e.area(2), pkg.ext.load('x'), ext2.volume(3))  # calls\n"
        "ext.area.__doc__\n"
    )
    assert rewrite(source, MOVES) == (
        "import ext\n"
        "import pkg.ext\n"
        "import ext as e  # short\n"
        "from pkg import ext as ext2\n"
        "from ext import volume  # both\n"
        "from ext.geometry import area\n"
        "from ext import (\n"
        "    save,\n"
        ")\n"
        "from ext.io import load as read\n"
        "\n"
        "print(ext.geometry.area(1), e.geometry.area(2), pkg.ext.io.load('x'), ext2.volume(3))  # calls\n"
        "ext.geometry.area.__doc__\n"
    )


def test_other_modules_and_unmoved_names_are_untouched():
    source = "import other\nfrom other import area\nfrom ext import volume\nprint(other.area(1), area(2))\n"
    assert rewrite(source, MOVES) == source


BIND = """#include <nanobind/nanobind.h>
namespace nb = nanobind;
NB_MODULE(ext, m) {
    m.def("area", [](double r) { return r * r; });
}
"""
CONFIG = """[tool.nbfix]
python-paths = ["scripts"]
[tool.nbfix.rules.submodules]
assign = { geometry = ["area"] }
alias = false
"""


def project(tmp_path: Path, script: str) -> tuple[Path, Path]:
    (tmp_path / "pyproject.toml").write_text(CONFIG)
    bind = tmp_path / "bind.cpp"
    bind.write_text(BIND)
    (tmp_path / "scripts").mkdir()
    use = tmp_path / "scripts" / "use.py"
    use.write_text(script)
    return bind, use


def apply(tmp_path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    return subprocess.run(
        [nbfix_executable(), "apply", "--unsafe-fixes", "--select", "NB301", "bind.cpp"],
        cwd=tmp_path, capture_output=True, text=True, env=env,
    )


def test_apply_writes_cpp_and_python_together(tmp_path):
    bind, use = project(tmp_path, "import ext\nprint(ext.area(2))\n")
    result = apply(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "geometry.def(\"area\"" in bind.read_text()
    assert use.read_text() == "import ext\nprint(ext.geometry.area(2))\n"
    assert "Fixed 1 finding in 2 files" in result.stdout


def test_a_python_file_that_cannot_be_rewritten_means_nothing_is_written(tmp_path):
    bind, use = project(tmp_path, "import ext\nprint(ext.area(2))\n")
    broken = tmp_path / "scripts" / "broken.py"
    broken.write_text("def oops(:\n")
    result = apply(tmp_path)
    assert result.returncode == 2
    assert "broken.py: cannot rewrite, not valid Python" in result.stderr
    assert "nothing written" in result.stderr
    assert bind.read_text() == BIND and use.read_text() == "import ext\nprint(ext.area(2))\n"


def test_diff_and_interactive_review_show_the_python_side(tmp_path):
    from test_workflow import Terminal

    bind, use = project(tmp_path, "import ext\nprint(ext.area(2))\n")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    diff = subprocess.run(
        [nbfix_executable(), "diff", "--unsafe-fixes", "--select", "NB301", "bind.cpp"],
        cwd=tmp_path, capture_output=True, text=True, env=env,
    )
    assert "+++ b/bind.cpp" in diff.stdout and "+++ b/scripts/use.py" in diff.stdout
    assert "+print(ext.geometry.area(2))" in diff.stdout
    term = Terminal([nbfix_executable(), "apply", "-i", "--unsafe-fixes", "--select", "NB301", "bind.cpp"], tmp_path)
    screen = term.read_until("[q]uit: ")
    assert "With these changes to the Python code that uses it:" in screen and "ext.geometry.area(2)" in screen
    term.type("y\n")
    assert term.finish() == 0, term.screen
    assert use.read_text() == "import ext\nprint(ext.geometry.area(2))\n"
