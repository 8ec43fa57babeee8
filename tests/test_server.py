"""`nbfix server` driven over stdio as an editor drives it (pytest-lsp's client): a real server
process, real LSP messages, edits applied client-side."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.protocol import default_converter
from pygls.workspace import TextDocument
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

pytestmark = pytest.mark.asyncio

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
SERVER = [sys.executable, "-m", "nbfix", "server"]
TIMEOUT = 15  # seconds: a slow, shared machine


class Editor:
    """A client session and what the server sent it: every publishDiagnostics, the buffers."""

    def __init__(self, client: LanguageClient, published: list, registrations: list) -> None:
        self.client = client
        self.published = published
        self.registrations = registrations
        self.versions: dict[str, int] = {}

    def open(self, path: Path, text: str | None = None) -> str:
        uri = path.as_uri()
        text = path.read_bytes().decode("utf-8") if text is None else text
        self.versions[uri] = 1
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id="cpp", version=1, text=text)))
        return uri

    def change(self, uri: str, text: str, range_: types.Range | None = None) -> int:
        """A full change, or an incremental one replacing `range_`; the new version."""
        self.versions[uri] += 1
        change = types.TextDocumentContentChangeWholeDocument(text=text) if range_ is None else \
            types.TextDocumentContentChangePartial(range=range_, text=text)
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]), [change]))
        return self.versions[uri]

    async def diagnostics(self, uri: str, version: int | None = None) -> list[types.Diagnostic]:
        """The diagnostics published for this version of the buffer (default: the latest)."""
        version = self.versions.get(uri) if version is None else version

        def found():
            return next((p for p in reversed(self.published) if p.uri == uri and p.version == version), None)

        await until(lambda: found() is not None)
        return list(found().diagnostics)

    async def actions(self, uri: str, range_: types.Range, only: list[str] | None = None,
                      diagnostics: list[types.Diagnostic] = ()) -> list[types.CodeAction]:
        params = types.CodeActionParams(
            types.TextDocumentIdentifier(uri), range_, types.CodeActionContext(list(diagnostics), only=only))
        return await asyncio.wait_for(self.client.text_document_code_action_async(params), TIMEOUT) or []


async def until(condition, timeout: float = TIMEOUT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out waiting for the server"
        await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def editing(folder: Path, **options):
    """A server process with `folder` as its workspace folder, initialized; shut down after."""
    client = LanguageClient(converter_factory=default_converter)
    published: list[types.PublishDiagnosticsParams] = []
    registrations: list[types.Registration] = []

    def publish(params: types.PublishDiagnosticsParams) -> None:
        published.append(params)

    def register(params: types.RegistrationParams) -> None:
        registrations.extend(params.registrations)

    register_lsp_features(client, {**DEFAULT_CLIENT_FEATURES, types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: publish,
                                   types.CLIENT_REGISTER_CAPABILITY: register})
    await client.start_io(*SERVER, cwd=str(folder))
    try:
        await asyncio.wait_for(client.initialize_session(types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=folder.as_uri(),
            workspace_folders=[types.WorkspaceFolder(folder.as_uri(), folder.name)],
            initialization_options=options or None,
        )), TIMEOUT)
        yield Editor(client, published, registrations)
        await asyncio.wait_for(client.shutdown_session(), TIMEOUT)
        assert client._server.returncode == 0  # exited cleanly after shutdown and exit
    finally:
        if client._server is not None and client._server.returncode is None:
            client._server.kill()  # a failed test: `stop` would wait for the server forever
        await client.stop()


def copy(folder: Path, *fixtures: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy(FIXTURES / name, folder / Path(name).name)) for name in fixtures]


def apply_text_edits(text: str, edits: list[types.TextEdit]) -> str:
    """Apply LSP edits as an editor does (pygls's own document model, UTF-16 positions), last first."""
    document = TextDocument("file:///buffer", text)
    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        document.apply_change(types.TextDocumentContentChangePartial(range=edit.range, text=edit.new_text))
    return document.source


def edits_of(action: types.CodeAction, uri: str) -> list[types.TextEdit]:
    assert action.edit is not None and set(action.edit.changes) == {uri}
    return action.edit.changes[uri]


def nbfix_apply(path: Path, *args: str) -> bytes:
    """What `nbfix apply` writes for this file, on a copy in a folder of its own (its settings)."""
    return _nbfix_on_copy(path, "apply", *args)


def _nbfix_on_copy(path: Path, command: str, *args: str) -> bytes:
    folder = path.parent.parent / f"{path.parent.name}-{command}"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(path.parent, folder)
    subprocess.run([*SERVER[:-1], command, "--no-cache", *args, path.name], cwd=folder, capture_output=True, check=False)
    return (folder / path.name).read_bytes()


WHOLE = types.Range(types.Position(0, 0), types.Position(10_000, 0))


async def test_open_a_file_see_its_findings_fix_them_all_and_get_the_bytes_of_nbfix_apply(tmp_path):
    work = tmp_path / "project"
    (path,) = copy(work, "NB401/guards.cpp")
    (work / "pyproject.toml").write_text("[tool.nbfix]\npriority = \"high\"\n")
    async with editing(work) as editor:
        uri = editor.open(path)
        found = await editor.diagnostics(uri)
        assert [(d.code, d.range.start.line, d.severity) for d in found] == [
            ("NB401", 17, types.DiagnosticSeverity.Error),
            ("NB401", 21, types.DiagnosticSeverity.Error),
            ("NB401", 28, types.DiagnosticSeverity.Error),
        ]
        first = found[0]
        assert first.source == "nbfix" and "release" in first.message
        assert first.code_description is not None and first.code_description.href.endswith("rules.md#nb401")
        assert first.data["fix"]["safety"] == "safe" and first.data["fix"]["edits"]

        actions = await editor.actions(uri, WHOLE, only=["source.fixAll"])
        assert [a.kind for a in actions] == ["source.fixAll.nbfix"]
        assert actions[0].title == "Fix all safe nbfix findings in this file"
        fixed = apply_text_edits(path.read_text(), edits_of(actions[0], uri))
        assert fixed.encode() == nbfix_apply(path) != path.read_bytes()

        editor.change(uri, fixed)  # the editor applied the edit: nothing is left
        assert await editor.diagnostics(uri) == []
        assert path.read_bytes() == (FIXTURES / "NB401/guards.cpp").read_bytes()  # the server wrote nothing
        assert {r.method for r in editor.registrations} == {"workspace/didChangeWatchedFiles"}


async def test_quick_fix_and_suppression_under_the_cursor(tmp_path):
    (path,) = copy(tmp_path / "project", "NB401/guards.cpp")
    async with editing(path.parent) as editor:
        uri = editor.open(path)
        found = await editor.diagnostics(uri)
        cursor = types.Range(found[1].range.start, found[1].range.start)
        actions = await editor.actions(uri, cursor, diagnostics=[found[1]])
        assert [(a.kind, a.is_preferred) for a in actions] == [("quickfix", True), ("quickfix", None), ("source.fixAll.nbfix", None)]
        actions = await editor.actions(uri, cursor, only=["quickfix"], diagnostics=[found[1]])
        fix, suppress = actions
        assert fix.title.startswith("NB401: ") and fix.diagnostics[0].code == "NB401"
        assert suppress.title == "Suppress NB401 on this line"

        text = path.read_text()
        version = editor.change(uri, apply_text_edits(text, edits_of(fix, uri)))
        assert [d.range.start.line for d in await editor.diagnostics(uri, version)] == [17, 28]

        version = editor.change(uri, apply_text_edits(text, edits_of(suppress, uri)))
        assert [d.range.start.line for d in await editor.diagnostics(uri, version)] == [17, 28]
        assert "// nbfix: ignore[NB401]" in apply_text_edits(text, edits_of(suppress, uri)).splitlines()[21]


async def test_positions_are_utf16_after_non_ascii_text_and_crlf_stays_crlf(tmp_path):
    (path,) = copy(tmp_path / "project", "NB101/crlf.cpp")
    text = path.read_bytes().decode()
    # Astral and accented characters before the finding on its line: 2 + 1 UTF-16 units, 7 bytes.
    text = text.replace("             nb::rv_policy::reference);", "/*😀é*/       nb::rv_policy::reference);")
    path.write_bytes(text.encode())
    async with editing(path.parent) as editor:
        uri = editor.open(path, text)
        (found,) = await editor.diagnostics(uri)
        line = text.split("\r\n")[found.range.start.line]
        start = found.range.start.character
        assert line.encode("utf-16-le")[2 * start:].decode("utf-16-le").startswith("nb::rv_policy::reference")
        (fix_all,) = await editor.actions(uri, WHOLE, only=["source.fixAll.nbfix"])
        fixed = apply_text_edits(text, edits_of(fix_all, uri))
        assert fixed.encode() == nbfix_apply(path)
        assert "\r\n" in fixed and "\n" not in fixed.replace("\r\n", "")


async def test_incremental_changes_update_the_diagnostics_debounced(tmp_path):
    (path,) = copy(tmp_path / "project", "NB401/guards.cpp")
    async with editing(path.parent, debounceMs=30) as editor:
        uri = editor.open(path)
        assert len(await editor.diagnostics(uri)) == 3
        line = path.read_text().splitlines()[17]  # `nb::gil_scoped_release release; // expect: NB401`
        replaced = types.Range(types.Position(17, 0), types.Position(17, len(line)))
        for _ in range(5):  # typing: only the last version needs a lint
            version = editor.change(uri, "            // (removed)", replaced)
        assert [d.range.start.line for d in await editor.diagnostics(uri, version)] == [21, 28]


async def test_project_facts_follow_files_changed_on_disk(tmp_path):
    work = tmp_path / "project"
    (work / "include").mkdir(parents=True)
    (work / "include" / "lib.h").write_text("namespace lib { struct Doc { Para *title() { return &para; } Para para; }; }\n")
    binding = work / "bind.cpp"
    binding.write_text('#include <nanobind/nanobind.h>\n#include "lib.h"\nnamespace nb = nanobind;\nNB_MODULE(ext, m) {\n'
                       '    nb::class_<lib::Doc>(m, "Doc").def("title", &lib::Doc::title, nb::rv_policy::reference);\n}\n')
    async with editing(work) as editor:
        uri = editor.open(binding)
        assert [d.code for d in await editor.diagnostics(uri)] == ["NB101"]  # the header shows a pointer inside
        editor.published.clear()
        (work / "include" / "lib.h").write_text("namespace lib { struct Doc { int title(); }; }\n")
        editor.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams([
            types.FileEvent((work / "include" / "lib.h").as_uri(), types.FileChangeType.Changed)]))
        assert await editor.diagnostics(uri) == []  # re-linted against the header's new facts


async def test_configuration_is_read_as_the_command_line_reads_it_and_again_when_it_changes(tmp_path):
    work = tmp_path / "project"
    (path,) = copy(work, "NB401/guards.cpp")
    config = work / ".nbfix.toml"
    config.write_text('ignore = ["NB401"]\n')
    async with editing(work) as editor:
        uri = editor.open(path)
        assert await editor.diagnostics(uri) == []
        editor.published.clear()
        config.write_text('select = ["NB401"]\n[per-file-ignores]\n"other.cpp" = ["NB401"]\n')
        editor.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams([
            types.FileEvent(config.as_uri(), types.FileChangeType.Changed)]))
        assert len(await editor.diagnostics(uri)) == 3

        editor.published.clear()
        config.write_text('select = ["NB401"]\nunknown-key = 1\n')  # a bad configuration
        editor.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams([
            types.FileEvent(config.as_uri(), types.FileChangeType.Changed)]))
        assert await editor.diagnostics(uri) == []
        await until(lambda: editor.client.messages)
        assert editor.client.messages[-1].type == types.MessageType.Error
        assert "unknown configuration key 'unknown-key'" in editor.client.messages[-1].message

        config.write_text('select = ["NB401"]\n')  # fixed: the server lints again
        editor.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams([
            types.FileEvent(config.as_uri(), types.FileChangeType.Changed)]))
        version = editor.change(uri, path.read_text())
        assert len(await editor.diagnostics(uri, version)) == 3


async def test_binary_and_broken_buffers_give_a_diagnostic_and_the_server_stays_up(tmp_path):
    (path,) = copy(tmp_path / "project", "NB401/guards.cpp")
    async with editing(path.parent) as editor:
        uri = editor.open(path, "int a;\0\0\0binary")
        (problem,) = await editor.diagnostics(uri)
        assert "binary file" in problem.message and problem.severity == types.DiagnosticSeverity.Warning
        version = editor.change(uri, "NB_MODULE(m, m) { nb::class_<X>(m, \"X\").def(( ;; }}}} \udc80")  # does not parse
        (problem,) = await editor.diagnostics(uri, version)
        assert "not valid UTF-8" in problem.message
        version = editor.change(uri, "NB_MODULE(m, m) { nb::class_<X>(m, \"X\").def(( ;; }}}}")
        assert isinstance(await editor.diagnostics(uri, version), list)  # linted, though it does not parse
        version = editor.change(uri, path.read_text())
        assert len(await editor.diagnostics(uri, version)) == 3


async def test_unsafe_fixes_are_titled_as_such_and_fix_all_takes_them_as_configured(tmp_path):
    work = tmp_path / "project"
    (path,) = copy(work, "NB303/enums.cpp")
    config = work / ".nbfix.toml"
    config.write_text('select = ["NB303"]\n')
    async with editing(work) as editor:
        uri = editor.open(path)
        found = await editor.diagnostics(uri)
        assert found and all(d.data["fix"]["safety"] == "unsafe" for d in found)
        fix, suppress = await editor.actions(uri, found[0].range, only=["quickfix"])
        assert fix.title.endswith("(unsafe fix: check the behaviour it changes)") and not fix.is_preferred
        assert await editor.actions(uri, WHOLE, only=["source.fixAll"]) == []  # `nbfix apply` would change nothing

        config.write_text('select = ["NB303"]\nunsafe-fixes = true\n')
        editor.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams([
            types.FileEvent(config.as_uri(), types.FileChangeType.Changed)]))
        (fix_all,) = await editor.actions(uri, WHOLE, only=["source.fixAll"])
        assert fix_all.title == "Fix all nbfix findings (unsafe fixes included) in this file"
        assert apply_text_edits(path.read_text(), edits_of(fix_all, uri)).encode() == nbfix_apply(path)


async def test_saving_a_header_refreshes_the_facts_of_the_files_that_include_it(tmp_path):
    work = tmp_path / "project"
    work.mkdir()
    header = work / "lib.h"
    header.write_text("namespace lib { struct Doc { int title(); }; }\n")
    binding = work / "bind.cpp"
    binding.write_text('#include <nanobind/nanobind.h>\n#include "lib.h"\nnamespace nb = nanobind;\nNB_MODULE(ext, m) {\n'
                       '    nb::class_<lib::Doc>(m, "Doc").def("title", &lib::Doc::title, nb::rv_policy::reference);\n}\n')
    async with editing(work) as editor:
        uri = editor.open(binding)
        assert await editor.diagnostics(uri) == []
        header_uri = editor.open(header)
        await editor.diagnostics(header_uri)
        pointer = "namespace lib { struct Doc { Para *title() { return &para; } Para para; }; }\n"
        editor.change(header_uri, pointer)
        await editor.diagnostics(header_uri)
        editor.published.clear()
        header.write_text(pointer)  # the editor saves the header
        editor.client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(header_uri)))
        assert [d.code for d in await editor.diagnostics(uri)] == ["NB101"]

        editor.client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))
        await until(lambda: any(p.uri == uri and p.version is None and not p.diagnostics for p in editor.published))


async def test_buffers_nbfix_does_not_check_get_no_diagnostics(tmp_path):
    work = tmp_path / "project"
    (path,) = copy(work, "NB401/guards.cpp")
    (work / ".nbfix.toml").write_text('exclude = ["generated/"]\n')
    excluded = work / "generated" / "guards.cpp"
    excluded.parent.mkdir()
    shutil.copy(path, excluded)
    async with editing(work) as editor:
        assert await editor.diagnostics(editor.open(excluded)) == []
        untitled = "untitled:Untitled-1"  # never saved: no path, no settings to go by
        editor.versions[untitled] = 1
        editor.client.text_document_did_open(types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=untitled, language_id="cpp", version=1, text=path.read_text())))
        assert await editor.diagnostics(untitled) == []
        assert len(await editor.diagnostics(editor.open(path))) == 3  # the server is still up
