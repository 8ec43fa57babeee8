#!/usr/bin/env python3
"""Throughput benchmark for `nbfix check` against raw tree-sitter parsing.

Generates a deterministic synthetic corpus of nanobind / pybind11 binding files
(class chains, member pointers, lambdas with trailing return types, rv_policy
arguments, raw-string docstrings, helper functions, macros with backslash-continued
`.def` chains, a few pybind11 and CRLF files), then measures, as the median of
several repetitions:

  a. raw parse: tree-sitter-cpp parsing of every file in this process, in MB/s;
  b. check: `nbfix check <corpus>` as a subprocess, wall time, in MB/s.

Run it from the repository root with the venv that has nbfix installed:

    python benchmarks/bench_check.py --mb 20
    python benchmarks/bench_check.py --mb 5 --repeat 5 --seed 7 --json
    python benchmarks/bench_check.py --keep /tmp/nbfix-corpus   # keep the corpus

This is a benchmark, not a test: it asserts nothing except that nbfix does not
fail (exit code 2). Exit code 1 (findings) is expected: about one class method
binding in five carries `rv_policy::reference`.
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
import time
from dataclasses import asdict, dataclass
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
            lines.append(f"    {m.returns}{'' if m.returns.endswith(('*', '&')) else ' '}{m.name}({args}){const};")
        lines.append(f"    std::vector<{spec.peer} *> items_;")
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


def raw_parse_seconds(paths: list[Path]) -> float:
    import tree_sitter
    import tree_sitter_cpp

    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_cpp.language()))
    start = time.perf_counter()
    for path in paths:
        parser.parse(path.read_bytes())
    return time.perf_counter() - start


def find_nbfix() -> str:
    beside = Path(sys.executable).with_name("nbfix")
    if beside.exists():
        return str(beside)
    found = shutil.which("nbfix")
    if found is None:
        sys.exit("bench_check: cannot find the nbfix executable (next to python or on PATH)")
    return found


@dataclass
class CheckRun:
    seconds: float
    exit_code: int
    findings: int
    stderr: str


def run_check(nbfix: str, corpus: Path) -> CheckRun:
    # cwd=corpus so that no pyproject.toml / .nbfix.toml of the calling checkout applies.
    start = time.perf_counter()
    proc = subprocess.run([nbfix, "check", str(corpus)], cwd=corpus, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    findings = sum(1 for line in proc.stdout.splitlines() if FINDING_LINE.search(line))
    return CheckRun(seconds, proc.returncode, findings, proc.stderr)


@dataclass
class Results:
    command: str
    seed: int
    repeat: int
    files: int
    total_mb: float
    raw_parse_s: float
    raw_parse_mb_s: float
    check_s: float
    check_mb_s: float
    check_exit_code: int
    findings: int


def measure(paths: list[Path], corpus: Path, repeat: int, seed: int, command: str) -> Results:
    total_mb = sum(p.stat().st_size for p in paths) / MB
    parse_times = [raw_parse_seconds(paths) for _ in range(repeat)]
    nbfix = find_nbfix()
    runs = [run_check(nbfix, corpus) for _ in range(repeat)]
    for run in runs:
        if run.exit_code not in (0, 1):
            print(f"nbfix check exited {run.exit_code}; first stderr lines:", file=sys.stderr)
            print("\n".join(run.stderr.splitlines()[:10]), file=sys.stderr)
            break
    parse_s = statistics.median(parse_times)
    check_s = statistics.median(r.seconds for r in runs)
    return Results(command, seed, repeat, len(paths), round(total_mb, 2), round(parse_s, 3),
                   round(total_mb / parse_s, 2), round(check_s, 3), round(total_mb / check_s, 2),
                   max(r.exit_code for r in runs), runs[-1].findings)


def markdown(r: Results) -> str:
    rows = [
        ("files", f"{r.files}"),
        ("corpus size", f"{r.total_mb:.2f} MB"),
        ("raw tree-sitter parse", f"{r.raw_parse_mb_s:.2f} MB/s ({r.raw_parse_s:.3f} s)"),
        ("`nbfix check`", f"{r.check_mb_s:.2f} MB/s ({r.check_s:.3f} s)"),
        ("check / raw parse", f"{r.check_mb_s / r.raw_parse_mb_s:.1%}"),
        ("findings", f"{r.findings}"),
        ("nbfix exit code", f"{r.check_exit_code}"),
    ]
    lines = [f"Command: `{r.command}` (median of {r.repeat}, seed {r.seed})", "",
             "| measure | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=20.0, help="corpus size in MB (default 20)")
    parser.add_argument("--seed", type=int, default=0, help="RNG seed for the corpus (default 0)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions; the median is reported (default 3)")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="write the corpus to DIR and keep it")
    parser.add_argument("--json", action="store_true", help="also print the results as JSON")
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
    try:
        paths = write_corpus(corpus, args.mb, args.seed)
        results = measure(paths, corpus, max(1, args.repeat), args.seed, command)
    finally:
        if cleanup is not None:
            cleanup.cleanup()
    print(markdown(results))
    if args.json:
        print(json.dumps(asdict(results), indent=2))
    return 0 if results.check_exit_code in (0, 1) else 2


if __name__ == "__main__":
    sys.exit(main())
