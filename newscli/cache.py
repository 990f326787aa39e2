"""Where a corpus's index lives and how it is opened: paths, the SQLite schema, versions,
meta values, write transactions, and the snapshots that commands load at once.

Layout, in the user's cache directory (``$NEWSCLI_CACHE_DIR`` overrides), never in the
corpus: ``corpora/<hash of the corpus path>/``

- ``index.sqlite`` (WAL): one row per file (size, mtime_ns, what it held: an article, a
  problem or nothing, and whether its problem has been told) and one per article: its
  metadata in columns for listing, the whole article as JSON, and where its normalized text
  lies in the text file (see newscli.textstore).
- ``text-<generation>.bin``: that text file.
- ``snapshot-<name>-<serial>.marshal``: the files and the text entries, derived from the
  tables, for the commands that need all of them (one marshal file loads ~10x faster than
  reading 100k rows), each with a magic and a crc32.
- ``folders.marshal``: the folders the last scan listed (newscli.corpus.FolderState), with
  the same magic and crc32: what the file system looked like, not what the index holds, so
  any process may replace it (atomically); missing or damaged, every folder is listed.
- ``build.lock``: flocked by the one process that refreshes the index at a time.

Everything read is checked (crc32 per article row, JSON and text region; per files row;
per snapshot): damage in the tables or the text raises `IndexDamaged` (or a
sqlite3.DatabaseError), and the index is rebuilt; a damaged snapshot is read from the
tables instead and made again from them (repair_snapshots).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import marshal
import os
import sqlite3
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from newscli import NORMALIZER_VERSION, PARSER_VERSION
from newscli.article import NEWEST_FIRST_SQL
from newscli.places import cache_root
from newscli.textstore import Damaged, Entries

SCHEMA_VERSION = 9  # 9: texts as written in the text file; articles.data last

_META_SCHEMA = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
SCHEMA = f"""
-- Paths are BLOBs (UTF-8 with surrogateescape): file names may hold any bytes.
CREATE TABLE IF NOT EXISTS files (
    rel BLOB PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    status TEXT NOT NULL,          -- article | problem | ignored
    problems BLOB,                 -- JSON list of [path, reason, kind], NULL if none
    told INTEGER NOT NULL,         -- 0 while its problems are news to the user
    crc INTEGER NOT NULL           -- file_crc of rel, size, mtime_ns, status, problems
);
CREATE INDEX IF NOT EXISTS files_with_problems ON files (told) WHERE problems IS NOT NULL;
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
    text_offset INTEGER NOT NULL,  -- where its normalized text starts in the text file
    text_length INTEGER NOT NULL,  -- in bytes, without the closing NUL
    crc INTEGER NOT NULL,          -- summary_crc of the listed columns (SUMMARY_FIELDS)
    data_crc INTEGER NOT NULL,     -- crc32 of data
    text_crc INTEGER NOT NULL,     -- crc32 of its region of the text file
    -- Last: a reader of the columns above never walks the ~8 KB of overflow pages.
    data BLOB NOT NULL             -- Article.to_dict() as JSON (UTF-8, surrogatepass)
);
CREATE INDEX IF NOT EXISTS articles_published ON articles ({NEWEST_FIRST_SQL});
-- Problems of the folder walk itself (unreadable folders, broken links): no file row.
CREATE TABLE IF NOT EXISTS scan_problems (
    path BLOB NOT NULL,
    reason TEXT NOT NULL,
    kind TEXT NOT NULL,
    told INTEGER NOT NULL,
    PRIMARY KEY (path, reason)
);
"""
TABLES = ("files", "articles", "scan_problems", "snapshots")  # snapshots: schema 4 and older
ARTICLE_COLUMNS = 21
# The columns a listing reads, in this order; their checksum is the row's crc.
SUMMARY_FIELDS = (
    "id, path, title, url, outlet, author, published_at, published_source, archived_at,"
    " chars, size_bytes, script, tags, encoding"
).split(", ")
SNAPSHOT_MAGIC = b"NCS1"  # then the crc32 of the rest (4 bytes, big-endian), then marshal
FOLDER_STATE = "folders.marshal"

# meta snapshots_fresh: "0" stale (a write is under way or was killed); FULL: both
# snapshots whole; PATCHED: the files snapshot is a base (an earlier serial's whole one,
# linked) and a delta of the files changed since (a refresh of a few files writes those, not
# 205k files). Older versions take PATCHED for stale and read the tables.
FULL, PATCHED = "1", "2"

IndexDamaged = Damaged  # what the index holds does not check out: rebuild it


def summary_crc(values: tuple[str | bytes | int | None, ...]) -> int:
    """The checksum of a row's SUMMARY_FIELDS values (str, bytes, int or None each)."""
    # repr, not marshal: marshal's output depends on which equal objects are the same one.
    return zlib.crc32(repr(values).encode("utf-8", "surrogatepass"))


def file_crc(rel: bytes, size: int, mtime_ns: int, status: str, problems: bytes | None) -> int:
    """The checksum of a files row (not `told`, which only decides whether a problem is
    said again): a damaged size or mtime would make a changed file look unchanged."""
    return zlib.crc32(
        repr((rel, size, mtime_ns, status, problems)).encode("utf-8", "surrogatepass")
    )


def check_file_row(
    rel: bytes, size: int, mtime_ns: int, status: str, problems: bytes | None, crc: int
) -> None:
    if file_crc(rel, size, mtime_ns, status, problems) != crc:
        raise Damaged(f"the stored file row {path_of(rel)!r} fails its checksum")


def is_damage(error: BaseException) -> bool:
    """Whether reading the index failed because its files are damaged (not busy, not full)."""
    if isinstance(error, sqlite3.OperationalError):
        message = str(error)
        return "malformed" in message or "decode" in message or "not a database" in message
    # Rows are checksummed before they are decoded: a JSON or Unicode error there is
    # damage the checksum missed. Nothing else is (a query's own errors must stay its own).
    return isinstance(
        error, (Damaged, sqlite3.DatabaseError, json.JSONDecodeError, UnicodeDecodeError)
    )


class IndexUnavailable(Exception):
    """The index cannot be used here (cache not writable…): work without it."""


def index_dir_for(root: Path) -> Path:
    digest = hashlib.sha256(os.fsencode(str(root.resolve()))).hexdigest()[:16]
    return cache_root() / "corpora" / digest


def path_key(text: str) -> bytes:
    """File names may hold undecodable bytes (kept as surrogates): store them as they were."""
    return text.encode("utf-8", "surrogateescape")


def path_of(blob: bytes) -> str:
    return blob.decode("utf-8", "surrogateescape")


def version() -> str:
    """What an index must have been built by to be used as is."""
    return f"{SCHEMA_VERSION}.{PARSER_VERSION}.{NORMALIZER_VERSION}"


class Cache:
    """One corpus's cache folder: its open database, meta values and snapshots."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.db_path = folder / "index.sqlite"
        self.warnings: list[str] = []
        # (snapshot serial, reason) of a damaged snapshot met, until repair_snapshots
        self.damaged_snapshot: tuple[str, str] | None = None
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if not os.access(folder, os.W_OK):
                raise PermissionError(f"{folder} is not writable")
            self.db = self._connect()
        except (OSError, sqlite3.Error) as error:
            raise IndexUnavailable(f"cannot use the index in {folder}: {error}") from None

    # --- opening, versions, corruption ---------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        try:
            db = self._open_db()
            # Cheap checks only (a full quick_check reads the whole file): the header and
            # schema must read, and the text file must be as long as the rows say.
            if _meta_of(db, "version") != version():
                return db  # another version's index: a refresh rebuilds it, no warning
            db.execute("SELECT id FROM articles LIMIT 1").fetchall()
            columns = len(db.execute("PRAGMA table_info(articles)").fetchall())
            if columns != ARTICLE_COLUMNS:
                raise sqlite3.DatabaseError(
                    f"articles has {columns} columns, not {ARTICLE_COLUMNS}"
                )
            self._check_text_file(db)
            return db
        except sqlite3.DatabaseError as error:
            if isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
                raise
            self.warnings.append(f"index {self.db_path} was damaged ({error}); rebuilding it")
            self._remove_files()
            return self._open_db()

    def _check_text_file(self, db: sqlite3.Connection) -> None:
        """The text file must be at least as long as the committed state says. Its size and
        generation are read in one transaction (one committed state); that generation's file
        may have been unlinked since by a compaction or rebuild that committed a new one: if
        the generation has changed, check again."""
        seen: set[str] = set()
        while True:
            db.execute("BEGIN")  # both values from one committed state
            try:
                text_size = int(_meta_of(db, "text_size") or 0)
                generation = _meta_of(db, "generation") or "0"
            finally:
                db.execute("COMMIT")
            if not text_size:
                return
            text_path = self.folder / f"text-{generation}.bin"
            try:
                size = text_path.stat().st_size
            except FileNotFoundError:
                if generation in seen:
                    raise sqlite3.DatabaseError(f"{text_path.name} is missing") from None
                seen.add(generation)
                continue
            if size < text_size:
                raise sqlite3.DatabaseError(f"{text_path.name} is shorter than recorded")
            return

    def _remove_files(self) -> None:
        for name in os.listdir(self.folder):  # not build.lock: others may be waiting on it
            if name.startswith(("index.sqlite", "text-", "snapshot-")):
                (self.folder / name).unlink(missing_ok=True)

    def wipe(self) -> None:
        """Throw a damaged index away: an empty one is opened (the next refresh fills it)."""
        with_db = getattr(self, "db", None)
        if with_db is not None:
            with_db.close()
        self._remove_files()
        self.db = self._open_db()

    def _open_db(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.db_path, timeout=60, isolation_level=None)
        db.execute("PRAGMA busy_timeout = 60000")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.executescript(_META_SCHEMA)
        if _meta_of(db, "version") == version():
            db.executescript(SCHEMA)
        return db

    def close(self) -> None:
        self.db.close()

    # --- meta ----------------------------------------------------------------------------

    def meta(self, key: str, default: str = "") -> str:
        found = _meta_of(self.db, key)
        return default if found is None else found

    def meta_int(self, key: str) -> int:
        return int(self.meta(key, "0") or 0)

    def set_meta(self, key: str, value: str | int) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, str(value)))

    @property
    def current(self) -> bool:
        """Built by this version of newscli (else the next refresh rebuilds it)."""
        return self.meta("version") == version()

    @property
    def text_path(self) -> Path:
        return self.folder / f"text-{self.meta('generation', '0')}.bin"

    # --- writing -------------------------------------------------------------------------

    def transaction(self, work: Callable[[], None]) -> None:
        """Run `work` in one write transaction (serialized across processes); inside another
        one, in a savepoint of it (a rebuild is one transaction of many batches)."""
        if self.db.in_transaction:
            self.db.execute("SAVEPOINT batch")
            try:
                work()
            except BaseException:
                self._undo("ROLLBACK TO batch", "RELEASE batch")
                raise
            self.db.execute("RELEASE batch")
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            work()
        except BaseException:
            self._undo("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _undo(self, *statements: str) -> None:
        """Roll back after a failure, never hiding it: SQLite has already rolled back by
        itself after some errors ("database or disk is full"), and then a ROLLBACK would
        fail with "cannot rollback - no transaction is active" in place of the real cause."""
        if not self.db.in_transaction:
            return
        try:
            for statement in statements:
                self.db.execute(statement)
        except sqlite3.Error:
            pass  # the error being raised is the one that matters

    def write(self, work: Callable[[], None]) -> None:
        """A transaction that changes files or articles: the snapshots are stale from its
        start until a refresh saves new ones."""

        def stale_then_work() -> None:
            self.set_meta("snapshots_fresh", 0)
            work()

        self.transaction(stale_then_work)

    def clear(self) -> None:
        """Empty tables of this version's schema, and a new, empty text file."""

        def clear() -> None:
            # Drop, not delete: another version may have had another schema.
            for table in TABLES:
                self.db.execute(f"DROP TABLE IF EXISTS {table}")
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    self.db.execute(statement)
            self.set_meta("version", version())
            self.start_generation(self.meta_int("generation") + 1)

        self.write(clear)

    def start_generation(self, generation: int, size: int = 0) -> None:
        """Start text file `generation`, holding `size` bytes (none, unless compaction wrote
        it), inside a write transaction. The previous one stays until remove_old_texts runs
        after the commit: a reader of the committed state may still open it."""
        self.set_meta("generation", generation)
        self.set_meta("text_size", size)
        self.set_meta("dead_bytes", 0)
        if not size:
            self.text_path.write_bytes(b"")

    def remove_old_texts(self) -> None:
        """Unlink the text files of older generations (after the commit that left them)."""
        current = self.text_path.name
        for path in self.folder.glob("text-*.bin"):
            if path.name != current:
                path.unlink(missing_ok=True)

    @contextmanager
    def build_lock(self, waiting: Callable[[], None] | None = None) -> Iterator[None]:
        """One build at a time per corpus (an exclusive flock on build.lock); `waiting` is
        called once if another process holds it."""
        with open(self.folder / "build.lock", "a+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if waiting is not None:
                    waiting()
                fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def forget_version(self) -> None:
        """The next refresh parses every file again."""
        self.set_meta("version", "")

    # --- reading the tables --------------------------------------------------------------

    def files_rows(self) -> Iterator[tuple[str, int, int]]:
        for rel, size, mtime, status, problems, crc in self.db.execute(
            "SELECT rel, size, mtime_ns, status, problems, crc FROM files"
        ):
            check_file_row(rel, size, mtime, status, problems, crc)
            yield path_of(rel), size, mtime

    def entries_from_tables(self) -> Entries:
        return Entries.from_rows(
            self.db.execute(
                "SELECT id, text_offset, text_length, published_at, rel, text_crc FROM articles"
                " ORDER BY text_offset"
            )
        )

    # --- snapshots -----------------------------------------------------------------------

    @property
    def snapshots_fresh(self) -> bool:
        return self.meta("snapshots_fresh") in (FULL, PATCHED)

    def files_snapshot(self) -> dict[str, tuple[int, int]] | None:
        """rel → (size, mtime_ns) as of the last refresh, or None (read the tables)."""
        loaded = self._marshalled("files")
        if loaded is None:
            return None
        delta = self.files_delta()
        if delta is None:
            return None
        for rel, signature in delta.items():
            if signature is None:
                loaded.pop(rel, None)
            else:
                loaded[rel] = signature
        return loaded

    def files_delta(self) -> dict[str, tuple[int, int] | None] | None:
        """What the files snapshot changes in its base (rel → (size, mtime_ns), None for a
        file gone): nothing for a whole one; None if the snapshots are stale or damaged."""
        if self.meta("snapshots_fresh") != PATCHED:
            return {} if self.snapshots_fresh else None
        loaded = self._marshalled("filesdelta")
        if loaded is None:
            return None
        if not all(
            type(rel) is str
            and (
                signature is None
                or (
                    type(signature) is tuple
                    and len(signature) == 2
                    and all(type(number) is int for number in signature)
                )
            )
            for rel, signature in loaded.items()
        ):
            self._snapshot_damaged("filesdelta", "it does not load")
            return None
        return loaded

    def _marshalled(self, name: str) -> dict[Any, Any] | None:
        """A snapshot holding a dict, loaded; None if there is none (stale) or it does not
        load (then marked damaged)."""
        data = self._snapshot(name)
        if data is None:
            return None
        try:
            loaded = marshal.loads(data)
        except (ValueError, EOFError, TypeError):
            loaded = None
        if not isinstance(loaded, dict):
            self._snapshot_damaged(name, "it does not load")
            return None
        return loaded

    def files_base_sound(self) -> bool:
        """Whether the files snapshot a patch would link again passes its checksum (read,
        not loaded: a damaged one is then made again whole, not carried on)."""
        return self._snapshot("files") is not None

    def entries_snapshot(self) -> Entries | None:
        data = self._snapshot("entries")
        if data is None:
            return None
        entries = Entries.loads(data)
        if entries is None:
            self._snapshot_damaged("entries", "it does not load")
            return None
        return entries

    def files(self) -> dict[str, tuple[int, int]]:
        """rel → (size, mtime_ns) of every file the index knows."""
        known = self.files_snapshot()
        if known is None:
            known = {rel: (size, mtime) for rel, size, mtime in self.files_rows()}
        return known

    def entries(self) -> Entries:
        snapshot = self.entries_snapshot()
        return self.entries_from_tables() if snapshot is None else snapshot

    def _snapshot(self, name: str) -> bytes | None:
        """A saved snapshot, or None when a killed or running writer may have outdated it
        (or a newer writer has already replaced it), or when it is damaged: callers then
        read the tables."""
        if not self.snapshots_fresh:
            return None
        path = self.folder / f"snapshot-{name}-{self.meta('snapshot_serial', '0')}.marshal"
        try:
            with open(path, "rb") as handle:  # the header, then the data: not copied behind it
                header, data = handle.read(8), handle.read()
        except OSError:
            return None
        if header[:4] != SNAPSHOT_MAGIC or int.from_bytes(header[4:8], "big") != zlib.crc32(data):
            self._snapshot_damaged(name, f"{path.name} fails its checksum")
            return None
        return data

    def _snapshot_damaged(self, name: str, reason: str) -> None:
        """A snapshot is only a faster copy of the tables (which are checksummed row by
        row): a damaged one is read from the tables now and made again by repair_snapshots,
        not a reason to rebuild the index."""
        if self.damaged_snapshot is None:
            self.damaged_snapshot = (self.meta("snapshot_serial", "0"), f"{name}: {reason}")

    def repair_snapshots(self) -> str | None:
        """Make a damaged snapshot again from the tables (outside any read transaction);
        return the one line to tell, or None if none was damaged. Only if no write came
        since it was found (a writer makes its own snapshots)."""
        found, self.damaged_snapshot = self.damaged_snapshot, None
        if found is None:
            return None
        serial, reason = found

        def save() -> None:
            if self.snapshots_fresh and self.meta("snapshot_serial", "0") == serial:
                self.save_snapshots()

        try:
            self.transaction(save)
            self.remove_old_snapshots()
        except (OSError, sqlite3.Error) as error:  # busy, full: the tables answered anyway
            return f"a snapshot of the index was damaged ({reason}); read the tables ({error})"
        return (
            f"a snapshot of the index was damaged ({reason}); made it again from the tables"
            " (the rest of the index is whole)"
        )

    def save_snapshots(self, files: bytes | None = None, entries: Entries | None = None) -> None:
        """Write the snapshots (inside a write transaction), from the tables unless given.

        They are files beside the database, named by a serial number that this transaction
        records: a reader takes the serial from its snapshot of the database, so it never
        pairs a database state with another state's snapshot."""
        if files is None:
            files = marshal.dumps({rel: (size, mtime) for rel, size, mtime in self.files_rows()})
        serial = self.meta_int("snapshot_serial") + 1
        self._write_snapshot(f"snapshot-files-{serial}.marshal", files)
        del files
        if entries is None:
            entries = self.entries_from_tables()
        self._write_snapshot(f"snapshot-entries-{serial}.marshal", entries.dumps())
        self.set_meta("snapshot_serial", serial)
        self.set_meta("snapshots_fresh", FULL)

    def patch_snapshots(self, files: dict[str, tuple[int, int] | None], entries: Entries) -> bool:
        """Save the snapshots (inside a write transaction) as the current files snapshot's
        base, linked under the next serial (not written again: 25 MB at 200k files), with
        `files` (what changed since that base, see files_delta) beside it, and `entries`
        whole. False (nothing recorded) if the base cannot be linked: then save_snapshots."""
        base = self.meta_int("snapshot_serial")
        serial = base + 1
        target = self.folder / f"snapshot-files-{serial}.marshal"
        try:
            target.unlink(missing_ok=True)  # left by a writer killed before its commit
            os.link(self.folder / f"snapshot-files-{base}.marshal", target)
        except OSError:
            return False
        self._write_snapshot(f"snapshot-filesdelta-{serial}.marshal", marshal.dumps(files))
        self._write_snapshot(f"snapshot-entries-{serial}.marshal", entries.dumps())
        self.set_meta("snapshot_serial", serial)
        self.set_meta("snapshots_fresh", PATCHED)
        return True

    def _write_snapshot(self, name: str, data: bytes) -> None:
        """MAGIC, the crc32 of `data`, then `data` (not copied behind them: at 200k
        articles the entries are 35 MB)."""
        with open(self.folder / name, "wb") as handle:
            handle.write(SNAPSHOT_MAGIC + zlib.crc32(data).to_bytes(4, "big"))
            handle.write(data)

    def folder_state(self) -> bytes | None:
        """The saved folder state, or None if there is none or it fails its checksum."""
        try:
            with open(self.folder / FOLDER_STATE, "rb") as handle:  # 20 MB at 200k files:
                header, data = handle.read(8), handle.read()  # not copied behind the header
        except OSError:
            return None
        if header[:4] != SNAPSHOT_MAGIC or int.from_bytes(header[4:8], "big") != zlib.crc32(data):
            return None
        return data

    def save_folder_state(self, data: bytes) -> None:
        """Replace the folder state (a rename: readers see the old or the new one whole);
        failing to is harmless, so it is not an error."""
        import threading

        path = self.folder / FOLDER_STATE
        # Named so that remove_old_snapshots cleans up after a writer killed right here.
        unique = f"{os.getpid()}-{threading.get_ident()}"
        partial = self.folder / f"snapshot-folders-{unique}.partial.marshal"
        try:
            with open(partial, "wb") as handle:
                handle.write(SNAPSHOT_MAGIC + zlib.crc32(data).to_bytes(4, "big"))
                handle.write(data)
            os.replace(partial, path)
        except OSError:
            with suppress(OSError):
                partial.unlink()

    def remove_old_snapshots(self) -> None:
        serial = self.meta("snapshot_serial", "0")
        for path in self.folder.glob("snapshot-*.marshal"):
            if not path.name.endswith(f"-{serial}.marshal"):
                path.unlink(missing_ok=True)


def _meta_of(db: sqlite3.Connection, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])
