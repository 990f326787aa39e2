"""`stats`: the numbers of a corpus, exactly, on the seeds and on real posts."""

from __future__ import annotations

from pathlib import Path

import pytest

from newscli.corpus import load_corpus
from newscli.load import load_articles
from newscli.stats import EXTREMES, compute


def test_stats_of_the_seeds_exactly() -> None:
    data = compute(load_articles(load_corpus(None)).articles).to_dict()
    smallest = {
        "id": "dc6d1d42a40981a9",
        "title": "普京会金正恩 朝俄签订防卫互助协定",
        "outlet": "德国之声",
        "published_at": "2024-06-19T12:42:32Z",
        "chars": 1068,
    }
    largest = {
        "id": "38cea08e8c8c52de",
        "title": "朝鮮官媒：普京致函金正恩 稱將擴大雙邊關係",
        "outlet": "德国之声",
        "published_at": "2022-08-15T01:22:34Z",
        "chars": 1786,
    }
    assert data["smallest"] == [smallest, largest]
    assert data["largest"] == [largest, smallest]
    assert data["first_published_at"] == "2022-08-15T01:22:34Z"
    assert data["last_published_at"] == "2024-06-19T12:42:32Z"


def test_largest_and_smallest_on_real_posts(corpus_slice: Path) -> None:
    articles = load_articles(load_corpus(str(corpus_slice))).articles
    assert len(articles) > 2 * EXTREMES
    data = compute(articles).to_dict()
    sizes = sorted(a.char_count for a in articles)
    assert [entry["chars"] for entry in data["smallest"]] == sizes[:EXTREMES]
    assert [entry["chars"] for entry in data["largest"]] == sizes[::-1][:EXTREMES]
    by_id = {a.id: a for a in articles}
    for entry in data["smallest"] + data["largest"]:
        assert by_id[entry["id"]].title == entry["title"]


def test_bucket_names_and_by_parsing() -> None:
    from datetime import datetime, timedelta, timezone

    from newscli.article import Summary
    from newscli.stats import BucketError, bucket_of, parse_by, timeline

    late = datetime(2020, 12, 31, 20, 0, tzinfo=timezone.utc)
    item = Summary(id="a" * 16, path="/a.md", title="t", outlet="BBC", published_at=late)
    assert [bucket_of(item, kind) for kind in ("year", "month", "week", "day", "outlet")] == [
        "2020",
        "2020-12",
        "2020-W53",
        "2020-12-31",
        "BBC",
    ]
    taipei = timezone(timedelta(hours=8))  # already 2021 in Taipei
    assert (
        bucket_of(item, "year", taipei) == "2021" and bucket_of(item, "week", taipei) == "2020-W53"
    )
    undated = Summary(id="b" * 16, path="/b.md", title="t")
    assert (
        bucket_of(undated, "month") == "(undated)" and bucket_of(undated, "outlet") == "(unknown)"
    )
    buckets = timeline([(undated, 2), (item, 3), (item, 1)], ("month",))
    assert [(b.key, b.articles, b.hits) for b in buckets] == [
        (("2020-12",), 2, 4),
        (("(undated)",), 1, 2),
    ]
    assert parse_by(" month , outlet ") == ("month", "outlet")
    for bad in ("decade", "month,month", ""):
        with pytest.raises(BucketError):
            parse_by(bad)


def test_stats_read_the_articles_once_and_keep_only_the_extremes(corpus_slice: Path) -> None:
    """`stats` of 200k articles must not hold 200k summaries (it peaked at 337 MB): the
    numbers come from one pass over a stream, equal to those of the whole list, and the
    memory of a pass over 10× more articles is about the same."""
    import dataclasses
    import tracemalloc
    from collections.abc import Iterator

    from newscli.article import Summary, iso_utc

    summaries = [Summary.of(a) for a in load_articles(load_corpus(str(corpus_slice))).articles]
    streamed = compute(iter(summaries))
    by_size = sorted(summaries, key=lambda s: (s.char_count, s.path))  # the rule, plainly
    assert streamed.largest == by_size[::-1][:EXTREMES]
    assert streamed.smallest == by_size[:EXTREMES]
    dated = sorted(s.published_at for s in summaries if s.published_at)
    assert (streamed.first, streamed.last) == (iso_utc(dated[0]), iso_utc(dated[-1]))
    assert streamed.articles == len(summaries)
    assert streamed.undated == sum(s.published_at is None for s in summaries)

    def many(copies: int) -> Iterator[Summary]:
        for copy in range(copies):
            for summary in summaries:
                yield dataclasses.replace(summary, path=f"{summary.path}#{copy}")

    def peak(copies: int) -> int:
        tracemalloc.start()
        try:
            stats = compute(many(copies))
            most = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert stats.articles == copies * len(summaries)
        return most

    small, large = peak(2), peak(20)
    assert large < 2 * small + 200_000, (small, large)
