"""`list` through the CLI: filters, formats, columns and sorting."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from conftest import lines, run

from newscli import cli


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
