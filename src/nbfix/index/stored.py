"""The merged project index of a big run, kept in an sqlite file instead of in memory.

Each file's facts (a small `ProjectIndex`) become rows, appended in file order. A lookup merges
the rows of one name with the same code as the in-memory merge, so rules see the same answers,
and a process holds only the classes it has looked up lately, whatever the size of the project.
"""

from __future__ import annotations

import pickle
import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from functools import cached_property
from pathlib import Path

from nbfix.index.declarations import (
    STD_EXCEPTIONS,
    ClassDecl,
    IndexQueries,
    ProjectIndex,
    Signature,
    include_matches_path,
    merge_class,
    merge_signatures,
    short_name,
)

_SCHEMA = """
CREATE TABLE classes (name TEXT NOT NULL, data BLOB NOT NULL);
CREATE TABLE bases (name TEXT NOT NULL, base TEXT NOT NULL);
CREATE TABLE functions (name TEXT NOT NULL, data BLOB NOT NULL);
CREATE TABLE includes (path TEXT NOT NULL, last TEXT NOT NULL, data BLOB NOT NULL);
CREATE TABLE enums (name TEXT NOT NULL, scoped INTEGER NOT NULL);
CREATE TABLE names (kind TEXT NOT NULL, name TEXT NOT NULL, PRIMARY KEY (kind, name)) WITHOUT ROWID;
"""
# Built once all rows are in: faster than keeping them up to date row by row.
_LOOKUPS = """
CREATE INDEX classes_name ON classes (name);
CREATE INDEX bases_base ON bases (base);
CREATE INDEX functions_name ON functions (name);
CREATE INDEX includes_path ON includes (path);
CREATE INDEX includes_last ON includes (last);
CREATE INDEX enums_name ON enums (name);
"""
_SETS = (
    "reprs", "registered_exceptions", "templated_functions", "extension_modules", "bound_types", "private_callees",
    "public_callees", "none_values",
)
_MAX_PARAMETERS = 500  # per `IN (...)`: well under sqlite's limit on bound parameters


def _dump(value: object) -> bytes:
    return pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


def _last_component(path: str) -> str:
    return path.rpartition("/")[2]


class IndexWriter:
    """Appends each file's facts, in file order; `close` makes the file ready for lookups."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = sqlite3.connect(path)
        self.db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;" + _SCHEMA)

    def add(self, facts: ProjectIndex) -> None:
        db = self.db
        db.executemany("INSERT INTO classes VALUES (?, ?)", [(n, _dump(d)) for n, d in facts.classes.items()])
        db.executemany("INSERT INTO bases VALUES (?, ?)", [(n, b) for n, d in facts.classes.items() for b in d.bases])
        db.executemany("INSERT INTO functions VALUES (?, ?)", [(n, _dump(s)) for n, s in facts.functions.items()])
        db.executemany(
            "INSERT INTO includes VALUES (?, ?, ?)",
            [(p, _last_component(p), _dump(i)) for p, i in facts.includes.items()],
        )
        db.executemany("INSERT INTO enums VALUES (?, ?)", list(facts.enums.items()))
        db.executemany(
            "INSERT OR IGNORE INTO names VALUES (?, ?)",
            [(kind, name) for kind in _SETS for name in getattr(facts, kind)],
        )

    def close(self) -> None:
        self.db.executescript(_LOOKUPS)
        self.db.commit()
        self.db.close()


class _Merged(Mapping):
    """name -> the merge of that name's rows, oldest first (the last few answers are kept)."""

    KEEP = 256  # a file's classes and their bases, many times over

    def __init__(self, index: StoredIndex, table: str, merge: Callable[[str, list], object]) -> None:
        self.index = index
        self.table = table
        self.merge = merge
        self.recent: OrderedDict[str, object] = OrderedDict()

    def get(self, name, default=None):
        if name in self.recent:
            self.recent.move_to_end(name)
            value = self.recent[name]
            return default if value is None else value
        rows = self.index.db.execute(f"SELECT data FROM {self.table} WHERE name = ? ORDER BY rowid", (name,)).fetchall()
        value = self.merge(name, [pickle.loads(row[0]) for row in rows]) if rows else None
        self.recent[name] = value
        if len(self.recent) > self.KEEP:
            self.recent.popitem(last=False)
        return default if value is None else value

    def __getitem__(self, name):
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name) -> bool:
        return self.get(name) is not None

    def __iter__(self) -> Iterator[str]:
        query = f"SELECT name FROM {self.table} GROUP BY name ORDER BY MIN(rowid)"
        return (row[0] for row in self.index.db.execute(query).fetchall())

    def __len__(self) -> int:
        return self.index.db.execute(f"SELECT COUNT(DISTINCT name) FROM {self.table}").fetchone()[0]


def _merge_classes(name: str, decls: list[ClassDecl]) -> ClassDecl:
    merged = ClassDecl(name)
    for decl in decls:
        merge_class(merged, decl)
    return merged


def _merge_functions(name: str, overloads: list[list[Signature]]) -> list[Signature]:
    merged: list[Signature] = []
    for signatures in overloads:
        merge_signatures(merged, signatures)
    return merged


class _Names(AbstractSet):
    """One of the index's sets of names (reprs, registered exceptions, ...)."""

    def __init__(self, index: StoredIndex, kind: str) -> None:
        self.index = index
        self.kind = kind

    @classmethod
    def _from_iterable(cls, items: Iterable) -> set:
        return set(items)  # `|` and `&` with plain sets give plain sets

    def __contains__(self, name) -> bool:
        query = "SELECT 1 FROM names WHERE kind = ? AND name = ?"
        return self.index.db.execute(query, (self.kind, name)).fetchone() is not None

    def __iter__(self) -> Iterator[str]:
        rows = self.index.db.execute("SELECT name FROM names WHERE kind = ? ORDER BY name", (self.kind,)).fetchall()
        return (row[0] for row in rows)

    def __len__(self) -> int:
        return self.index.db.execute("SELECT COUNT(*) FROM names WHERE kind = ?", (self.kind,)).fetchone()[0]


class _Latest(Mapping):
    """key -> the value of the newest row (a later file wins, as `dict.update` does)."""

    def __init__(self, index: StoredIndex, lookup: str, listing: str, load: Callable) -> None:
        self.index = index
        self.lookup = lookup
        self.listing = listing
        self.load = load

    def __getitem__(self, key):
        row = self.index.db.execute(self.lookup, (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return self.load(row[0])

    def __iter__(self) -> Iterator[str]:
        return (row[0] for row in self.index.db.execute(self.listing).fetchall())

    def __len__(self) -> int:
        return sum(1 for _ in self)


class StoredIndex(IndexQueries):
    """The same questions as `ProjectIndex`, answered from the file an `IndexWriter` filled."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.classes = _Merged(self, "classes", _merge_classes)
        self.functions = _Merged(self, "functions", _merge_functions)
        self.includes = _Latest(
            self, "SELECT data FROM includes WHERE path = ? ORDER BY rowid DESC LIMIT 1",
            "SELECT path FROM includes GROUP BY path ORDER BY MIN(rowid)", pickle.loads,
        )
        self.enums = _Latest(
            self, "SELECT scoped FROM enums WHERE name = ? ORDER BY rowid DESC LIMIT 1",
            "SELECT name FROM enums GROUP BY name ORDER BY MIN(rowid)", bool,
        )
        (
            self.reprs, self.registered_exceptions, self.templated_functions, self.extension_modules, self.bound_types,
            self.private_callees, self.public_callees, self.none_values,
        ) = (_Names(self, kind) for kind in _SETS)

    @cached_property
    def db(self) -> sqlite3.Connection:
        """Opened on the first question, so a process may fork after making the index (a
        connection must never cross a fork)."""
        return sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)

    @cached_property
    def _edges(self) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """(include -> files it names, file -> its includes), filled as asked: the index does not
        change during the lint pass, and every file asks about the same headers again."""
        return {}, {}

    def resolve_include(self, include: str) -> list[str]:
        resolved = self._edges[0]
        if include not in resolved:
            query = "SELECT path FROM includes WHERE last = ? GROUP BY path ORDER BY MIN(rowid)"
            rows = self.db.execute(query, (_last_component(include),)).fetchall()
            resolved[include] = [row[0] for row in rows if include_matches_path(row[0], include)]
        return resolved[include]

    def included_by(self, path: str) -> list[str]:
        includes = self._edges[1]
        if path not in includes:
            includes[path] = self.includes[path]
        return includes[path]

    @cached_property
    def _derived(self) -> frozenset[str]:
        """Every class deriving from a standard exception: down the class tree from them, one
        level per step (the same classes `lineage` finds going up, without a memo per name)."""
        derived: set[str] = set()
        frontier = set(STD_EXCEPTIONS)
        while frontier:
            found = {name for chunk in _chunks(sorted(frontier)) for name in self._derived_from(chunk)}
            frontier = found - derived
            derived |= frontier
        return frozenset(derived)

    def is_exception(self, name: str) -> bool:
        return short_name(name) in self._derived

    def exception_classes(self, extra: Collection[str] = ()) -> list[str]:
        candidates = sorted(self._derived | set(extra))
        first_seen: dict[str, int] = {}
        for chunk in _chunks(candidates):
            marks = ",".join("?" * len(chunk))
            query = f"SELECT name, MIN(rowid) FROM classes WHERE name IN ({marks}) GROUP BY name"
            first_seen.update(self.db.execute(query, chunk).fetchall())
        ordered = sorted(first_seen, key=first_seen.__getitem__)
        return [name for name in ordered if self.classes[name].defined_in is not None]

    def _derived_from(self, bases: list[str]) -> list[str]:
        marks = ",".join("?" * len(bases))
        return [row[0] for row in self.db.execute(f"SELECT DISTINCT name FROM bases WHERE base IN ({marks})", bases)]

    def close(self) -> None:
        if "db" in self.__dict__:
            self.db.close()


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _MAX_PARAMETERS):
        yield items[start:start + _MAX_PARAMETERS]
