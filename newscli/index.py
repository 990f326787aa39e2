"""A persistent, self-refreshing cache of parsed and normalized articles, one per corpus:
what commands read from it.

Where it lives and how it is stored: newscli.cache; how it is kept fresh: newscli.refresh;
the normalized text that searches scan: newscli.textstore.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
import zlib
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import Any, BinaryIO, Concatenate, NamedTuple, ParamSpec, TypeVar

from newscli.article import NEWEST_FIRST_SQL, Article, DateSource, Problem, Summary, newest_first
from newscli.cache import (
    SUMMARY_FIELDS,
    Cache,
    IndexDamaged,
    IndexUnavailable,
    check_file_row,
    index_dir_for,
    is_damage,
    path_key,
    path_of,
    summary_crc,
)
from newscli.corpus import Corpus, SourceFile
from newscli.load import LoadResult
from newscli.postings import Postings, Unusable, query_keys
from newscli.postings import open_current as open_postings
from newscli.refresh import Progress, RefreshStats, WriteFailed, refresh
from newscli.textstore import (
    ChunkCounter,
    Entries,
    StoredTexts,
    count_hits,
    count_hits_at,
    region_reader,
    stored_texts,
)

# newest_matches counts the newest NEWEST_WINDOW candidates first, then batches four times
# larger each, up to LARGEST_WINDOW (each batch read region by region).
NEWEST_WINDOW = 256
LARGEST_WINDOW = 16384
# iter_articles reads bodies in batches from FIRST_BATCH on, four times more each time up to
# LARGEST_BATCH: the first article shows at once, a long read is still cheap per article.
FIRST_BATCH = 8
LARGEST_BATCH = 256
SCAN_ABOVE = 0.5  # a posting list naming more than this share of the articles: scan
# newest_texts reads candidates in batches growing from the first to the largest.
TEXT_BATCH = 64
LARGEST_TEXT_BATCH = 1024
MAX_NEWS = 50  # new problems told one line each; beyond, the summary line counts them

_SUMMARY_FIELDS = [*SUMMARY_FIELDS, "crc"]  # the listed columns, then their checksum
_SUMMARY_COLUMNS = ", ".join(_SUMMARY_FIELDS)
_P = ParamSpec("_P")
_T = TypeVar("_T")


def _recovering(
    method: Callable[Concatenate[Index, _P], _T],
) -> Callable[Concatenate[Index, _P], _T]:
    """A read of the index that meets damage (SQLite's, a checksum, a snapshot, a row that
    does not decode) rebuilds the index and reads again: the answer is always the files'."""

    def read(index: Index, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return method(index, *args, **kwargs)
        except Exception as error:
            if not is_damage(error) or index.corpus is None:
                raise
            index.recover(error)
            return method(index, *args, **kwargs)

    read.__doc__ = method.__doc__
    read.__name__ = method.__name__
    return read


_Item = TypeVar("_Item")


def _in_parts(items: list[_Item]) -> Iterator[tuple[list[_Item], str]]:
    """`items` in parts of 500 (under SQLite's limit of bound parameters), each with the
    "?,?,…" of its `IN (…)`."""
    for start in range(0, len(items), 500):
        part = items[start : start + 500]
        yield part, ",".join("?" * len(part))


@dataclass(frozen=True)
class FileFacts:
    """What check needs to know of one article."""

    path: str
    url: str
    encoding: str
    published_source: str
    chars: int

    @classmethod
    def of(cls, article: Article) -> FileFacts:
        return cls(
            article.path,
            article.url,
            article.encoding,
            article.published_source.value,
            article.char_count,
        )


@dataclass(frozen=True)
class ProblemNews:
    """What a command says about problem files: a problem is news once (when the index first
    sees its file, or sees it changed); after that only the count."""

    new: list[Problem]  # to tell one line each
    total: int  # files (and folders) with problems in the whole corpus
    # What telling `new` settles: (rel, size, mtime_ns) of files, (path, reason) of the walk.
    files: tuple[tuple[bytes, int, int], ...] = ()
    walk: tuple[tuple[bytes, str], ...] = ()

    @classmethod
    def unremembered(cls, problems: Iterable[Problem]) -> ProblemNews:
        """Without an index nothing is remembered: no news, just the count."""
        return cls([], len({problem.path for problem in problems}))

    @property
    def summary(self) -> str | None:
        """The one line for what is not told one by one now."""
        if self.total <= len(self.new):
            return None
        files = "1 file has" if self.total == 1 else f"{self.total} files have"
        return f"{files} problems; newscli check lists them"


class _Untold(NamedTuple):
    problem: Problem
    file: tuple[bytes, int, int] | None = None  # (rel, size, mtime_ns) of a file's row
    walk: tuple[bytes, str] | None = None  # (path, reason) of a folder-walk problem


def _tell(message: str) -> None:
    print(f"newscli: warning: {message}", file=sys.stderr)


class Index:
    def __init__(
        self, root: Path, folder: Path | None = None, tell: Callable[[str], None] = _tell
    ) -> None:
        self.root = root
        self.cache = Cache(folder or index_dir_for(root))
        self.corpus: Corpus | None = None  # what refresh last read: a rebuild reads it again
        self.tell = tell  # damage met after the command's warnings were shown
        self.recovered = False

    @property
    def folder(self) -> Path:
        return self.cache.folder

    @property
    def db_path(self) -> Path:
        return self.cache.db_path

    @property
    def warnings(self) -> list[str]:
        return self.cache.warnings

    @property
    def db(self) -> sqlite3.Connection:
        return self.cache.db

    def refresh(
        self, corpus: Corpus, progress: Progress | None = None, workers: int | None = None
    ) -> RefreshStats:
        self.corpus = corpus
        return refresh(self.cache, corpus, progress, workers)

    def recover(self, error: BaseException) -> None:
        """The index was found damaged: say so once, throw it away, build it again."""
        assert self.corpus is not None
        if self.recovered:  # again right after a rebuild: not damage, so not hidden
            raise error
        self.recovered = True
        self.tell(f"the index was damaged ({_reason(error)}); rebuilt")
        refresh(self.cache, self.corpus, wipe_first=True)

    def rebuild(self) -> None:
        """Forget everything: the next refresh parses every file again."""
        self.cache.forget_version()

    def close(self) -> None:
        self.cache.close()

    def stored_results(self, corpus: Corpus, rels: list[str]) -> dict[str, LoadResult]:
        """What the index holds for these files, as load() gives it (rel → LoadResult): for a
        command that goes on without the index after the refresh that wrote them failed. Any
        damage, and that part is left out (the command parses those files itself)."""
        return self.stored_loads([corpus.source(rel) for rel in rels], same_signature=False)

    def stored_loads(
        self, sources: list[SourceFile], same_signature: bool = True
    ) -> dict[str, LoadResult]:
        """What the index holds for these files, as load() gives it (rel → LoadResult), read
        in one query per 500 files. With `same_signature`, a file whose row no longer has the
        source's (size, mtime_ns) (refreshed since by another process) is left out, as is
        every file on any damage: the caller parses what is left out."""
        found: dict[str, LoadResult] = {}
        by_rel = {source.rel: source for source in sources}
        rels = list(by_rel)
        try:
            for part, marks in _in_parts([path_key(rel) for rel in rels]):
                for row in self.db.execute(
                    "SELECT f.rel, f.size, f.mtime_ns, f.status, f.problems, f.crc, a.id, a.data,"
                    " a.data_crc FROM files f LEFT JOIN articles a ON a.rel = f.rel"
                    f" WHERE f.rel IN ({marks})",
                    part,
                ):
                    rel, size, mtime_ns, status, problems, crc, article_id, data, data_crc = row
                    check_file_row(rel, size, mtime_ns, status, problems, crc)
                    source = by_rel[path_of(rel)]
                    if same_signature and (size, mtime_ns) != (source.size, source.mtime_ns):
                        continue
                    article = None
                    if data is not None:
                        if zlib.crc32(data) != data_crc:
                            raise IndexDamaged("a stored article fails its checksum")
                        article = Article.from_dict(json.loads(path_of(data)))
                        article.id = article_id
                    found[source.rel] = LoadResult(
                        source,
                        article,
                        _problems(problems) if problems else [],
                        status == "ignored",
                    )
        except Exception as error:
            if not is_damage(error):
                raise
            return {}
        return found

    # --- problems ------------------------------------------------------------------------

    @_recovering
    def problems(self) -> list[Problem]:
        """Every problem of every file (not those of the folder walk: the corpus has them)."""
        found: list[Problem] = []
        for rel, size, mtime_ns, status, encoded, crc in self.db.execute(
            "SELECT rel, size, mtime_ns, status, problems, crc FROM files"
            " WHERE problems IS NOT NULL"
        ):
            check_file_row(rel, size, mtime_ns, status, encoded, crc)
            found.extend(_problems(encoded))
        return found

    @_recovering
    def problem_news(self, keep: Callable[[Summary], bool] | None = None) -> ProblemNews:
        """The problems not told yet, of the files a command looks at: with `keep` (its
        filters), only articles it keeps (a file that is no article cannot be filtered: it
        waits for a command without filters)."""
        db = self.db
        total = db.execute("SELECT count(*) FROM files WHERE problems IS NOT NULL").fetchone()[0]
        total += db.execute("SELECT count(*) FROM scan_problems").fetchone()[0]
        untold: list[_Untold] = []
        if keep is None:
            for path, reason, kind in db.execute(
                "SELECT path, reason, kind FROM scan_problems WHERE told = 0"
            ):
                untold.append(_Untold(Problem(path_of(path), reason, kind), walk=(path, reason)))
        columns = ", ".join(f"a.{name}" for name in _SUMMARY_FIELDS)
        for row in db.execute(
            f"SELECT f.rel, f.size, f.mtime_ns, f.problems, f.status, f.crc, {columns}"
            " FROM files f LEFT JOIN articles a ON a.rel = f.rel"
            " WHERE f.problems IS NOT NULL AND f.told = 0"
        ):
            rel, size, mtime_ns, encoded, status, crc = row[:6]
            check_file_row(rel, size, mtime_ns, status, encoded, crc)
            is_article = row[6] is not None
            if keep is not None and not (is_article and keep(_summary(row[6:]))):
                continue
            for problem in _problems(encoded):
                untold.append(_Untold(problem, file=(rel, size, mtime_ns)))
        untold.sort(key=lambda item: item.problem.path)
        return ProblemNews(
            [item.problem for item in untold[:MAX_NEWS]],
            total,
            tuple(item.file for item in untold if item.file is not None),
            tuple(item.walk for item in untold if item.walk is not None),
        )

    def mark_told(self, news: ProblemNews) -> None:
        """The user has been told `news`: from now on they are only counted. A file changed
        since (another process refreshed it) stays news."""

        def mark() -> None:
            self.db.executemany(
                "UPDATE files SET told = 1 WHERE rel = ? AND size = ? AND mtime_ns = ?",
                news.files,
            )
            self.db.executemany(
                "UPDATE scan_problems SET told = 1 WHERE path = ? AND reason = ?", news.walk
            )

        if news.files or news.walk:
            self.cache.transaction(mark)

    def mark_all_told(self) -> None:
        """`check` has listed every problem."""

        def mark() -> None:
            self.db.execute("UPDATE files SET told = 1 WHERE problems IS NOT NULL AND told = 0")
            self.db.execute("UPDATE scan_problems SET told = 1 WHERE told = 0")

        self.cache.transaction(mark)

    # --- files and articles --------------------------------------------------------------

    @_recovering
    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM articles").fetchone()[0])

    @_recovering
    def known_files(self) -> list[SourceFile]:
        """The files as of the last refresh (no scan): for finding ARTICLE quickly."""
        root = str(self.root)
        found = [
            SourceFile(os.path.join(root, rel), rel, size, mtime)
            for rel, (size, mtime) in self.cache.files().items()
        ]
        self._repair_snapshots()
        return found

    @_recovering
    def ids_beginning(self, prefix: str) -> list[tuple[str, SourceFile]]:
        """(id, file) of the articles whose id begins with `prefix`, by the id's own index:
        finding ARTICLE by id costs one look-up, not a hash of every path."""
        if not prefix or prefix.strip("0123456789abcdef"):
            return []  # ids are lowercase hex: nothing else begins one
        root = str(self.root)
        rows = self.db.execute(
            "SELECT articles.id, articles.rel, files.size, files.mtime_ns FROM articles"
            " JOIN files ON files.rel = articles.rel WHERE articles.id >= ? AND articles.id < ?",
            (prefix, prefix + "g"),
        )
        found: list[tuple[str, SourceFile]] = []
        for article_id, key, size, mtime_ns in rows:
            rel = path_of(key)
            found.append((article_id, SourceFile(os.path.join(root, rel), rel, size, mtime_ns)))
        return found

    def iter_file_keys(self) -> Iterator[tuple[bytes, bool]]:
        """(path as stored, whether it is an article) of every file the index knows, one row
        at a time (memory stays flat). Not checked: a caller checks what it uses (files_at)."""
        for key, status in self.db.execute("SELECT rel, status FROM files"):
            yield key, status == "article"

    @_recovering
    def files_at(self, rels: Iterable[str]) -> list[tuple[SourceFile, bool]]:
        """(file, whether it is an article) of these paths the index knows, each row checked."""
        root = str(self.root)
        wanted = [path_key(rel) for rel in rels]
        found: list[tuple[SourceFile, bool]] = []
        for part, marks in _in_parts(wanted):
            for key, size, mtime_ns, status, problems, crc in self.db.execute(
                "SELECT rel, size, mtime_ns, status, problems, crc FROM files"
                f" WHERE rel IN ({marks})",
                part,
            ):
                check_file_row(key, size, mtime_ns, status, problems, crc)
                rel = path_of(key)
                source = SourceFile(os.path.join(root, rel), rel, size, mtime_ns)
                found.append((source, status == "article"))
        return found

    @_recovering
    def files_named_like(self, text: str) -> list[tuple[SourceFile, bool]]:
        """(file, whether it is an article) of the files whose path holds `text`, and of every
        file that is not an article: all that a name which is not an article's id can mean.
        One scan of the table in SQLite, no path hashed."""
        root = str(self.root)
        rows = self.db.execute(
            "SELECT rel, size, mtime_ns, status FROM files"
            " WHERE status != 'article' OR instr(rel, ?) > 0",
            (path_key(text),),
        )
        found: list[tuple[SourceFile, bool]] = []
        for key, size, mtime_ns, status in rows:
            rel = path_of(key)
            source = SourceFile(os.path.join(root, rel), rel, size, mtime_ns)
            found.append((source, status == "article"))
        return found

    @_recovering
    def facts(self) -> list[FileFacts]:
        return [
            FileFacts(path_of(path), url, encoding, source, chars)
            for path, url, encoding, source, chars in self.db.execute(
                "SELECT path, url, encoding, published_source, chars FROM articles"
            )
        ]

    @_recovering
    def ignored(self) -> list[str]:
        root = str(self.root)
        found = []
        for rel, size, mtime_ns, status, problems, crc in self.db.execute(
            "SELECT rel, size, mtime_ns, status, problems, crc FROM files WHERE status = 'ignored'"
        ):
            check_file_row(rel, size, mtime_ns, status, problems, crc)
            found.append(os.path.join(root, path_of(rel)))
        return found

    def iter_summaries(self, limit: int | None = None) -> Iterator[Summary]:
        """Articles without their bodies, newest first, one at a time as SQLite reads them
        (one statement: one consistent state of the index), so memory stays flat and the
        first comes at once. Each row is checked before it is given; damage met part-way
        rebuilds the index, as every read does, and the rows go on from where they were."""
        given = 0
        try:
            for summary in self._summary_rows(limit):
                yield summary
                given += 1
        except Exception as error:
            if not is_damage(error) or self.corpus is None:
                raise
            self.recover(error)
            yield from islice(self._summary_rows(limit), given, None)

    def iter_articles(self, keep: Callable[[Summary], bool] | None = None) -> Iterator[Article]:
        """Every article (those `keep` keeps), with its body, newest first, one at a time: the
        summaries are read by one statement as they are needed and the bodies in growing
        batches, so the first article comes at once and memory stays flat (what `convert
        --all` streams).

        Damage met part-way rebuilds the index, as every read does, and the read starts
        again from the top, passing over the articles already given without reading them.
        Those must be the same ones in the same order (a digest of their ids says so), or
        IndexChanged is raised: a rebuild that read changed files cannot go on without
        giving an article twice or missing one."""
        given = 0  # ids handed on, in order (with those found gone), and their digest
        digest = hashlib.blake2b(digest_size=16)
        try:
            for batch in self._article_batches(keep):
                yield from batch.articles
                given += len(batch.ids)
                digest.update("\n".join(batch.ids).encode() + b"\n")
        except Exception as error:
            if not is_damage(error) or self.corpus is None:
                raise
            self.recover(error)
            batches = self._article_batches(keep, skip=given)
            passed = next(batches)  # the ids passed over: no article read
            if len(passed.ids) != given or _digest(passed.ids) != digest.digest():
                raise IndexChanged(
                    "the index was rebuilt during the read and its articles are no longer "
                    "the ones already given; run the command again"
                ) from None
            for batch in batches:
                yield from batch.articles

    def _article_batches(
        self, keep: Callable[[Summary], bool] | None, skip: int | None = None
    ) -> Iterator[_ArticleBatch]:
        """The kept summaries' articles in batches of growing size; with `skip`, first one
        batch of the first `skip` ids alone, without their articles."""
        kept = (item.id for item in self._summary_rows(None) if keep is None or keep(item))
        if skip is not None:
            yield _ArticleBatch(list(islice(kept, skip)), [])
        for ids in growing_batches(kept, FIRST_BATCH, LARGEST_BATCH):
            found = self._articles(ids)
            yield _ArticleBatch(ids, [found[i] for i in ids if i in found])

    def _summary_rows(self, limit: int | None) -> Iterator[Summary]:
        limit_sql = f" LIMIT {int(limit)}" if limit is not None else ""
        query = f"SELECT {_SUMMARY_COLUMNS} FROM articles ORDER BY {NEWEST_FIRST_SQL}{limit_sql}"
        for row in self.db.execute(query):
            yield _summary(row)

    @_recovering
    def _all_summaries(self, limit: int | None) -> list[Summary]:
        return list(self._summary_rows(limit))

    @_recovering
    def summaries(self, limit: int | None = None, ids: list[str] | None = None) -> list[Summary]:
        """Articles without their bodies (for list, stats, -l, -c), newest first: all of
        them, the first `limit`, or those of `ids`."""
        if ids is None:
            return self._all_summaries(limit)
        found: list[Summary] = []
        for part, marks in _in_parts(ids):
            found.extend(
                _summary(row)
                for row in self.db.execute(
                    f"SELECT {_SUMMARY_COLUMNS} FROM articles WHERE id IN ({marks})", part
                )
            )
        self._none_hidden(ids, {item.id for item in found})
        return newest_first(found)

    @_recovering
    def articles(self, ids: Iterable[str]) -> dict[str, Article]:
        """These articles with their bodies, by id (those found: an id deleted since by
        another process's refresh is left out)."""
        return self._articles(ids)

    def _articles(self, ids: Iterable[str]) -> dict[str, Article]:
        found: dict[str, Article] = {}
        wanted = list(ids)
        for part, marks in _in_parts(wanted):
            for article_id, data, crc in self.db.execute(
                f"SELECT id, data, data_crc FROM articles WHERE id IN ({marks})", part
            ):
                if zlib.crc32(data) != crc:
                    raise IndexDamaged(f"the stored article {article_id} fails its checksum")
                article = Article.from_dict(json.loads(path_of(data)))
                article.id = article_id
                found[article_id] = article
        self._none_hidden(wanted, found)
        return found

    def _none_hidden(self, wanted: Iterable[str], found: Container[str]) -> None:
        """Ids asked for and not found are gone (deleted by another process's refresh since
        they were read) or hidden: a damaged page of SQLite's index on articles(id) returns
        fewer rows without any error. A scan of the table itself (NOT INDEXED) tells which;
        a hidden article is damage (rebuild, answer again), never an article left out."""
        missing = [article_id for article_id in wanted if article_id not in found]
        for part, marks in _in_parts(missing):
            hidden = self.db.execute(
                f"SELECT id FROM articles NOT INDEXED WHERE id IN ({marks}) LIMIT 1", part
            ).fetchone()
            if hidden is not None:
                raise IndexDamaged(f"the index of article ids hides {hidden[0]!r}")

    @_recovering
    def newest_first(self, ids: Iterable[str]) -> list[str]:
        """These ids in list's order (newest first), from the entries: no row is read."""
        wanted = set(ids)
        entries, handle, _ = self.entries()
        handle.close()
        found = [(at, 0) for at, article_id in enumerate(entries.ids) if article_id in wanted]
        return [entries.ids[at] for at, _ in _newest_first(entries, found)]

    @_recovering
    def texts(self, ids: Iterable[str]) -> dict[str, StoredText]:
        """What search prints of these articles: the summary, the text as written (title,
        blank line, body) and its normalized form, all read from the text file (each
        region's trailer), without reading the article's row beyond where its region is,
        or converting its text again. Every part is checked
        against its checksum; the text file is opened inside the read transaction (as in
        `entries`)."""
        wanted = list(ids)
        for _ in range(5):
            self.db.execute("BEGIN")
            try:
                try:
                    handle = open(self.cache.text_path, "rb")  # noqa: SIM115 (closed below)
                except FileNotFoundError:
                    continue
                with handle:
                    return self._texts(wanted, handle)
            finally:
                self.db.execute("COMMIT")
        raise IndexDamaged("the text file keeps disappearing")

    def _texts(self, wanted: list[str], handle: BinaryIO) -> dict[str, StoredText]:
        found: dict[str, StoredText] = {}
        read = region_reader(handle)
        size = self.cache.meta_int("text_size")
        for part, marks in _in_parts(wanted):
            rows = self.db.execute(
                f"SELECT id, text_offset, text_length, text_crc FROM articles WHERE id IN ({marks})",
                part,
            ).fetchall()
            rows.sort(key=itemgetter(1))  # by text_offset: the text file read front to back
            for article_id, *region in rows:
                found[article_id] = _stored(article_id, stored_texts(read, size, *region))
        self._none_hidden(wanted, found)
        return found

    # --- searching the text file ---------------------------------------------------------

    def entries(self) -> tuple[Entries, BinaryIO, int]:
        """Live articles by text offset, the text file (open), and its committed length, all
        of one committed state: the file is opened inside the read transaction, so a
        compaction or rebuild committed meanwhile (which unlinks it afterwards) cannot take
        it away; if one did between the read and the open, the state is read again."""
        entries, handle, size, _ = self._read_state(with_postings=False)
        return entries, handle, size

    def _read_state(self, with_postings: bool) -> tuple[Entries, BinaryIO, int, Postings | None]:
        """entries(), and the posting file of the same committed state (None: none usable)."""
        for _ in range(5):
            self.db.execute("BEGIN")
            try:
                entries = self.cache.entries()
                path, size = self.cache.text_path, self.cache.meta_int("text_size")
                try:
                    handle = open(path, "rb")  # noqa: SIM115 (the caller closes it)
                except FileNotFoundError:
                    continue
                postings = open_postings(self.cache) if with_postings else None
            finally:
                self.db.execute("COMMIT")
            self._repair_snapshots()
            return entries, handle, size, postings
        raise IndexDamaged("the text file keeps disappearing")

    def _repair_snapshots(self) -> None:
        """A damaged snapshot met by a read (which used the tables): make it again, say so."""
        told = self.cache.repair_snapshots()
        if told is not None:
            self.tell(told)

    @_recovering
    def count_matches(
        self, matcher: ChunkCounter, newest_first: bool = False
    ) -> list[tuple[str, int]]:
        """(id, hits) of every article whose normalized text matches, in text order (or in
        list's newest-first order, without reading any article row).

        A literal needle with a key (newscli.postings) reads only its candidates' regions;
        a regular expression, or a needle without any key, reads the whole text file. Both
        count with `matcher` alone, so the answers are the same."""
        keys = query_keys(matcher)
        entries, handle, size, postings = self._read_state(with_postings=keys is not None)
        with handle:
            try:
                found = _count(entries, handle, size, postings, keys, matcher)
            finally:
                if postings is not None:
                    postings.handle.close()
        if newest_first:
            found = _newest_first(entries, found)
        id_at = entries.id_at
        return [(id_at(index), hits) for index, hits in found]

    def newest_matches(
        self, matcher: ChunkCounter, window: int | None = None
    ) -> Iterator[tuple[str, int]]:
        """count_matches(matcher, newest_first=True), lazily, for a reader that prints as
        it goes or may stop early (search -l/-c, --max-results, a closed pipe): the newest
        `window` candidates are read first, region by region, then growing batches of the
        next ones, all of one committed state. A word found in most articles gives its
        first results without reading the whole text file, and a reader that wants every
        match pays about what count_matches does.

        Damage met on the way rebuilds the index, and the rest comes from the rebuilt one
        (without what was already given)."""
        return self.newest_matches_of_any((matcher,), window)

    def newest_matches_of_any(
        self, matchers: Sequence[ChunkCounter], window: int | None = None
    ) -> Iterator[tuple[str, int]]:
        """newest_matches of the articles where any of `matchers` matches, each with the sum
        of their hits (a caller that prints hits gives each needle once)."""
        given: set[str] = set()
        try:
            for article_id, hits in self._newest_matches(matchers, window or NEWEST_WINDOW):
                given.add(article_id)
                yield article_id, hits
        except Exception as error:
            if not is_damage(error) or self.corpus is None:
                raise
            self.recover(error)
            for article_id, hits in self._newest_matches(matchers, LARGEST_WINDOW):
                if article_id not in given:
                    yield article_id, hits

    def _newest_matches(
        self, matchers: Sequence[ChunkCounter], window: int
    ) -> Iterator[tuple[str, int]]:
        """The candidates (the posting lists', or every article) in list's order, counted in
        batches of `window` articles, then four times more each time up to LARGEST_WINDOW:
        each batch reads only its articles' regions, so matches come as they are found,
        and the whole costs about one count of everything (at 200k: the same or less)."""
        keys = [query_keys(matcher) for matcher in matchers]
        with_postings = any(key is not None for key in keys)
        entries, handle, size, postings = self._read_state(with_postings=with_postings)
        try:
            with handle:
                candidates: list[set[int] | None] = []
                for key in keys:
                    picked = _picked(entries, postings, key)
                    candidates.append(None if picked is None else set(picked))
                order: Sequence[int]
                if any(chosen is None for chosen in candidates):
                    order = entries.newest_order()
                else:
                    union: set[int] = set().union(*filter(None, candidates))
                    order = _newest_order(entries, sorted(union))
                id_at = entries.id_at
                start, batch_size = 0, window
                while start < len(order):
                    batch = order[start : start + batch_size]
                    start += len(batch)
                    batch_size = min(batch_size * 4, LARGEST_WINDOW)
                    in_text_order = sorted(batch)
                    found: dict[int, int] = {}
                    for matcher, chosen in zip(matchers, candidates, strict=True):
                        positions = (
                            in_text_order
                            if chosen is None
                            else [at for at in in_text_order if at in chosen]
                        )
                        for position, hits in count_hits_at(
                            handle, size, entries, positions, matcher
                        ):
                            found[position] = found.get(position, 0) + hits
                    for position in batch:
                        if position in found:
                            yield id_at(position), found[position]
        finally:
            if postings is not None:
                postings.handle.close()

    def newest_texts(self, matcher: ChunkCounter) -> Iterator[StoredText]:
        """What search prints (as `texts`) of every article `matcher` matches (and of a few
        the posting list could not rule out: the caller finds the hits), newest first, one
        batch of candidates at a time: the first are given after reading a few of the
        newest, and nothing is counted before (a reader that stops early, or prints as it
        goes, never pays for the whole count). Each article's text and its text as written
        come from the text file (no stored row decoded), its summary from its row.

        Damage met on the way rebuilds the index, and the rest comes from the rebuilt one
        (without what was already given)."""
        given: set[str] = set()
        try:
            for stored in self._newest_texts(matcher):
                given.add(stored.summary.id)
                yield stored
        except Exception as error:
            if not is_damage(error) or self.corpus is None:
                raise
            self.recover(error)
            for stored in self._newest_texts(matcher):
                if stored.summary.id not in given:
                    yield stored

    def _newest_texts(self, matcher: ChunkCounter) -> Iterator[StoredText]:
        keys = query_keys(matcher)
        entries, handle, size, postings = self._read_state(with_postings=keys is not None)
        try:
            with handle:
                picked = _picked(entries, postings, keys)
                if picked is None:
                    order: Iterable[int] = entries.newest_order()
                else:
                    order = sorted(picked, key=entries.newest_rank().__getitem__)
                read = region_reader(handle)
                offsets, lengths, crcs = entries.offsets, entries.lengths, entries.crcs
                for batch in growing_batches(order, TEXT_BATCH, LARGEST_TEXT_BATCH):
                    if picked is None:
                        # Which match: the batch's regions read front to back, counted in
                        # bytes (in a scan, most need not be decoded or summarized).
                        hits = dict(count_hits_at(handle, size, entries, sorted(batch), matcher))
                        matched = [position for position in batch if position in hits]
                    else:
                        matched = batch  # the posting list's candidates: nearly all match
                    for position in matched:
                        yield _stored(
                            entries.id_at(position),
                            stored_texts(
                                read, size, offsets[position], lengths[position], crcs[position]
                            ),
                        )
        finally:
            if postings is not None:
                postings.handle.close()


def _stored(article_id: str, stored: StoredTexts) -> StoredText:
    """What search prints of an article, from its region of the text file."""
    listed = stored.listed
    if len(listed) != len(SUMMARY_FIELDS) or listed[0] != article_id:
        raise IndexDamaged(f"the text file's summary of {article_id!r} is not its own")
    return StoredText(_listed_summary(listed), stored.text, stored.normalized)


def growing_batches(items: Iterable[_T], first: int, largest: int) -> Iterator[list[_T]]:
    """`items` in batches of `first`, then four times more each, up to `largest`: the first
    results come at once, later ones in reads and queries of many; no more is taken from
    `items` than a batch needs."""
    remaining = iter(items)
    size = first
    while batch := list(islice(remaining, size)):
        yield batch
        size = min(size * 4, largest)


def _picked(entries: Entries, postings: Postings | None, keys: set[int] | None) -> list[int] | None:
    """The posting list's candidates (positions in text order) when it has them and they
    are not most articles; None: every article is one."""
    if postings is None or keys is None or not len(entries):
        return None
    try:
        picked = postings.candidates(keys, entries)
    except Unusable:
        return None  # a damaged posting file: every article is read
    return picked if len(picked) <= len(entries) * SCAN_ABOVE else None


def _count(
    entries: Entries,
    handle: BinaryIO,
    size: int,
    postings: Postings | None,
    keys: set[int] | None,
    matcher: ChunkCounter,
) -> list[tuple[int, int]]:
    """(entry position, hits) of every match, in text order: on the posting list's
    candidates when it has them and they are not most articles, else by a scan."""
    if not len(entries):
        return []
    # Candidates in most articles (None): one sequential scan reads about as much.
    picked = _picked(entries, postings, keys)
    if picked is not None:
        return count_hits_at(handle, size, entries, picked, matcher)
    return count_hits(handle, size, entries, matcher)


class IndexChanged(Exception):
    """A streamed read cannot go on: the index rebuilt part-way no longer gives the same
    articles first (the files changed meanwhile)."""


class _ArticleBatch(NamedTuple):
    ids: list[str]  # in list's order
    articles: list[Article]  # theirs, in the same order (an id gone since: none)


def _digest(ids: list[str]) -> bytes:
    """What iter_articles's running digest is after `ids` (one update per batch there:
    the same bytes)."""
    joined = ("\n".join(ids) + "\n").encode() if ids else b""
    return hashlib.blake2b(joined, digest_size=16).digest()


class StoredText(NamedTuple):
    """An article as search prints it (Index.texts)."""

    summary: Summary
    text: str  # as written: title, blank line, body
    normalized: str  # normalize(text), as the text file holds it


def _newest_order(entries: Entries, positions: Iterable[int]) -> list[int]:
    """Entry positions in list's order (Entries.newest_order: kept in the snapshot). When
    it is not known yet, a few positions are sorted on their own items (a loaded snapshot
    of the format before keeps no order)."""
    chosen = positions if isinstance(positions, (list, range)) else list(positions)
    if len(chosen) == len(entries) and isinstance(chosen, range):
        return entries.newest_order().tolist()
    if entries.ordered or len(chosen) * 4 >= len(entries):
        return sorted(chosen, key=entries.newest_rank().__getitem__)
    published_of, rel_of = entries.published_at, entries.rel_at
    dated: list[tuple[str, int]] = []
    undated: list[int] = []
    for position in chosen:
        moment = published_of(position)
        if moment:
            dated.append((moment, position))
        else:
            undated.append(position)
    dated.sort(key=lambda pair: rel_of(pair[1]))
    dated.sort(key=lambda pair: pair[0], reverse=True)  # ties: by path
    undated.sort(key=rel_of)
    return [position for _, position in dated] + undated


def _newest_first(entries: Entries, found: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """`found` (position, hits) in list's order."""
    hits = dict(found)
    return [(position, hits[position]) for position in _newest_order(entries, hits)]


def _problems(encoded: bytes) -> list[Problem]:
    return [Problem(*item) for item in json.loads(path_of(encoded))]


def _reason(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:200]


# DateSource by value without the Enum call (a dict is ~10x cheaper per summary read).
_DATE_SOURCES = {source.value: source for source in DateSource}


def _summary(row: tuple[Any, ...]) -> Summary:
    if summary_crc(tuple(row[:14])) != row[14]:
        raise IndexDamaged(f"the stored summary of {row[0]!r} fails its checksum")
    return _listed_summary(row)


@lru_cache(maxsize=1024)
def _tags(listed: str) -> tuple[str, ...]:
    """A row's tags (a JSON list): decoded once per distinct list (an archive has a few
    dozen; json.loads per row cost about as much as the rest of the summary)."""
    return () if listed == "[]" else tuple(json.loads(listed))


def _listed_summary(row: tuple[Any, ...]) -> Summary:
    """The Summary of a row's SUMMARY_FIELDS values (checked by the caller)."""
    (article_id, path, title, url, outlet, author, published, source, archived, chars) = row[:10]
    size, script, tags, encoding = row[10:14]
    return Summary(
        id=article_id,
        path=path_of(path),
        title=title,
        url=url,
        outlet=outlet,
        author=author,
        published_at=datetime.fromisoformat(published) if published else None,
        published_source=_DATE_SOURCES.get(source) or DateSource(source),
        archived_at=datetime.fromisoformat(archived) if archived else None,
        tags=_tags(tags),
        encoding=encoding,
        size_bytes=size,
        script=script,
        char_count=chars,
    )


@dataclass
class IndexOutcome:
    index: Index | None
    stats: RefreshStats | None = None
    warnings: list[str] = field(default_factory=list)
    # Without the index after a write failed: the files its refresh parsed (rel → result),
    # for the command to use instead of parsing them again.
    parsed: dict[str, LoadResult] = field(default_factory=dict)


def open_index(corpus: Corpus, progress: Progress | None = None) -> IndexOutcome:
    """Open and refresh the corpus's index, or say (once) why the command runs without it."""
    try:
        index = Index(corpus.root)
    except IndexUnavailable as error:
        return IndexOutcome(None, warnings=[f"{error}; working without the index"])
    try:
        try:
            stats = index.refresh(corpus, progress)
        except Exception as error:
            if not is_damage(error):
                raise
            # Said with the command's other warnings, before any result.
            index.warnings.append(f"the index was damaged ({_reason(error)}); rebuilt")
            index.recovered = True
            stats = refresh(index.cache, corpus, progress, wipe_first=True)
    except WriteFailed as failure:
        parsed = {**index.stored_results(corpus, failure.committed), **failure.parsed}
        index.close()
        return IndexOutcome(
            None,
            warnings=[f"cannot update the index: {failure.error}; working without it"],
            parsed=parsed,
        )
    except (OSError, sqlite3.Error, IndexDamaged) as error:
        index.close()
        return IndexOutcome(
            None, warnings=[f"cannot update the index: {error}; working without it"]
        )
    repaired = index.cache.repair_snapshots()  # one the refresh met (and read around)
    if repaired is not None:
        index.warnings.append(repaired)
    return IndexOutcome(index, stats, index.warnings)


__all__ = [
    "FileFacts",
    "Index",
    "IndexChanged",
    "IndexDamaged",
    "IndexOutcome",
    "IndexUnavailable",
    "ProblemNews",
    "Progress",
    "RefreshStats",
    "index_dir_for",
    "open_index",
]
