"""Which articles a command looks at: one set of filters shared by list, search, stats, convert."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timezone, tzinfo
from typing import TypeVar

from newscli.article import Article, Script, Summary

_DAY = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")

# Filters read only what a Summary has, so they take articles and summaries alike.
Item = TypeVar("Item", Article, Summary)


class FilterError(ValueError):
    """The filters contradict themselves or a value is not understood."""


def parse_day(text: str, *, end: bool = False) -> date:
    """YYYY-MM-DD, YYYY-MM or YYYY; a month or year means its first day (or last, for --until)."""
    match = _DAY.match(text.strip())
    problem = f"{text!r} is not a date (use YYYY-MM-DD, YYYY-MM or YYYY)"
    if not match:
        raise FilterError(problem)
    year = int(match.group(1))
    month = int(match.group(2) or (12 if end else 1))
    try:
        if match.group(3):
            return date(year, month, int(match.group(3)))
        if not end:
            return date(year, month, 1)
        following = date(year + (month == 12), month % 12 + 1, 1)
    except ValueError:
        raise FilterError(problem) from None
    return date.fromordinal(following.toordinal() - 1)


def _script(value: Script | str) -> Script:
    try:
        return Script(value)
    except ValueError:
        choices = ", ".join(script.value for script in Script)
        raise FilterError(f"unknown script {value!r}; choose from {choices}") from None


def _key(text: str) -> str:
    from newscli.chinese import normalize

    return normalize(text.strip(), ignore_case=True).lower()


def outlet_matches(wanted: str, outlet: str) -> bool:
    """`--outlet NAME` keeps outlets whose name holds NAME; `--outlet =NAME` only the outlet
    called NAME (both Traditional/Simplified- and case-insensitive: =臺 is not 自由亚洲电台)."""
    if wanted.startswith("="):
        return _key(wanted[1:]) == _key(outlet)
    return _key(wanted) in _key(outlet)


@dataclass(frozen=True)
class Filters:
    since: date | None = None  # on the published day (in `zone`), inclusive
    until: date | None = None
    outlets: tuple[str, ...] = ()  # any of (=NAME: exactly); script- and case-insensitive
    scripts: tuple[Script, ...] = ()  # any of
    tags: tuple[str, ...] = ()  # any of (front matter tags)
    zone: tzinfo = timezone.utc  # whose calendar --since/--until days are (the reader's --tz)
    skip: frozenset[str] = frozenset()  # ids left out: older copies folded by --unique

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise FilterError(
                f"--since {self.since.isoformat()} is after --until {self.until.isoformat()}:"
                " no article can match"
            )
        # "tradtional" must not silently keep nothing: names become Enums or raise.
        object.__setattr__(self, "scripts", tuple(_script(script) for script in self.scripts))

    @classmethod
    def parse(
        cls,
        since: str | None = None,
        until: str | None = None,
        outlets: Iterable[str] = (),
        scripts: Iterable[Script | str] = (),
        tags: Iterable[str] = (),
        zone: tzinfo = timezone.utc,
    ) -> Filters:
        """Filters from what a user types (days as YYYY, YYYY-MM or YYYY-MM-DD)."""
        return cls(
            since=parse_day(since) if since else None,
            until=parse_day(until, end=True) if until else None,
            outlets=tuple(outlets),
            scripts=tuple(_script(script) for script in scripts),
            tags=tuple(tags),
            zone=zone,
        )

    @property
    def active(self) -> bool:
        return bool(
            self.since or self.until or self.outlets or self.scripts or self.tags or self.skip
        )

    def matches(self, article: Article | Summary) -> bool:
        if article.id in self.skip:
            return False
        if self.since or self.until:
            if article.published_at is None:
                return False
            day = article.published_at.astimezone(self.zone).date()
            if (self.since and day < self.since) or (self.until and day > self.until):
                return False
        if self.scripts and article.script not in {script.value for script in self.scripts}:
            return False
        if self.outlets and not any(outlet_matches(w, article.outlet) for w in self.outlets):
            return False
        if self.tags:
            tags = {_key(tag) for tag in article.tags}
            if not any(_key(wanted) in tags for wanted in self.tags):
                return False
        return True

    def select(self, items: Iterable[Item]) -> Iterator[Item]:
        """The items the filters keep, one at a time, in the order given."""
        if not self.active:
            yield from items
            return
        for item in items:
            if self.matches(item):
                yield item

    def apply(self, items: Iterable[Item]) -> list[Item]:
        return list(self.select(items))


def older_copies(items: Iterable[Article | Summary]) -> frozenset[str]:
    """Ids of the articles another one with the same url replaces: per url, the newest
    archived is kept (undated archives count as oldest; ties: the later path). Articles
    without a url are all kept."""
    newest: dict[str, Article | Summary] = {}
    older: set[str] = set()
    for item in items:
        url = item.url.strip()
        if not url:
            continue
        kept = newest.get(url)
        if kept is None:
            newest[url] = item
        elif _archived_key(item) > _archived_key(kept):
            older.add(kept.id)
            newest[url] = item
        else:
            older.add(item.id)
    return frozenset(older)


def _archived_key(item: Article | Summary) -> tuple[bool, datetime, str]:
    moment = item.archived_at
    if moment is None:
        return (False, datetime.min.replace(tzinfo=timezone.utc), item.path)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return (True, moment, item.path)
