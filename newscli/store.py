"""Where a command's articles come from: the index when it can be used, the files otherwise.

Both paths give the same answers (tests compare them); the index only makes them fast.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from newscli.article import Article, Problem
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
from newscli.index import Index, IndexUnavailable, Progress, RefreshStats, open_index
from newscli.search import ArticleHits, Matcher, search


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

    def summaries(self, limit: int | None = None) -> list[Article]:
        """Newest first; from the index these carry no body (char_count is kept)."""
        if self.index is not None:
            return self.index.summaries(limit)
        return newest_first(self._all())[:limit]

    def search(self, matcher: Matcher) -> list[ArticleHits]:
        """Every matching article with its hits, newest first."""
        if self.index is None:
            results = list(search(self._all(), matcher))
        else:
            matched = [article_id for article_id, _ in self.index.count_matches(matcher)]
            full = self.index.articles(matched)
            results = list(search((full[i] for i in matched if i in full), matcher))
        order = {id(a): n for n, a in enumerate(newest_first([r.article for r in results]))}
        return sorted(results, key=lambda r: order[id(r.article)])

    def search_counts(self, matcher: Matcher) -> list[tuple[Article, int]]:
        """(article, hits) for every matching article, newest first; cheap on the index."""
        if self.index is None:
            return [(r.article, len(r.hits)) for r in self.search(matcher)]
        counts = dict(self.index.count_matches(matcher))
        return [(a, counts[a.id]) for a in self.index.summaries(ids=list(counts))]

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


def locate(root: Path, name: str) -> tuple[SourceFile, Corpus | None]:
    """Find ARTICLE cheaply: a path needs no look-up, an id or stem is looked up in the
    index as last refreshed, and only when that fails (or is stale) is the folder scanned.
    Returns the file and the scanned corpus, if a scan was needed."""
    direct = source_for_path(root, name)
    if direct is not None:
        return direct, None
    known = _indexed_files(root)
    if known:
        try:
            found = find_source(Corpus(root, known, []), name)
            if os.path.isfile(found.path):
                return found, None
        except ArticleNotFound:
            pass  # maybe a file the index has not seen yet
    corpus = load_corpus(root)
    return find_source(corpus, name), corpus


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
