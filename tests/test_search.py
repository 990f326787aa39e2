"""Search finds both scripts, reports spans in the original text, and builds snippets."""

from __future__ import annotations

import pytest
from conftest import SEEDS

from newscli.corpus import load_corpus
from newscli.load import load_articles
from newscli.search import Hit, Matcher, QueryError, search, snippet


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
