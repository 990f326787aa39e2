"""Search finds both scripts, reports spans in the original text, and builds snippets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import SEEDS, run

from newscli import search as search_module
from newscli.article import Article
from newscli.chinese import CASE_FOLD, normalize
from newscli.corpus import load_corpus
from newscli.load import load_articles
from newscli.search import (
    Hit,
    Matcher,
    Query,
    QueryError,
    Scope,
    Term,
    article_hits,
    parse_expression,
    run_query,
    search,
    snippet,
    text_hits,
)


def _articles():  # type: ignore[no-untyped-def]
    return load_articles(load_corpus(SEEDS)).articles


@pytest.mark.parametrize(
    ("query", "expected_text"),
    [
        ("双边关系", "雙邊關係"),
        ("雙邊關係", "雙邊關係"),
        ("防衛互助協定", "防卫互助协定"),
        ("防卫互助协定", "防卫互助协定"),
    ],
)
def test_query_in_either_script_finds_both(query: str, expected_text: str) -> None:
    results = list(search(_articles(), Matcher(query)))
    assert results, query
    first = results[0]
    hit = first.hits[0]
    text = first.article.text
    # The span points into the original text, whatever script the query was in.
    assert text[hit.start : hit.end] in {expected_text, query}


def test_shuangbian_hits_in_both_seed_articles_and_scripts() -> None:
    results = {r.article.id: r for r in search(_articles(), Matcher("双边关系"))}
    (result,) = results.values()  # only seed 000 talks of 双边关系 …
    found = {result.article.text[h.start : h.end] for h in result.hits}
    assert found == {"雙邊關係", "双边关系"}  # … in its Traditional body and Simplified gallery
    assert len(result.hits) == 3


def test_ignore_case_and_regex() -> None:
    articles = _articles()
    assert not list(search(articles, Matcher("kcna")))
    assert list(search(articles, Matcher("kcna", ignore_case=True)))
    regex_hits = list(search(articles, Matcher(r"防[衛卫]\w{2}", regex=True)))
    assert regex_hits
    assert list(search(articles, Matcher(r"[A-Z]{4}", regex=True, ignore_case=True)))


def test_bad_queries() -> None:
    with pytest.raises(QueryError):
        Matcher("")
    with pytest.raises(QueryError, match="invalid regular expression"):
        Matcher("(", regex=True)


def test_snippet_window_and_highlight() -> None:
    text = "标题\n\n" + "甲" * 50 + "目标" + "乙" * 50 + "\n\n下一段"
    start = text.index("目标")
    piece = snippet(text, Hit(start, start + 2), context=30)
    assert piece.text[piece.highlight[0] : piece.highlight[1]] == "目标"
    assert piece.text == "甲" * 30 + "目标" + "乙" * 30
    assert piece.cut_before and piece.cut_after
    # A hit near a paragraph edge does not borrow text from the next paragraph.
    start = text.index("下一段")
    piece = snippet(text, Hit(start, start + 3))
    assert piece.text == "下一段" and not piece.cut_before


# --- the same matching over the index's text file (bytes) ------------------------------

TEXTS = [
    "Trump 与 TRUMP 会面，trump 说",
    "没有",
    "ＴＲＵＭＰ（全角）和 Ｔｒｕｍｐ 来了",
    "美國總統川普 Trump",
    "x",
]


def _chunk(
    texts: list[str], dead: bytes = b"TRUMP trump \x00"
) -> tuple[bytes, list[int], list[int]]:
    """Normalized texts laid out as in the text file, a dead region before each one."""
    data = b""
    starts: list[int] = []
    ends: list[int] = []
    for text in texts:
        data += dead
        encoded = normalize(text).encode("utf-8")
        starts.append(len(data))
        ends.append(len(data) + len(encoded))
        data += encoded + b"\x00"
    return data, starts, ends


@pytest.mark.parametrize(
    ("query", "options"),
    [
        ("trump", {}),
        ("trump", {"ignore_case": True}),
        ("ｔｒｕｍｐ", {"ignore_case": True}),
        ("ＴＲＵＭＰ", {}),
        ("美国总统", {}),
        ("美國總統", {"ignore_case": True}),
        (r"t\w+p", {"regex": True, "ignore_case": True}),
        ("x*", {"regex": True}),
        ("(?=T)", {"regex": True}),
        ("不在", {}),
    ],
)
def test_chunk_counts_equal_find(query: str, options: dict) -> None:  # type: ignore[type-arg]
    matcher = Matcher(query, **options)
    chunk, starts, ends = _chunk(TEXTS)
    expected = [
        (index, len(matcher.find(matcher.normalize(text))))
        for index, text in enumerate(TEXTS)
        if matcher.find(matcher.normalize(text))
    ]
    assert matcher.count_in_chunk(chunk, starts, ends) == expected


def test_byte_pattern_follows_the_case_folding_table() -> None:
    """Every letter normalize(…, ignore_case=True) folds is found in either case."""
    assert Matcher("trump").byte_pattern is None  # case kept: a plain bytes.find
    for upper, lower in CASE_FOLD.items():
        matcher = Matcher(chr(lower) * 2, ignore_case=True)
        text = (chr(upper) + chr(lower)).encode("utf-8")
        assert matcher.count_in_chunk(text, [0], [len(text)]) == [(0, 1)], chr(upper)
        assert matcher.normalize(chr(upper)) == chr(lower)


def test_a_hit_in_a_dead_region_is_no_hit() -> None:
    chunk, starts, ends = _chunk(["没有", "也没有"], dead=b"trump trump\x00")
    assert Matcher("trump").count_in_chunk(chunk, starts, ends) == []
    assert Matcher("TRUMP", ignore_case=True).count_in_chunk(chunk, starts, ends) == []


def test_an_empty_match_is_no_hit() -> None:
    chunk, starts, ends = _chunk(TEXTS)
    assert Matcher("x*", regex=True).count_in_chunk(chunk, starts, ends) == [(4, 1)]
    assert Matcher("(?=T)", regex=True).count_in_chunk(chunk, starts, ends) == []
    assert Matcher("(?=T)", regex=True).find("Trump") == []


def test_a_regex_past_its_time_limit_on_one_article_is_a_query_error() -> None:
    from newscli.search import RegexTooSlow

    matcher = Matcher(r"(\w+\s?)+$", regex=True, timeout=0.05)
    with pytest.raises(RegexTooSlow, match=r"took more than 0\.05 s on one article"):
        matcher.find("ab " * 2_000 + "!")
    assert isinstance(RegexTooSlow("x"), QueryError)
    # Ordinary patterns on real articles are untouched by the limit.
    quick = Matcher(r"雙邊關係|双边关系", regex=True, timeout=0.05)
    assert any(quick.find(quick.normalize(article.text)) for article in _articles())


# --- query expressions ------------------------------------------------------------------------


def _expression_query(text: str) -> Query:
    expression, matchers = parse_expression(text, lambda term: Term(Matcher(term)))
    return Query(matchers, expression=expression)


def _titled(*titles: str) -> list[Article]:
    return [Article(id=f"{n:016x}", path=f"/{n}.md", title=t) for n, t in enumerate(titles)]


EXPRESSION_TITLES = (
    "川普談台灣",  # 0
    "特朗普與臺灣股市",  # 1
    "特朗普訪問臺灣",  # 2
    "川普談股市",  # 3
    "美國 總統 大選",  # 4
    "美國總統大選",  # 5
)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("(川普 OR 特朗普) AND 台灣 NOT 股市", {0, 2}),
        ("(川普 OR 特朗普) 台灣", {0, 1, 2}),  # a space is AND
        ("川普 OR 特朗普 台灣", {0, 1, 2, 3}),  # AND binds tighter than OR
        ("NOT 股市 川普", {0}),
        ('"美國 總統"', {4}),  # a quoted phrase keeps its space
        ("美國 總統", {4, 5}),
        ("股市 AND NOT (川普 OR 台湾)", set()),
        ("股市 AND NOT (川普 OR 美国)", {1}),
    ],
)
def test_expressions_select_articles(expression: str, expected: set[int]) -> None:
    articles = _titled(*EXPRESSION_TITLES)
    found = {int(r.article.id, 16) for r in run_query(articles, _expression_query(expression))}
    assert found == expected


def test_expression_hits_come_from_terms_outside_not() -> None:
    (result,) = run_query(_titled("特朗普與臺灣股市"), _expression_query("特朗普 台灣 NOT 川普"))
    text = result.article.text
    assert [text[h.start : h.end] for h in result.hits] == ["特朗普", "臺灣"]
    assert not _expression_query("川普 OR 特朗普").simple


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("(川普", "ends too early"),
        ("川普)", "unexpected ')'"),
        ('"川普', "unclosed quote"),
        ("NOT 川普", "outside NOT"),
        ("川普 OR", "ends too early"),
        ('""', "empty"),
    ],
)
def test_bad_expressions_are_query_errors(expression: str, reason: str) -> None:
    with pytest.raises(QueryError, match=re.escape(reason)):
        _expression_query(expression)


# --- hits from the index's normalized text ------------------------------------------------


def test_text_hits_from_the_stored_normalized_text_equal_article_hits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Given normalize(text) (what the index stores), hits are found without converting
    the text again, in every kind of query, and are the same as article_hits'."""
    queries = [
        Query((Matcher("双边关系"),)),
        Query((Matcher("kcna", ignore_case=True),)),
        Query((Matcher("雙邊.係", regex=True),)),
        Query((Matcher("北韓"), Matcher("朝鲜")), scope=Scope.BODY, word=True),
        Query((Matcher("的"),), max_hits=2, exclude=(Matcher("不存在的詞"),)),
    ]
    articles = _articles()
    expected = [[article_hits(a, q) for a in articles] for q in queries]
    stored = [(a.text, len(a.title), normalize(a.text)) for a in articles]
    assert any(any(hits) for hits in expected)

    def no_conversion(text: str, ignore_case: bool = False) -> str:
        raise AssertionError("converted again")

    monkeypatch.setattr(search_module, "normalize", no_conversion)
    found = [[text_hits(t, size, q, n) for t, size, n in stored] for q in queries]
    assert found == expected


def test_text_hits_ignore_a_normalized_text_of_another_length() -> None:
    text = "臺灣的雙邊關係"
    query = Query((Matcher("台湾"),))
    assert text_hits(text, 2, query, "台湾") == text_hits(text, 2, query) == [Hit(0, 2)]


# --- search output served from the index equals the files' -------------------------------

SAME_OUTPUT_QUERIES = [
    ["的"],
    ["台灣"],
    ["美國", "-C", "10"],
    ["Trump"],
    ["trump", "-i"],
    ["US", "-w", "-i"],
    ["美[国國]", "--regex"],
    ["-e", "川普", "-e", "特朗普"],
    ["--variants", "特朗普"],
    ["--expr", "(川普 OR 特朗普) AND 台灣 NOT 股市"],
    ["--expr", "美国 中国"],
    ["中国", "--in", "title"],
    ["中国", "--in", "body", "-m", "2"],
    ["中国", "--not", "美国", "--max-results", "4"],
    ["-e", "美国", "-e", "中国", "--all-terms"],
    ["的", "--sort", "hits", "--max-results", "5"],
    ["拜登", "-o"],
    ["中国", "--by", "month"],
    ["中国", "--format", "kwic", "-C", "8"],
    ["台灣", "--format", "kwic-jsonl"],
    ["--variants", "特朗普", "--format", "kwic-csv"],
    ["中国", "--json"],
    ["--variants", "川普", "--json"],
    ["-e", "台湾", "-e", "台灣", "--json", "-i"],
    ["美国", "--color", "always"],
    ["-c", "-e", "川普", "-e", "特朗普"],
    ["-c", "--variants", "特朗普"],
    ["-c", "--expr", "川普 OR 特朗普"],
    ["-c", "-e", "台湾", "-e", "台灣"],
    # printed as found, newest first, from the text file (one pattern, no filter)
    ["台灣", "--max-results", "70"],
    ["台灣", "--in", "title"],
    ["台灣", "-o"],
    ["台灣", "--color", "always"],
    ["國", "-w", "-m", "3"],
    ["美國", "--not", "中國"],
    ["台灣", "--since", "2020-10"],
]


def _without_times(stdout: str) -> str:
    """rg's JSON events carry elapsed times: everything else must match byte for byte."""
    if not stdout.startswith('{"type"'):
        return stdout
    return re.sub(r'"elapsed(_total)?": \{[^}]*\}', '"elapsed": -', stdout)


@pytest.mark.parametrize("arguments", SAME_OUTPUT_QUERIES, ids=" ".join)
def test_search_output_on_the_index_is_the_files_byte_for_byte(
    corpus_slice: Path, arguments: list[str]
) -> None:
    """Snippets, colours, JSON events and kwic lines served from the index's stored text
    are what reading every file gives (`--no-index`)."""
    corpus = ["--corpus", str(corpus_slice)]
    indexed = run("search", *arguments, *corpus)
    files = run("search", *arguments, *corpus, "--no-index")
    assert indexed.exit_code == files.exit_code == 0  # every query finds something
    assert _without_times(indexed.stdout) == _without_times(files.stdout)


def test_piped_search_builds_no_rich_renderable(
    corpus_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pipe gets plain lines: no rich object is made for them."""
    from newscli import render

    def forbidden(*args: object) -> None:
        raise AssertionError("a rich renderable was built for a pipe")

    monkeypatch.setattr(render, "search_result_view", forbidden)
    result = run("search", "台灣", "--corpus", str(corpus_slice))
    assert result.exit_code == 0 and result.stdout.count("\n\t") > 3


@pytest.mark.parametrize(
    "matcher",
    [Matcher("台灣"), Matcher("trump", ignore_case=True), Matcher("台[湾灣]", regex=True)],
    ids=["literal", "ignore-case", "regex"],
)
@pytest.mark.parametrize("max_hits", [None, 1, 2])
def test_one_pattern_hits_are_the_general_answer(matcher: Matcher, max_hits: int | None) -> None:
    """The shortcut for one pattern anywhere (Query.one_pattern) finds what the general
    path (a pattern, an exclusion that never occurs) finds, with or without the stored
    normalized text."""
    text = "台灣 Trump\n\n台湾、TRUMP 與臺灣；trump 台灣"
    normalized = normalize(text)
    alone = Query((matcher,), max_hits=max_hits)
    general = Query((matcher,), max_hits=max_hits, exclude=(Matcher("不會出現"),))
    assert alone.one_pattern and not general.one_pattern
    expected = text_hits(text, 2, general)
    assert expected and text_hits(text, 2, alone) == expected
    assert text_hits(text, 2, alone, normalized) == expected
