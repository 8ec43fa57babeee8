#!/usr/bin/env python3
"""Side-by-side benchmark: `nbfix check` (all rules) vs raw tree-sitter parsing vs `ast-grep scan`.

Generates a deterministic synthetic corpus of nanobind / pybind11 binding files (class chains,
member pointers, lambdas with trailing return types, rv_policy arguments, raw-string docstrings,
helper functions, macros with backslash-continued `.def` chains, a few pybind11 and CRLF files),
then measures:

  a. throughput, alternating the three commands in every repetition (raw parse, nbfix, ast-grep),
     median wall time and MB/s of each, and the ratio of medians nbfix / ast-grep:
       - raw parse: tree-sitter-cpp parsing of every file in this process;
       - `nbfix check --no-cache --select <every check rule (not the NB5xx port rules)> <corpus>` as a subprocess (cache cold);
       - `ast-grep scan --config benchmarks/ast-grep/sgconfig.yml <corpus>` with one rule, the
         core pattern of NB101 (`.def(...)` with the return value policy `reference`);
  b. peak memory of every subprocess: largest single process (kernel ru_maxrss from wait4, which
     covers the process and its reaped descendants) and, sampled every 20 ms from /proc, the
     main process and the sum of RSS and of PSS over the whole process tree (workers included);
  c. one-file latency: `nbfix check [--no-cache] FILE` on one typical corpus file copied alone into
     a temporary directory, cache cold (`--no-cache`) and warm, alternating, median in ms;
  d. cached re-check: `nbfix check` on the corpus with cwd = corpus root (so `.nbfix_cache/` lives
     there): once with the cache deleted, then with the cache warm; the warm output must equal
     the cold output (and the `--no-cache` output), else the script fails.

Run it from the repository root with the venv that has nbfix and ast-grep installed
(`pip install ast-grep-cli`); do not run two benchmarks at once on the same machine:

    python benchmarks/bench_check.py                    # 40 MB, 3 repetitions
    python benchmarks/bench_check.py --mb 5 --repeat 5 --seed 7 --json
    python benchmarks/bench_check.py --keep /tmp/nbfix-corpus   # keep the corpus

This is a benchmark, not a test: targets that are missed are reported as such, not failed. It
fails (exit code 2) only if nbfix or ast-grep fails, or if cached and uncached outputs differ.
Exit code 1 from nbfix (findings) is expected: about one class method binding in five carries
`rv_policy::reference`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

MB = 1024 * 1024
FINDING_LINE = re.compile(r": NB\d+ ")

NOUNS = (
    "Mesh", "Vertex", "Edge", "Face", "Scene", "Node", "Buffer", "Tensor", "Layer", "Camera",
    "Light", "Material", "Texture", "Shader", "Device", "Stream", "Event", "Graph", "Solver",
    "Matrix", "Vector", "Body", "Joint", "World", "Sensor", "Channel", "Frame", "Image", "Atlas",
    "Cache", "Pool", "Arena", "Document", "Element", "Attribute", "Record", "Table", "Column",
    "Index", "Cursor", "Session", "Window", "Widget", "Font", "Glyph", "Track", "Clip", "Sample",
)
ADJECTIVES = (
    "Static", "Dynamic", "Sparse", "Dense", "Local", "Global", "Shared", "Packed", "Tiled",
    "Cached", "Remote", "Virtual", "Mapped", "Linked", "Soft", "Rigid", "Async", "Fast",
)
VERBS = ("get", "find", "lookup", "first", "last", "current", "active", "root", "parent", "child",
         "owner", "next", "prev", "selected", "default", "primary", "main", "top")
SCALARS = ("int", "double", "float", "bool", "size_t", "uint32_t", "std::string")
WORDS = ("the", "returns", "object", "owned", "by", "this", "instance", "which", "is", "valid",
         "until", "parent", "destroyed", "index", "must", "be", "in", "range", "note", "that",
         "reference", "lifetime", "bound", "to", "container", "element", "view", "copy")


# --------------------------------------------------------------------------- corpus model


def param(ctype: str, name: str) -> str:
    """`int i0`, `const std::string &i0`."""
    return f"{ctype}{'' if ctype.endswith(('*', '&')) else ' '}{name}"


@dataclass
class Method:
    name: str  # C++ and Python name
    returns: str  # declared C++ return type
    params: list[tuple[str, str]]  # (type, name)
    kind: str  # "ptr", "ref", "cref", "value", "vecptr"


@dataclass
class ClassSpec:
    name: str
    peer: str  # another class the methods return
    fields: list[tuple[str, str]]
    methods: list[Method]


@dataclass
class Flavor:
    """Spelling of the binding library: nanobind or pybind11."""

    ns: str  # "nb" or "py"
    include: str
    alias: str
    module_macro: str
    module_type: str
    policy: str  # prefix of policy names
    prop_ro: str
    static: str

    def pol(self, name: str) -> str:
        return f"{self.ns}::{self.policy}::{name}"


NANOBIND = Flavor("nb", "#include <nanobind/nanobind.h>\n#include <nanobind/stl/string.h>\n"
                  "#include <nanobind/stl/vector.h>\n",
                  "namespace nb = nanobind;\nusing namespace nb::literals;\n",
                  "NB_MODULE", "nb::module_", "rv_policy", "def_prop_ro", "def_static")
PYBIND11 = Flavor("py", "#include <pybind11/pybind11.h>\n#include <pybind11/stl.h>\n",
                  "namespace py = pybind11;\nusing namespace pybind11::literals;\n",
                  "PYBIND11_MODULE", "py::module_", "return_value_policy", "def_property_readonly",
                  "def_static")


class Generator:
    """Writes one binding file at a time; all choices come from one seeded RNG."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.counter = 0

    # ---- small helpers

    def unique(self, base: str) -> str:
        self.counter += 1
        return f"{base}{self.counter}"

    def class_name(self) -> str:
        return self.unique(self.rng.choice(ADJECTIVES) + self.rng.choice(NOUNS))

    def sentence(self, lo: int = 6, hi: int = 18) -> str:
        words = [self.rng.choice(WORDS) for _ in range(self.rng.randint(lo, hi))]
        return " ".join(words).capitalize() + "."

    def docstring(self, raw_ok: bool = True) -> str:
        if raw_ok and self.rng.random() < 0.35:
            lines = [self.sentence() for _ in range(self.rng.randint(2, 5))]
            body = "\n        ".join(lines)
            return f'R"doc(\n        {body}\n    )doc"'
        return json.dumps(self.sentence(3, 9))

    # ---- declarations

    def method(self, peer: str) -> Method:
        rng = self.rng
        kind = rng.choices(("ptr", "ref", "cref", "value", "vecptr"), (30, 20, 15, 25, 10))[0]
        returns = {
            "ptr": f"{peer} *",
            "ref": f"{peer} &",
            "cref": f"const {peer} &",
            "value": rng.choice(SCALARS),
            "vecptr": f"std::vector<{peer} *>",
        }[kind]
        name = self.unique(f"{rng.choice(VERBS)}_{peer.lower()[:6]}_")
        params = [(rng.choice(("int", "size_t", "const std::string &")), rng.choice("ijkn") + str(p))
                  for p in range(rng.choices((0, 1, 2), (50, 35, 15))[0])]
        return Method(name, returns, params, kind)

    def class_spec(self, peer: str | None) -> ClassSpec:
        name = self.class_name()
        peer = peer or name
        fields = [(self.rng.choice(SCALARS), self.unique("field_")) for _ in range(self.rng.randint(1, 4))]
        methods = [self.method(peer) for _ in range(self.rng.randint(3, 14))]
        return ClassSpec(name, peer, fields, methods)

    def declaration(self, spec: ClassSpec) -> str:
        keyword = self.rng.choice(("struct", "class"))
        lines = [f"{keyword} {spec.name} {{"]
        if keyword == "class":
            lines.append("public:")
        lines.append(f"    {spec.name}() = default;")
        lines.append(f"    explicit {spec.name}(int capacity) : items_(capacity) {{}}")
        for ctype, fname in spec.fields:
            lines.append(f"    {ctype} {fname}{{}};")
        for m in spec.methods:
            args = ", ".join(param(t, n) for t, n in m.params)
            const = " const" if m.kind in ("cref", "value") else ""
            # Accessors into the object's own children are defined inline, as most real ones are.
            body = {"ptr": " { return owned_.front().get(); }", "ref": " { return *owned_.front(); }",
                    "cref": " { return *owned_.front(); }"}.get(m.kind, ";")
            lines.append(f"    {m.returns}{'' if m.returns.endswith(('*', '&')) else ' '}{m.name}({args}){const}{body}")
        lines.append(f"    std::vector<{spec.peer} *> items_;")
        lines.append(f"    std::vector<std::unique_ptr<{spec.peer}>> owned_;")
        lines.append("};")
        return "\n".join(lines) + "\n"

    # ---- bindings

    def policy_arg(self, flavor: Flavor) -> str:
        r = self.rng.random()
        if r < 0.20:
            return ", " + flavor.pol("reference")
        if r < 0.32:
            return ", " + flavor.pol("reference_internal")
        if r < 0.36:
            return ", " + flavor.pol(self.rng.choice(("copy", "move", "take_ownership", "automatic")))
        return ""

    def arg_names(self, m: Method) -> str:
        parts = []
        for ptype, pname in m.params:
            if ptype == "int" and self.rng.random() < 0.3:
                parts.append(f'"{pname}"_a = 0')
            else:
                parts.append(f'"{pname}"_a')
        return "".join(", " + p for p in parts)

    def def_call(self, spec: ClassSpec, m: Method, flavor: Flavor, raw_ok: bool = True) -> str:
        """One `.def(...)` (without the leading dot or receiver); no raw strings inside macros."""
        rng = self.rng
        tail = self.arg_names(m) + self.policy_arg(flavor)
        if rng.random() < 0.2:
            tail += ", " + self.docstring(raw_ok)
        if rng.random() < 0.3:  # lambda with a trailing return type
            params = "".join(", " + param(t, n) for t, n in m.params)
            call = ", ".join(n for _, n in m.params)
            self_t = rng.choice((f"{spec.name} &self", f"const {spec.name} &self", f"{spec.name} *self"))
            access = "->" if self_t.endswith("*self") else "."
            const_bad = self_t.startswith("const") and m.kind not in ("cref", "value")
            if const_bad:
                self_t = f"{spec.name} &self"
                access = "."
            body = f"return self{access}{m.name}({call});"
            trailing = f" -> {m.returns}" if rng.random() < 0.8 else ""
            target = f"[]({self_t}{params}){trailing} {{ {body} }}"
        else:
            target = f"&{spec.name}::{m.name}"
        return f'def("{m.name}", {target}{tail})'

    def extra_defs(self, spec: ClassSpec, flavor: Flavor) -> list[str]:
        ns = flavor.ns
        out = [f"def({ns}::init<>())"]
        if self.rng.random() < 0.6:
            out.append(f'def({ns}::init<int>(), "capacity"_a)')
        for ctype, fname in spec.fields:
            out.append(f'def_{self.rng.choice(("ro", "rw")) if ns == "nb" else self.rng.choice(("readonly", "readwrite"))}'
                       f'("{fname}", &{spec.name}::{fname})')
        if self.rng.random() < 0.5:
            out.append(f'{flavor.prop_ro}("size", []({spec.name} &self) -> size_t {{ return self.items_.size(); }})')
        if self.rng.random() < 0.4:
            out.append(f'{flavor.static}("make", []() -> {spec.name} * {{ return new {spec.name}(); }}'
                       f', {flavor.pol(self.rng.choice(("reference", "take_ownership")))})')
        if self.rng.random() < 0.5:
            out.append(f'def("__repr__", [](const {spec.name} &self) {{ return std::string("<{spec.name}>"); }})')
        return out

    def all_defs(self, spec: ClassSpec, flavor: Flavor) -> list[str]:
        """Constructors first, then fields, properties and methods in random order."""
        extra = self.extra_defs(spec, flavor)
        inits = [d for d in extra if "::init<" in d]
        rest = [d for d in extra if "::init<" not in d]
        rest += [self.def_call(spec, m, flavor) for m in spec.methods]
        self.rng.shuffle(rest)
        return inits + rest

    def chain_binding(self, spec: ClassSpec, flavor: Flavor, indent: str) -> str:
        defs = self.all_defs(spec, flavor)
        doc = f", {self.docstring()}" if self.rng.random() < 0.3 else ""
        lines = [f'{indent}{flavor.ns}::class_<{spec.name}>(m, "{spec.name}"{doc})']
        lines += [f"{indent}    .{d}" for d in defs]
        return "\n".join(lines) + ";\n"

    def variable_binding(self, spec: ClassSpec, flavor: Flavor, indent: str) -> str:
        var = "cls_" + spec.name.lower()
        if self.rng.random() < 0.5:
            head = f'{indent}auto {var} = {flavor.ns}::class_<{spec.name}>(m, "{spec.name}");'
        else:
            head = f'{indent}{flavor.ns}::class_<{spec.name}> {var}(m, "{spec.name}");'
        lines = [head]
        defs = self.all_defs(spec, flavor)
        i = 0
        while i < len(defs):  # statements of one to three chained defs
            n = self.rng.randint(1, 3)
            chunk = defs[i:i + n]
            i += n
            joined = f"\n{indent}    .".join(chunk)
            lines.append(f"{indent}{var}.{joined};")
        return "\n".join(lines) + "\n"

    def binding(self, spec: ClassSpec, flavor: Flavor, indent: str) -> str:
        if self.rng.random() < 0.35:
            return self.variable_binding(spec, flavor, indent)
        return self.chain_binding(spec, flavor, indent)

    def macro(self, spec: ClassSpec, flavor: Flavor) -> tuple[str, str]:
        """A `#define` with a backslash-continued `.def` chain, and its use."""
        macro = self.unique("BIND_COMMON_")
        defs = [self.def_call(spec, m, flavor, raw_ok=False) for m in spec.methods[:4]]
        body = " \\\n".join(f"    .{d.replace(spec.name + '::', 'T::').replace(spec.name + ' ', 'T ')}"
                            for d in defs)
        define = f"#define {macro}(T) \\\n{body}\n"
        use = f'    {flavor.ns}::class_<{spec.name}>(m, "{spec.name}")\n        {macro}({spec.name})\n        .def({flavor.ns}::init<>());\n'
        return define, use

    def free_functions(self, specs: list[ClassSpec], flavor: Flavor) -> str:
        lines = []
        for spec in self.rng.sample(specs, min(len(specs), 3)):
            fname = self.unique("make_" + spec.name.lower() + "_")
            pol = self.policy_arg(flavor)
            lines.append(f'    m.def("{fname}", []() -> {spec.name} * {{ static {spec.name} x; return &x; }}{pol});')
        return "\n".join(lines) + ("\n" if lines else "")

    # ---- whole file

    def file(self, target_bytes: int) -> str:
        rng = self.rng
        flavor = PYBIND11 if rng.random() < 0.2 else NANOBIND
        header = [f"// Auto-generated benchmark binding file ({flavor.ns}).", flavor.include.rstrip(),
                  "#include <string>", "#include <vector>", "#include <cstdint>", "", flavor.alias]
        decls, helpers, inline, macros = [], [], [], []
        specs: list[ClassSpec] = []
        size = 0
        while size < target_bytes:
            spec = self.class_spec(specs[-1].name if specs and rng.random() < 0.7 else None)
            specs.append(spec)
            decl = self.declaration(spec)
            decls.append(decl)
            r = rng.random()
            if r < 0.05:
                define, use = self.macro(spec, flavor)
                macros.append(define)
                inline.append(use)
                chunk = define + use
            elif r < 0.45:
                fn = f"bind_{spec.name.lower()}"
                body = self.binding(spec, flavor, "    ")
                chunk = f"void {fn}({flavor.module_type} &m) {{\n{body}}}\n"
                helpers.append((fn, chunk))
            else:
                chunk = self.binding(spec, flavor, "    ")
                inline.append(chunk)
            size += len(decl) + len(chunk)
        module = self.unique("_ext")
        body = "".join(f"    {fn}(m);\n" for fn, _ in helpers) + "".join(inline)
        body += self.free_functions(specs, flavor)
        parts = ["\n".join(header), "\n".join(decls), "".join(macros), "\n".join(c for _, c in helpers),
                 f'{flavor.module_macro}({module}, m) {{\n    m.doc() = "{self.sentence(3, 8)}";\n{body}}}\n']
        return "\n".join(p for p in parts if p)


# --------------------------------------------------------------------------- corpus on disk


def file_sizes(rng: random.Random, total: int) -> list[int]:
    """Target sizes, log-uniform between 2 KB and 200 KB, summing to about `total`."""
    sizes, acc = [], 0
    while acc < total:
        size = int(2048 * (100 ** rng.random()))
        size = min(size, total - acc) if total - acc >= 2048 else 2048
        sizes.append(size)
        acc += size
    return sizes


def write_corpus(root: Path, megabytes: float, seed: int) -> list[Path]:
    rng = random.Random(seed)
    gen = Generator(rng)
    paths = []
    for i, target in enumerate(file_sizes(rng, int(megabytes * MB))):
        project = root / f"project_{i // 25:03d}" / rng.choice(("src", "python", "bindings", "src/python"))
        project.mkdir(parents=True, exist_ok=True)
        path = project / f"bind_{i:05d}.{rng.choices(('cpp', 'cc', 'cxx'), (8, 1, 1))[0]}"
        text = gen.file(target)
        newline = "\r\n" if rng.random() < 0.07 else "\n"
        path.write_bytes(text.replace("\n", newline).encode("utf-8"))
        paths.append(path)
    return paths


# --------------------------------------------------------------------------- measurements

HERE = Path(__file__).resolve().parent
SGCONFIG = HERE / "ast-grep" / "sgconfig.yml"
SG_RULE_ID = "rv-policy-reference"
CACHE_DIR = ".nbfix_cache"
MIB = 1024  # KiB per MiB
SAMPLE_SECONDS = 0.02

# The issue's targets, for a corpus of at least 40 MB on the 2-core benchmark machine.
TARGET_MB = 40.0
TARGET_RATIO = 1.0  # median nbfix (all rules) / median ast-grep (one rule)
TARGET_MEMORY_MIB = 100.0
TARGET_ONE_FILE_MS = 80.0
TARGET_CACHE_SPEEDUP = 10.0


def raw_parse_seconds(paths: list[Path]) -> float:
    import tree_sitter
    import tree_sitter_cpp

    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_cpp.language()))
    start = time.perf_counter()
    for path in paths:
        parser.parse(path.read_bytes())
    return time.perf_counter() - start


def find_tool(name: str, hint: str) -> str:
    """`name` next to this Python (the venv's bin/), else on PATH."""
    beside = Path(sys.executable).with_name(name)
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        sys.exit(f"bench_check: cannot find the {name} executable (next to python or on PATH); {hint}")
    return found


def find_nbfix() -> str:
    return find_tool("nbfix", "install nbfix in this environment")


# ---- peak memory: wait4 for the kernel's figure, /proc sampling for the process tree

_HAVE_CHILDREN_FILE = Path(f"/proc/self/task/{os.getpid()}/children").exists()


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return kids
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as handle:
                kids.extend(int(k) for k in handle.read().split())
        except OSError:
            pass
    return kids


def _parent_map() -> dict[int, list[int]]:
    """ppid -> pids from /proc/*/stat, for kernels without /proc/PID/task/TID/children."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(entry))
    return parents


def process_tree(root: int) -> list[int]:
    """`root` and all its live descendants (workers, fork servers, their children)."""
    parents = None if _HAVE_CHILDREN_FILE else _parent_map()
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(_children(pid) if parents is None else parents.get(pid, ()))
    return found


def memory_kib(pid: int) -> tuple[int, int | None]:
    """(RSS, PSS) of one process in KiB; PSS is None where smaps_rollup cannot be read."""
    rss = pss = None
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    if rss is None:
        try:
            with open(f"/proc/{pid}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        rss = int(line.split()[1])
        except OSError:
            pass
    return rss or 0, pss


class TreeSampler(threading.Thread):
    """Every SAMPLE_SECONDS: RSS of the measured process, RSS and PSS summed over it and its
    descendants; keeps peaks. `launcher` is the small process that started it (not counted).
    RSS sums count pages shared between processes (interpreter, libraries, pages a forked worker
    still shares with its parent) once per process, so they over-state; PSS splits shared pages
    between their users and is the fairer total. Sampling can miss a peak shorter than the period."""

    def __init__(self, launcher: int) -> None:
        super().__init__(daemon=True)
        self.launcher = launcher
        self.done = threading.Event()
        self.main_rss = self.tree_rss = 0
        self.tree_pss: int | None = None
        self.max_processes = 0
        self.samples = 0

    def sample(self) -> None:
        measured = _children(self.launcher)[:1]
        pids = process_tree(measured[0]) if measured else []
        rss_sum, pss_sum, pss_ok = 0, 0, True
        for pid in pids:
            rss, pss = memory_kib(pid)
            rss_sum += rss
            if pid == measured[0]:
                self.main_rss = max(self.main_rss, rss)
            if pss is None:
                pss_ok = pss_ok and rss == 0  # a process that just exited has neither
            else:
                pss_sum += pss
        self.tree_rss = max(self.tree_rss, rss_sum)
        if pss_ok:
            self.tree_pss = max(self.tree_pss or 0, pss_sum)
        self.max_processes = max(self.max_processes, len(pids))
        self.samples += 1

    def run(self) -> None:
        while True:
            self.sample()
            if self.done.wait(SAMPLE_SECONDS):
                return


@dataclass
class Run:
    argv: list[str]
    seconds: float
    exit_code: int
    stdout: str
    stderr: str
    largest_kib: int  # ru_maxrss from wait4: the process and its reaped descendants, largest one
    main_kib: int  # sampled peak RSS of the started process alone
    tree_rss_kib: int  # sampled peak of the RSS sum over the process tree
    tree_pss_kib: int | None  # sampled peak of the PSS sum over the process tree
    max_processes: int
    samples: int


# Measured commands start from this small launcher, not from the benchmark's own process: Linux
# carries a process's peak RSS over fork and exec, so a command started from here would report
# this (big) process's peak as its own ru_maxrss. The launcher writes the command's ru_maxrss.
LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_measured(argv: list[str], cwd: Path) -> Run:
    """Run argv with stdout and stderr to files (never a full pipe), wall time and peak memory."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as maxrss:
        launcher = [sys.executable, "-S", "-c", LAUNCHER, maxrss.name]
        start = time.perf_counter()
        proc = subprocess.Popen(launcher + argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        _, status, _ = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        sampler.done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, Popen must not wait again
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
        largest = int(maxrss.read() or 0)
    return Run(argv, seconds, proc.returncode, stdout, stderr, largest, sampler.main_rss,
               sampler.tree_rss, sampler.tree_pss, sampler.max_processes, sampler.samples)


def run_timed(argv: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess]:
    """Wall time only (no sampler thread competing with a short run)."""
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, proc


class BenchError(Exception):
    """A failed tool or a correctness check that did not hold: exit code 2."""


def require(run: Run | subprocess.CompletedProcess, what: str, ok: tuple[int, ...]) -> None:
    code = run.exit_code if isinstance(run, Run) else run.returncode
    if code not in ok:
        lines = "\n".join(run.stderr.splitlines()[-15:])
        raise BenchError(f"{what} exited {code}; last stderr lines:\n{lines}")


def require_same(reference: str, other: str, what: str) -> None:
    if reference == other:
        return
    a, b = reference.splitlines(), other.splitlines()
    first = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    raise BenchError(
        f"{what}: outputs differ ({len(a)} vs {len(b)} lines), first at line {first + 1}:\n"
        f"  expected: {a[first] if first < len(a) else '<end>'}\n"
        f"  got:      {b[first] if first < len(b) else '<end>'}"
    )


def rule_codes(nbfix: str) -> list[str]:
    """Every rule `check` can run: the port rules (NB5xx) are `nbfix port`'s, not a check's."""
    proc = subprocess.run([nbfix, "rules"], capture_output=True, text=True, check=False)
    codes = [c for c in re.findall(r"^(NB\d+)\s", proc.stdout, re.MULTILINE) if not c.startswith("NB5")]
    if proc.returncode != 0 or not codes:
        raise BenchError(f"`nbfix rules` failed or listed no rule: {proc.stderr.strip()[-800:]}")
    return codes


def count_findings(stdout: str, code: str | None = None) -> int:
    pattern = re.compile(rf": {code} ") if code else FINDING_LINE
    return sum(1 for line in stdout.splitlines() if pattern.search(line))


def count_matches(stdout: str) -> int:
    return stdout.count(f"[{SG_RULE_ID}]")


def typical_file(paths: list[Path]) -> Path:
    """The file whose size is nearest the median size (the first such, in corpus order)."""
    sizes = [p.stat().st_size for p in paths]
    median = statistics.median(sizes)
    best = min(range(len(paths)), key=lambda i: (abs(sizes[i] - median), i))
    return paths[best]


def log(message: str) -> None:
    print(f"[bench_check {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---- results


@dataclass
class Memory:
    """Peaks over all runs of one command, in MiB."""

    largest_process_mib: float  # max ru_maxrss (wait4): largest single process of the tree
    main_process_mib: float  # sampled: the started process alone
    tree_rss_mib: float  # sampled: RSS summed over the process tree (the target's figure)
    tree_pss_mib: float | None  # sampled: PSS summed over the process tree
    max_processes: int

    @classmethod
    def of(cls, runs: list[Run]) -> Memory:
        pss = [r.tree_pss_kib for r in runs if r.tree_pss_kib is not None]
        return cls(round(max(r.largest_kib for r in runs) / MIB, 1), round(max(r.main_kib for r in runs) / MIB, 1),
                   round(max(max(r.tree_rss_kib, r.largest_kib) for r in runs) / MIB, 1),
                   round(max(pss) / MIB, 1) if len(pss) == len(runs) else None,
                   max(r.max_processes for r in runs))


@dataclass
class Target:
    measure: str
    value: float
    unit: str
    target: str
    met: bool


@dataclass
class Results:
    command: str
    seed: int
    repeat: int
    files: int
    total_mb: float
    raw_parse_s: float
    raw_parse_mb_s: float
    check_s: float  # nbfix check --no-cache, all selected rules
    check_mb_s: float
    check_exit_code: int
    findings: int
    # side by side
    rules: list[str] = field(default_factory=list)
    nbfix_command: str = ""
    ast_grep_command: str = ""
    ast_grep_version: str = ""
    ast_grep_threads: int = 0
    ast_grep_s: float = 0.0
    ast_grep_mb_s: float = 0.0
    ratio_of_medians: float = 0.0  # check_s / ast_grep_s
    nb101_findings: int = 0
    ast_grep_matches: int = 0
    raw_parse_times: list[float] = field(default_factory=list)
    check_times: list[float] = field(default_factory=list)
    ast_grep_times: list[float] = field(default_factory=list)
    memory: dict[str, Memory] = field(default_factory=dict)
    # one file
    one_file: str = ""
    one_file_bytes: int = 0
    one_file_runs: int = 0
    one_file_cold_ms: float = 0.0
    one_file_warm_ms: float = 0.0
    one_file_edited_ms: float = 0.0  # cache on, the file edited since the last run
    one_file_cold_times: list[float] = field(default_factory=list)  # every run, ms, in order
    one_file_warm_times: list[float] = field(default_factory=list)
    one_file_edited_times: list[float] = field(default_factory=list)
    one_file_command: str = ""
    # cached re-check
    cache_cold_s: float = 0.0
    cache_warm_s: float = 0.0
    cache_warm_runs: int = 0
    cache_speedup: float = 0.0
    cache_command: str = ""
    cached_output_identical: bool = False
    targets: list[Target] = field(default_factory=list)


def measure(paths: list[Path], corpus: Path, args: argparse.Namespace, command: str) -> Results:
    total_mb = sum(p.stat().st_size for p in paths) / MB
    repeat = max(1, args.repeat)
    nbfix = find_nbfix()
    sg = find_tool("ast-grep", "install it with `pip install ast-grep-cli` (see benchmarks/README.md)")
    sg_version = subprocess.run([sg, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    codes = rule_codes(nbfix)
    select = ["--select", ",".join(codes)] if args.rules == "all" else []
    jobs = ["-j", str(args.jobs)] if args.jobs else []
    threads = args.jobs or os.cpu_count() or 1
    check_argv = [nbfix, "check", *select, *jobs, str(corpus)]
    cold_argv = [nbfix, "check", "--no-cache", *select, *jobs, str(corpus)]
    sg_argv = [sg, "scan", "--config", str(SGCONFIG), "--report-style", "short", "--color", "never",
               "--threads", str(threads), "--no-ignore", "parent", str(corpus)]

    # a. + b. throughput and memory, the three commands in turn in every repetition
    parse_times: list[float] = []
    nb_runs: list[Run] = []
    sg_runs: list[Run] = []
    for i in range(repeat):
        parse_times.append(raw_parse_seconds(paths))
        log(f"repetition {i + 1}/{repeat}: raw parse {parse_times[-1]:.2f} s")
        nb_runs.append(run_measured(cold_argv, corpus))
        require(nb_runs[-1], "nbfix check --no-cache", (0, 1))
        log(f"repetition {i + 1}/{repeat}: nbfix {nb_runs[-1].seconds:.2f} s")
        sg_runs.append(run_measured(sg_argv, corpus))
        require(sg_runs[-1], "ast-grep scan", (0,))
        log(f"repetition {i + 1}/{repeat}: ast-grep {sg_runs[-1].seconds:.2f} s")
    if (corpus / CACHE_DIR).exists():
        raise BenchError(f"`nbfix check --no-cache` wrote {corpus / CACHE_DIR}")
    for run in nb_runs[1:]:
        require_same(nb_runs[0].stdout, run.stdout, "nbfix --no-cache, repeated")

    # d. cached re-check on the whole corpus, cwd = corpus root so that the cache lives there
    shutil.rmtree(corpus / CACHE_DIR, ignore_errors=True)
    cache_cold = run_measured(check_argv, corpus)
    require(cache_cold, "nbfix check (cache cold)", (0, 1))
    if not (corpus / CACHE_DIR).is_dir():
        raise BenchError(f"nbfix check did not create {corpus / CACHE_DIR} (a configuration file above "
                         "the corpus moves the cache root; use a corpus folder outside any project)")
    require_same(nb_runs[0].stdout, cache_cold.stdout, "nbfix check with the cache (cold) vs --no-cache")
    log(f"cached re-check: cache cold {cache_cold.seconds:.2f} s")
    warm_runs = []
    for i in range(max(1, args.warm_runs)):
        warm_runs.append(run_measured(check_argv, corpus))
        require(warm_runs[-1], "nbfix check (cache warm)", (0, 1))
        require_same(cache_cold.stdout, warm_runs[-1].stdout, "nbfix check, cache warm vs cache cold")
    warm_s = statistics.median(r.seconds for r in warm_runs)
    log(f"cached re-check: cache warm {warm_s:.2f} s (median of {len(warm_runs)})")

    # c. one-file latency: the editor / pre-commit call on one typical file alone in a folder
    one = typical_file(paths)
    latency_runs = max(1, args.latency_runs)
    with tempfile.TemporaryDirectory(prefix="nbfix-one-") as tmp:
        folder = Path(tmp)
        shutil.copy2(one, folder / one.name)
        one_cold = [nbfix, "check", "--no-cache", one.name]
        one_warm = [nbfix, "check", one.name]
        _, primed = run_timed(one_warm, folder)  # populates the cache
        require(primed, "nbfix check FILE (priming the cache)", (0, 1))
        if not (folder / CACHE_DIR).is_dir():
            raise BenchError(f"nbfix check did not create {folder / CACHE_DIR}")
        cold_ms, warm_ms, edited_ms = [], [], []
        original = (folder / one.name).read_bytes()
        for n in range(latency_runs):  # alternating: edited (cache on), cold, then warm
            # pre-commit's usual case: the file changed since the last run (a comment at the end,
            # so the findings stay the same), the cache answers for nothing
            (folder / one.name).write_bytes(original + f"// edit {n}\n".encode())
            seconds, proc = run_timed(one_warm, folder)
            require(proc, "nbfix check FILE (edited)", (0, 1))
            require_same(primed.stdout, proc.stdout, "one file, edited vs original")
            edited_ms.append(seconds * 1000)
            seconds, proc = run_timed(one_cold, folder)
            require(proc, "nbfix check --no-cache FILE", (0, 1))
            require_same(primed.stdout, proc.stdout, "one file, --no-cache vs cached")
            cold_ms.append(seconds * 1000)
            seconds, proc = run_timed(one_warm, folder)
            require(proc, "nbfix check FILE", (0, 1))
            require_same(primed.stdout, proc.stdout, "one file, cache warm vs cold")
            warm_ms.append(seconds * 1000)
    log(f"one file: cold {statistics.median(cold_ms):.0f} ms, warm {statistics.median(warm_ms):.0f} ms, "
        f"edited {statistics.median(edited_ms):.0f} ms")

    parse_s = statistics.median(parse_times)
    check_s = statistics.median(r.seconds for r in nb_runs)
    sg_s = statistics.median(r.seconds for r in sg_runs)
    memory = {"nbfix": Memory.of(nb_runs), "ast_grep": Memory.of(sg_runs),
              "nbfix_cache_cold": Memory.of([cache_cold]), "nbfix_cache_warm": Memory.of(warm_runs)}
    r = Results(
        command, args.seed, repeat, len(paths), round(total_mb, 2), round(parse_s, 3), round(total_mb / parse_s, 2),
        round(check_s, 3), round(total_mb / check_s, 2), max(run.exit_code for run in nb_runs),
        count_findings(nb_runs[-1].stdout),
        rules=codes if args.rules == "all" else [],
        nbfix_command=shlex.join(cold_argv), ast_grep_command=shlex.join(sg_argv), ast_grep_version=sg_version,
        ast_grep_threads=threads, ast_grep_s=round(sg_s, 3), ast_grep_mb_s=round(total_mb / sg_s, 2),
        ratio_of_medians=round(check_s / sg_s, 3), nb101_findings=count_findings(nb_runs[-1].stdout, "NB101"),
        ast_grep_matches=count_matches(sg_runs[-1].stdout),
        raw_parse_times=[round(t, 3) for t in parse_times], check_times=[round(run.seconds, 3) for run in nb_runs],
        ast_grep_times=[round(run.seconds, 3) for run in sg_runs], memory=memory,
        one_file=str(one.relative_to(corpus)), one_file_bytes=one.stat().st_size, one_file_runs=latency_runs,
        one_file_cold_ms=round(statistics.median(cold_ms), 1), one_file_warm_ms=round(statistics.median(warm_ms), 1),
        one_file_edited_ms=round(statistics.median(edited_ms), 1),
        one_file_cold_times=[round(t, 1) for t in cold_ms], one_file_warm_times=[round(t, 1) for t in warm_ms],
        one_file_edited_times=[round(t, 1) for t in edited_ms],
        one_file_command=f"{shlex.join(one_cold)}  /  {shlex.join(one_warm)}",
        cache_cold_s=round(cache_cold.seconds, 3), cache_warm_s=round(warm_s, 3), cache_warm_runs=len(warm_runs),
        cache_speedup=round(cache_cold.seconds / warm_s, 1), cache_command=shlex.join(check_argv),
        cached_output_identical=True,
    )
    nb_mem = memory["nbfix"]
    r.targets = [
        Target("corpus size", r.total_mb, "MB", f">= {TARGET_MB:g} MB", r.total_mb >= TARGET_MB),
        Target("ratio of medians nbfix / ast-grep", r.ratio_of_medians, "", f"<= {TARGET_RATIO:.1f}",
               r.ratio_of_medians <= TARGET_RATIO),
        Target("peak memory, nbfix --no-cache (process tree RSS sum)", nb_mem.tree_rss_mib, "MiB",
               f"<= {TARGET_MEMORY_MIB:g} MiB", nb_mem.tree_rss_mib <= TARGET_MEMORY_MIB),
        Target("one file, cache cold", r.one_file_cold_ms, "ms", f"<= {TARGET_ONE_FILE_MS:g} ms",
               r.one_file_cold_ms <= TARGET_ONE_FILE_MS),
        Target("cached re-check speed-up", r.cache_speedup, "x", f">= {TARGET_CACHE_SPEEDUP:g}x",
               r.cache_speedup >= TARGET_CACHE_SPEEDUP),
    ]
    return r


# --------------------------------------------------------------------------- report


TARGET_BIG_FILE_RATIO = 1.5  # seconds per MB of a 4 MB file / of a 0.5 MB file (the issue's figures)


def one_big_file(root: Path, megabytes: float, seed: int) -> Path:
    """One generated binding file of about `megabytes` (one translation unit, many classes)."""
    folder = root / f"big_{megabytes:g}mb"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bind_big.cpp"
    path.write_bytes(Generator(random.Random(seed)).file(int(megabytes * MB)).encode("utf-8"))
    return path


def big_file_scaling(root: Path, sizes: list[float], args: argparse.Namespace) -> dict:
    """nbfix check and ast-grep scan on one file of each size, alone in its folder: wall time,
    seconds per MB and peak memory. Superlinear work in one tree shows here, not in a corpus of
    small files."""
    nbfix = find_nbfix()
    sg = find_tool("ast-grep", "install it with `pip install ast-grep-cli` (see benchmarks/README.md)")
    codes = rule_codes(nbfix)
    select = ["--select", ",".join(codes)] if args.rules == "all" else []
    rows = []
    for megabytes in sizes:
        path = one_big_file(root, megabytes, args.seed)
        size_mb = path.stat().st_size / MB
        nb = run_measured([nbfix, "check", "--no-cache", *select, path.name], path.parent)
        require(nb, f"nbfix check on one {megabytes:g} MB file", (0, 1))
        sg_run = run_measured([sg, "scan", "--config", str(SGCONFIG), "--report-style", "short", "--color", "never",
                               "--no-ignore", "parent", path.name], path.parent)
        require(sg_run, f"ast-grep scan on one {megabytes:g} MB file", (0,))
        rows.append({
            "mb": round(size_mb, 3), "nbfix_s": round(nb.seconds, 3), "nbfix_s_per_mb": round(nb.seconds / size_mb, 3),
            "nbfix_peak_mib": round(nb.tree_rss_kib / MIB, 1), "nbfix_mib_per_mb": round(nb.tree_rss_kib / MIB / size_mb, 1),
            "ast_grep_s": round(sg_run.seconds, 3), "ast_grep_peak_mib": round(sg_run.tree_rss_kib / MIB, 1),
            "findings": count_findings(nb.stdout), "ast_grep_matches": count_matches(sg_run.stdout),
        })
        log(f"one {size_mb:.2f} MB file: nbfix {nb.seconds:.2f} s, ast-grep {sg_run.seconds:.2f} s")
        path.unlink()
    # The target compares the file nearest 4 MB with the one nearest 0.5 MB (largest / smallest otherwise).
    small = min(rows, key=lambda r: abs(r["mb"] - 0.5))
    large = min(rows, key=lambda r: abs(r["mb"] - 4.0))
    ratio = large["nbfix_s_per_mb"] / small["nbfix_s_per_mb"] if large is not small else 1.0
    return {"rows": rows, "ratio": round(ratio, 3), "met": ratio <= TARGET_BIG_FILE_RATIO,
            "small_mb": small["mb"], "large_mb": large["mb"]}


def big_file_markdown(scaling: dict) -> str:
    rows = scaling["rows"]
    lines = ["", f"One big file (`nbfix check --no-cache` and `ast-grep scan` on one generated file, cwd = its folder):",
             "", "| file | nbfix | nbfix s/MB | nbfix peak (tree RSS) | MiB per MB | nbfix findings | ast-grep | ast-grep peak | ast-grep matches |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['mb']:.2f} MB | {r['nbfix_s']:.2f} s | {r['nbfix_s_per_mb']:.2f} | {r['nbfix_peak_mib']:.0f} MiB "
                     f"| {r['nbfix_mib_per_mb']:.0f} | {r['findings']} | {r['ast_grep_s']:.2f} s | {r['ast_grep_peak_mib']:.0f} MiB "
                     f"| {r['ast_grep_matches']} |")
    if len(rows) > 1:
        lines += ["", f"s/MB of the {scaling['large_mb']:.2f} MB file / of the {scaling['small_mb']:.2f} MB file: "
                      f"{scaling['ratio']:.2f} (target <= {TARGET_BIG_FILE_RATIO}: {'met' if scaling['met'] else '**not met**'}). "
                      "ast-grep with 0 matches on a file skipped it (it does not scan files above its size limit)."]
    return "\n".join(lines)


def mem_text(m: Memory) -> str:
    pss = f"{m.tree_pss_mib:.1f}" if m.tree_pss_mib is not None else "n/a"
    return (f"tree RSS {m.tree_rss_mib:.1f} MiB; tree PSS {pss} MiB; largest process {m.largest_process_mib:.1f} MiB;"
            f" main process {m.main_process_mib:.1f} MiB; up to {m.max_processes} process(es)")


def spread(times_ms: list[float]) -> str:
    """How much short runs vary on a shared machine: the fastest run and the middle half."""
    ordered = sorted(times_ms)
    if len(ordered) < 4:
        return f"fastest {ordered[0]:.0f} ms" if ordered else ""
    quarter = len(ordered) // 4
    return f"fastest {ordered[0]:.0f}, middle half {ordered[quarter]:.0f} to {ordered[-quarter - 1]:.0f} ms"


def markdown(r: Results) -> str:
    def met(name: str) -> tuple[str, str]:
        t = next(t for t in r.targets if t.measure == name)
        return t.target, "yes" if t.met else "**no**"

    nb_mem, sg_mem = r.memory["nbfix"], r.memory["ast_grep"]
    rules = f"{len(r.rules)} rules" if r.rules else "default rules"
    rows = [
        ("files", f"{r.files}", "", ""),
        ("corpus size", f"{r.total_mb:.2f} MB", *met("corpus size")),
        ("raw tree-sitter parse (in process, 1 thread)",
         f"{r.raw_parse_mb_s:.2f} MB/s ({r.raw_parse_s:.3f} s)", "", ""),
        (f"`nbfix check --no-cache`, {rules}", f"{r.check_mb_s:.2f} MB/s ({r.check_s:.3f} s)", "", ""),
        (f"`ast-grep scan`, 1 rule, {r.ast_grep_threads} threads",
         f"{r.ast_grep_mb_s:.2f} MB/s ({r.ast_grep_s:.3f} s)", "", ""),
        ("ratio of medians nbfix / ast-grep", f"{r.ratio_of_medians:.2f}", *met("ratio of medians nbfix / ast-grep")),
        ("check / raw parse", f"{r.check_mb_s / r.raw_parse_mb_s:.1%}", "", ""),
        ("peak memory, nbfix --no-cache (process tree RSS sum)", f"{nb_mem.tree_rss_mib:.1f} MiB",
         *met("peak memory, nbfix --no-cache (process tree RSS sum)")),
        ("peak memory, nbfix --no-cache, details", mem_text(nb_mem), "", ""),
        ("peak memory, ast-grep", mem_text(sg_mem), "", ""),
        ("peak memory, nbfix cache warm", mem_text(r.memory["nbfix_cache_warm"]), "", ""),
        (f"one file ({r.one_file_bytes / 1024:.1f} KiB), cache cold (`--no-cache`), median of {r.one_file_runs}",
         f"{r.one_file_cold_ms:.0f} ms ({spread(r.one_file_cold_times)})", *met("one file, cache cold")),
        (f"one file, cache warm, median of {r.one_file_runs}",
         f"{r.one_file_warm_ms:.0f} ms ({spread(r.one_file_warm_times)})", "", ""),
        (f"one file edited since the last run (cache on), median of {r.one_file_runs}",
         f"{r.one_file_edited_ms:.0f} ms ({spread(r.one_file_edited_times)})", "", ""),
        ("cached re-check, cache cold (first run, writes the cache)", f"{r.cache_cold_s:.3f} s", "", ""),
        (f"cached re-check, cache warm (median of {r.cache_warm_runs})", f"{r.cache_warm_s:.3f} s", "", ""),
        ("cached re-check speed-up (cold / warm)", f"{r.cache_speedup:.1f}x", *met("cached re-check speed-up")),
        ("cached output = uncached output", "identical (checked)", "identical", "yes"),
        ("nbfix findings, of which NB101", f"{r.findings}, {r.nb101_findings}", "", ""),
        (f"ast-grep matches ({SG_RULE_ID})", f"{r.ast_grep_matches}", "", ""),
        ("nbfix exit code", f"{r.check_exit_code}", "0 or 1", "yes" if r.check_exit_code in (0, 1) else "**no**"),
    ]
    lines = [f"Command: `{r.command}` (median of {r.repeat}, seed {r.seed}, {os.cpu_count()} cores)", "",
             "| measure | value | target | met? |", "|---|---|---|---|"]
    lines += [f"| {' | '.join(row)} |" for row in rows]
    lines += [
        "",
        "Commands measured (cwd = corpus root, except one file: cwd = a folder holding only that file):",
        f"- nbfix: `{r.nbfix_command}`",
        f"- ast-grep ({r.ast_grep_version}): `{r.ast_grep_command}`",
        f"- cached re-check: `{r.cache_command}`",
        f"- one file ({r.one_file}): `{r.one_file_command}`",
        "",
        ("Memory: tree RSS / PSS = peak of the sum over the started process and all its descendants, sampled "
         f"every {SAMPLE_SECONDS * 1000:.0f} ms from /proc (RSS counts shared pages once per process); largest "
         "process = ru_maxrss from wait4 (the largest single process among the started one and its reaped "
         "descendants, exact); main process = sampled RSS of the started process alone. Raw parse runs in this "
         "process and has no memory figure."),
        "",
        ("The ast-grep rule is syntactic: it also matches module functions (`m.def`) and methods that return by "
         "value, which NB101 leaves alone, so it reports more matches than NB101 has findings."),
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- per-phase profile


def phase_profile(corpus: Path, args: argparse.Namespace) -> dict:
    """One more `nbfix check --no-cache` of the corpus in one process (`-j 1`), with NBFIX_PROFILE
    set: nbfix's own account of where the time goes (each phase's time excludes the phases timed
    inside it; "other" is start-up, discovery, digests and the rest)."""
    nbfix = find_nbfix()
    rules = rule_codes(nbfix) if args.rules == "all" else []
    target = corpus.parent / f".nbfix-profile-{os.getpid()}.jsonl"
    argv = [nbfix, "check", "--no-cache", "-j", "1", *(["--select", ",".join(rules)] if rules else []), "."]
    try:
        done = subprocess.run(argv, cwd=corpus, capture_output=True, text=True,
                              env={**os.environ, "NBFIX_PROFILE": str(target)})
        require(done, "nbfix check (profiled)", (0, 1))
        record = json.loads(target.read_text(encoding="utf-8").splitlines()[-1])
    finally:
        target.unlink(missing_ok=True)
    phases = dict(sorted(record["phases"].items(), key=lambda item: -item[1]))
    phases["other"] = max(0.0, record["total"] - sum(phases.values()))
    return {"command": shlex.join(argv[:1] + ["check", "--no-cache", "-j", "1", "..."]), "total": record["total"],
            "phases": phases}


def profile_markdown(profile: dict) -> str:
    total = profile["total"]
    lines = [f"Per-phase profile, one process (`{profile['command']}`, NBFIX_PROFILE), {total:.2f} s:", "",
             "| phase | seconds | share |", "|---|---|---|"]
    lines += [f"| {name} | {seconds:.3f} | {seconds / total:.1%} |" for name, seconds in profile["phases"].items()]
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=40.0, help="corpus size in MB (default 40)")
    parser.add_argument("--seed", type=int, default=0, help="RNG seed for the corpus (default 0)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="repetitions of raw parse / nbfix / ast-grep, in turn; medians reported (default 3)")
    parser.add_argument("--warm-runs", type=int, default=5,
                        help="cached re-check runs with the cache warm; median reported (default 5)")
    parser.add_argument("--latency-runs", type=int, default=15,
                        help="one-file runs, each cold and warm; medians reported (default 15)")
    parser.add_argument("--rules", choices=("all", "default"), default="all",
                        help="nbfix rules on the corpus: every registered rule via --select (default), or the "
                             "default selection")
    parser.add_argument("--jobs", type=int, metavar="N",
                        help="pass -j N to nbfix and --threads N to ast-grep (default: nbfix chooses, one worker "
                             "per core for big runs; ast-grep gets --threads <cores>)")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="write the corpus to DIR and keep it")
    parser.add_argument("--json", action="store_true", help="also print the results as JSON")
    parser.add_argument("--big-files", metavar="MB,MB,...", default="",
                        help="also time one generated file of each size, e.g. 0.5,4,20 (scaling in one tree)")
    parser.add_argument("--only-big-files", action="store_true", help="skip the corpus measurements")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = shlex.join(getattr(sys, "orig_argv", [os.path.basename(sys.executable), *sys.argv]))
    if args.keep:
        if args.keep.exists() and any(args.keep.iterdir()):
            sys.exit(f"bench_check: {args.keep} is not empty")
        args.keep.mkdir(parents=True, exist_ok=True)
        corpus, cleanup = args.keep.resolve(), None
    else:
        cleanup = tempfile.TemporaryDirectory(prefix="nbfix-bench-")
        corpus = Path(cleanup.name)
    sizes = [float(part) for part in args.big_files.split(",") if part.strip()]
    results = scaling = profile = None
    try:
        if not args.only_big_files:
            log(f"writing a {args.mb:g} MB corpus to {corpus}")
            paths = write_corpus(corpus, args.mb, args.seed)
            results = measure(paths, corpus, args, command)
            log("per-phase profile (one process)")
            profile = phase_profile(corpus, args)
        if sizes:
            scaling = big_file_scaling(corpus, sorted(sizes), args)
    except BenchError as exc:
        print(f"bench_check: error: {exc}", file=sys.stderr)
        return 2
    finally:
        if cleanup is not None:
            cleanup.cleanup()
    if results is not None:
        print(markdown(results))
        print()
        print(profile_markdown(profile))
    else:
        print(f"Command: `{command}` (seed {args.seed}, {os.cpu_count()} cores)")
    if scaling is not None:
        print(big_file_markdown(scaling))
    if args.json:
        print(json.dumps({**(asdict(results) if results is not None else {}), "big_files": scaling, "profile": profile},
                         indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
