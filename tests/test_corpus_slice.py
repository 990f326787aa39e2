"""Real posts from the shared corpus, a few per outlet: every one parses into a sane Article."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from typer.testing import CliRunner

from newscli import cli
from newscli.article import BlockKind
from newscli.corpus import load_corpus
from newscli.load import load_articles

TAG = re.compile(r"<(?:p|div|span|a|img|br|strong|script|style)\b|&(?:nbsp|amp|lt|gt);")


def test_every_post_parses(corpus_slice: Path) -> None:
    loaded = load_articles(load_corpus(corpus_slice))
    assert len(loaded.articles) >= 60
    # Only the archive's one post without a title may be reported.
    assert all("no title" in p.reason for p in loaded.problems), loaded.problems
    outlets = Counter(a.outlet for a in loaded.articles)
    assert len(outlets) >= 18  # every outlet of the archive (group blogs count once)
    for article in loaded.articles:
        assert article.url.startswith("http"), article.path
        assert article.published_at is not None, article.path
        assert article.outlet, article.path
        assert "\n" not in article.title, article.path
        for block in article.blocks:
            assert not TAG.search(block.text), (article.path, block.text[:80])
            if block.kind is not BlockKind.IMAGE:
                assert block.text.strip() or block.label, article.path


def test_outlet_specific_shapes(corpus_slice: Path) -> None:
    articles = load_articles(load_corpus(corpus_slice)).articles
    by_outlet: dict[str, list] = {}  # type: ignore[type-arg]
    for article in articles:
        by_outlet.setdefault(article.outlet, []).append(article)
    # Reuters and VOA carry their own publication time in the body; CNA does not.
    assert any(a.published_source.value == "body" for a in by_outlet["路透"])
    assert any(a.published_source.value == "body" for a in by_outlet["美国之音"])
    # CNA's front-matter date is the crawl time (archived), refined by its dateline day.
    assert all(
        a.published_source.value in ("archived", "body_dateline")
        for a in by_outlet["(臺)中央社CNA"]
    )
    # Site furniture is not text: no CNA newsletter box, no ad slots.
    for article in by_outlet["(臺)中央社CNA"]:
        assert "訂閱《早安世界》" not in article.body_text
    # Most posts have paragraphs of real length.
    assert sum(1 for a in articles if a.char_count > 200) > len(articles) * 0.8


def test_file_names_with_newlines_work_end_to_end(corpus_slice: Path) -> None:
    odd = [p for p in corpus_slice.rglob("*") if p.is_file() and "\n" in p.name]
    assert odd, "the slice should hold the posts whose names contain a newline"
    runner = CliRunner()
    listing = runner.invoke(cli.app, ["list", "--corpus", str(corpus_slice)])
    assert listing.exit_code == 0
    rows = listing.stdout.splitlines()
    assert all(len(row.split("\t")) == 5 for row in rows)  # no row broken by a newline
    shown = runner.invoke(cli.app, ["show", str(odd[0]), "--corpus", str(corpus_slice)])
    assert shown.exit_code == 0, shown.stderr
