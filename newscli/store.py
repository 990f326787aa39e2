"""Where a command's articles come from: the index when it can be used, the files otherwise.

Both paths give the same answers (tests compare them); the index only makes them fast.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from newscli.article import Article, Problem, Summary
from newscli.cache import IndexUnavailable
from newscli.corpus import (
    ArticleNotFound,
    Corpus,
    SourceFile,
    find_source,
    load_articles,
    load_corpus,
    newest_first,
    source_for_path,
)
from newscli.filters import Filters
from newscli.index import Index, open_index
from newscli.refresh import Progress, RefreshStats
from newscli.search import ArticleHits, Query, run_query

NO_FILTERS = Filters()


@dataclass
class SearchOutcome:
    results: list[ArticleHits]
    searched: int  # articles looked at (after filters)


def _newest_first(results: list[ArticleHits]) -> list[ArticleHits]:
    order = {id(a): n for n, a in enumerate(newest_first([r.article for r in results]))}
    return sorted(results, key=lambda r: order[id(r.article)])


@dataclass
class Store:
    corpus: Corpus
    index: Index | None = None
    stats: RefreshStats | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    _articles: list[Article] | None = None

    def _all(self) -> list[Article]:
        if self._articles is None:
            loaded = load_articles(self.corpus)
            self._articles = loaded.articles
            self.problems = loaded.problems
        return self._articles

    def summaries(self, limit: int | None = None) -> list[Summary]:
        """Newest first, without their bodies (char_count is kept)."""
        if self.index is not None:
            return self.index.summaries(limit)
        return [Summary.of(article) for article in newest_first(self._all())[:limit]]

    def full_articles(self, filters: Filters = NO_FILTERS) -> list[Article]:
        """Every article with its body, newest first (for convert --all)."""
        if self.index is None:
            return newest_first(filters.apply(self._all()))
        kept = [a.id for a in filters.apply(self.index.summaries())]
        full = self.index.articles(kept)
        return [full[i] for i in kept if i in full]

    def search(self, query: Query, filters: Filters = NO_FILTERS) -> SearchOutcome:
        """Every matching article with its hits, newest first, and how many were searched."""
        if self.index is None:
            articles = filters.apply(self._all())
            results = list(run_query(articles, query))
            return SearchOutcome(_newest_first(results), len(articles))
        candidates = self._candidates(query)
        full = self.index.articles(candidates)
        articles = filters.apply([full[i] for i in candidates if i in full])
        searched = (
            self.index.count() if not filters.active else len(filters.apply(self.index.summaries()))
        )
        return SearchOutcome(_newest_first(list(run_query(articles, query))), searched)

    def _candidates(self, query: Query) -> list[str]:
        """Ids of articles where some pattern occurs (all, with --all-terms): a superset."""
        assert self.index is not None
        found: list[set[str]] = [
            {article_id for article_id, _ in self.index.count_matches(matcher)}
            for matcher in query.patterns
        ]
        chosen = set.intersection(*found) if query.all_terms else set.union(*found)
        return sorted(chosen)

    def search_counts(
        self, query: Query, filters: Filters = NO_FILTERS
    ) -> list[tuple[Article, int]] | list[tuple[Summary, int]]:
        """(article, hits) for every matching article, newest first; cheap on the index."""
        if self.index is None or not query.simple:
            return [(r.article, len(r.hits)) for r in self.search(query, filters).results]
        counts = dict(self.index.count_matches(query.patterns[0]))
        summaries = filters.apply(self.index.summaries(ids=list(counts)))
        return [(a, counts[a.id]) for a in summaries]

    def search_ids(self, query: Query, filters: Filters = NO_FILTERS) -> list[tuple[str, int]]:
        """(full id, hits), newest first: for -l, which needs nothing else."""
        if self.index is not None and query.simple and not filters.active:
            return self.index.count_matches(query.patterns[0], newest_first=True)
        return [(article.id, hits) for article, hits in self.search_counts(query, filters)]

    def close(self) -> None:
        if self.index is not None:
            self.index.close()


def open_store(
    corpus: Corpus, *, use_index: bool = True, progress: Progress | None = None
) -> Store:
    if not use_index:
        return Store(corpus)
    outcome = open_index(corpus, progress)
    store = Store(corpus, outcome.index, outcome.stats, warnings=outcome.warnings)
    if outcome.index is not None:
        store.problems = list(corpus.scan_problems) + outcome.index.problems()
    return store


def locate(root: Path, name: str) -> SourceFile:
    """Find ARTICLE cheaply: a path needs no look-up, an id or stem is looked up in the
    index as last refreshed, and only when that fails (or is stale) is the folder scanned."""
    direct = source_for_path(root, name)
    if direct is not None:
        return direct
    known = _indexed_files(root)
    if known:
        try:
            found = find_source(Corpus(root, known, []), name)
            if os.path.isfile(found.path):
                return found
        except ArticleNotFound:
            pass  # maybe a file the index has not seen yet: ask the folder itself
    return find_source(load_corpus(root), name)


def _indexed_files(root: Path) -> list[SourceFile]:
    try:
        index = Index(root)
    except IndexUnavailable:
        return []
    try:
        return index.known_files()
    except sqlite3.Error:
        return []
    finally:
        index.close()
