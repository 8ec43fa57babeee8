"""`nbfix server`: a Language Server over stdio, built on pygls. It lints open C/C++ buffers as
`nbfix check` lints files (`run.workspace.Workspace`: the same settings, rules, suppressions and
project facts), publishes the findings as diagnostics and offers their fixes as code actions.

Every piece of nbfix work runs on one lint thread, one job at a time; the event loop only talks
to the editor, so a slow lint never stops it reading messages. A change is linted once the
buffer has been quiet for the debounce delay; a newer change cancels a lint not yet started,
and a result for a version the buffer has left is dropped. The server never writes a file."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lsprotocol import types
from pygls import uris
from pygls.lsp.server import LanguageServer

from nbfix import __version__
from nbfix.core.source import SourceError
from nbfix.run.config import ConfigError
from nbfix.run.workspace import Workspace
from nbfix.server import convert
from nbfix.server.positions import Positions

DEFAULT_DEBOUNCE_MS = 30  # ms of quiet before a lint: a burst of keystrokes costs one lint
CONFIG_NAMES = ("pyproject.toml", ".nbfix.toml")
logger = logging.getLogger("nbfix.server")


class NbfixServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("nbfix", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.debounce = DEFAULT_DEBOUNCE_MS / 1000
        self.lint_thread = ThreadPoolExecutor(1, thread_name_prefix="nbfix-lint")
        self.folders: list[Path] = []
        self.projects: dict[Path, Workspace | ConfigError] = {}  # used on the lint thread only
        self.pending: dict[str, asyncio.Future] = {}  # uri -> its debounced lint
        self.linted: dict[str, convert.Linted] = {}  # uri -> its latest published lint
        self.shown: set[str] = set()  # messages shown once (a bad configuration), not at each lint

    # --- on the lint thread ---------------------------------------------------------------------

    def project_for(self, path: Path) -> Workspace:
        """The workspace folder holding `path` (the innermost one), its facts loaded; a file
        outside every folder is checked alone, as `nbfix check FILE` does. Raises ConfigError."""
        inside = [folder for folder in self.folders if folder == path or folder in path.parents]
        folder = max(inside, key=lambda f: len(f.parts)) if inside else path.parent
        project = self.projects.get(folder)
        if project is None:
            try:
                project = Workspace(folder)
                for error in project.load() if inside else []:
                    logger.warning("%s", error)
            except ConfigError as exc:
                project = exc
            self.projects[folder] = project
        if isinstance(project, ConfigError):
            raise project
        return project

    def lint_buffer(self, uri: str, version: int | None, text: str, fix: bool = False) -> convert.Linted:
        """Lint the editor's text of `uri`. Raises ConfigError for a bad configuration."""
        raw = text.encode("utf-8", "surrogatepass")  # a lone surrogate stays: "not valid UTF-8"
        positions = Positions(raw, _encoding(self))
        path = _path(uri)
        if path is None:
            return convert.Linted(uri, version, raw, None, positions)
        project = self.project_for(path)
        if not project.checks(path):
            return convert.Linted(uri, version, raw, None, positions)
        try:
            result = project.lint(path, raw, fix)
        except SourceError as exc:
            return convert.Linted(uri, version, raw, None, positions, problem=exc.message)
        return convert.Linted(uri, version, raw, result, positions, project.settings.unsafe_fixes)

    def refresh(self, changed: list[Path]) -> None:
        """Files changed on disk: a configuration file makes the folders below it read their
        settings and facts again; a source file's facts are read again."""
        for path in changed:
            if path.name in CONFIG_NAMES:
                for folder in [f for f in self.projects if f == path.parent or path.parent in f.parents]:
                    del self.projects[folder]
                self.shown.clear()
            else:
                for folder, project in self.projects.items():
                    if isinstance(project, Workspace) and folder in self.folders and folder in path.parents:
                        project.refresh(path)

    # --- on the event loop ----------------------------------------------------------------------

    def schedule(self, uri: str, delay: float) -> None:
        """Lint `uri` after `delay` seconds of quiet, instead of any lint of it not yet started."""
        previous = self.pending.pop(uri, None)
        if previous is not None:
            previous.cancel()
        self.pending[uri] = asyncio.ensure_future(self._lint_later(uri, delay))

    def schedule_open_documents(self) -> None:
        for uri in list(self.workspace.text_documents):
            self.schedule(uri, 0)

    async def _lint_later(self, uri: str, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        linted = await self.lint_current(uri)
        if linted is not None and self._is_current(linted):
            self.log_new_warnings(self.linted.get(uri), linted)
            self.linted[uri] = linted
            self.publish(uri, linted.version, convert.diagnostics(linted))

    def log_new_warnings(self, before: convert.Linted | None, now: convert.Linted) -> None:
        """Warnings of the lint (a rule that crashed, a suppression naming no rule) go to the
        editor's log, each once while it lasts, not at every keystroke."""
        seen = set(_warnings(before)) if before is not None else set()
        for line in _warnings(now):
            if line not in seen:
                self.window_log_message(types.LogMessageParams(types.MessageType.Warning, f"nbfix: {line}"))

    async def lint_current(self, uri: str, fix: bool = False) -> convert.Linted | None:
        """The buffer as it is now, linted on the lint thread; None when it cannot be (a bad
        configuration, shown to the user; a bug in nbfix, logged)."""
        document = self.workspace.text_documents.get(uri)
        if document is None:
            return None
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(
                self.lint_thread, self.lint_buffer, uri, document.version, document.source, fix
            )
        except ConfigError as exc:
            self.show_once(types.MessageType.Error, f"nbfix: {exc}")
            self.publish(uri, document.version, [])
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug in nbfix: the server stays up, the log says where
            logger.exception("nbfix could not lint %s", uri)
            self.show_once(types.MessageType.Error, f"nbfix could not lint {uri}: {type(exc).__name__}: {exc} (see the log)")
        return None

    def _is_current(self, linted: convert.Linted) -> bool:
        document = self.workspace.text_documents.get(linted.uri)
        return document is not None and document.version == linted.version

    def publish(self, uri: str, version: int | None, diagnostics: list[types.Diagnostic]) -> None:
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri, diagnostics, version))

    def show_once(self, kind: types.MessageType, message: str) -> None:
        logger.error("%s", message)
        if message not in self.shown:
            self.shown.add(message)
            self.window_show_message(types.ShowMessageParams(kind, message))

    async def current_lint(self, uri: str) -> convert.Linted | None:
        """The published lint of the buffer as it is now, or a new one if it has changed since."""
        linted = self.linted.get(uri)
        if linted is not None and self._is_current(linted):
            return linted
        return await self.lint_current(uri)

    async def files_changed(self, changed: list[Path]) -> None:
        self.linted.clear()  # code actions until the next lint must not use results from before
        await asyncio.get_running_loop().run_in_executor(self.lint_thread, self.refresh, changed)
        self.schedule_open_documents()


def _warnings(linted: convert.Linted) -> list[str]:
    result = linted.result
    if result is None:
        return []
    return [*result.warnings, *([f"error: {result.source.display}: {result.error}"] if result.error else [])]


def _path(uri: str) -> Path | None:
    """The file behind a `file:` URI; None for other schemes (an unsaved `untitled:` buffer)."""
    if not uri.startswith("file:"):
        return None
    path = uris.to_fs_path(uri)
    return Path(path).resolve() if path else None


def _encoding(server: LanguageServer) -> str:
    encoding = server.workspace.position_encoding
    return getattr(encoding, "value", encoding) or "utf-16"


def _wanted(only: list[str] | None, kind: str) -> bool:
    """Whether a code action kind passes the client's `only` filter (a kind covers its sub-kinds)."""
    return only is None or any(kind == prefix or kind.startswith(f"{prefix}.") for prefix in only)


def _watchers() -> list[types.FileSystemWatcher]:
    """Configuration files, and sources whose facts other files depend on."""
    from nbfix.run.config import DEFAULT_EXTENSIONS

    globs = [f"**/{name}" for name in CONFIG_NAMES] + [f"**/*.{{{','.join(DEFAULT_EXTENSIONS)}}}"]
    return [types.FileSystemWatcher(glob_pattern=glob) for glob in globs]


server = NbfixServer()


@server.feature(types.INITIALIZE)
def initialize(ls: NbfixServer, params: types.InitializeParams) -> None:
    options = params.initialization_options if isinstance(params.initialization_options, dict) else {}
    debounce = options.get("debounceMs")
    if isinstance(debounce, (int, float)) and not isinstance(debounce, bool) and debounce >= 0:
        ls.debounce = debounce / 1000
    folders = [folder.uri for folder in params.workspace_folders or []] or ([params.root_uri] if params.root_uri else [])
    ls.folders = [path for path in map(_path, folders) if path is not None]


@server.feature(types.INITIALIZED)
def initialized(ls: NbfixServer, params: types.InitializedParams) -> None:
    for folder in ls.folders:  # read the folders' facts before the first file opens
        ls.lint_thread.submit(_preload, ls, folder)
    watched = ls.client_capabilities.workspace and ls.client_capabilities.workspace.did_change_watched_files
    if watched is not None and watched.dynamic_registration:
        options = types.DidChangeWatchedFilesRegistrationOptions(watchers=_watchers())
        registration = types.Registration("nbfix-watched-files", types.WORKSPACE_DID_CHANGE_WATCHED_FILES, options)
        ls.client_register_capability(types.RegistrationParams([registration]))


def _preload(ls: NbfixServer, folder: Path) -> None:
    try:
        ls.project_for(folder)
    except ConfigError:
        pass  # shown when a file of the folder is linted
    except Exception:
        logger.exception("nbfix could not read the facts of %s", folder)


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: NbfixServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri, 0)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: NbfixServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri, ls.debounce)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
async def did_save(ls: NbfixServer, params: types.DidSaveTextDocumentParams) -> None:
    path = _path(params.text_document.uri)
    if path is not None:
        await ls.files_changed([path])  # its facts on disk are the buffer's now: lint every open file


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: NbfixServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    pending = ls.pending.pop(uri, None)
    if pending is not None:
        pending.cancel()
    ls.linted.pop(uri, None)
    ls.publish(uri, None, [])


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
async def did_change_watched_files(ls: NbfixServer, params: types.DidChangeWatchedFilesParams) -> None:
    changed = [path for path in (_path(change.uri) for change in params.changes) if path is not None]
    await ls.files_changed(changed)


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, convert.FIX_ALL_KIND]),
)
async def code_action(ls: NbfixServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
    uri, only = params.text_document.uri, params.context.only
    linted = await ls.current_lint(uri)
    if linted is None:
        return None
    actions = convert.quick_fixes(linted, params.range) if _wanted(only, types.CodeActionKind.QuickFix) else []
    if _wanted(only, convert.FIX_ALL_KIND) and convert.can_fix_all(linted):
        fixed = await ls.lint_current(uri, fix=True)
        if fixed is not None and fixed.version == linted.version and fixed.result is not None:
            action = convert.fix_all(linted, fixed.result)
            actions += [action] if action is not None else []
    return actions


@server.feature(types.SHUTDOWN)
def shutdown(ls: NbfixServer, params: None) -> None:
    for pending in ls.pending.values():
        pending.cancel()
    ls.lint_thread.shutdown(wait=False, cancel_futures=True)


def serve() -> None:
    logging.basicConfig(level=logging.WARNING, format="nbfix server: %(levelname)s: %(message)s")
    server.start_io()
