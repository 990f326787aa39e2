"""Filters: one set of choices for list, search, stats and convert; on articles and summaries."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from newscli.article import Article, Script, Summary
from newscli.filters import FilterError, Filters, older_copies, parse_day


def _article(**fields: object) -> Article:
    base: dict[str, object] = {"id": "0" * 16, "path": "/a.md", "title": "標題"}
    return Article(**(base | fields))  # type: ignore[arg-type]


def test_days_months_and_years() -> None:
    assert parse_day("2020") == date(2020, 1, 1)
    assert parse_day("2020", end=True) == date(2020, 12, 31)
    assert parse_day("2020-02", end=True) == date(2020, 2, 29)
    assert parse_day(" 2021-3-7 ") == date(2021, 3, 7)
    for bad in ("2020-13", "20", "yesterday", "2021-02-30"):
        with pytest.raises(FilterError, match="not a date"):
            parse_day(bad)


def test_since_after_until_is_an_error() -> None:
    with pytest.raises(FilterError, match="after --until"):
        Filters.parse(since="2021", until="2020")
    with pytest.raises(FilterError):
        Filters(since=date(2021, 1, 2), until=date(2021, 1, 1))
    assert Filters.parse(since="2021-01", until="2021-01").active  # one month: fine


def test_scripts_are_an_enum_and_a_misspelling_raises() -> None:
    assert Filters(scripts=("simplified",)).scripts == (Script.SIMPLIFIED,)  # type: ignore[arg-type]
    assert Filters.parse(scripts=["mixed", Script.OTHER]).scripts == (Script.MIXED, Script.OTHER)
    with pytest.raises(FilterError, match="unknown script 'simplifed'"):
        Filters.parse(scripts=["simplifed"])


def test_summaries_and_articles_are_filtered_alike() -> None:
    moment = datetime(2020, 8, 5, 12, tzinfo=timezone.utc)
    article = _article(
        outlet="德國之聲", published_at=moment, script="traditional", tags=["Politik"]
    )
    summary = Summary.of(article)
    for item in (article, summary):
        assert Filters.parse(outlets=["德国之声"], since="2020-08", until="2020-08").matches(item)
        assert Filters.parse(scripts=["traditional"], tags=["politik"]).matches(item)
        assert not Filters.parse(scripts=["simplified"]).matches(item)
        assert not Filters.parse(until="2020-07").matches(item)
    undated = _article(outlet="BBC")
    assert not Filters.parse(since="1990").matches(undated)  # a date filter drops the undated


def test_select_is_lazy_and_keeps_the_order() -> None:
    items = (_article(id=f"{n:016x}", outlet="BBC" if n % 2 else "DW") for n in range(6))
    kept = Filters.parse(outlets=["bbc"]).select(items)
    assert next(kept).id == f"{1:016x}"
    assert [a.id for a in kept] == [f"{3:016x}", f"{5:016x}"]


def test_parse_day() -> None:
    assert str(parse_day("2020")) == "2020-01-01"
    assert str(parse_day("2020", end=True)) == "2020-12-31"
    assert str(parse_day("2020-02", end=True)) == "2020-02-29"
    with pytest.raises(ValueError):
        parse_day("yesterday")


def test_outlet_exact_with_equals_sign() -> None:
    outlets = ("自由亚洲电台", "(臺)中央社CNA", "RTI 中央廣播電臺", "德國之聲")
    items = [_article(id=f"{n:016x}", outlet=name) for n, name in enumerate(outlets)]
    # A substring picks up every outlet holding it; "=" asks for the name itself.
    assert len(Filters.parse(outlets=["臺"]).apply(items)) == 3
    assert Filters.parse(outlets=["=臺"]).apply(items) == []
    exact = Filters.parse(outlets=["=自由亞洲電台"]).apply(items)  # either script
    assert [item.outlet for item in exact] == ["自由亚洲电台"]
    both = Filters.parse(outlets=["=德国之声", "=rti 中央广播电台"]).apply(items)
    assert [item.outlet for item in both] == ["RTI 中央廣播電臺", "德國之聲"]


def test_older_copies_keeps_the_newest_archived_per_url() -> None:
    def copy(number: int, url: str, archived: datetime | None) -> Summary:
        return Summary(
            id=f"{number:016x}", path=f"/{number}.md", title="t", url=url, archived_at=archived
        )

    early, late = (
        datetime(2020, 8, 1, tzinfo=timezone.utc),
        datetime(2020, 8, 2, tzinfo=timezone.utc),
    )
    items = [
        copy(1, "https://a", early),
        copy(2, "https://a", late),  # the newest copy of a
        copy(3, "https://a", None),  # an undated archive counts as oldest
        copy(4, "https://b", early),
        copy(5, "", early),  # no url: nothing to fold
        copy(6, "", late),
    ]
    folded = older_copies(items)
    assert folded == {f"{1:016x}", f"{3:016x}"}
    kept = Filters(skip=folded).apply(items)
    assert [item.id[-1] for item in kept] == ["2", "4", "5", "6"]
    assert Filters(skip=folded).active and not Filters().active
