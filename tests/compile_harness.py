"""Build real extension modules from fixtures/compile/<scenario>/ and run their behaviour scripts.

All scenarios live in one CMake project so nanobind's library is built once; each scenario is one
target that is rebuilt incrementally after nbfix edits its sources.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

BIN = Path(sys.executable).parent


class HarnessError(AssertionError):
    """A build or run failed; the message carries the output a developer needs."""


@dataclass(frozen=True)
class Scenario:
    name: str
    folder: Path  # the copy inside the workspace
    module: str
    dialect: str
    sources: tuple[str, ...]
    nbfix: tuple[str, ...]
    before: str  # "ok", or "crash" when the unfixed module is expected to abort

    @classmethod
    def load(cls, folder: Path) -> Scenario:
        data = tomllib.loads((folder / "scenario.toml").read_text())
        return cls(
            folder.name,
            folder,
            data["module"],
            data["dialect"],
            tuple(data["sources"]),
            tuple(data["nbfix"]),
            data.get("before", "ok"),
        )


def tool(name: str, install_hint: str) -> str:
    found = BIN / name if (BIN / name).exists() else shutil.which(name)
    if not found:
        raise HarnessError(f"'{name}' is not installed: {install_hint}")
    return str(found)


def python_cmake_dir(module: str, flag: str) -> str:
    result = subprocess.run([sys.executable, "-m", module, flag], capture_output=True, text=True)
    if result.returncode != 0:
        raise HarnessError(f"{module} is not installed in this environment: pip install -e '.[test]'")
    return result.stdout.strip()


def cmake_project(scenarios: list[Scenario]) -> str:
    lines = [
        "cmake_minimum_required(VERSION 3.18...3.31)",
        "project(nbfix_scenarios LANGUAGES CXX)",
        "set(CMAKE_CXX_STANDARD 17)",
        "set(PYBIND11_FINDPYTHON ON)",
        "find_package(Python 3.10 COMPONENTS Interpreter Development.Module REQUIRED)",
    ]
    dialects = {s.dialect for s in scenarios}
    if "nanobind" in dialects:
        lines.append("find_package(nanobind CONFIG REQUIRED)")
    if "pybind11" in dialects:
        lines.append("find_package(pybind11 CONFIG REQUIRED)")
    for s in scenarios:
        sources = " ".join(f"{s.name}/{src}" for src in s.sources)
        if s.dialect == "nanobind":
            lines.append(f"nanobind_add_module({s.module} NB_STATIC {sources})")
        else:
            lines.append(f"pybind11_add_module({s.module} {sources})")
        lines.append(f"target_include_directories({s.module} PRIVATE {s.name})")
    return "\n".join(lines) + "\n"


class Workspace:
    def __init__(self, root: Path, fixtures: Path) -> None:
        self.root = root
        self.build_dir = root / "build"
        shutil.copytree(fixtures, root, dirs_exist_ok=True)
        self.scenarios = {
            folder.name: Scenario.load(folder) for folder in sorted(root.iterdir()) if (folder / "scenario.toml").exists()
        }
        (root / "CMakeLists.txt").write_text(cmake_project(list(self.scenarios.values())))

    def _run(self, command: list[str], what: str, cwd: Path | None = None) -> str:
        result = subprocess.run(command, cwd=cwd or self.root, capture_output=True, text=True)
        if result.returncode != 0:
            raise HarnessError(f"{what} failed ({' '.join(command)}):\n{result.stdout[-6000:]}\n{result.stderr[-6000:]}")
        return result.stdout

    def configure_and_build(self) -> None:
        if not (shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")):
            raise HarnessError("no C++ compiler found: install one (Debian: apt-get install g++)")
        cmake = tool("cmake", "pip install cmake (it is in the test extras)")
        ninja = tool("ninja", "pip install ninja (it is in the test extras)")
        command = [
            cmake, "-S", str(self.root), "-B", str(self.build_dir), "-G", "Ninja",
            f"-DCMAKE_MAKE_PROGRAM={ninja}", "-DCMAKE_BUILD_TYPE=Release",
            f"-DPython_EXECUTABLE={sys.executable}",
        ]
        dialects = {s.dialect for s in self.scenarios.values()}
        if "nanobind" in dialects:
            command.append(f"-Dnanobind_DIR={python_cmake_dir('nanobind', '--cmake_dir')}")
        if "pybind11" in dialects:
            command.append(f"-Dpybind11_DIR={python_cmake_dir('pybind11', '--cmakedir')}")
        self._run(command, "CMake configure")
        self.build()

    def build(self, target: str | None = None) -> None:
        command = [tool("cmake", "pip install cmake"), "--build", str(self.build_dir), "-j", "2"]
        if target:
            command += ["--target", target]
        self._run(command, f"build of {target or 'all scenarios'}")

    def behave(self, scenario: Scenario, phase: str, expect_crash: bool = False, before: dict | None = None) -> dict:
        """Run the behaviour script in a child interpreter; crashes are reported, not suffered.
        The after phase sees what the before phase printed in $NBFIX_BEFORE."""
        env = {"PYTHONPATH": str(self.build_dir), "PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
        if before is not None:
            env["NBFIX_BEFORE"] = json.dumps(before)
        result = subprocess.run(
            [sys.executable, "behaviour.py", phase], cwd=scenario.folder, env=env,
            capture_output=True, text=True, timeout=300,
        )
        output = f"--- stdout ---\n{result.stdout[-4000:]}\n--- stderr ---\n{result.stderr[-4000:]}"
        crashed = result.returncode < 0 or "Fatal Python error" in result.stderr
        if expect_crash:
            if not crashed:
                raise HarnessError(f"{scenario.name} {phase}: expected the module to abort, it did not\n{output}")
            return {"crash": signal.Signals(-result.returncode).name if result.returncode < 0 else "fatal"}
        if result.returncode < 0:
            raise HarnessError(
                f"{scenario.name} {phase}: crashed with {signal.Signals(-result.returncode).name}\n{output}"
            )
        if crashed or result.returncode != 0:
            raise HarnessError(f"{scenario.name} {phase}: behaviour script failed (exit {result.returncode})\n{output}")
        return json.loads(result.stdout.strip().splitlines()[-1])

    def nbfix(self, scenario: Scenario, nbfix: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [nbfix, *scenario.nbfix, "."], cwd=scenario.folder, capture_output=True, text=True
        )
