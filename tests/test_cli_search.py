"""`search` through the CLI: patterns, terms, scope, sorting and context."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import lines, run


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
