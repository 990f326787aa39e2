"""`newscli stats`: the shape of a corpus (or of what the filters keep), as numbers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
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


def compute(articles: Sequence[Article | Summary]) -> Stats:
    stats = Stats(articles=len(articles))
    months: Counter[str] = Counter()
    for article in articles:
        stats.characters += article.char_count
        stats.outlets[article.outlet or "(unknown)"] += 1
        stats.scripts[article.script] += 1
        if article.published_at is None:
            stats.undated += 1
        else:
            months[article.published_at.strftime("%Y-%m")] += 1
    dated = sorted(a.published_at for a in articles if a.published_at)
    if dated:
        stats.first, stats.last = iso_utc(dated[0]), iso_utc(dated[-1])
        stats.months = {
            month: months.get(month, 0) for month in _month_range(min(months), max(months))
        }
    by_size = sorted(articles, key=lambda a: (a.char_count, a.path))
    stats.largest = by_size[::-1][:EXTREMES]
    stats.smallest = by_size[:EXTREMES]
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
