"""`newscli stats`: the shape of a corpus (or of what the filters keep), as numbers."""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from typing import Any

from newscli.article import Article, Summary, iso_utc

EXTREMES = 5  # largest and smallest articles listed


@dataclass
class Stats:
    articles: int = 0
    characters: int = 0
    outlets: Counter[str] = field(default_factory=Counter)
    months: dict[str, int] = field(default_factory=dict)  # YYYY-MM → articles, every month
    scripts: Counter[str] = field(default_factory=Counter)
    undated: int = 0
    first: str | None = None  # earliest published (article.iso_utc)
    last: str | None = None
    largest: list[Article | Summary] = field(default_factory=list)
    smallest: list[Article | Summary] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        def brief(article: Article | Summary) -> dict[str, Any]:
            return {
                "id": article.id,
                "title": article.title or None,
                "outlet": article.outlet or None,
                "published_at": iso_utc(article.published_at),
                "chars": article.char_count,
            }

        return {
            "articles": self.articles,
            "characters": self.characters,
            "first_published_at": self.first,
            "last_published_at": self.last,
            "undated": self.undated,
            "outlets": dict(self.outlets.most_common()),
            "scripts": {
                name: self.scripts.get(name, 0)
                for name in ("traditional", "simplified", "mixed", "other")
            },
            "months": self.months,
            "largest": [brief(a) for a in self.largest],
            "smallest": [brief(a) for a in self.smallest],
        }


def compute(articles: Iterable[Article | Summary]) -> Stats:
    """The numbers of `articles`, read once as they come: memory does not grow with the
    corpus (of the articles themselves only the EXTREMES largest and smallest are kept)."""
    stats = Stats()
    months: Counter[str] = Counter()
    first: datetime | None = None
    last: datetime | None = None
    # ascending by (char_count, path), unique per article; `seen` keeps articles uncompared
    largest: list[tuple[tuple[int, str], int, Article | Summary]] = []
    smallest: list[tuple[tuple[int, str], int, Article | Summary]] = []
    for seen, article in enumerate(articles):
        stats.articles += 1
        stats.characters += article.char_count
        stats.outlets[article.outlet or "(unknown)"] += 1
        stats.scripts[article.script] += 1
        published = article.published_at
        if published is None:
            stats.undated += 1
        else:
            months[published.strftime("%Y-%m")] += 1
            first = published if first is None or published < first else first
            last = published if last is None or published > last else last
        size = (article.char_count, article.path)
        if len(largest) < EXTREMES or size > largest[0][0]:
            bisect.insort(largest, (size, seen, article))
            del largest[:-EXTREMES]
        if len(smallest) < EXTREMES or size < smallest[-1][0]:
            bisect.insort(smallest, (size, seen, article))
            del smallest[EXTREMES:]
    if first is not None and last is not None:
        stats.first, stats.last = iso_utc(first), iso_utc(last)
        stats.months = {
            month: months.get(month, 0) for month in _month_range(min(months), max(months))
        }
    stats.largest = [article for _, _, article in reversed(largest)]
    stats.smallest = [article for _, _, article in smallest]
    return stats


def _month_range(first: str, last: str) -> list[str]:
    """Every month from first to last, empty ones too: a timeline shows the gaps."""
    year, month = map(int, first.split("-"))
    end = tuple(map(int, last.split("-")))
    out = []
    while (year, month) <= end:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


# --- term timelines: search Q --by month,outlet -------------------------------------------------

BUCKET_KINDS = ("year", "month", "week", "day", "outlet")
UNDATED = "(undated)"


class BucketError(ValueError):
    """--by names something that is not a bucket kind."""


def parse_by(text: str) -> tuple[str, ...]:
    """`month,outlet` → ("month", "outlet"): each a BUCKET_KINDS name, none twice."""
    kinds = tuple(part.strip() for part in text.split(",") if part.strip())
    for kind in kinds:
        if kind not in BUCKET_KINDS:
            raise BucketError(f"unknown bucket {kind!r}; choose from {', '.join(BUCKET_KINDS)}")
    if not kinds or len(set(kinds)) != len(kinds):
        raise BucketError(f"--by {text!r}: name each of {', '.join(BUCKET_KINDS)} at most once")
    return kinds


def bucket_of(item: Article | Summary, kind: str, zone: tzinfo = timezone.utc) -> str:
    """The bucket's name: 2020, 2020-08, 2020-W32 (ISO week), 2020-08-05, or the outlet."""
    if kind == "outlet":
        return item.outlet or "(unknown)"
    if item.published_at is None:
        return UNDATED
    moment = item.published_at.astimezone(zone)
    if kind == "year":
        return f"{moment.year:04d}"
    if kind == "month":
        return f"{moment.year:04d}-{moment.month:02d}"
    if kind == "day":
        return moment.date().isoformat()
    year, week, _ = moment.isocalendar()
    return f"{year:04d}-W{week:02d}"


@dataclass
class Bucket:
    key: tuple[str, ...]  # one name per --by kind (and the written form, with --forms)
    articles: int = 0
    hits: int = 0


def timeline(
    counted: Iterable[tuple[Article | Summary, int]],
    by: Sequence[str],
    zone: tzinfo = timezone.utc,
) -> list[Bucket]:
    """Matching articles and their hits per bucket, in bucket order (undated last): every
    article is in exactly one bucket, so the buckets sum to the total."""
    buckets: dict[tuple[str, ...], Bucket] = {}
    for item, hits in counted:
        key = tuple(bucket_of(item, kind, zone) for kind in by)
        bucket = buckets.setdefault(key, Bucket(key))
        bucket.articles += 1
        bucket.hits += hits
    return sorted(buckets.values(), key=lambda bucket: _order(bucket.key))


def form_timeline(
    found: Iterable[tuple[Article | Summary, Sequence[str]]],
    by: Sequence[str],
    zone: tzinfo = timezone.utc,
) -> list[Bucket]:
    """Per bucket and written form (the form of each hit): articles with it and its hits."""
    buckets: dict[tuple[str, ...], Bucket] = {}
    for item, forms in found:
        place = tuple(bucket_of(item, kind, zone) for kind in by)
        for form, hits in Counter(forms).items():
            bucket = buckets.setdefault((*place, form), Bucket((*place, form)))
            bucket.articles += 1
            bucket.hits += hits
    return sorted(buckets.values(), key=lambda bucket: _order(bucket.key))


def _order(key: tuple[str, ...]) -> tuple[tuple[bool, str], ...]:
    return tuple((name == UNDATED, name) for name in key)
