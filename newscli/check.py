"""`newscli check`: what is in a corpus, and everything wrong with it, in one report."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from newscli.article import Problem, json_path
from newscli.corpus import Corpus
from newscli.index import FileFacts, Index
from newscli.load import load


@dataclass
class CheckReport:
    root: str
    files: int
    articles: int
    ignored: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    encodings: Counter[str] = field(default_factory=Counter)
    legacy_encoded: list[tuple[str, str]] = field(default_factory=list)  # (path, encoding)
    date_sources: Counter[str] = field(default_factory=Counter)
    undated: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    duplicates: dict[str, list[str]] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not self.problems

    def problems_by_kind(self) -> dict[str, list[Problem]]:
        grouped: dict[str, list[Problem]] = defaultdict(list)
        for problem in sorted(self.problems, key=lambda p: (p.kind, p.path)):
            grouped[problem.kind].append(problem)
        return dict(grouped)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON: every path valid UTF-8 (records also carry `path_bytes`,
        the raw name in base64 when it is not UTF-8; lists of paths show such bytes as
        U+FFFD)."""

        def text(path: str) -> str:
            return str(json_path(path)["path"])

        def texts(paths: list[str]) -> list[str]:
            return [text(path) for path in sorted(paths)]

        return {
            "corpus": text(self.root),
            "files": self.files,
            "articles": self.articles,
            "ignored": texts(self.ignored),
            "problems": {
                kind: [{**json_path(p.path), "reason": p.reason} for p in problems]
                for kind, problems in self.problems_by_kind().items()
            },
            "encodings": dict(self.encodings.most_common()),
            "not_utf8": [
                {**json_path(path), "encoding": enc} for path, enc in sorted(self.legacy_encoded)
            ],
            "published_from": dict(self.date_sources.most_common()),
            "no_published_date": texts(self.undated),
            "no_body_text": texts(self.empty),
            "duplicate_urls": {url: texts(paths) for url, paths in sorted(self.duplicates.items())},
            "clean": self.clean,
        }


def check_corpus(corpus: Corpus, index: Index | None = None) -> CheckReport:
    """Read every file (or, when it is fresh, the index made from every file)."""
    report = CheckReport(str(corpus.root), len(corpus.files), 0)
    report.problems.extend(corpus.scan_problems)
    facts: list[FileFacts] = []
    if index is not None:
        facts = index.facts()
        report.problems.extend(index.problems())
        report.ignored = index.ignored()
    else:
        for source in corpus.files:
            result = load(source)
            report.problems.extend(result.problems)
            if result.ignored:
                report.ignored.append(source.path)
            article = result.article
            if article is not None:
                facts.append(FileFacts.of(article))
    report.articles = len(facts)
    by_url: dict[str, list[str]] = defaultdict(list)
    for fact in facts:
        report.encodings[fact.encoding] += 1
        if not fact.encoding.startswith("utf-8"):
            report.legacy_encoded.append((fact.path, fact.encoding))
        report.date_sources[fact.published_source] += 1
        if fact.published_source == "none":
            report.undated.append(fact.path)
        if fact.chars == 0:
            report.empty.append(fact.path)
        if fact.url:
            by_url[fact.url].append(fact.path)
    report.duplicates = {url: paths for url, paths in by_url.items() if len(paths) > 1}
    return report
