"""Keeping an index fresh: which files changed, parsing them (in worker processes when there
are many), writing them in batches, and compacting the text file once most of it is dead.

Files that are new, or whose size or mtime_ns changed, are parsed; deleted ones dropped.
A parser or normalizer version change rebuilds the index. Writers serialize on SQLite's
write lock (``BEGIN IMMEDIATE``); the text file is truncated back to the last committed
length before appending, so a killed build leaves nothing half-visible: the next run
continues.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import sqlite3
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from itertools import islice

from newscli import postings
from newscli.article import Article, Problem
from newscli.cache import (
    SUMMARY_FIELDS,
    Cache,
    file_crc,
    is_damage,
    path_key,
    path_of,
    summary_crc,
)
from newscli.corpus import RACY_SIZE, Corpus, FolderState, SourceFile
from newscli.load import LoadResult, load
from newscli.textstore import (
    Damaged,
    Entries,
    append_text,
    compact,
    region_reader,
    region_size,
    text_crc,
)

BATCH = 256  # files parsed and committed together
# A refresh patches the snapshots (a delta of the files beside a linked base) while that
# delta stays under max(DELTA_MIN, files // DELTA_SHARE) files; then writes them whole.
DELTA_MIN = 1000
DELTA_SHARE = 8
PARALLEL_FROM = 64  # fewer changed files than this are parsed in-process
COMPACT_WHEN_DEAD = 0.5  # rewrite the text file once this share of it is dead

Progress = Callable[[int, int], None]  # (done, total)


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


class WriteFailed(Exception):
    """Writing the index failed (a full disk…) while files were being parsed. The parsing
    went on without writing: `parsed` holds every file parsed since the failure (rel →
    LoadResult), so that the command goes on without the index and parses none again."""

    def __init__(
        self, error: BaseException, parsed: dict[str, LoadResult], committed: list[str]
    ) -> None:
        super().__init__(str(error))
        self.error = error
        self.parsed = parsed
        self.committed = committed  # rels this refresh wrote before the failure: in the index


@dataclass
class IndexedRow:
    """One file, parsed and normalized: what a batch write stores."""

    rel: str
    size: int
    mtime_ns: int
    status: str  # article | problem | ignored
    problems: list[Problem]
    article: Article | None
    normalized: bytes = b""


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


def published_text(article: Article) -> str | None:
    """published_at as stored: one fixed width, so that SQL's text order is time order."""
    moment = article.published_at
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00") if moment else None


def problem_list(problems: Iterable[Problem]) -> bytes | None:
    """A file's problems as stored (NULL when it has none)."""
    items = [[p.path, p.reason, p.kind] for p in problems]
    return path_key(json.dumps(items, ensure_ascii=False)) if items else None


def _unreadable(size: int, offset: int) -> bytes:
    raise OSError("the text file cannot be opened")


def _quiet_worker(parent: int | None = None) -> None:
    # Ctrl-C reaches the whole process group: the parent handles it (rolls back the batch
    # in flight, exits 130); workers must not each print a traceback.
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _end_with_parent(parent if parent is not None else os.getppid())


def _end_with_parent(parent: int) -> None:
    """A worker must not outlive its parent (`kill -9` of newscli left idle workers of
    ~50 MB each): on Linux the kernel sends SIGTERM when the parent dies; elsewhere a
    daemon thread notices that the parent is gone and ends the worker."""
    import signal
    import sys
    import threading

    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            if libc.prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0) == 0:
                if os.getppid() != parent:  # the parent died before prctl took effect
                    os._exit(1)
                return
        except (OSError, AttributeError):
            pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="newscli-parent-watch", daemon=True).start()


def _index_batch(sources: list[SourceFile]) -> list[IndexedRow]:
    return [index_one(source) for source in sources]


def refresh(
    cache: Cache,
    corpus: Corpus,
    progress: Progress | None = None,
    workers: int | None = None,
    wipe_first: bool = False,
) -> RefreshStats:
    """Bring the cache up to date with the corpus's files (after throwing a damaged index
    away, with `wipe_first`). One process at a time builds: the others wait for it (told
    so on a terminal), then find its work committed, so no reader ever sees a half-built
    index, and no two processes parse the same files."""
    seen = scan_corpus(cache, corpus) if not corpus.scanned else None
    with cache.build_lock(_say_waiting if progress is not None else None):
        if wipe_first:
            cache.wipe()
        previous = seen.previous if seen is not None else None
        stats = Refresh(cache, corpus, progress, workers, previous).run()
        token = cache.meta("files_digest") or ""  # read under the lock: this refresh's
    if seen is not None and seen.linked:
        token = ""  # the index holds files this state does not (see state_changes)
    if seen is not None and (seen.changed or seen.folders.token != token):
        # Only now: the index holds what this scan found replaced (a new inode is news
        # once, relative to the saved state), so a killed refresh cannot lose it.
        seen.folders.token = token
        cache.save_folder_state(seen.folders.dumps())
    return stats


@dataclass
class _Seen:
    folders: FolderState
    changed: bool  # since the saved state: else it need not be saved again
    previous: FolderState | None  # the saved state the scan started from
    linked: bool  # linked files were found: not in `folders`


def scan_corpus(cache: Cache, corpus: Corpus) -> _Seen | None:
    """Scan the corpus's folder with what the previous scan saw of its folders (unchanged
    ones are not listed again, unchanged files are compared with their records); what
    this one saw, for the next scan (None for a file root)."""
    previous = FolderState.loads(cache.folder_state())
    found = corpus.scan_with(previous)
    if found.folders is None:
        return None
    return _Seen(found.folders, found.changed, previous, bool(found.extra))


@dataclass
class StateChanges:
    """The files that differ between two folder states (see state_changes)."""

    now: dict[str, tuple[int, int]]  # rel → (size, mtime_ns) of each added or changed file
    existed: set[str]  # those of them the earlier state had
    was_racy: set[str]  # those of them it recorded as racy (RACY_SIZE)
    gone: list[str]  # files it had and this one has not


def state_changes(previous: FolderState, found: FolderState) -> StateChanges | None:
    """What changed from `previous` to `found` (a scan that started from it), folder by
    folder: a folder whose record is the same object or holds the same names and
    signatures is skipped, so one edited file costs one folder's names, not a dict of
    every file. A racy file of `found` has its (size, mtime_ns) as stat-ed."""
    changes = StateChanges({}, set(), set(), [])
    before_all, after_all = previous.folders, found.folders
    for prefix in before_all.keys() | after_all.keys():
        old, new = before_all.get(prefix), after_all.get(prefix)
        if old is new or (
            old is not None and new is not None and old[4] == new[4] and old[9] == new[9]
        ):
            continue
        before, after = previous.signatures(prefix), found.signatures(prefix)
        for name, signature in after.items():
            rel = prefix + name
            if signature[0] == RACY_SIZE:
                if rel not in found.racy:
                    return None  # not stat-ed by this scan: compare every file instead
                signature = found.racy[rel]
            old_signature = before.get(name)
            if old_signature == signature:
                continue
            changes.now[rel] = signature
            if old_signature is not None:
                changes.existed.add(rel)
                if old_signature[0] == RACY_SIZE:
                    changes.was_racy.add(rel)
        changes.gone.extend(prefix + name for name in before if name not in after)
    return changes


def fresh_by_scan(cache: Cache, corpus: Corpus) -> bool:
    """Whether the corpus's last scan found every folder and file as recorded by the saved
    state, and the index is still the one that state was saved with (its files_digest, and
    snapshots no writer has made stale since): then the index's files are the corpus's,
    with no file compared. Called under the build lock."""
    found = corpus.last_scan
    return (
        found is not None
        and not found.changed
        and found.folders is not None
        and bool(found.folders.token)
        and found.folders.token == cache.meta("files_digest")
        and cache.snapshots_fresh
    )


def _say_waiting() -> None:
    import sys

    print("newscli: another newscli is updating this index; waiting for it", file=sys.stderr)


class Refresh:
    """One refresh: what it has appended is tracked, so the text entries snapshot can be
    updated without reading the tables back."""

    def __init__(
        self,
        cache: Cache,
        corpus: Corpus,
        progress: Progress | None,
        workers: int | None,
        previous: FolderState | None = None,
    ) -> None:
        self.cache = cache
        self.previous = previous  # the saved folder state the corpus's scan started from
        # rel → (size, mtime_ns) of the files to parse, when known without corpus.stats
        self.signatures: dict[str, tuple[int, int]] | None = None
        self.corpus = corpus
        self.progress = progress
        self.workers = workers
        self.added = Entries.empty()  # what this refresh appended to the text file
        self.compacted = False
        self.track_added = True
        self.racy: set[str] = set()  # files recorded with size -1: parsed again next time
        self.recheck: set[str] = set()  # files parsed again because they were racy
        self.dead: list[int] = []  # text offsets of the articles this refresh dropped

    def run(self) -> RefreshStats:
        """A refresh; a rebuild of an index that has committed work is one transaction
        (beside the old state, switched in by its commit: a reader in the middle of its
        own reads never sees the tables emptied or half filled)."""
        cache = self.cache
        if cache.current or not cache.meta_int("text_size"):
            stats = self._run()
            self._postings()
            return stats
        found: list[RefreshStats] = []

        def rebuild() -> None:
            found.append(self._run())
            self._postings()

        cache.transaction(rebuild)
        cache.remove_old_texts()
        cache.remove_old_snapshots()
        postings.remove_old(cache.folder, cache.meta_int("postings_serial"))
        return found[0]

    def _postings(self) -> None:
        postings.keep_fresh(self.cache, self.workers, partial(_quiet_worker, os.getpid()))

    def _run(self) -> RefreshStats:
        cache = self.cache
        started = time.perf_counter()
        stats = RefreshStats()
        if not cache.current:
            cache.clear()
            if not cache.db.in_transaction:
                cache.remove_old_texts()  # after the commit
            stats.rebuilt = True
        self._remember_scan_problems(self.corpus.scan_problems)
        found = self.corpus.last_scan
        if not stats.rebuilt and found is not None and fresh_by_scan(cache, self.corpus):
            stats.unchanged = found.count
            stats.seconds = time.perf_counter() - started
            return stats
        if not stats.rebuilt and self._run_changes(stats):
            stats.seconds = time.perf_counter() - started
            return stats
        current = self.corpus.stats
        # A file changed in the last moments may change again within the same timestamp
        # tick, keeping its (size, mtime_ns): it is parsed now and recorded with size -1,
        # so that the next refresh parses it again, until its mtime is old enough (git's
        # "racy clean" entries are handled the same way).
        racy = self.racy = set(self.corpus.racy)
        again = racy | set(self.corpus.replaced)  # parsed whatever their signature
        recorded = current
        if racy:
            recorded = dict(current)
            for rel in racy:
                recorded[rel] = (-1, current[rel][1])
        # The usual case, nothing changed, costs one marshal.dumps and one hash: the same
        # scan in the same order gives the same bytes. Any difference (even just order)
        # falls through to the full comparison.
        dumped = marshal.dumps(recorded)
        digest = hashlib.blake2b(dumped, digest_size=16).hexdigest()
        if (
            not stats.rebuilt
            and not again
            and digest == cache.meta("files_digest")
            and cache.snapshots_fresh
        ):
            stats.unchanged = len(current)
            stats.seconds = time.perf_counter() - started
            return stats
        known = cache.files()
        todo: list[str] = []  # rels: SourceFiles are made a batch at a time (memory)
        if known == current and not again:
            stats.unchanged = len(current)
        else:
            for rel, signature in current.items():
                old = known.get(rel)
                # marshal keeps tuples, so this compares like with like
                if old == signature and (not again or rel not in again):
                    stats.unchanged += 1
                    continue
                if old is None:
                    stats.added += 1
                else:
                    stats.changed += 1
                    if old[0] == -1:
                        self.recheck.add(rel)
                todo.append(rel)
        gone = [rel for rel in known if rel not in current]
        files = len(current)
        if len(todo) <= files // 2:
            # What is parsed keeps its own signatures; the two dicts of every file (the
            # scan's and the files snapshot's, ~100 MB each at 200k files) are not held
            # while the entries load and the files parse (10k files added at 200k: 350 MB).
            self.signatures = {rel: current[rel] for rel in todo}
            del known, current, recorded
            self.corpus.forget_stats()
        # Read before any write below marks the snapshots stale.
        old_entries = cache.entries_snapshot() if (gone or todo) else None
        stats.deleted = len(gone)
        if gone:
            cache.write(lambda: self._delete(gone))
        # Entries are updated in memory for small changes; after a large one (a first
        # build) they are read back from the tables instead of holding every row twice.
        self.track_added = len(todo) <= max(1000, files // 10)
        if todo:
            self._parse_and_store(todo)
        changed = bool(gone or todo)
        if len(todo) > DELTA_MIN and self.signatures is None:
            # Not held while the snapshots and the posting file are written (a first build
            # at 200k files: ~130 MB): the scan makes the stats again if asked.
            del todo, known, current, recorded
            self.corpus.forget_stats()
        if changed or stats.rebuilt or not cache.snapshots_fresh:
            entries = None
            if old_entries is not None and self.track_added and not self.compacted:
                # the snapshot less the dropped articles, plus the stored ones (None, read
                # from the tables, if the snapshot does not hold a dropped one)
                entries = old_entries.patched(self.dead, self.added)
            del old_entries

            def save() -> None:
                cache.save_snapshots(dumped, entries)
                cache.set_meta("files_digest", digest)

            self.cache.transaction(save)
            if not cache.db.in_transaction:  # else after the rebuild's commit
                cache.remove_old_snapshots()
        elif cache.meta("files_digest") != digest:
            self.cache.transaction(lambda: cache.set_meta("files_digest", digest))
        stats.seconds = time.perf_counter() - started
        return stats

    def _run_changes(self, stats: RefreshStats) -> bool:
        """A refresh from the changes between the saved folder state and this scan, when
        that state is the index's (its token is the index's files_digest, and no linked
        file is outside it): no dict of every file's stats, either from the scan or from
        the files snapshot (~100 MB each at 200k files); the snapshots are patched (see
        Cache.patch_snapshots). False, having written nothing, when this does not apply:
        no such state, a large change (the snapshots are written whole), or a snapshot
        that does not load."""
        cache, found, previous = self.cache, self.corpus.last_scan, self.previous
        if (
            previous is None
            or found is None
            or found.folders is None
            or found.extra
            or not previous.token
            or previous.token != cache.meta("files_digest")
            or not cache.snapshots_fresh
        ):
            return False
        changes = state_changes(previous, found.folders)
        if changes is None:
            return False
        count = found.count
        racy = set(self.corpus.racy)
        for rel in racy.union(self.corpus.replaced):  # parsed whatever their signature
            if rel not in changes.now:
                folder, slash, name = rel.rpartition("/")
                signature = found.folders.signatures(folder + slash).get(name)
                if signature is None:
                    return False
                changes.now[rel] = found.folders.racy.get(rel, signature)
                old_signature = previous.signatures(folder + slash).get(name)
                if old_signature is not None:
                    changes.existed.add(rel)
                    if old_signature[0] == RACY_SIZE:
                        changes.was_racy.add(rel)
        todo, gone = list(changes.now), changes.gone
        if not todo and not gone:  # a folder listed again (a file not an article came…)
            stats.unchanged = count
            return True
        if len(todo) > max(DELTA_MIN, count // DELTA_SHARE):
            return False
        delta = cache.files_delta()
        if delta is None or (not delta and not cache.files_base_sound()):
            # The full comparison reads the tables (and writes the snapshots whole). A base
            # is checked when first linked; every reader checks it again anyway.
            return False
        mine: dict[str, tuple[int, int] | None] = {
            rel: (-1, changes.now[rel][1]) if rel in racy else changes.now[rel] for rel in todo
        }
        mine.update(dict.fromkeys(gone))
        if len(delta) + len(mine) > max(DELTA_MIN, count // DELTA_SHARE):
            return False  # the files snapshot is written whole again
        # Read before any write below marks the snapshots stale.
        old_entries = cache.entries_snapshot()
        if old_entries is None:
            return False
        delta.update(mine)
        self.racy, self.recheck, self.signatures = racy, changes.was_racy, changes.now
        stats.added = len(todo) - len(changes.existed)
        stats.changed = len(changes.existed)
        stats.deleted = len(gone)
        stats.unchanged = count - len(todo)
        if gone:
            cache.write(lambda: self._delete(gone))
        self._parse_and_store(todo)
        entries = None if self.compacted else old_entries.patched(self.dead, self.added)
        del old_entries
        digest = hashlib.blake2b(
            marshal.dumps((cache.meta("files_digest"), sorted(mine.items(), key=str))),
            digest_size=16,
        ).hexdigest()

        def save() -> None:
            if entries is None or not cache.patch_snapshots(delta, entries):
                cache.save_snapshots(None, entries)
            cache.set_meta("files_digest", digest)

        cache.transaction(save)
        if not cache.db.in_transaction:
            cache.remove_old_snapshots()
        return True

    def _source(self, rel: str) -> SourceFile:
        if self.signatures is None:
            return self.corpus.source(rel)
        size, mtime_ns = self.signatures[rel]
        return SourceFile(os.path.join(str(self.corpus.root), rel), rel, size, mtime_ns)

    def _remember_scan_problems(self, problems: list[Problem]) -> None:
        """Keep the folder walk's problems (no file row holds them), and whether each has
        been told: one that goes away and comes back is news again."""
        db = self.cache.db
        stored = {
            (path_of(path), reason)
            for path, reason in db.execute("SELECT path, reason FROM scan_problems")
        }
        found = {(p.path, p.reason): p for p in problems}
        if stored == set(found):
            return

        def update() -> None:
            for path, reason in stored - set(found):
                db.execute(
                    "DELETE FROM scan_problems WHERE path = ? AND reason = ?",
                    (path_key(path), reason),
                )
            for path, reason in set(found) - stored:
                db.execute(
                    "INSERT INTO scan_problems VALUES (?, ?, ?, 0)",
                    (path_key(path), reason, found[path, reason].kind),
                )

        self.cache.transaction(update)

    def _drop_article(self, key: bytes, read: Callable[[int, int], bytes]) -> int:
        """Delete a file's article row; return how many bytes of the text file it frees
        (`read(size, offset)` reads the text file)."""
        db = self.cache.db
        row = db.execute(
            "SELECT text_offset, text_length FROM articles WHERE rel = ?", (key,)
        ).fetchone()
        if row is None:
            return 0
        db.execute("DELETE FROM articles WHERE rel = ?", (key,))
        self.dead.append(int(row[0]))
        # The whole region, its NUL and trailer included. Only the compaction rule counts
        # with it: a trailer it cannot read counts the text and its NUL alone (compaction
        # checks every trailer it copies).
        try:
            return region_size(read, int(row[0]), int(row[1]))
        except (OSError, Damaged):
            return int(row[1]) + 1

    def _delete(self, rels: list[str]) -> None:
        dead = 0
        with ExitStack() as stack:
            try:
                read = region_reader(stack.enter_context(open(self.cache.text_path, "rb")))
            except OSError:
                read = _unreadable  # each dropped region then counts its text and NUL
            for rel in rels:
                key = path_key(rel)
                dead += self._drop_article(key, read)
                self.cache.db.execute("DELETE FROM files WHERE rel = ?", (key,))
        self.cache.set_meta("dead_bytes", self.cache.meta_int("dead_bytes") + dead)

    def _parse_and_store(self, todo: list[str]) -> None:
        batches = (
            [self._source(rel) for rel in todo[i : i + BATCH]] for i in range(0, len(todo), BATCH)
        )
        done = 0
        if self.progress:
            self.progress(0, len(todo))
        failed: BaseException | None = None
        parsed: dict[str, LoadResult] = {}
        # Batches come back in todo's order, so what has been committed is a prefix of it: a
        # count, not a list of every rel (~30 MB at 200k files). None inside a rebuild's
        # transaction: a failure rolls all of it back.
        committed: int | None = None if self.cache.db.in_transaction else 0
        for rows in self._parsed_batches(batches, len(todo)):
            if failed is None:
                try:
                    self.cache.write(partial(self.store, rows))
                except (OSError, sqlite3.Error) as error:
                    if is_damage(error):
                        raise
                    failed = error
                else:
                    if committed is not None:
                        committed += len(rows)
            if failed is not None:  # kept for the command, which goes on without the index
                for row in rows:
                    parsed[row.rel] = LoadResult(
                        self._source(row.rel), row.article, row.problems, row.status == "ignored"
                    )
            done += len(rows)
            if self.progress:
                self.progress(done, len(todo))
        if failed is not None:
            raise WriteFailed(failed, parsed, todo[: committed or 0])
        self._maybe_compact()

    def _parsed_batches(
        self, batches: Iterator[list[SourceFile]], total: int
    ) -> Iterator[list[IndexedRow]]:
        workers = self.workers or os.cpu_count() or 1
        if total < PARALLEL_FROM or workers < 2:
            for batch in batches:
                yield _index_batch(batch)
            return
        from concurrent.futures import ProcessPoolExecutor

        # A bounded window of batches in flight: results wait for the SQLite writer, and
        # queueing them all (as pool.map does) holds a large corpus's text in memory.
        waiting = iter(batches)
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=postings.fresh_processes(),
            initializer=_quiet_worker,
            initargs=(os.getpid(),),
        ) as pool:
            in_flight = deque(pool.submit(_index_batch, b) for b in islice(waiting, 2 * workers))
            while in_flight:
                rows = in_flight.popleft().result()
                following = next(waiting, None)
                if following is not None:
                    in_flight.append(pool.submit(_index_batch, following))
                yield rows

    def store(self, rows: list[IndexedRow]) -> None:
        """Write one batch of parsed files (inside a write transaction)."""
        cache, db = self.cache, self.cache.db
        text_size = cache.meta_int("text_size")
        dead = cache.meta_int("dead_bytes")
        with open(cache.text_path, "r+b") as handle:
            handle.truncate(text_size)  # drop anything a killed writer left past the end
            handle.seek(text_size)
            read = region_reader(handle)  # pread: the appending position stays
            for row in rows:
                key = path_key(row.rel)
                dead += self._drop_article(key, read)
                problems = problem_list(row.problems)
                size = -1 if row.rel in self.racy else row.size
                told = int(problems is None)
                if not told and row.rel in self.recheck:
                    told = self._still_told(key, row.mtime_ns, problems)
                db.execute(
                    "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        key,
                        size,
                        row.mtime_ns,
                        row.status,
                        problems,
                        told,
                        file_crc(key, size, row.mtime_ns, row.status, problems),
                    ),
                )
                article = row.article
                if article is None:
                    continue
                published = published_text(article)
                # In SUMMARY_FIELDS order: what a listing reads back, checked by its crc.
                listed = (
                    article.id,
                    path_key(article.path),
                    article.title,
                    article.url,
                    article.outlet,
                    article.author,
                    published,
                    article.published_source.value,
                    article.archived_at.isoformat() if article.archived_at else None,
                    article.char_count,
                    article.size_bytes,
                    article.script,
                    json.dumps(article.tags, ensure_ascii=False),
                    article.encoding,
                )
                data = path_key(json.dumps(article.to_dict(), ensure_ascii=False))
                crc = text_crc(row.normalized)
                db.execute(
                    "INSERT INTO articles (rel, text_offset, text_length, data, crc, data_crc,"
                    f" text_crc, {', '.join(SUMMARY_FIELDS)}) VALUES"
                    f" ({', '.join('?' * (7 + len(SUMMARY_FIELDS)))})",
                    (
                        key,
                        text_size,
                        len(row.normalized),
                        data,
                        summary_crc(listed),
                        zlib.crc32(data),
                        crc,
                        *listed,
                    ),
                )
                if self.track_added:
                    self.added.append(
                        article.id, text_size, len(row.normalized), published, row.rel, crc
                    )
                text_size += append_text(handle, row.normalized, article.text, listed)
            handle.flush()
        cache.set_meta("text_size", text_size)
        cache.set_meta("dead_bytes", dead)

    def _still_told(self, key: bytes, mtime_ns: int, problems: bytes | None) -> int:
        """A file parsed again only because it was racy: its problems, if the same as
        before, are not news again."""
        old = self.cache.db.execute(
            "SELECT mtime_ns, problems, told FROM files WHERE rel = ?", (key,)
        ).fetchone()
        return int(old is not None and old[0] == mtime_ns and old[1] == problems and old[2])

    def _maybe_compact(self) -> None:
        size = self.cache.meta_int("text_size")
        dead = self.cache.meta_int("dead_bytes")
        if size and dead / size >= COMPACT_WHEN_DEAD:
            self.cache.write(self._compact)
            if not self.cache.db.in_transaction:
                self.cache.remove_old_texts()  # only now: the new generation is committed

    def _compact(self) -> None:
        cache, db = self.cache, self.cache.db
        self.compacted = True
        rows = db.execute(
            "SELECT id, text_offset, text_length FROM articles ORDER BY text_offset"
        ).fetchall()
        generation = cache.meta_int("generation") + 1
        new_path = cache.folder / f"text-{generation}.bin"
        starts = compact(cache.text_path, new_path, ((start, length) for _, start, length in rows))
        for (article_id, _, _), start in zip(rows, starts, strict=True):
            db.execute("UPDATE articles SET text_offset = ? WHERE id = ?", (start, article_id))
        size = new_path.stat().st_size  # each region's trailer included
        cache.start_generation(generation, size)
