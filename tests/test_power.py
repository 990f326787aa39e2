"""Filters, output formats, search options, batch export and stats, through the CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newscli import cli
from newscli.filters import parse_day

runner = CliRunner()


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(cli.app, list(args))


def lines(*args: str) -> list[str]:
    result = run(*args)
    assert result.exit_code in (0, 1), result.stderr
    return result.stdout.splitlines()


# --- filters ----------------------------------------------------------------------------------


def test_filters_on_the_seeds() -> None:
    assert lines("list", "-f", "ids", "--since", "2024") == ["dc6d1d42a4"]
    assert lines("list", "-f", "ids", "--until", "2022-08") == ["38cea08e8c"]
    assert lines("list", "-f", "ids", "--since", "2022-08-15", "--until", "2022-08-15") == [
        "38cea08e8c"
    ]
    assert lines("list", "-f", "ids", "--outlet", "德國之聲") == ["dc6d1d42a4", "38cea08e8c"]
    assert lines("list", "-f", "ids", "--outlet", "BBC") == []
    assert lines("list", "-f", "ids", "--script", "mixed") == ["38cea08e8c"]
    assert lines("list", "-f", "ids", "--script", "simplified", "--script", "traditional") == [
        "dc6d1d42a4"
    ]
    bad = run("list", "--since", "2024-13")
    assert bad.exit_code == 2 and "is not a date" in bad.stderr


def test_parse_day() -> None:
    assert str(parse_day("2020")) == "2020-01-01"
    assert str(parse_day("2020", end=True)) == "2020-12-31"
    assert str(parse_day("2020-02", end=True)) == "2020-02-29"
    with pytest.raises(ValueError):
        parse_day("yesterday")


def test_filters_on_real_posts(corpus_slice: Path) -> None:
    corpus = ["--corpus", str(corpus_slice)]
    every = json.loads(
        run("list", "-f", "json", "--columns", "id,outlet,published,script,tags", *corpus).stdout
    )
    dw = [row["id"][:10] for row in every if row["outlet"] == "德国之声"]
    assert sorted(lines("list", "-f", "ids", "--outlet", "德國之聲", *corpus)) == sorted(dw)
    august = [row["id"][:10] for row in every if row["published_at"].startswith("2020-08")]
    assert sorted(
        lines("list", "-f", "ids", "--since", "2020-08", "--until", "2020-08", *corpus)
    ) == sorted(august)
    traditional = [row["id"][:10] for row in every if row["script"] == "traditional"]
    assert traditional and sorted(
        lines("list", "-f", "ids", "--script", "traditional", *corpus)
    ) == sorted(traditional)
    tagged = [row["id"][:10] for row in every if "路透" in row["tags"]]
    assert tagged and sorted(lines("list", "-f", "ids", "--tag", "路透", *corpus)) == sorted(tagged)
    # search, stats and convert --all use the same filters
    hits = set(lines("search", "-l", "的", "--outlet", "德國之聲", *corpus))
    assert hits and hits <= set(dw)
    stats = json.loads(run("stats", "--json", "--outlet", "德國之聲", *corpus).stdout)
    assert stats["articles"] == len(dw) and stats["outlets"] == {"德国之声": len(dw)}
    exported = run(
        "convert", "--all", "--to", "jsonl", "--outlet", "德國之聲", *corpus
    ).stdout.splitlines()
    assert sorted(json.loads(line)["id"][:10] for line in exported) == sorted(dw)


# --- list formats -------------------------------------------------------------------------------


def test_list_formats_and_columns() -> None:
    assert lines("list", "-f", "tsv", "--columns", "id,chars") == [
        "id\tchars",
        "dc6d1d42a40981a9\t1068",
        "38cea08e8c8c52de\t1786",
    ]
    rows = list(csv.reader(io.StringIO(run("list", "-f", "csv").stdout)))
    assert rows[0] == ["id", "published", "outlet", "title", "chars"]
    assert rows[2] == [
        "38cea08e8c8c52de",
        "2022-08-15",
        "德国之声",
        "朝鮮官媒：普京致函金正恩 稱將擴大雙邊關係",
        "1786",
    ]
    as_json = json.loads(run("list", "-f", "json", "--columns", "id,url,chars").stdout)
    assert as_json[0]["chars"] == 1068 and as_json[0]["url"].endswith("/a-69414812")
    jsonl = [
        json.loads(line)
        for line in lines("list", "-f", "jsonl", "--columns", "title,author,archived")
    ]
    assert jsonl[1] == {
        "title": "朝鮮官媒：普京致函金正恩 稱將擴大雙邊關係",
        "author": None,
        "archived_at": "2022-08-15T01:47:03Z",
    }
    bad = run("list", "--columns", "id,nope")
    assert bad.exit_code == 2 and "unknown column nope" in bad.stderr


def test_list_sorting() -> None:
    assert lines("list", "-f", "ids", "--sort", "size") == ["38cea08e8c", "dc6d1d42a4"]
    assert lines("list", "-f", "ids", "--sort", "size", "--reverse") == ["dc6d1d42a4", "38cea08e8c"]
    assert lines("list", "-f", "ids", "--sort", "title") == ["dc6d1d42a4", "38cea08e8c"]  # 普 < 朝
    assert lines("list", "-f", "ids", "--sort", "archived", "--reverse") == [
        "38cea08e8c",
        "dc6d1d42a4",
    ]
    # One outlet: ties keep path order.
    assert lines("list", "-f", "ids", "--sort", "outlet", "--limit", "1") == ["38cea08e8c"]


def test_list_table_with_chosen_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "_stdout_is_terminal", lambda: True)
    table = run("list", "--columns", "id,script,title").stdout.splitlines()
    assert table[0].split() == ["id", "script", "title"]
    assert table[2].startswith("38cea08e8c  mixed       朝鮮官媒")


# --- search -----------------------------------------------------------------------------------


def test_search_patterns_all_terms_not_and_scope() -> None:
    assert lines("search", "-l", "-e", "防卫互助", "-e", "双边关系") == ["dc6d1d42a4", "38cea08e8c"]
    assert lines("search", "-l", "-e", "金正恩", "-e", "防卫互助", "--all-terms") == ["dc6d1d42a4"]
    assert lines("search", "-l", "金正恩", "--not", "朝中社") == ["dc6d1d42a4"]
    assert lines("search", "-l", "金正恩", "--not", "雙邊") == []  # 002 has 双边 too
    assert lines("search", "-l", "普京", "--in", "title") == ["dc6d1d42a4", "38cea08e8c"]
    assert lines("search", "-l", "乌克兰", "--in", "title") == []
    assert run("search", "乌克兰", "--in", "title").exit_code == 1
    assert lines("search", "-c", "金正恩", "--in", "body")[1].split("\t")[:2] == [
        "dc6d1d42a40981a9",
        "10",
    ]
    assert lines("search", "-c", "金正恩", "-m", "3", "--no-headers") == [
        "dc6d1d42a40981a9\t3\t普京会金正恩 朝俄签订防卫互助协定",
        "38cea08e8c8c52de\t3\t朝鮮官媒：普京致函金正恩 稱將擴大雙邊關係",
    ]
    no_query = run("search")
    assert no_query.exit_code == 2 and "give a QUERY" in no_query.stderr


def test_search_sort_max_results_and_context() -> None:
    assert lines("search", "-l", "金正恩", "--sort", "hits") == ["38cea08e8c", "dc6d1d42a4"]
    assert lines("search", "-l", "金正恩", "--sort", "hits", "--max-results", "1") == ["38cea08e8c"]
    wide = lines("search", "双边关系", "-C", "5")
    assert wide[2] == "\t…和建設性的雙邊關係」。"
    assert lines("search", "双边关系", "-C", "0")[2] == "\t…雙邊關係…"


def test_search_on_real_posts_with_every_option(corpus_slice: Path) -> None:
    corpus = ["--corpus", str(corpus_slice)]
    for extra in ([], ["--no-index"]):
        events = [
            json.loads(x)
            for x in lines(
                "search",
                "-e",
                "美国",
                "-e",
                "中国",
                "--in",
                "body",
                "-m",
                "2",
                "--json",
                *corpus,
                *extra,
            )
        ]
        ends = [e["data"]["stats"]["matches"] for e in events if e["type"] == "end"]
        assert ends and max(ends) <= 2
        assert events[-1]["data"]["stats"]["searches_with_match"] == len(ends)
    with_index = lines("search", "-c", "-e", "美国", "--not", "中国", "--sort", "hits", *corpus)
    assert with_index == lines(
        "search", "-c", "-e", "美国", "--not", "中国", "--sort", "hits", "--no-index", *corpus
    )


# --- convert ----------------------------------------------------------------------------------


def test_convert_several_into_a_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("convert", "000", "002", "--out-dir", str(out), "--to", "md")
    assert result.exit_code == 0 and result.stdout.strip() == f"2 written to {out}"
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "2022-08-15_38cea08e8c_朝鮮官媒：普京致函金正恩 稱將擴大雙邊關係.md",
        "2024-06-19_dc6d1d42a4_普京会金正恩 朝俄签订防卫互助协定.md",
    ]
    again = run("convert", "--all", "--out-dir", str(out), "--to", "md")
    assert again.exit_code == 1 and again.stderr.count("already exists") == 2
    assert run("convert", "--all", "--out-dir", str(out), "--to", "md", "--force").exit_code == 0
    several = run("convert", "000", "002")
    assert several.exit_code == 2 and "--out-dir" in several.stderr
    assert run("convert").exit_code == 2
    assert run("convert", "000", "--all").exit_code == 2


def test_export_names_are_safe(tmp_path: Path) -> None:
    from newscli.article import Article
    from newscli.output import export_name

    hostile = Article(
        id="0123456789abcdef", path="x", title='a/b\\c:d*e?f"g<h>i|j\x1b\u202e ' + "长" * 200 + " ."
    )
    name = export_name(hostile, "txt")
    assert name.startswith("undated_0123456789_a b c d e f g h i j")
    assert not set('/\\:*?"<>|\x1b\u202e') & set(name)
    assert len(name.encode()) <= 160 and name.endswith(".txt")
    (tmp_path / name).write_text("ok")


def test_convert_jsonl_and_script(tmp_path: Path) -> None:
    rows = [json.loads(line) for line in lines("convert", "--all", "--to", "jsonl")]
    assert [row["id"][:10] for row in rows] == ["dc6d1d42a4", "38cea08e8c"]
    assert {"title", "blocks", "text", "published_at", "outlet", "script"} <= set(rows[0])
    converted = [
        json.loads(line)
        for line in lines("convert", "--all", "--to", "jsonl", "--script", "traditional")
    ]
    assert converted[0]["title"] == "普京會金正恩 朝俄簽訂防衛互助協定"
    assert "防衛互助協定" in converted[0]["text"]
    txt = run("convert", "002", "--script", "simplified", "-s", "taiwan").stdout
    assert txt.startswith("普京會金正恩 朝俄簽訂防衛互助協定")
    target = tmp_path / "all.jsonl"
    assert run("convert", "--all", "--to", "jsonl", "-o", str(target)).exit_code == 0
    assert len(target.read_text(encoding="utf-8").splitlines()) == 2


def test_round_trip_list_json_to_convert_json(corpus_slice: Path) -> None:
    corpus = ["--corpus", str(corpus_slice)]
    listed = json.loads(
        run("list", "-f", "json", "--columns", "id,title,published_at", *corpus).stdout
    )
    assert len(listed) >= 60
    for row in listed[:25]:
        exported = json.loads(run("convert", row["id"], "--to", "json", *corpus).stdout)
        assert exported["title"] == row["title"]
        # One vocabulary: the same id and the same timestamp string in list and convert.
        assert exported["id"] == row["id"]
        assert exported["published_at"] == row["published_at"]


# --- stats ------------------------------------------------------------------------------------


def test_stats_on_the_seeds(monkeypatch: pytest.MonkeyPatch) -> None:
    data = json.loads(run("stats", "--json").stdout)
    assert data["articles"] == 2 and data["characters"] == 1068 + 1786
    assert data["outlets"] == {"德国之声": 2}
    assert data["scripts"] == {"traditional": 0, "simplified": 1, "mixed": 1, "other": 0}
    assert data["first_published_at"] == "2022-08-15T01:22:34Z"
    assert data["last_published_at"] == "2024-06-19T12:42:32Z"
    assert (
        len(data["months"]) == 23
        and data["months"]["2022-08"] == 1
        and data["months"]["2023-01"] == 0
    )
    assert data["largest"][0]["id"] == "38cea08e8c8c52de"
    assert data["smallest"][0]["id"] == "dc6d1d42a40981a9"
    monkeypatch.setattr(cli, "_stdout_is_terminal", lambda: True)
    view = run("stats").stdout
    assert view.startswith("2 articles, 2,854 characters, published 2022-08-15 … 2024-06-19")
    assert "2022-09 … 2024-05" in view  # empty months folded into one line
    assert "德国之声  2 █" in view


# --- everyday polish --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command", ["list", "show", "search", "convert", "stats", "check", "index"]
)
def test_every_help_has_an_example(command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0 and "Example: newscli" in result.stdout


def test_color_option(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "_stdout_is_terminal", lambda: True)
    monkeypatch.delenv("NO_COLOR")
    coloured = run("--color", "always", "search", "雙邊關係").stdout
    assert "\x1b[" in coloured
    plain = run("--color", "never", "search", "雙邊關係").stdout
    assert "\x1b[" not in plain and "雙邊關係" in plain
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in run("search", "雙邊關係").stdout
