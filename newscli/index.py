"""A persistent, self-refreshing cache of parsed and normalized articles, one per corpus.

Layout, in the user's cache directory (``$NEWSCLI_CACHE_DIR`` overrides), never in the
corpus: ``corpora/<hash of the corpus path>/``

- ``index.sqlite`` (WAL): one row per file (size, mtime_ns, what it held: an article, a
  problem or nothing) and one per article: its metadata in columns for listing, the whole
  article as JSON, and where its normalized text lies in the text file.
- ``text-<generation>.bin``: the normalized (t2s) text of every article, UTF-8, each
  followed by a NUL. It is only appended to; rows point at the live regions, and the file
  is rewritten (a new generation) once most of it is dead. A literal search is one
  ``bytes.find`` pass over it, read in chunks so memory stays flat.

Every command refreshes the index first: files that are new, or whose size or mtime_ns
changed, are parsed (in worker processes when there are many), deleted ones dropped.
A parser or normalizer version change rebuilds it. Writers serialize on SQLite's write
lock (``BEGIN IMMEDIATE``); the text file is truncated back to the last committed length
before appending, so a killed build leaves nothing half-visible: the next run continues.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import marshal
import os
import re
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

from newscli import NORMALIZER_VERSION, PARSER_VERSION
from newscli.article import Article, DateSource, Problem
from newscli.corpus import Corpus, SourceFile
from newscli.load import LoadResult, load
from newscli.search import Matcher

if TYPE_CHECKING:
    from newscli.check import FileFacts

SCHEMA_VERSION = 5
ENV_CACHE_DIR = "NEWSCLI_CACHE_DIR"
BATCH = 256  # files parsed and committed together
PARALLEL_FROM = 64  # fewer changed files than this are parsed in-process
CHUNK_BYTES = 16 * 1024 * 1024  # how much of the text file is searched at once
COMPACT_WHEN_DEAD = 0.5  # rewrite the text file once this share of it is dead

_META_SCHEMA = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
_SCHEMA = """
-- Paths are BLOBs (UTF-8 with surrogateescape): file names may hold any bytes.
CREATE TABLE IF NOT EXISTS files (
    rel BLOB PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    status TEXT NOT NULL,          -- article | problem | ignored
    problems BLOB NOT NULL         -- JSON list of [path, reason, kind]
);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    rel BLOB NOT NULL UNIQUE,
    path BLOB NOT NULL,
    title TEXT NOT NULL,
    url TEXT NOT NULL,
    outlet TEXT NOT NULL,
    author TEXT NOT NULL,
    published_at TEXT,
    published_source TEXT NOT NULL,
    archived_at TEXT,
    chars INTEGER NOT NULL,
    size_bytes INTEGER NOT NULL,
    encoding TEXT NOT NULL,
    script TEXT NOT NULL,
    tags TEXT NOT NULL,            -- JSON list
    data BLOB NOT NULL,            -- Article.to_dict() as JSON (UTF-8, surrogatepass)
    text_offset INTEGER NOT NULL,  -- where its normalized text starts in the text file
    text_length INTEGER NOT NULL   -- in bytes, without the closing NUL
);
CREATE INDEX IF NOT EXISTS articles_published ON articles (published_at DESC, path);
"""


_ARTICLE_COLUMNS = 18


class IndexUnavailable(Exception):
    """The index cannot be used here (cache not writable…): work without it."""


def cache_root() -> Path:
    configured = os.environ.get(ENV_CACHE_DIR)
    if configured:
        return Path(configured).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("newscli"))


def index_dir_for(root: Path) -> Path:
    digest = hashlib.sha256(os.fsencode(str(root.resolve()))).hexdigest()[:16]
    return cache_root() / "corpora" / digest


@dataclass
class RefreshStats:
    added: int = 0
    changed: int = 0
    deleted: int = 0
    unchanged: int = 0
    rebuilt: bool = False
    seconds: float = 0.0

    @property
    def parsed(self) -> int:
        return self.added + self.changed


@dataclass
class Entries:
    """The live articles as search sees them, by text offset: parallel lists (cheap to load)."""

    ids: list[str]
    offsets: list[int]
    lengths: list[int]
    published: list[str | None]  # fixed-width ISO text, so text order is time order
    rels: list[str]

    def as_tuple(self) -> tuple[list[str], list[int], list[int], list[str | None], list[str]]:
        return (self.ids, self.offsets, self.lengths, self.published, self.rels)

    def newest_first(self, indexes: list[int]) -> list[int]:
        """Order as list does: published newest first, ties by path, undated last."""
        by_path = sorted(indexes, key=lambda i: self.rels[i])
        dated = [i for i in by_path if self.published[i] is not None]
        dated.sort(key=lambda i: self.published[i], reverse=True)  # type: ignore[arg-type, return-value]
        return dated + [i for i in by_path if self.published[i] is None]


@dataclass
class IndexedRow:
    rel: str
    size: int
    mtime_ns: int
    status: str
    problems: list[Problem]
    article: Article | None
    normalized: bytes = b""


Progress = Callable[[int, int], None]  # (done, total)


def _enc(text: str) -> bytes:
    """File names may hold undecodable bytes (kept as surrogates): store them as they were."""
    return text.encode("utf-8", "surrogateescape")


def _dec(blob: bytes) -> str:
    return blob.decode("utf-8", "surrogateescape")


def _problem_list(problems: Iterable[Problem]) -> bytes:
    return _enc(json.dumps([[p.path, p.reason, p.kind] for p in problems], ensure_ascii=False))


def index_one(source: SourceFile) -> IndexedRow:
    """Parse and normalize one file (runs in worker processes)."""
    from newscli.chinese import normalize

    result: LoadResult = load(source)
    status = "article" if result.article else ("ignored" if result.ignored else "problem")
    normalized = b""
    if result.article is not None:
        normalized = normalize(result.article.text).encode("utf-8", "surrogatepass")
    return IndexedRow(
        source.rel,
        source.size,
        source.mtime_ns,
        status,
        result.problems,
        result.article,
        normalized,
    )


def _quiet_worker() -> None:
    # Ctrl-C reaches the whole process group: the parent handles it (rolls back the batch
    # in flight, exits 130); workers must not each print a traceback.
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _index_batch(sources: list[SourceFile]) -> list[IndexedRow]:
    return [index_one(source) for source in sources]


class Index:
    def __init__(self, root: Path, folder: Path | None = None) -> None:
        self.root = root
        self.folder = folder or index_dir_for(root)
        self.db_path = self.folder / "index.sqlite"
        self.warnings: list[str] = []
        # What a refresh appended (id, offset, length, published, rel), and whether it
        # compacted the text file: enough to update the entries snapshot without a scan.
        self._added: list[tuple[str, int, int, str | None, str]] = []
        self._compacted = False
        self._old_entries: Entries | None = None
        self._track_added = True
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if not os.access(self.folder, os.W_OK):
                raise PermissionError(f"{self.folder} is not writable")
            self.db = self._connect()
        except (OSError, sqlite3.Error) as error:
            raise IndexUnavailable(f"cannot use the index in {self.folder}: {error}") from None

    # --- opening, versions, corruption ---------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        try:
            db = self._open_db()
            # Cheap checks only (a full quick_check reads the whole file): the header and
            # schema must read, and the text file must be as long as the rows say.
            if self._meta_of(db, "version") != self.version():
                return db  # another version's index: refresh() rebuilds it, no warning
            db.execute("SELECT id FROM articles LIMIT 1").fetchall()
            columns = len(db.execute("PRAGMA table_info(articles)").fetchall())
            if columns != _ARTICLE_COLUMNS:
                raise sqlite3.DatabaseError(
                    f"articles has {columns} columns, not {_ARTICLE_COLUMNS}"
                )
            text_size = int(self._meta_of(db, "text_size") or 0)
            text_path = self.folder / f"text-{self._meta_of(db, 'generation') or 0}.bin"
            if text_size and (not text_path.exists() or text_path.stat().st_size < text_size):
                raise sqlite3.DatabaseError(f"{text_path.name} is shorter than recorded")
            return db
        except sqlite3.DatabaseError as error:
            if isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
                raise
            self.warnings.append(f"index {self.db_path} was damaged ({error}); rebuilding it")
            for name in os.listdir(self.folder):
                if name.startswith(("index.sqlite", "text-")):
                    os.unlink(self.folder / name)
            return self._open_db()

    def _open_db(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.db_path, timeout=60, isolation_level=None)
        db.execute("PRAGMA busy_timeout = 60000")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.executescript(_META_SCHEMA + _SCHEMA)
        return db

    @staticmethod
    def _meta_of(db: sqlite3.Connection, key: str) -> str | None:
        row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _meta(self, key: str, default: str = "") -> str:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def _set_meta(self, key: str, value: object) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, str(value)))

    @staticmethod
    def version() -> str:
        return f"{SCHEMA_VERSION}.{PARSER_VERSION}.{NORMALIZER_VERSION}"

    @property
    def text_path(self) -> Path:
        return self.folder / f"text-{self._meta('generation', '0')}.bin"

    # --- refreshing ----------------------------------------------------------------------

    def refresh(
        self, corpus: Corpus, progress: Progress | None = None, workers: int | None = None
    ) -> RefreshStats:
        started = time.perf_counter()
        stats = RefreshStats()
        if self._meta("version") != self.version():
            self._clear()
            stats.rebuilt = True
        self._added = []
        self._compacted = False
        current = corpus.stats
        # The usual case, nothing changed, costs one marshal.dumps and one hash: the same
        # scan in the same order gives the same bytes. Any difference (even just order)
        # falls through to the full comparison.
        dumped = marshal.dumps(current)
        digest = hashlib.blake2b(dumped, digest_size=16).hexdigest()
        if not stats.rebuilt and digest == self._meta("files_digest") and self._fresh():
            stats.unchanged = len(current)
            stats.seconds = time.perf_counter() - started
            return stats
        known = self._snapshot("files")
        if not isinstance(known, dict):
            known = {rel: (size, mtime) for rel, size, mtime in self._files_rows()}
        todo: list[str] = []  # rels: SourceFiles are made a batch at a time (memory)
        if known == current:
            stats.unchanged = len(current)
        else:
            for rel, signature in current.items():
                old = known.get(rel)
                if old == signature:  # marshal keeps tuples, so this compares like with like
                    stats.unchanged += 1
                    continue
                if old is None:
                    stats.added += 1
                else:
                    stats.changed += 1
                todo.append(rel)
        gone = [rel for rel in known if rel not in current]
        # Read before any write below marks the snapshots stale.
        self._old_entries = self._snapshot_entries() if (gone or todo) else None
        stats.deleted = len(gone)
        if gone:
            self._write(lambda: self._delete(gone))
        # Entries are updated in memory for small changes; after a large one (a first
        # build) they are read back from the tables instead of holding every row twice.
        self._track_added = len(todo) <= max(1000, len(current) // 10)
        if todo:
            self._parse_and_store(corpus, todo, progress, workers)
        if gone or todo or stats.rebuilt or not self._fresh():
            removed = set(gone) | set(todo)
            entries = None
            if not stats.rebuilt and self._track_added:
                entries = self._updated_entries(self._old_entries, removed)
            self.db.execute("BEGIN IMMEDIATE")
            self._save_snapshots(dumped, entries)
            self._set_meta("files_digest", digest)
            self.db.execute("COMMIT")
            self._remove_old_snapshots()
        elif self._meta("files_digest") != digest:
            self.db.execute("BEGIN IMMEDIATE")
            self._set_meta("files_digest", digest)
            self.db.execute("COMMIT")
        stats.seconds = time.perf_counter() - started
        return stats

    def rebuild(self) -> None:
        """Forget everything: the next refresh parses every file again."""
        self._set_meta("version", "")

    def _clear(self) -> None:
        def clear() -> None:
            # Drop, not delete: a newer version may have a different schema.
            for table in ("files", "articles", "snapshots"):  # snapshots: schema 4 and older
                self.db.execute(f"DROP TABLE IF EXISTS {table}")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self.db.execute(statement)
            self._set_meta("version", self.version())
            self._start_generation(int(self._meta("generation", "0")) + 1)

        self._write(clear)

    def _start_generation(self, generation: int) -> None:
        old = self.text_path
        self._set_meta("generation", generation)
        self._set_meta("text_size", 0)
        self._set_meta("dead_bytes", 0)
        self.text_path.write_bytes(b"")
        if old != self.text_path and old.exists():
            old.unlink()

    def _write(self, work: Callable[[], None]) -> None:
        """Run `work` in one write transaction (serialized across processes)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self._set_meta("snapshots_fresh", 0)
            work()
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _save_snapshots(self, files: bytes | None = None, entries: Entries | None = None) -> None:
        """Write the snapshots: what commands that need every file or article load at once
        (one marshal file loads ~10x faster than reading 100k rows). Derived from the
        tables; a refresh passes what it already holds (files as marshal bytes).

        They are files beside the database, named by a serial number that this write
        transaction records: a reader takes the serial from its snapshot of the database,
        so it never pairs a database state with another state's snapshot."""
        if files is None:
            files = marshal.dumps({rel: (size, mtime) for rel, size, mtime in self._files_rows()})
        if entries is None:
            entries = self._entries_from_tables()
        serial = int(self._meta("snapshot_serial", "0")) + 1
        for name, data in (("files", files), ("entries", marshal.dumps(entries.as_tuple()))):
            (self.folder / f"snapshot-{name}-{serial}.marshal").write_bytes(data)
        self._set_meta("snapshot_serial", serial)
        self._set_meta("snapshots_fresh", 1)

    def _remove_old_snapshots(self) -> None:
        serial = self._meta("snapshot_serial", "0")
        for path in self.folder.glob("snapshot-*.marshal"):
            if not path.name.endswith(f"-{serial}.marshal"):
                path.unlink(missing_ok=True)

    def _entries_from_tables(self) -> Entries:
        entries = Entries([], [], [], [], [])
        for article_id, offset, length, published, rel in self.db.execute(
            "SELECT id, text_offset, text_length, published_at, rel FROM articles ORDER BY text_offset"
        ):
            entries.ids.append(article_id)
            entries.offsets.append(offset)
            entries.lengths.append(length)
            entries.published.append(published)
            entries.rels.append(_dec(rel))
        return entries

    def _updated_entries(self, old: Entries | None, removed: set[str]) -> Entries | None:
        """The entries after a refresh that dropped `removed` and appended self._added."""
        if old is None or self._compacted:
            return None
        keep = [i for i, rel in enumerate(old.rels) if rel not in removed]
        fresh = Entries(
            [old.ids[i] for i in keep],
            [old.offsets[i] for i in keep],
            [old.lengths[i] for i in keep],
            [old.published[i] for i in keep],
            [old.rels[i] for i in keep],
        )
        for article_id, offset, length, published, rel in self._added:
            fresh.ids.append(article_id)
            fresh.offsets.append(offset)
            fresh.lengths.append(length)
            fresh.published.append(published)
            fresh.rels.append(rel)
        return fresh

    def _files_rows(self) -> Iterator[tuple[str, int, int]]:
        for rel, size, mtime in self.db.execute("SELECT rel, size, mtime_ns FROM files"):
            yield _dec(rel), size, mtime

    def _fresh(self) -> bool:
        return self._meta("snapshots_fresh") == "1"

    def _snapshot(self, name: str) -> object | None:
        """A saved snapshot, or None when a killed or running writer may have outdated it
        (or a newer writer has already replaced it): callers then read the tables."""
        if self._meta("snapshots_fresh") != "1":
            return None
        path = self.folder / f"snapshot-{name}-{self._meta('snapshot_serial', '0')}.marshal"
        try:
            return marshal.loads(path.read_bytes())
        except (OSError, ValueError, EOFError, TypeError):
            return None

    def _drop_article(self, key: bytes) -> int:
        """Delete a file's article row; return how many bytes of the text file it frees."""
        row = self.db.execute("SELECT text_length FROM articles WHERE rel = ?", (key,)).fetchone()
        self.db.execute("DELETE FROM articles WHERE rel = ?", (key,))
        return row[0] + 1 if row else 0

    def _delete(self, rels: list[str]) -> None:
        dead = 0
        for rel in rels:
            key = _enc(rel)
            dead += self._drop_article(key)
            self.db.execute("DELETE FROM files WHERE rel = ?", (key,))
        self._set_meta("dead_bytes", int(self._meta("dead_bytes", "0")) + dead)

    def _parse_and_store(
        self, corpus: Corpus, todo: list[str], progress: Progress | None, workers: int | None
    ) -> None:
        batches = (
            [corpus.source(rel) for rel in todo[i : i + BATCH]] for i in range(0, len(todo), BATCH)
        )
        done = 0
        if progress:
            progress(0, len(todo))
        for rows in self._parsed_batches(batches, workers, len(todo)):
            self._write(lambda rows=rows: self._store(rows))
            done += len(rows)
            if progress:
                progress(done, len(todo))
        self._maybe_compact()

    def _parsed_batches(
        self, batches: Iterator[list[SourceFile]], workers: int | None, total: int
    ) -> Iterator[list[IndexedRow]]:
        workers = workers or os.cpu_count() or 1
        if total < PARALLEL_FROM or workers < 2:
            for batch in batches:
                yield _index_batch(batch)
            return
        from concurrent.futures import ProcessPoolExecutor

        # A bounded window of batches in flight: results wait for the SQLite writer, and
        # queueing them all (as pool.map does) holds a large corpus's text in memory.
        waiting = iter(batches)
        with ProcessPoolExecutor(max_workers=workers, initializer=_quiet_worker) as pool:
            in_flight = deque(pool.submit(_index_batch, b) for b in islice(waiting, 2 * workers))
            while in_flight:
                rows = in_flight.popleft().result()
                following = next(waiting, None)
                if following is not None:
                    in_flight.append(pool.submit(_index_batch, following))
                yield rows

    def _store(self, rows: list[IndexedRow]) -> None:
        text_size = int(self._meta("text_size", "0"))
        dead = int(self._meta("dead_bytes", "0"))
        with open(self.text_path, "r+b") as handle:
            handle.truncate(text_size)  # drop anything a killed writer left past the end
            handle.seek(text_size)
            for row in rows:
                key = _enc(row.rel)
                dead += self._drop_article(key)
                self.db.execute(
                    "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)",
                    (key, row.size, row.mtime_ns, row.status, _problem_list(row.problems)),
                )
                article = row.article
                if article is None:
                    continue
                handle.write(row.normalized)
                handle.write(b"\x00")
                self.db.execute(
                    "INSERT INTO articles VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        article.id,
                        key,
                        _enc(article.path),
                        article.title,
                        article.url,
                        article.outlet,
                        article.author,
                        _iso(article),
                        article.published_source.value,
                        article.archived_at.isoformat() if article.archived_at else None,
                        article.char_count,
                        article.size_bytes,
                        article.encoding,
                        article.script,
                        json.dumps(article.tags, ensure_ascii=False),
                        _enc(json.dumps(article.to_dict(), ensure_ascii=False)),
                        text_size,
                        len(row.normalized),
                    ),
                )
                if self._track_added:
                    self._added.append(
                        (article.id, text_size, len(row.normalized), _iso(article), row.rel)
                    )
                text_size += len(row.normalized) + 1
            handle.flush()
        self._set_meta("text_size", text_size)
        self._set_meta("dead_bytes", dead)

    def _maybe_compact(self) -> None:
        size = int(self._meta("text_size", "0"))
        dead = int(self._meta("dead_bytes", "0"))
        if size and dead / size >= COMPACT_WHEN_DEAD:
            self._write(self._compact)

    def _compact(self) -> None:
        self._compacted = True
        old_path = self.text_path
        rows = self.db.execute(
            "SELECT id, text_offset, text_length FROM articles ORDER BY text_offset"
        ).fetchall()
        generation = int(self._meta("generation", "0")) + 1
        new_path = self.folder / f"text-{generation}.bin"
        offset = 0
        with open(old_path, "rb") as source, open(new_path, "wb") as target:
            for article_id, start, length in rows:
                source.seek(start)
                target.write(source.read(length + 1))
                self.db.execute(
                    "UPDATE articles SET text_offset = ? WHERE id = ?", (offset, article_id)
                )
                offset += length + 1
        self._set_meta("generation", generation)
        self._set_meta("text_size", offset)
        self._set_meta("dead_bytes", 0)
        old_path.unlink(missing_ok=True)

    # --- reading -------------------------------------------------------------------------

    def problems(self) -> list[Problem]:
        found: list[Problem] = []
        for (encoded,) in self.db.execute(
            "SELECT problems FROM files WHERE status != 'article' OR length(problems) > 2"
        ):
            found.extend(Problem(*item) for item in json.loads(_dec(encoded)))
        return found

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM articles").fetchone()[0])

    def known_files(self) -> list[SourceFile]:
        """The files as of the last refresh (no scan): for finding ARTICLE quickly."""
        known = self._snapshot("files")
        if not isinstance(known, dict):
            known = {rel: (size, mtime) for rel, size, mtime in self._files_rows()}
        root = str(self.root)
        return [
            SourceFile(os.path.join(root, rel), rel, size, mtime)
            for rel, (size, mtime) in known.items()
        ]

    def facts(self) -> list[FileFacts]:
        from newscli.check import FileFacts

        return [
            FileFacts(_dec(path), url, encoding, source, chars)
            for path, url, encoding, source, chars in self.db.execute(
                "SELECT path, url, encoding, published_source, chars FROM articles"
            )
        ]

    def ignored(self) -> list[str]:
        root = str(self.root)
        return [
            os.path.join(root, _dec(rel))
            for (rel,) in self.db.execute("SELECT rel FROM files WHERE status = 'ignored'")
        ]

    def summaries(self, limit: int | None = None, ids: list[str] | None = None) -> list[Article]:
        """Articles without their bodies, newest first (for list, -l, -c)."""
        query = (
            "SELECT id, path, title, url, outlet, author, published_at, published_source,"
            " archived_at, chars, size_bytes, script, tags, encoding FROM articles"
        )
        # NULL (undated) sorts lowest, so last here: the index serves this order as is.
        order = " ORDER BY published_at DESC, path"
        if ids is None:
            limit_sql = f" LIMIT {int(limit)}" if limit is not None else ""
            return [_summary(row) for row in self.db.execute(query + order + limit_sql)]
        found: list[Article] = []
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            marks = ",".join("?" * len(part))
            found.extend(
                _summary(row) for row in self.db.execute(f"{query} WHERE id IN ({marks})", part)
            )
        from newscli.article import newest_first

        return newest_first(found)

    def articles(self, ids: Iterable[str]) -> dict[str, Article]:
        found: dict[str, Article] = {}
        wanted = list(ids)
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            marks = ",".join("?" * len(part))
            for article_id, data in self.db.execute(
                f"SELECT id, data FROM articles WHERE id IN ({marks})", part
            ):
                article = Article.from_dict(json.loads(_dec(data)))
                article.id = article_id
                found[article_id] = article
        return found

    def _snapshot_entries(self) -> Entries | None:
        loaded = self._snapshot("entries")
        if isinstance(loaded, tuple) and len(loaded) == 5:
            return Entries(*loaded)
        return None

    def entries(self) -> tuple[Entries, Path, int]:
        """Live articles by text offset, the text file, and its committed length (one snapshot)."""
        self.db.execute("BEGIN")
        try:
            entries = self._snapshot_entries() or self._entries_from_tables()
            path, size = self.text_path, int(self._meta("text_size", "0"))
        finally:
            self.db.execute("COMMIT")
        return entries, path, size

    def count_matches(self, matcher: Matcher, newest_first: bool = False) -> list[tuple[str, int]]:
        """(id, hits) of every article whose normalized text matches, in text order (or in
        list's newest-first order, without reading any article row)."""
        entries, path, size = self.entries()
        if not entries.ids:
            return []
        counter = _byte_counter(matcher)
        results: list[tuple[int, int]] = []
        offsets, lengths = entries.offsets, entries.lengths
        with open(path, "rb") as handle:
            for first, last in _chunks(offsets, lengths, CHUNK_BYTES):
                base = offsets[first]
                end = offsets[last] + lengths[last] + 1
                if end > size:
                    break
                handle.seek(base)
                data = handle.read(end - base)
                for index, hits in counter(data, base, offsets, lengths, first, last):
                    results.append((index, hits))
        if newest_first:
            hits_at = dict(results)
            return [(entries.ids[i], hits_at[i]) for i in entries.newest_first(list(hits_at))]
        return [(entries.ids[index], hits) for index, hits in results]

    def close(self) -> None:
        self.db.close()


def _iso(article: Article) -> str | None:
    # One fixed width, so that SQL's text order is time order.
    moment = article.published_at
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00") if moment else None


def _summary(row: tuple) -> Article:  # type: ignore[type-arg]
    from datetime import datetime

    (article_id, path, title, url, outlet, author, published, source, archived, chars, size) = row[
        :11
    ]
    script, tags, encoding = row[11:]
    return Article(
        id=article_id,
        path=_dec(path),
        title=title,
        url=url,
        outlet=outlet,
        author=author,
        published_at=datetime.fromisoformat(published) if published else None,
        published_source=DateSource(source),
        archived_at=datetime.fromisoformat(archived) if archived else None,
        size_bytes=size,
        stored_chars=chars,
        script=script,
        tags=json.loads(tags),
        encoding=encoding,
    )


def _chunks(offsets: list[int], lengths: list[int], limit: int) -> Iterator[tuple[int, int]]:
    """Runs of consecutive articles whose text spans at most `limit` bytes (at least one)."""
    first = 0
    count = len(offsets)
    while first < count:
        base = offsets[first]
        last = bisect.bisect_right(offsets, base + limit, first) - 1
        while last > first and offsets[last] + lengths[last] - base >= limit:
            last -= 1
        yield first, last
        first = last + 1


# (chunk bytes, chunk's file offset, offsets, lengths, first, last) -> [(article index, hits)]
ChunkCounter = Callable[[bytes, int, list[int], list[int], int, int], list[tuple[int, int]]]


def _byte_counter(matcher: Matcher) -> ChunkCounter:
    """How to count hits per article in a chunk of the text file, exactly as Matcher.find."""
    if matcher.regex is not None:
        pattern = matcher.regex

        def count_regex(data, base, offsets, lengths, first, last):  # type: ignore[no-untyped-def]
            out = []
            for index in range(first, last + 1):
                start = offsets[index] - base
                text = data[start : start + lengths[index]].decode("utf-8", "surrogatepass")
                hits = sum(1 for m in pattern.finditer(text) if m.end() > m.start())
                if hits:
                    out.append((index, hits))
            return out

        return count_regex

    needle = matcher.needle.encode("utf-8", "surrogatepass")
    folded: re.Pattern[bytes] | None = None
    if matcher.ignore_case:
        folded = re.compile(_case_insensitive_bytes(matcher.needle))

    def count_literal(data, base, offsets, lengths, first, last):  # type: ignore[no-untyped-def]
        out = []
        position = 0
        size = len(data)
        while position < size:
            if folded is None:
                found = data.find(needle, position)
            else:
                match = folded.search(data, position)
                found = match.start() if match else -1
            if found == -1:
                break
            index = bisect.bisect_right(offsets, base + found, first, last + 1) - 1
            start = offsets[index] - base
            end = start + lengths[index]
            if found + len(needle) > end:  # in a dead region between live articles
                position = found + 1
                continue
            if folded is None:
                hits = data.count(needle, start, end)
            else:
                hits = sum(1 for _ in folded.finditer(data, start, end))
            out.append((index, hits))
            position = end + 1
        return out

    return count_literal


def _case_insensitive_bytes(folded_needle: str) -> bytes:
    """A bytes pattern matching what normalize(…, ignore_case=True) folds to `folded_needle`."""
    parts: list[bytes] = []
    for char in folded_needle:
        if "a" <= char <= "z" or "ａ" <= char <= "ｚ":
            upper = chr(ord(char) - 32)
            parts.append(
                b"(?:"
                + re.escape(char.encode("utf-8"))
                + b"|"
                + re.escape(upper.encode("utf-8"))
                + b")"
            )
        else:
            parts.append(re.escape(char.encode("utf-8", "surrogatepass")))
    return b"".join(parts)


@dataclass
class IndexOutcome:
    index: Index | None
    stats: RefreshStats | None = None
    warnings: list[str] = field(default_factory=list)


def open_index(corpus: Corpus, progress: Progress | None = None) -> IndexOutcome:
    """Open and refresh the corpus's index, or say (once) why the command runs without it."""
    try:
        index = Index(corpus.root)
    except IndexUnavailable as error:
        return IndexOutcome(None, warnings=[f"{error}; working without the index"])
    try:
        stats = index.refresh(corpus, progress)
    except (OSError, sqlite3.Error) as error:
        index.close()
        return IndexOutcome(
            None, warnings=[f"cannot update the index: {error}; working without it"]
        )
    return IndexOutcome(index, stats, index.warnings)
