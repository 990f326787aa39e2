"""Date rules (newscli.dates): one parser for every Python version, the outlets' datelines,
and which source a publication time comes from."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

import pytest
from conftest import assert_linear

from newscli.article import Article, DateSource
from newscli.dates import (
    cna_dateline_day,
    epoch_dateline_day,
    format_day,
    format_moment,
    parse_date,
    parse_zone,
    rfi_dateline,
)
from newscli.parse import parse_article

UTC = timezone.utc


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Jekyll's form, and forms that datetime.fromisoformat refuses on 3.10 only.
        ("2016-05-29 14:31:00 +0800", datetime(2016, 5, 29, 6, 31, tzinfo=UTC)),
        ("2020-08-05T11:55:03.12Z", datetime(2020, 8, 5, 11, 55, 3, 120000, tzinfo=UTC)),
        ("2020-08-05T11:55:03.000Z", datetime(2020, 8, 5, 11, 55, 3, tzinfo=UTC)),
        ("2020-08-05T12:00:00+0800", datetime(2020, 8, 5, 4, 0, tzinfo=UTC)),
        ("20201102T144703Z", datetime(2020, 11, 2, 14, 47, 3, tzinfo=UTC)),
        ("2020-08-05T12:00:00-05:00", datetime(2020, 8, 5, 17, 0, tzinfo=UTC)),
        ("2020-08-05", datetime(2020, 8, 5, tzinfo=UTC)),
        ("2020-08-05 12:00", datetime(2020, 8, 5, 12, 0, tzinfo=UTC)),
        ("Wed, 21 Oct 2020 22:13:23 GMT", datetime(2020, 10, 21, 22, 13, 23, tzinfo=UTC)),
        ("21 Oct 2020 22:13 +0100", datetime(2020, 10, 21, 21, 13, tzinfo=UTC)),
    ],
)
def test_parse_date_forms(text: str, expected: datetime) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text", ["", "yesterday", "2020-02-30", "2020-08-05T25:00", "0001-01-01", "2020-0805"]
)
def test_parse_date_refuses(text: str) -> None:
    assert parse_date(text) is None


def test_naive_time_takes_the_outlets_zone() -> None:
    beijing = timezone(timedelta(hours=8))
    assert parse_date("2020-12-19 18:35:10", beijing) == datetime(
        2020, 12, 19, 10, 35, 10, tzinfo=UTC
    )


def test_huge_digit_runs_are_refused_in_linear_time() -> None:
    for text in ("9" * 5000, "2020" + "1" * 100_000, "2020-08-05T" + "1" * 100_000 + "Z"):
        assert parse_date(text) is None

    def refuse(digits: int) -> Callable[[], object]:
        texts = ("9" * digits, "2020" + "1" * digits, "2020-08-05T" + "1" * digits + "Z")
        return lambda: [parse_date(text) for text in texts]

    assert_linear(refuse, 10_000)


def test_rfi_dateline_is_paris_time_with_summer_and_winter() -> None:
    assert rfi_dateline("05/08/2020 - 12:02") == datetime(2020, 8, 5, 10, 2, tzinfo=UTC)  # CEST
    assert rfi_dateline("05/01/2020 - 12:02") == datetime(2020, 1, 5, 11, 2, tzinfo=UTC)  # CET
    assert rfi_dateline("31/02/2020 - 12:02") is None
    assert rfi_dateline("05/08/2020 - 12:02 extra") is None


def test_datelines_give_the_day() -> None:
    assert epoch_dateline_day("【大纪元2020年10月20日讯】（大纪元记者李辰报导）") == date(
        2020, 10, 20
    )
    near = datetime(2020, 11, 1, 2, 0, tzinfo=UTC)  # 1 Nov in Taipei
    assert cna_dateline_day("（中央社記者江今葉華盛頓31日專電）美國", near) == date(2020, 10, 31)
    assert cna_dateline_day("（中央社台北1日電）", near) == date(2020, 11, 1)
    assert cna_dateline_day("沒有電頭", near) is None


HEAD = """---
title: "t"
date: {date}
author: {outlet}
from: https://example.org/a
---
<!--1603152000000-->
[t](https://example.org/a)
------
"""  # archived at 2020-10-20T00:00:00Z


def _article(outlet: str, body: str, fm_date: str = "2020-10-20T00:00:00.000Z") -> Article:
    article, problems = parse_article(HEAD.format(date=fm_date, outlet=outlet) + body)
    assert problems == []
    return article


def test_front_matter_date_equal_to_archive_time_is_archived() -> None:
    article = _article("联合早报", "<p>正文。</p>")
    assert article.published_source is DateSource.ARCHIVED
    other = _article("联合早报", "<p>正文。</p>", fm_date="2020-10-19 20:00:00 +0800")
    assert other.published_source is DateSource.FRONT_MATTER
    assert other.published_at == datetime(2020, 10, 19, 12, 0, tzinfo=UTC)


def test_nyt_date_line_is_beijing_time() -> None:
    article = _article("纽约时报", "<div><i>储百亮<br>2020-10-19 18:35:10</i></div><p>正文。</p>")
    assert article.published_source is DateSource.BODY
    assert article.published_at == datetime(2020, 10, 19, 10, 35, 10, tzinfo=UTC)
    assert article.author == "储百亮"


@pytest.mark.parametrize(
    ("line", "author"),
    [
        ("达扬（摘编）", "达扬"),
        ("采访记者： William Yang", "William Yang"),
        ("洪沙 （综合报道）", "洪沙"),
    ],
)
def test_dw_roles_around_the_name(line: str, author: str) -> None:
    body = f"<div><i>{line}<br>2020-10-19T08:00:00.000Z</i></div><p>正文。</p>"
    assert _article("德国之声", body).author == author


def test_dw_null_author_prefix() -> None:
    article = _article(
        "德国之声", "<div><i>null 张慈<br>2020-10-19T08:00:00.000Z</i></div><p>正文。</p>"
    )
    assert article.author == "张慈"


def test_rfi_body_line_is_the_publication_time() -> None:
    article = _article("法广", "<div><div>19/10/2020 - 23:30</div><p>正文。</p></div>")
    assert article.published_source is DateSource.BODY
    assert article.published_at == datetime(2020, 10, 19, 21, 30, tzinfo=UTC)
    assert article.body_text == "正文。"


def test_epoch_dateline_wins_when_it_disagrees() -> None:
    body = "<p>【大纪元2020年10月17日讯】（大纪元记者萧律生、骆亚采访报导）正文。</p>"
    article = _article("大纪元", body)
    assert article.published_source is DateSource.BODY_DATELINE
    assert article.published_at == datetime(2020, 10, 16, 16, 0, tzinfo=UTC)  # 17th, Beijing
    assert article.author == "萧律生, 骆亚"
    same_day = _article("大纪元", body.replace("17日", "20日"))
    assert same_day.published_source is DateSource.ARCHIVED


def test_cna_dateline_refines_the_day() -> None:
    # Crawled 2020-10-20 08:00 Taipei; "（…19日電）" says the 19th.
    article = _article("(臺)中央社CNA", "<p>（中央社記者張謙香港19日電）正文。</p>")
    assert article.published_source is DateSource.BODY_DATELINE
    assert article.published_at == datetime(2020, 10, 18, 16, 0, tzinfo=UTC)
    assert article.author == "張謙"
    same = _article("(臺)中央社CNA", "<p>（中央社記者張謙香港20日電）正文。</p>")
    assert same.published_source is DateSource.ARCHIVED


def test_a_stamp_of_5000_digits_is_one_problem() -> None:
    text = "<!--" + "9" * 5000 + "-->\n[t](https://example.org/a)\n------\n<p>x</p>"
    article, problems = parse_article(text, path="x.md")
    assert article.archived_at is None
    assert [p.kind for p in problems] == ["layout"]


def test_a_huge_italic_first_line_is_not_a_slow_date_line() -> None:
    body = "<div><i>" + ("作者\n" * 20000) + "</i></div><p>正文。</p>"
    article = _article("德国之声", body)
    assert article.published_source is DateSource.ARCHIVED

    def parse(lines: int) -> Callable[[], object]:
        body = "<div><i>" + ("作者\n" * lines) + "</i></div><p>正文。</p>"
        return lambda: _article("德国之声", body)

    assert_linear(parse, 2000)


# --- the reader's zone: --tz ----------------------------------------------------------------


def test_parse_zone_names_offsets_and_errors() -> None:
    moment = datetime(2020, 8, 5, 20, 30, tzinfo=UTC)
    assert format_moment(moment) == "2020-08-05 20:30 UTC"
    assert (
        format_moment(moment.astimezone(parse_zone("Asia/Taipei"))) == "2020-08-06 04:30 UTC+08:00"
    )
    assert format_day(moment.astimezone(parse_zone("Asia/Taipei"))) == "2020-08-06"
    paris = parse_zone("Europe/Paris")  # daylight saving time is the zone's, not a fixed offset
    assert format_moment(moment.astimezone(paris)) == "2020-08-05 22:30 UTC+02:00"
    winter = datetime(2020, 12, 5, 20, 30, tzinfo=UTC)
    assert format_moment(winter.astimezone(paris)) == "2020-12-05 21:30 UTC+01:00"
    assert parse_zone("+08:00").utcoffset(None) == timedelta(hours=8)
    assert parse_zone("UTC-5").utcoffset(None) == timedelta(hours=-5)
    assert parse_zone("utc") is UTC
    assert parse_zone("local") is not None
    for bad in ("Mars/Base", "../../etc/passwd", "+99:00", "", "Asia/"):
        with pytest.raises(ValueError, match="not a time zone"):
            parse_zone(bad)


def test_since_and_until_are_days_of_the_readers_zone() -> None:
    from newscli.filters import Filters

    # 2022-08-15 01:22 UTC is still the 14th in Honolulu and already the 15th in Taipei.
    article = Article(
        id="0" * 16, path="a.md", title="t", published_at=datetime(2022, 8, 15, 1, 22, tzinfo=UTC)
    )
    hawaii = parse_zone("-10:00")
    assert Filters.parse(since="2022-08-15", until="2022-08-15").matches(article)
    assert not Filters.parse(since="2022-08-15", until="2022-08-15", zone=hawaii).matches(article)
    assert Filters.parse(since="2022-08-14", until="2022-08-14", zone=hawaii).matches(article)


def test_tz_option_on_list_show_and_search(monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from typer.testing import CliRunner

    from newscli import cli

    def run(*args: str) -> str:
        result = CliRunner().invoke(cli.app, list(args))
        assert result.exit_code == 0, result.output
        return result.stdout

    # The older seed was published 2022-08-15 01:22 UTC: the 14th in Honolulu.
    assert "2022-08-15\t" in run("list")
    assert "2022-08-14\t" in run("list", "--tz", "-10:00")
    assert "38cea08e8c8c52de\t2022-08-14" in run("list", "--tz", "Pacific/Honolulu")
    monkeypatch.setenv("NEWSCLI_TZ", "Pacific/Honolulu")
    assert "2022-08-14\t" in run("list")
    assert (
        run("list", "--since", "2022-08-14", "--until", "2022-08-14", "-f", "ids") == "38cea08e8c\n"
    )
    monkeypatch.delenv("NEWSCLI_TZ")
    assert "2022-08-15 09:22 UTC+08:00" in run("show", "38ce", "--tz", "Asia/Taipei")
    assert "2022-08-15 01:22 UTC" in run("show", "38ce")
    assert "38cea08e8c\t2022-08-14\t" in run("search", "雙邊關係", "--tz", "-10:00")
    # JSON keeps one form whatever the zone: UTC with Z.
    row = json.loads(run("list", "-f", "jsonl", "--tz", "Asia/Taipei").split("\n")[1])
    assert row["published_at"] == "2022-08-15T01:22:34Z"
    bad = CliRunner().invoke(cli.app, ["list", "--tz", "Mars/Base"])
    assert bad.exit_code == 2
    assert bad.stderr.startswith("newscli: --tz: 'Mars/Base' is not a time zone")
    assert len(bad.stderr.strip().split("\n")) == 1


def test_format_day_is_strftimes_day_in_every_year() -> None:
    from datetime import datetime

    for year in (1, 999, 1000, 2020, 9999):
        moment = datetime(year, 3, 4, 23, 59)
        assert format_day(moment) == f"{moment:%Y-%m-%d}"
    assert format_day(None) == ""
