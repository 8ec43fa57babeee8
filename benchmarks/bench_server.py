#!/usr/bin/env python3
"""Latency and memory of `nbfix server`, driven over stdio as an editor drives it (pygls's client).

Writes one generated binding file of about 22 KB (the generator of `bench_check.py`) into a
temporary workspace folder, starts `python -m nbfix server`, opens the file, then:

  a. latency: `--changes` edits, one at a time, each an incremental change typing or deleting a
     character in a comment inside a function body (the buffer alternates between two texts);
     the time from sending `didChange` to receiving the `publishDiagnostics` of that version,
     debounce included. Median and spread of all but the first;
  b. memory: `--edits` more edits of the same kind, each waiting for its diagnostics, and the
     server's resident memory (VmRSS from /proc) before and every quarter of the way.

Run it from the repository root with the venv that has nbfix installed (pygls comes with it), on a
machine otherwise idle:

    python benchmarks/bench_server.py                       # 22 KB, 100 changes, 1,000 edits
    python benchmarks/bench_server.py --changes 30 --edits 200 --debounce-ms 50 --json

This is a benchmark, not a test: targets missed are reported (diagnostics within 100 ms of a
change, median; memory flat over the edits, under 10% growth), never failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_check import Generator  # noqa: E402  (the same synthetic binding code)

MARKER = "// nbfix-bench: typing here\n"


def binding_file(size: int, seed: int) -> str:
    """A generated binding file of about `size` bytes, with a comment line to type into placed
    inside the module's function body (after the first `.def(` chain line)."""
    text = Generator(random.Random(seed)).file(int(size * 0.92))  # the generator overshoots: 22.0 KB for seed 0
    at = text.index("\n", text.index("NB_MODULE(") if "NB_MODULE(" in text else text.index("PYBIND11_MODULE(")) + 1
    return text[:at] + "    " + MARKER + text[at:]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Session:
    def __init__(self, client: LanguageClient, uri: str, text: str) -> None:
        self.client = client
        self.uri = uri
        self.line = text[: text.index(MARKER)].count("\n")
        self.column = len("    // nbfix-bench: typing here")
        self.version = 1
        self.typed = False
        self.arrived: dict[int, float] = {}
        self.event = asyncio.Event()

    def published(self, params: types.PublishDiagnosticsParams) -> None:
        if params.uri == self.uri and params.version is not None:
            self.arrived[params.version] = time.perf_counter()
            self.event.set()

    async def edit(self) -> float:
        """Type or delete one character; seconds until that version's diagnostics arrive."""
        self.version += 1
        start = types.Position(self.line, self.column)
        if self.typed:
            change = types.TextDocumentContentChangePartial(
                range=types.Range(start, types.Position(self.line, self.column + 1)), text="")
        else:
            change = types.TextDocumentContentChangePartial(range=types.Range(start, start), text="x")
        self.typed = not self.typed
        sent = time.perf_counter()
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version), [change]))
        await self.wait(self.version)
        return self.arrived[self.version] - sent

    async def wait(self, version: int, timeout: float = 60) -> None:
        deadline = time.perf_counter() + timeout
        while version not in self.arrived:
            self.event.clear()
            await asyncio.wait_for(self.event.wait(), max(0.01, deadline - time.perf_counter()))


async def measure(args: argparse.Namespace) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="nbfix-bench-server-"))
    path = folder / "bind_big.cpp"
    text = binding_file(args.kb * 1024, args.seed)
    path.write_text(text)
    client = LanguageClient("bench-server", "1")
    session = Session(client, path.as_uri(), text)
    client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)(lambda params: session.published(params))
    await client.start_io(sys.executable, "-m", "nbfix", "server", cwd=str(folder))
    options = {"debounceMs": args.debounce_ms} if args.debounce_ms is not None else None
    await client.initialize_async(types.InitializeParams(
        capabilities=types.ClientCapabilities(), root_uri=folder.as_uri(),
        workspace_folders=[types.WorkspaceFolder(folder.as_uri(), "bench")], initialization_options=options))
    client.initialized(types.InitializedParams())
    opened = time.perf_counter()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=session.uri, language_id="cpp", version=1, text=text)))
    await session.wait(1)
    first = session.arrived[1] - opened
    pid = client._server.pid
    latencies = [await session.edit() for _ in range(args.changes)]
    memory = [(0, rss_kib(pid))]
    for done in range(1, args.edits + 1):
        await session.edit()
        if done % max(1, args.edits // 4) == 0 or done == args.edits:
            memory.append((done, rss_kib(pid)))
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    later = [1000 * s for s in latencies[1:]]
    return {
        "file_bytes": len(text.encode()),
        "debounce_ms": args.debounce_ms,
        "open_to_diagnostics_ms": round(1000 * first, 1),
        "first_change_ms": round(1000 * latencies[0], 1),
        "median_ms": round(statistics.median(later), 1),
        "p90_ms": round(sorted(later)[int(0.9 * (len(later) - 1))], 1),
        "min_ms": round(min(later), 1),
        "max_ms": round(max(later), 1),
        "changes": args.changes,
        "edits": args.edits,
        "rss_kib": memory,
    }


def markdown(r: dict) -> str:
    growth = (r["rss_kib"][-1][1] - r["rss_kib"][0][1]) / r["rss_kib"][0][1]
    debounce = "server default" if r["debounce_ms"] is None else f"{r['debounce_ms']} ms"
    rows = [
        ("file", f"{r['file_bytes'] / 1024:.1f} KB generated binding code", "", ""),
        ("debounce", debounce, "", ""),
        ("open to first diagnostics", f"{r['open_to_diagnostics_ms']} ms", "", ""),
        (f"change to diagnostics, median of {r['changes'] - 1} after the first",
         f"{r['median_ms']} ms (p90 {r['p90_ms']}, {r['min_ms']}-{r['max_ms']})", "< 100 ms",
         "yes" if r["median_ms"] < 100 else "no"),
        (f"server RSS over {r['edits']} edits", " → ".join(f"{kib / 1024:.1f} MB" for _, kib in r["rss_kib"]),
         "flat (< 10% growth)", f"{'yes' if growth < 0.10 else 'no'} ({growth:+.1%})"),
    ]
    lines = ["| measure | value | target | met? |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kb", type=int, default=22, help="size of the binding file (default 22)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--changes", type=int, default=100, help="edits timed for latency (default 100)")
    parser.add_argument("--edits", type=int, default=1000, help="edits for the memory check (default 1000)")
    parser.add_argument("--debounce-ms", type=int, default=None, help="initializationOptions.debounceMs")
    parser.add_argument("--json", action="store_true", help="also print the results as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results = asyncio.run(measure(args))
    print(f"$ python benchmarks/bench_server.py {' '.join(sys.argv[1:])}".rstrip())
    print(markdown(results))
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
