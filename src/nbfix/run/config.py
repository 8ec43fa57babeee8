"""Settings: `[tool.nbfix]` in the nearest pyproject.toml, or `.nbfix.toml`; flags win."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbfix.core.records import Fields
from nbfix.rules.registry import did_you_mean

if TYPE_CHECKING:  # the rules load only when a run needs them
    from nbfix.core.findings import Priority
    from nbfix.rules.rule import Rule



DEFAULT_EXTENSIONS = (
    "c", "cc", "cpp", "cxx", "c++", "cu", "h", "hh", "hpp", "hxx", "h++", "cuh", "inl", "ipp", "tpp",
)
DEFAULT_EXCLUDE = (".git", ".hg", ".svn", ".nbfix_cache", "__pycache__", "node_modules", ".venv", "venv", ".tox")


class ConfigError(Exception):
    """Bad configuration or selection; the message is one line for the user."""


class Settings(Fields):
    """The effective settings of a run (treated as immutable: `with_overrides` makes a copy)."""

    __slots__ = _fields = (
        "root", "config_file", "select", "ignore", "priority", "unsafe_fixes", "extensions", "exclude",
        "respect_gitignore", "force_exclude", "python_paths", "per_file_ignores", "rule_options",
    )

    def __init__(
        self,
        root: Path | None = None,  # relative patterns are relative to this; None: the working folder
        config_file: Path | None = None,
        select: tuple[str, ...] | None = None,
        ignore: tuple[str, ...] = (),
        priority: Priority | None = None,  # None: the default threshold, unless select is given
        unsafe_fixes: bool = False,
        extensions: tuple[str, ...] = DEFAULT_EXTENSIONS,
        exclude: tuple[str, ...] = (),
        respect_gitignore: bool = True,
        force_exclude: bool = False,  # apply excludes to paths named on the command line too
        python_paths: tuple[str, ...] = (),  # Python code using the bindings (rewritten by moves)
        per_file_ignores: dict[str, tuple[str, ...]] | None = None,
        rule_options: dict[str, dict[str, Any]] | None = None,  # rule code -> options
    ) -> None:
        self.root = Path.cwd() if root is None else root
        self.config_file = config_file
        self.select = select
        self.ignore = ignore
        self.priority = priority
        self.unsafe_fixes = unsafe_fixes
        self.extensions = extensions
        self.exclude = exclude
        self.respect_gitignore = respect_gitignore
        self.force_exclude = force_exclude
        self.python_paths = python_paths
        self.per_file_ignores = {} if per_file_ignores is None else per_file_ignores
        self.rule_options = {} if rule_options is None else rule_options

    def with_overrides(self, **overrides: Any) -> Settings:
        return self.replace(**{k: v for k, v in overrides.items() if v is not None})


def all_rules():
    from nbfix.rules.registry import all_rules as installed

    return installed()


def rule_by_selector(selector: str):
    from nbfix.rules.registry import rule_by_selector as matching

    return matching(selector)


def _strings(key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"'{key}' must be a list of strings")
    return tuple(value)


def _bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"'{key}' must be true or false")
    return value


def parse_priority(value: Any) -> Priority:
    from nbfix.core.findings import Priority

    try:
        return Priority(str(value).lower())
    except ValueError:
        raise ConfigError(f"unknown priority {value!r}; use high, medium or low") from None


def find_config(start: Path) -> tuple[Path, dict[str, Any]] | None:
    """The nearest `.nbfix.toml`, or `pyproject.toml` with a `[tool.nbfix]` table, from `start` up."""
    for folder in [start, *start.parents]:
        dedicated = folder / ".nbfix.toml"
        if dedicated.is_file():
            return dedicated, _load(dedicated)
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _may_configure_nbfix(pyproject):
            table = nbfix_table(_load(pyproject), pyproject)
            if table is not None:
                return pyproject, table
    return None


def _may_configure_nbfix(pyproject: Path) -> bool:
    """Whether the file could hold a `[tool.nbfix]` table. Most `pyproject.toml` files (a
    nanobind project's build settings) hold none, and parsing one costs a one-file run about
    10 ms: `tomllib`, and the first `compile()` of the process, which its string annotations
    set off. Without the text `nbfix`, the only way to name the table is a quoted key with
    escapes (`"\\u006ebfix"`)."""
    try:
        data = pyproject.read_bytes()
    except OSError:
        return True  # `_load` says why it cannot be read
    return b"nbfix" in data or b"\\u" in data or b"\\U" in data


def nbfix_table(document: dict[str, Any], path: Path) -> dict[str, Any] | None:
    """The `[tool.nbfix]` table of a pyproject.toml document, None when it has none."""
    tool = document.get("tool")
    if tool is None:
        return None
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: 'tool' must be a table, not {_kind(tool)}")
    table = tool.get("nbfix")
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.nbfix] must be a table, not {_kind(table)}")
    return table


def _kind(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "an array"}
    return "an array of tables" if isinstance(value, list) and value and all(isinstance(v, dict) for v in value) \
        else names.get(type(value), type(value).__name__)


def section(path: Path, sub: str = "") -> str:
    """How errors name a settings table: `[tool.nbfix.rules]` in pyproject.toml, `[rules]` in
    `.nbfix.toml` (whose keys are at its top level)."""
    if path.name == "pyproject.toml":
        return f"[tool.nbfix{'.' + sub if sub else ''}]"
    return f"[{sub}]" if sub else "its top level"


def _load(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read configuration ({exc})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not valid UTF-8 (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})") from None


def load_settings(config_file: Path | None = None, start: Path | None = None) -> Settings:
    if config_file is not None:
        if not config_file.is_file():
            raise ConfigError(f"{config_file}: configuration file does not exist")
        table = _load(config_file)
        if config_file.name == "pyproject.toml":
            table = nbfix_table(table, config_file) or {}
        found: tuple[Path, dict[str, Any]] | None = (config_file, table)
    else:
        found = find_config((start or Path.cwd()).resolve())
    if found is None:
        return Settings()
    path, table = found
    return settings_from_table(table, path)


def settings_from_table(table: dict[str, Any], path: Path) -> Settings:
    where = path.name
    values: dict[str, Any] = {"root": path.parent.resolve(), "config_file": path}
    for key, value in table.items():
        if key == "select":
            values["select"] = _strings(key, value)
        elif key == "ignore":
            values["ignore"] = _strings(key, value)
        elif key == "priority":
            values["priority"] = parse_priority(value)
        elif key == "unsafe-fixes":
            values["unsafe_fixes"] = _bool(key, value)
        elif key == "extensions":
            values["extensions"] = tuple(e.lstrip(".") for e in _strings(key, value))
        elif key == "exclude":
            values["exclude"] = _strings(key, value)
        elif key == "respect-gitignore":
            values["respect_gitignore"] = _bool(key, value)
        elif key == "python-paths":
            values["python_paths"] = _strings(key, value)
        elif key == "force-exclude":
            values["force_exclude"] = _bool(key, value)
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: 'per-file-ignores' must be a table of pattern = [codes]")
            values["per_file_ignores"] = {p: _strings(f"per-file-ignores.{p}", v) for p, v in value.items()}
        elif key == "rules":
            values["rule_options"] = rule_options(value, where, path)
        else:
            raise ConfigError(f"{where}: unknown configuration key '{key}' in {section(path)}")
    try:
        return Settings(**values)
    except TypeError as exc:  # pragma: no cover - guarded by the loop above
        raise ConfigError(f"{where}: {exc}") from None


def rule_options(table: Any, where: str, path: Path | None = None) -> dict[str, dict[str, Any]]:
    path = path if path is not None else Path("pyproject.toml")
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: 'rules' must be a table of rule tables")
    result: dict[str, dict[str, Any]] = {}
    for key, options in table.items():
        matches = [r for r in all_rules() if key in (r.code, r.name)]
        if not matches:
            raise ConfigError(f"{where}: unknown rule '{key}' in {section(path, 'rules')}{did_you_mean(key, listing=False)}")
        rule = matches[0]
        if not isinstance(options, dict):
            raise ConfigError(f"{where}: {section(path, 'rules.' + key)} must be a table")
        checked = {}
        for name, value in options.items():
            if name not in rule.options:
                known = ", ".join(rule.options) or "none"
                raise ConfigError(f"{where}: unknown option '{name}' for rule {rule.name} (options: {known})")
            try:
                checked[name] = rule.options[name].validate(rule.name, name, value)
            except ValueError as exc:
                raise ConfigError(f"{where}: {exc}") from None
        result[rule.code] = checked
    return result


def _expand(selectors: tuple[str, ...]) -> list[type[Rule]]:
    rules: list[type[Rule]] = []
    for selector in selectors:
        matched = rule_by_selector(selector)
        if not matched:
            raise ConfigError(f"unknown rule selector '{selector}'{did_you_mean(selector)}")
        rules.extend(matched)
    return rules


def selected_rules(settings: Settings, files: str = "cpp") -> list[type[Rule]]:
    """The rule classes a run uses: priority threshold (default medium), select, ignore; only
    rules reading `files` (`check` and `apply` run the C++ rules, `port` the others too)."""
    if settings.select is not None:
        chosen = _expand(settings.select)
        explicit = {s.upper() for s in settings.select} | {s.lower() for s in settings.select}
        chosen = [r for r in chosen if not r.opt_in or r.code in explicit or r.name in explicit]
        if settings.priority is not None:
            chosen = [r for r in chosen if r.priority.rank <= settings.priority.rank]
    else:
        from nbfix.core.findings import Priority

        threshold = settings.priority or Priority.MEDIUM
        chosen = [r for r in all_rules() if r.priority.rank <= threshold.rank and not r.opt_in]
    ignored = set(_expand(settings.ignore))
    unique = {r.code: r for r in chosen if r not in ignored and r.files == files}
    return [unique[code] for code in sorted(unique)]


def codes_for(selectors: tuple[str, ...]) -> set[str]:
    return {r.code for r in _expand(selectors)}
