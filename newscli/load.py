"""From a file's bytes to an Article: decode, sniff the layout, parse, and judge the result.

The Article is built once, by parse, with everything (size and script included); what
load adds is the verdict: an article, a problem, or a file that is not an article at all.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from newscli.article import Article, Problem
from newscli.corpus import (
    Corpus,
    SourceFile,
    decode,
    looks_like_article,
    max_file_bytes,
    read_bytes,
    too_large,
)

_WIDE_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)


@dataclass
class LoadResult:
    source: SourceFile
    article: Article | None
    problems: list[Problem]
    ignored: bool = False  # readable, but not an article (a README, notes…)


def load(source: SourceFile) -> LoadResult:
    """Read, decode and parse one file. Never raises for anything the file contains."""
    data = read_bytes(source)
    if isinstance(data, Problem):
        return LoadResult(source, None, [data])
    return load_bytes(source, data)


def load_bytes(source: SourceFile, data: bytes) -> LoadResult:
    """Decode and parse a file's bytes (pure: what load() does after reading)."""
    from newscli.parse import parse_article

    limit = max_file_bytes()
    if len(data) > limit:
        return LoadResult(source, None, [too_large(source.path, len(data), limit)])
    if not data:
        return LoadResult(source, None, [Problem(source.path, "empty file (0 bytes)", "empty")])
    if b"\x00" in data and not data.startswith(_WIDE_BOMS):
        return LoadResult(
            source, None, [Problem(source.path, "binary file (contains NUL bytes)", "binary")]
        )
    decoded = decode(data, source.path)
    problems = list(decoded.problems)
    if not looks_like_article(decoded.text):
        return LoadResult(source, None, problems, ignored=True)
    article, parse_problems = parse_article(
        decoded.text,
        path=source.path,
        article_id=source.id,
        encoding=decoded.encoding,
        size_bytes=len(data),
    )
    problems.extend(parse_problems)
    if not article.blocks and not article.title:
        # Nothing a reader could use: a problem, not an article. (An article with a title
        # and no body is kept; `newscli check` lists those.)
        encoding_problems = [p for p in problems if p.kind == "encoding"]
        problems = [*encoding_problems, Problem(source.path, "no title and no body", "layout")]
        return LoadResult(source, None, _one_problem(problems))
    return LoadResult(source, article, _one_problem(problems))


def _one_problem(problems: list[Problem]) -> list[Problem]:
    """A file is reported once: its reasons on one line, under the first one's kind."""
    if len(problems) <= 1:
        return problems
    reasons = "; ".join(dict.fromkeys(problem.reason for problem in problems))
    return [Problem(problems[0].path, reasons, problems[0].kind)]


@dataclass
class Loaded:
    articles: list[Article]
    problems: list[Problem]


def load_all(
    corpus: Corpus, parsed: Mapping[str, LoadResult] | None = None
) -> Iterator[LoadResult]:
    """Every file of the corpus loaded, one at a time, in the scan's order (those in
    `parsed`, by rel, already were: an index refresh that could not write them)."""
    done = parsed or {}
    for source in corpus.files:
        found = done.get(source.rel)
        yield load(source) if found is None else found


def load_articles(corpus: Corpus, parsed: Mapping[str, LoadResult] | None = None) -> Loaded:
    """Every article of the corpus, and every problem met on the way."""
    articles: list[Article] = []
    problems = list(corpus.scan_problems)
    for result in load_all(corpus, parsed):
        problems.extend(result.problems)
        if result.article is not None:
            articles.append(result.article)
    return Loaded(articles, problems)
