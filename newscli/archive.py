"""The front door of the library: one folder of articles, listed, searched, read and exported.

    from newscli import Archive, Filters, Query, Matcher

    with Archive("~/waimei") as archive:
        for summary in archive.list(Filters.parse(since="2020-08"), limit=20):
            print(summary.title)
        for found in archive.search(Query((Matcher("双边关系"),)), limit=3):
            print(found.article.title, len(found.hits))

Every command-line option is one argument here. Results come one at a time, newest first
unless asked otherwise, and stop as soon as `limit` is reached. The index (a cache of
parsed, normalized text) makes the answers fast; `use_index=False` reads every file and
gives the same answers.
"""

from __future__ import annotations

import builtins
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from itertools import islice
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, TextIO, TypeVar

from newscli.article import Article, Problem, Summary, newest_first, short_id
from newscli.filters import Filters
from newscli.search import ArticleHits, Matcher, Query, TextHits, article_hits, text_hits

# The CLI imports this module for its option types on every start; what only the work
# needs (the folder walk, loading, name look-up, the index) is imported when it is done.
if TYPE_CHECKING:
    from newscli.corpus import Corpus
    from newscli.index import Index, ProblemNews, StoredText
    from newscli.load import LoadResult
    from newscli.locate import Located
    from newscli.refresh import RefreshStats

__all__ = [
    "Archive",
    "ExportError",
    "ExportReport",
    "HitSort",
    "ListSort",
    "NotAnArticle",
]

NO_FILTERS = Filters()
_Item = TypeVar("_Item")
Progress = Callable[[int, int], None]


class ListSort(str, Enum):
    """Orders of `list`: dates newest first, sizes largest first, title and outlet A to Z."""

    PUBLISHED = "published"
    ARCHIVED = "archived"
    TITLE = "title"
    OUTLET = "outlet"
    SIZE = "size"


class HitSort(str, Enum):
    """Orders of `search`: newest first, or most hits first (ties newest first)."""

    PUBLISHED = "published"
    HITS = "hits"


class NotAnArticle(LookupError):
    """ARTICLE names a file that is not an article (empty, binary, no title and no body…)."""

    def __init__(self, path: str, problems: list[Problem]) -> None:
        reason = "; ".join(problem.reason for problem in problems) or "not an article"
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.problems = problems


class ExportError(ValueError):
    """The export cannot be done as asked (e.g. several articles into one .txt file)."""


@dataclass
class ExportReport:
    written: int = 0
    skipped: list[str] = field(default_factory=list)  # one line per file left alone, and why


def as_summary(item: Article | Summary) -> Summary:
    return item if isinstance(item, Summary) else Summary.of(item)


def ordered(items: Iterable[Summary], sort: ListSort, reverse: bool = False) -> list[Summary]:
    """Summaries in one of list's orders; ties by path; --reverse flips the whole order."""
    if sort is ListSort.PUBLISHED:
        result = newest_first(items)
    else:
        by_path = sorted(items, key=lambda item: item.path)
        if sort is ListSort.ARCHIVED:
            epoch = datetime.min.replace(tzinfo=timezone.utc)
            result = sorted(by_path, key=lambda item: item.archived_at or epoch, reverse=True)
        elif sort is ListSort.SIZE:
            result = sorted(by_path, key=lambda item: item.char_count, reverse=True)
        elif sort is ListSort.TITLE:
            result = sorted(by_path, key=lambda item: item.title)
        else:
            result = sorted(by_path, key=lambda item: item.outlet)
    return result[::-1] if reverse else result


def countable(query: Query) -> bool:
    """The index counts this query's hits without reading any article: one pattern, or any of
    several literals under one case rule. Their normalized needles, once the same ones are
    taken once, then never find the same span twice, so the sum of each one's hits is the
    query's (a hit found by two patterns counts once)."""
    if query.simple:
        return True
    patterns = query.patterns
    return (
        query.any_of
        and all(matcher.regex is None for matcher in patterns)
        and len({matcher.folds_case for matcher in patterns}) == 1
    )


class Archive:
    """A folder of articles (a single file works too). Opened lazily: the folder is scanned
    and the index refreshed on the first call that needs every article, never for `get`."""

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        *,
        use_index: bool = True,
        progress: Progress | None = None,
        freshness: str = "files",
    ) -> None:
        from newscli.corpus import resolve_root

        self.root: Path = resolve_root(root)  # CorpusError when it cannot be used
        self.use_index = use_index
        self.freshness = freshness  # how the index is found fresh: newscli.corpus.scan
        self.progress = progress
        self.problems: list[Problem] = []  # with files met so far
        self.warnings: list[str] = []  # with the index (the archive still works without it)
        self.refreshed: RefreshStats | None = None
        self._corpus: Corpus | None = None
        self._index: Index | None = None
        self._everything: list[Article] | None = None  # without the index: all, newest first
        self._parsed: dict[str, LoadResult] = {}  # parsed by a refresh that could not write

    # --- opening and closing ---------------------------------------------------------------

    def __enter__(self) -> Archive:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
            self._index = None

    def open(self, keep_scan: bool = False) -> Archive:
        """Scan the folder and bring the index up to date (done by the first call needing it).
        With the index, the scan is then forgotten (flat memory) unless `keep_scan`: for a
        caller that goes on with `corpus` (check lists every file)."""
        if self._corpus is not None:
            return self
        from newscli.corpus import load_corpus

        self._corpus = load_corpus(self.root, self.freshness)
        if self.use_index:
            from newscli.index import open_index

            outcome = open_index(self._corpus, self.progress)
            self._index = outcome.index
            self.refreshed = outcome.stats
            self.warnings.extend(outcome.warnings)
            self._parsed = outcome.parsed
            if self._index is not None:
                self.problems = list(self._corpus.scan_problems) + self._index.problems()
                if not keep_scan:
                    self._corpus.release()  # the index answers from here on
        return self

    def problem_news(self, filters: Filters | None = None) -> ProblemNews:
        """The problems that are news (a file first seen, or seen changed) among the files
        `filters` keep, and the count of the rest. Without the index nothing is remembered:
        every file is read now (so that problems come before results) and only counted."""
        from newscli.index import ProblemNews

        index = self.index
        if index is None:
            self._all_articles()
            return ProblemNews.unremembered(self.problems)
        keep = filters.matches if filters is not None and filters.active else None
        return index.problem_news(keep)

    def mark_told(self, news: ProblemNews) -> None:
        """`news` has been shown: from now on those problems are only counted."""
        import sqlite3

        if self._index is not None:
            # Not remembered when the cache is too busy: then they are told again next time.
            with suppress(sqlite3.Error):
                self._index.mark_told(news)

    @property
    def corpus(self) -> Corpus:
        self.open()
        assert self._corpus is not None
        return self._corpus

    @property
    def index(self) -> Index | None:
        """The refreshed index, or None without one (use_index=False, or it failed)."""
        self.open()
        return self._index

    def _all_articles(self) -> list[Article]:
        """Every article, newest first, read from the files (only without the index)."""
        if self._everything is None:
            from newscli.load import load_articles

            loaded = load_articles(self.corpus, self._parsed)
            self._parsed = {}
            self.problems = loaded.problems
            self._everything = newest_first(loaded.articles)
        return self._everything

    def _summaries(self, limit: int | None = None) -> Iterator[Summary]:
        """Every summary (the first `limit`), newest first, one at a time: read from the
        index as they are given, so a listing's memory stays flat."""
        index = self.index
        if index is None:
            return (Summary.of(article) for article in self._all_articles()[:limit])
        return index.iter_summaries(limit)

    def _summaries_of(self, ids: list[str]) -> list[Summary]:
        """Summaries of these ids, newest first (the index is in use)."""
        assert self._index is not None
        return [as_summary(item) for item in self._index.summaries(ids=ids)]

    # --- list ------------------------------------------------------------------------------

    def list(
        self,
        filters: Filters = NO_FILTERS,
        sort: ListSort = ListSort.PUBLISHED,
        reverse: bool = False,
        limit: int | None = None,
    ) -> Iterator[Summary]:
        """Articles without their bodies, newest first (or in `sort`'s order)."""
        sort = ListSort(sort)
        if sort is ListSort.PUBLISHED and not reverse:  # streamed: --limit ends the read
            if not filters.active:
                return self._summaries(limit)
            return islice(filters.select(self._summaries()), limit)
        return iter(ordered(filters.select(self._summaries()), sort, reverse)[:limit])

    def count(self, filters: Filters = NO_FILTERS) -> int:
        """How many articles the filters keep (what search looks through)."""
        index = self.index
        if index is not None and not filters.active:
            return index.count()
        return sum(1 for _ in filters.select(self._summaries()))

    # --- search ----------------------------------------------------------------------------

    def search(
        self,
        query: Query,
        filters: Filters = NO_FILTERS,
        sort: HitSort = HitSort.PUBLISHED,
        limit: int | None = None,
    ) -> Iterator[ArticleHits]:
        """Matching articles with their hits, one at a time. Newest first, the search stops
        as soon as `limit` articles are found. Most hits first has to count them all: the
        index counts a simple query without reading any article; otherwise every match is
        found first."""
        if HitSort(sort) is HitSort.PUBLISHED:
            return islice(self._search_newest(query, filters), limit)
        if self.index is not None and countable(query):
            counted = [(summary.id, hits) for summary, hits in self.search_counts(query, filters)]
            counted.sort(key=lambda pair: -pair[1])  # stable: ties stay newest first
            return self._with_hits(
                self._full([article_id for article_id, _ in counted[:limit]]), query
            )
        found = sorted(self._search_newest(query, filters), key=lambda r: -len(r.hits))
        return iter(found[:limit])

    def search_texts(
        self,
        query: Query,
        filters: Filters = NO_FILTERS,
        sort: HitSort = HitSort.PUBLISHED,
        limit: int | None = None,
    ) -> Iterator[TextHits]:
        """As `search`, each match as what printing needs: its summary, its text as written
        and its hits. On the index no article's blocks are decoded and no text is converted
        again (the index stores the normalized text): what search prints snippets from."""
        index = self.index
        if index is None:
            return (
                TextHits(Summary.of(found.article), found.article.text, found.hits)
                for found in self.search(query, filters, sort, limit)
            )
        if HitSort(sort) is HitSort.PUBLISHED:
            if len(query.patterns) == 1 and not filters.active:
                # Printed as found, newest first: nothing is counted before the first.
                stored = index.newest_texts(query.patterns[0])
                return islice(self._hits_in(stored, query), limit)
            return islice(self._texts_with_hits(self._candidates(query, filters), query), limit)
        if countable(query):
            counted = [(summary.id, hits) for summary, hits in self.search_counts(query, filters)]
            counted.sort(key=lambda pair: -pair[1])  # stable: ties stay newest first
            return self._texts_with_hits([article_id for article_id, _ in counted[:limit]], query)
        everything = self._texts_with_hits(self._candidates(query, filters), query)
        found = sorted(everything, key=lambda result: -len(result.hits))
        return iter(found[:limit])

    def _texts_with_hits(self, ids: Iterable[str], query: Query) -> Iterator[TextHits]:
        """These articles' hits, in this order (those without any left out), read from the
        index lazily in growing batches."""
        assert self._index is not None
        for batch in _batches(ids):
            stored = self._index.texts(batch)
            yield from self._hits_in(
                (stored[article_id] for article_id in batch if article_id in stored), query
            )

    @staticmethod
    def _hits_in(stored: Iterable[StoredText], query: Query) -> Iterator[TextHits]:
        """These stored articles' hits, in this order (those without any left out)."""
        for summary, text, normalized in stored:
            hits = text_hits(text, len(summary.title), query, normalized)
            if hits:
                yield TextHits(summary, text, hits)

    def search_counts(
        self,
        query: Query,
        filters: Filters = NO_FILTERS,
        sort: HitSort = HitSort.PUBLISHED,
        limit: int | None = None,
    ) -> Iterator[tuple[Summary, int]]:
        """(summary, hits) of matching articles (for -c): on the index, no article is read."""
        if self.index is None or not countable(query):
            # No blocks decoded, no text converted again: the hits of the stored text.
            return (
                (result.article, len(result.hits))
                for result in self.search_texts(query, filters, sort, limit)
            )
        if HitSort(sort) is HitSort.PUBLISHED:
            return islice(self._newest_counted(_needles(query), filters), limit)
        counts = self._counts(query)
        pairs = [
            (item, counts[item.id]) for item in filters.select(self._summaries_of(list(counts)))
        ]
        if HitSort(sort) is HitSort.HITS:
            pairs.sort(key=lambda pair: -pair[1])
        return iter(pairs[:limit])

    def _newest_counted(
        self, matchers: Sequence[Matcher], filters: Filters
    ) -> Iterator[tuple[Summary, int]]:
        """(summary, hits summed over `matchers`) of the articles the filters keep where any
        of them occurs, newest first, as the index finds them (their summaries read in
        growing batches): the first comes before the whole text file is read."""
        assert self._index is not None
        for batch in _batches(self._index.newest_matches_of_any(matchers)):
            hits = dict(batch)
            for summary in filters.select(self._summaries_of(builtins.list(hits))):
                yield summary, hits[summary.id]

    def _counts(self, query: Query) -> dict[str, int]:
        """Hits per matching article of a countable query, counted on the index's text file
        pattern by pattern, without reading any article."""
        assert self._index is not None
        counts: dict[str, int] = {}
        for matcher in _needles(query):
            for article_id, hits in self._index.count_matches(matcher):
                counts[article_id] = counts.get(article_id, 0) + hits
        return counts

    def search_ids(
        self,
        query: Query,
        filters: Filters = NO_FILTERS,
        sort: HitSort = HitSort.PUBLISHED,
        limit: int | None = None,
    ) -> Iterator[tuple[str, int]]:
        """(full id, hits) of matching articles (for -l): the cheapest of the three."""
        index = self.index
        if index is not None and query.any_of and HitSort(sort) is HitSort.PUBLISHED:
            # Printed as found, newest first, without reading any article (nor any summary
            # without filters): a variant costs one more literal counted. Hits are summed
            # per pattern (-l, -L and -q print none); with filters, as search_counts gives them.
            if not filters.active:
                return islice(index.newest_matches_of_any(query.patterns), limit)
            if countable(query):
                counted = self._newest_counted(_needles(query), filters)
                return islice(((item.id, hits) for item, hits in counted), limit)
        return (
            (summary.id, hits) for summary, hits in self.search_counts(query, filters, sort, limit)
        )

    def _search_newest(self, query: Query, filters: Filters) -> Iterator[ArticleHits]:
        if self.index is None:
            yield from self._with_hits(filters.select(self._all_articles()), query)
            return
        yield from self._with_hits(self._full(self._candidates(query, filters)), query)

    @staticmethod
    def _with_hits(articles: Iterable[Article], query: Query) -> Iterator[ArticleHits]:
        for article in articles:
            hits = article_hits(article, query)
            if hits:
                yield ArticleHits(article, hits)

    def _candidates(self, query: Query, filters: Filters) -> Iterator[str]:
        """Ids, newest first, of the articles the filters keep where some pattern occurs
        (every pattern, with all_terms): a superset of the matches, read from the index
        (lazily for one pattern: a reader that stops early reads only the newest)."""
        assert self._index is not None
        if len(query.patterns) == 1 and not filters.active:
            return (article_id for article_id, _ in self._index.newest_matches(query.patterns[0]))
        found = [
            {article_id for article_id, _ in self._index.count_matches(matcher)}
            for matcher in query.patterns
        ]
        chosen = set.intersection(*found) if query.all_terms else set.union(*found)
        if not filters.active:
            return iter(self._index.newest_first(chosen))  # no summary read
        return (item.id for item in filters.select(self._summaries_of(sorted(chosen))))

    def _full(self, ids: Iterable[str]) -> Iterator[Article]:
        """These articles with their bodies, in this order, read lazily in growing batches."""
        assert self._index is not None
        for batch in _batches(ids):
            found = self._index.articles(batch)
            for article_id in batch:
                if article_id in found:
                    yield found[article_id]

    # --- whole articles --------------------------------------------------------------------

    def articles(self, filters: Filters = NO_FILTERS) -> Iterator[Article]:
        """Every article the filters keep, with its body, newest first, one at a time: on
        the index, streamed (the first comes before the rest of the summaries are read;
        Index.iter_articles says what damage met part-way does)."""
        if self.index is None:
            return filters.select(self._all_articles())
        return self.index.iter_articles(filters.matches if filters.active else None)

    def get(self, name: str) -> Article:
        """One article by path, file stem, id, or a unique prefix of a stem or id."""
        return next(self.get_many([name]))

    def get_many(self, names: Iterable[str]) -> Iterator[Article]:
        """Articles by name, in the order given. Every name is resolved first (one read of
        the index, at most one scan), so a bad name raises ArticleNotFound before any
        article is read; NotAnArticle is raised when its turn comes. A file unchanged since
        the index read it is served from the index (as `articles` does), any other parsed."""
        from newscli.locate import locate_all

        located = locate_all(self.root, names, use_index=self.use_index)
        return self._load_each(located)

    def _load_each(self, located: builtins.list[Located]) -> Iterator[Article]:
        """The files' articles, in this order, those the index vouches for read from it in
        growing batches (one query each), the others parsed."""
        from newscli.load import load

        index: Index | None = None
        opened = False  # the index asked for (it may be None: then every file is parsed)
        try:
            for batch in _batches(located):
                stored: dict[str, LoadResult] = {}
                vouched = [item.source for item in batch if item.indexed]
                if vouched and not opened:
                    index, opened = self._index_as_is(), True
                if vouched and index is not None:
                    stored = index.stored_loads(vouched)
                for item in batch:
                    result = stored.get(item.source.rel) if item.indexed else None
                    if result is None or result.article is None:  # what is not an article:
                        result = load(item.source)  # said as a parse says it
                    self.problems.extend(result.problems)
                    if result.article is None:
                        raise NotAnArticle(item.source.path, result.problems)
                    yield result.article
        finally:
            if index is not None and index is not self._index:
                index.close()

    def _index_as_is(self) -> Index | None:
        """The index without a refresh (the archive's own if it is open), or None."""
        import sqlite3

        from newscli.index import Index, IndexUnavailable

        if self._index is not None:
            return self._index
        try:
            index = Index(self.root)
        except IndexUnavailable:
            return None
        try:
            if index.cache.current:
                return index
        except sqlite3.Error:
            pass
        index.close()
        return None

    # --- export ----------------------------------------------------------------------------

    def export(
        self,
        articles: Iterable[Article],
        form: str = "txt",
        script: str = "original",
        output: str | os.PathLike[str] | TextIO | None = None,
        *,
        folder: str | os.PathLike[str] | None = None,
        force: bool = False,
    ) -> ExportReport:
        """Write articles as they come: to `output` (a file name, a stream; stdout when None
        or "-"), or one file each into `folder`. Nothing is held but the article at hand."""
        return export(articles, form, script, output, folder=folder, force=force)


def _needles(query: Query) -> tuple[Matcher, ...]:
    """The query's patterns, each needle once: their hits summed are the query's (countable)."""
    return tuple({matcher.needle: matcher for matcher in query.patterns}.values())


def _batches(ids: Iterable[_Item]) -> Iterator[builtins.list[_Item]]:
    """`ids` in the index's growing batches (index.growing_batches): the first results
    come at once, and no more is taken from `ids` than a batch needs."""
    from newscli.index import FIRST_BATCH, LARGEST_BATCH, growing_batches

    return growing_batches(ids, FIRST_BATCH, LARGEST_BATCH)


def export(
    articles: Iterable[Article],
    form: str = "txt",
    script: str = "original",
    output: str | os.PathLike[str] | TextIO | None = None,
    *,
    folder: str | os.PathLike[str] | None = None,
    force: bool = False,
) -> ExportReport:
    """See Archive.export. txt, md and json take one article per file; jsonl any number."""
    from newscli.export import RENDERERS

    if form not in RENDERERS:
        raise ExportError(f"unknown format {form!r}; choose from {', '.join(RENDERERS)}")
    if folder is not None:
        return _export_to_folder(articles, form, script, Path(folder).expanduser(), force)
    stream = _one_file_at_most(iter(articles), form)
    render = RENDERERS[form]
    report = ExportReport()
    if output is None or output == "-":
        output = sys.stdout
    if not isinstance(output, (str, os.PathLike)):
        for article in stream:
            output.write(render(article, script))
            report.written += 1
        return report
    from newscli.output import atomic_file

    with atomic_file(output, force=force) as handle:
        for article in stream:
            handle.write(render(article, script))
            report.written += 1
    return report


def _one_file_at_most(articles: Iterator[Article], form: str) -> Iterator[Article]:
    """The articles unchanged; but a second one for a one-article format raises before the
    first is written (the two are looked at before anything is rendered)."""
    first = list(islice(articles, 2))
    if len(first) > 1 and form != "jsonl":
        raise ExportError("several articles need a folder (--out-dir DIR), or --to jsonl")
    yield from first
    yield from articles


def _export_to_folder(
    articles: Iterable[Article], form: str, script: str, target: Path, force: bool
) -> ExportReport:
    from newscli.export import RENDERERS
    from newscli.output import OutputError, export_name, write_text

    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ExportError(
            f"{target}: cannot create the folder: {error.strerror or error}"
        ) from None
    form = "json" if form == "jsonl" else form  # one article per file: plain JSON
    render = RENDERERS[form]
    report = ExportReport()
    used: set[str] = set()  # ten-digit ids already written: a second one gets its full id
    for article in articles:
        prefix = short_id(article.id)
        path = target / export_name(article, form, full_id=prefix in used)
        used.add(prefix)
        try:
            write_text(path, render(article, script), force=force)
            report.written += 1
        except OutputError as error:
            report.skipped.append(str(error))
    return report
