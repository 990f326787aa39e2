"""Which articles a command looks at: one set of filters shared by list, search, stats, convert."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, TypeVar


class Filterable(Protocol):
    """What filters look at: an Article, or a Summary (an article without its body)."""

    @property
    def published_at(self) -> datetime | None: ...
    @property
    def script(self) -> str: ...
    @property
    def outlet(self) -> str: ...
    @property
    def tags(self) -> Sequence[str]: ...


F = TypeVar("F", bound=Filterable)

_DAY = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def parse_day(text: str, *, end: bool = False) -> date:
    """YYYY-MM-DD, YYYY-MM or YYYY; a month or year means its first day (or last, for --until)."""
    match = _DAY.match(text.strip())
    problem = f"{text!r} is not a date (use YYYY-MM-DD, YYYY-MM or YYYY)"
    if not match:
        raise ValueError(problem)
    year = int(match.group(1))
    month = int(match.group(2) or (12 if end else 1))
    try:
        if match.group(3):
            return date(year, month, int(match.group(3)))
        if not end:
            return date(year, month, 1)
        following = date(year + (month == 12), month % 12 + 1, 1)
    except ValueError:
        raise ValueError(problem) from None
    return date.fromordinal(following.toordinal() - 1)


def _key(text: str) -> str:
    from newscli.chinese import normalize

    return normalize(text.strip(), ignore_case=True).lower()


@dataclass(frozen=True)
class Filters:
    since: date | None = None  # on the published date (UTC), inclusive
    until: date | None = None
    outlets: tuple[str, ...] = ()  # any of; Traditional/Simplified- and case-insensitive
    scripts: tuple[str, ...] = ()  # any of traditional, simplified, mixed, other
    tags: tuple[str, ...] = ()  # any of (front matter tags)

    @property
    def active(self) -> bool:
        return bool(self.since or self.until or self.outlets or self.scripts or self.tags)

    def matches(self, article: Filterable) -> bool:
        if self.since or self.until:
            if article.published_at is None:
                return False
            day = article.published_at.date()
            if (self.since and day < self.since) or (self.until and day > self.until):
                return False
        if self.scripts and article.script not in self.scripts:
            return False
        if self.outlets:
            outlet = _key(article.outlet)
            if not any(_key(wanted) in outlet for wanted in self.outlets):
                return False
        if self.tags:
            tags = {_key(tag) for tag in article.tags}
            if not any(_key(wanted) in tags for wanted in self.tags):
                return False
        return True

    def apply(self, articles: list[F]) -> list[F]:
        return (
            [article for article in articles if self.matches(article)] if self.active else articles
        )
