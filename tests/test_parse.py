"""The parsing layer on the seeds (exact values) and on small constructed files."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from conftest import SEEDS

from newscli.article import BlockKind, DateSource
from newscli.corpus import load_corpus
from newscli.load import load_articles
from newscli.parse import outlet_from_url, parse_article, parse_date, parse_title_link


def _seeds() -> dict[str, object]:
    loaded = load_articles(load_corpus(SEEDS))
    assert loaded.problems == []
    return {a.path.rsplit("/", 1)[-1][:3]: a for a in loaded.articles}


def test_seed_000_metadata() -> None:
    article = _seeds()["000"]
    assert article.title == "朝鮮官媒：普京致函金正恩 稱將擴大雙邊關係"
    assert article.url.startswith("https://www.dw.com/zh/%E6%9C%9D%E9%AE%AE")
    assert article.url.endswith("/a-62805621")
    assert article.outlet == "德国之声"
    assert article.archived_at == datetime(2022, 8, 15, 1, 47, 3, tzinfo=timezone.utc)
    assert article.published_at == datetime(2022, 8, 15, 1, 22, 34, 484000, tzinfo=timezone.utc)
    assert article.published_source is DateSource.BODY
    assert (
        article.lead_image == "https://images.weserv.nl/?url=static.dw.com/image/61921702_303.jpg"
    )
    assert article.lead_caption == "北韩领导人金正恩是普京拉拢的重点对象？"


def test_seed_000_blocks() -> None:
    article = _seeds()["000"]
    kinds = Counter(block.kind for block in article.blocks)
    assert len(article.blocks) == 24
    assert kinds == {
        BlockKind.PARAGRAPH: 11,
        BlockKind.GALLERY: 8,
        BlockKind.HEADING: 2,
        BlockKind.IMAGE: 1,
        BlockKind.SOURCES: 1,
        BlockKind.COPYRIGHT: 1,
    }
    paragraphs = [b.text for b in article.blocks if b.kind is BlockKind.PARAGRAPH]
    assert paragraphs[0] == (
        "（德國之聲中文網）根據朝鮮官媒朝中社（KCNA）週一（8月15日）報導，俄羅斯總統普京因應朝鮮"
        "解放日（韓國稱光復節）在一封寫給金正恩的信中說，俄羅斯與朝鮮要「以共同的努力擴大全面和建設"
        "性的雙邊關係」。"
    )
    assert paragraphs[-1] == (
        "今年2月俄羅斯入侵烏克蘭後，朝鮮為其辯護並在3月的聯合國決議中反對要求俄羅斯結束入侵軍事行動。"
    )
    headings = [b.text for b in article.blocks if b.kind is BlockKind.HEADING]
    assert headings == ["相关图集：朝鲜当权者金正恩去过哪？见过谁？", "俄羅斯朝平壤靠攏"]
    gallery = [b for b in article.blocks if b.kind is BlockKind.GALLERY]
    assert gallery[0].label == "中国"
    assert gallery[0].text.startswith("2018年3月的中国之行是金正恩2011年掌权以来首次踏出国门。")
    assert gallery[0].image_url.endswith("43161445_303.jpg")
    assert article.blocks[-2].text == "（路透社、《獨立報》、朝中社）"
    assert article.blocks[-1].text.startswith("© 2022年德國之聲版權聲明")


def test_seed_002_blocks_links_and_headings() -> None:
    article = _seeds()["002"]
    assert article.title == "普京会金正恩 朝俄签订防卫互助协定"
    assert article.archived_at == datetime(2024, 6, 19, 12, 47, 3, tzinfo=timezone.utc)
    assert article.published_at == datetime(2024, 6, 19, 12, 42, 32, 17000, tzinfo=timezone.utc)
    assert len(article.blocks) == 16
    assert [b.text for b in article.blocks if b.kind is BlockKind.HEADING] == [
        "金正恩：全面支持俄罗斯",
        "普京给金正恩开车",
    ]
    images = [b for b in article.blocks if b.kind is BlockKind.IMAGE]
    assert [b.text for b in images] == ["金正恩亲自迎接了普京", "普京在平壤收到隆重欢迎"]
    first = article.blocks[1]
    # Inline <span> and <a> read as written, and the link is kept.
    assert first.text.startswith(
        "（德国之声中文网）俄罗斯总统普京周三（6月19日）凌晨抵达平壤，对朝鲜进行"
    )
    assert first.links[0].text == "金正恩亲自到机场迎接"
    assert first.links[0].url == "https://api.dw.com/api/detail/article/69399723"
    paragraphs = [b.text for b in article.blocks if b.kind is BlockKind.PARAGRAPH]
    assert paragraphs[-1].endswith('但暗示这些礼物与普京的"形象"有关。')
    # The empty <p> </p> paragraphs are gone; no block is blank.
    assert all(block.text.strip() for block in article.blocks if block.kind is not BlockKind.IMAGE)


FRONT = """---
layout: post
title: "在华美企如何看习近平的\\"内循环\\"？"
date: 2020-10-22T03:04:05.000Z
author: 美国之音
from: https://www.voachinese.com/a/5629.html
tags: [ 美国之音, 经济 ]
categories: [ 美国之音 ]
---
<!--1603335845000-->
[在华美企如何看习近平的"内循环"？](https://www.voachinese.com/a/5629.html)
------

<div>
<div><i>Wed, 21 Oct 2020 22:13:23 GMT</i></div><p>第一段&nbsp;文字&amp;<b>粗</b>体</p><p>A<br>B</p>
<p>前<br><br>后</p><script>alert(1)</script><style>p{}</style><!-- 注释 -->
</div>
"""


def test_front_matter_and_rfc2822_body_date() -> None:
    article, problems = parse_article(FRONT, path="x.md")
    assert problems == []
    assert article.title == '在华美企如何看习近平的"内循环"？'
    assert article.outlet == "美国之音"
    assert article.tags == ["美国之音", "经济"]
    assert article.published_at == datetime(2020, 10, 21, 22, 13, 23, tzinfo=timezone.utc)
    assert article.published_source is DateSource.BODY
    texts = [b.text for b in article.blocks]
    assert texts == ["第一段 文字&粗体", "A\nB", "前", "后"]


def test_front_matter_date_equal_to_the_archive_time_is_a_crawl_time() -> None:
    # date: 2020-10-22T03:04:05.000Z and <!--1603335845000--> are the same instant.
    text = FRONT.replace("<div><i>Wed, 21 Oct 2020 22:13:23 GMT</i></div>", "")
    article, _ = parse_article(text)
    assert article.published_at == datetime(2020, 10, 22, 3, 4, 5, tzinfo=timezone.utc)
    assert article.published_source is DateSource.ARCHIVED


def test_front_matter_date_used_when_body_has_none() -> None:
    text = FRONT.replace("<div><i>Wed, 21 Oct 2020 22:13:23 GMT</i></div>", "").replace(
        "date: 2020-10-22T03:04:05.000Z", "date: 2020-10-21 18:00:00 +0800"
    )
    article, _ = parse_article(text)
    assert article.published_at == datetime(2020, 10, 21, 10, 0, tzinfo=timezone.utc)
    assert article.published_source is DateSource.FRONT_MATTER


def test_archive_time_used_when_nothing_else() -> None:
    article, problems = parse_article("<!--1603335845000-->\n[t](http://x.org/a)\n------\n<p>x</p>")
    assert problems == []
    assert article.published_source is DateSource.ARCHIVED
    assert article.published_at == article.archived_at


def test_title_spanning_lines_in_front_matter() -> None:
    text = '---\ntitle: "多国穆斯林抗议\n"\nauthor: 德国之声\n---\n<!--1599317739000-->\n[多国穆斯林抗议](https://www.dw.com/zh/a-1)\n------\n<p>x</p>'
    article, problems = parse_article(text)
    assert problems == []
    assert article.title == "多国穆斯林抗议"


def test_group_blog_author_is_a_person_and_outlet_is_the_category() -> None:
    text = (
        '---\ntitle: "x"\nauthor: 李光\nfrom: https://zh.bitterwinter.org/a/\ntags: [ 寒冬 ]\n'
        "categories: [ 寒冬 ]\n---\n<!--1603501683000-->\n[x](https://zh.bitterwinter.org/a/)\n------\n<p>y</p>"
    )
    article, _ = parse_article(text)
    assert (article.outlet, article.author) == ("寒冬", "李光")


def test_author_from_date_line() -> None:
    html = "<!--1596593700000-->\n[t](https://www.dw.com/zh/a-1)\n------\n<div><i>William  Yang<br>2020-08-05T02:15:00.000Z</i></div><p>x</p>"
    article, _ = parse_article(html)
    assert article.author == "William Yang"
    assert article.outlet == "德国之声"  # from the url host: there is no front matter


def test_title_link_with_brackets_and_parentheses() -> None:
    assert parse_title_link("[a [b] (c)](https://x.org/p(1))") == (
        "a [b] (c)",
        "https://x.org/p(1)",
    )
    assert parse_title_link("plain title") is None


def test_parse_date_forms() -> None:
    utc = timezone.utc
    assert parse_date("2020-08-05T08:43:54") == datetime(2020, 8, 5, 8, 43, 54, tzinfo=utc)
    assert parse_date("2020-08-05 08:43:54") == datetime(2020, 8, 5, 8, 43, 54, tzinfo=utc)
    assert parse_date("Mon, 03 Aug 2020 22:13:23 GMT") == datetime(
        2020, 8, 3, 22, 13, 23, tzinfo=utc
    )
    assert parse_date("not a date") is None
    assert parse_date("") is None


def test_outlet_from_url() -> None:
    assert outlet_from_url("https://www.dw.com/zh/x") == "德国之声"
    assert outlet_from_url("https://cn.reuters.com/article/x") == "路透"
    assert outlet_from_url("https://news.example.org/x") == "news.example.org"
    assert outlet_from_url("") == ""


def test_figure_caption_and_bold_lead_paragraph() -> None:
    html = (
        "<!--1596593700000-->\n[t](https://zh.bitterwinter.org/a/)\n------\n"
        '<figure><img src="/i.jpg" alt="alt text"><figcaption>圖說</figcaption></figure>'
        "<p><strong>这是一个很长的加粗导语段落，它以句号结束，所以它不是小标题，而是正文的一部分。</strong></p>"
        "<p><strong>小标题</strong></p>"
    )
    article, _ = parse_article(html)
    kinds = [(b.kind, b.text) for b in article.blocks]
    assert kinds[0] == (BlockKind.IMAGE, "圖說")
    assert article.blocks[0].image_url == "https://zh.bitterwinter.org/i.jpg"
    assert kinds[1][0] is BlockKind.PARAGRAPH
    assert kinds[2] == (BlockKind.HEADING, "小标题")


HEADERLESS = """---
layout: post
title: "Hong Kong &amp; the law"
date: 2020-10-20 08:30:00 +0800
author: 一朵后浪
from: https://example.org/hk-law
tags: [ 一朵后浪 ]
categories: [ 一朵后浪 ]
---
<div><p>浪</p><h1>Hong Kong & the law</h1>
<p>第一段。</p><p>第二段。</p>
<h3>Related</h3><ul><li><a href="https://example.org/1">另一篇</a></li>
<li><a href="https://example.org/2">再一篇</a></li></ul></div>
"""


def test_headerless_layout_is_normal() -> None:
    """Front matter straight followed by HTML (no <!--epoch-->, [title](url), ------)."""
    article, problems = parse_article(HEADERLESS, path="x.md")
    assert problems == []
    assert article.title == "Hong Kong & the law"
    assert article.outlet == "一朵后浪"
    assert article.url == "https://example.org/hk-law"
    assert article.published_at == datetime(2020, 10, 20, 0, 30, tzinfo=timezone.utc)
    assert article.published_source is DateSource.FRONT_MATTER
    assert article.archived_at is None
    # The one-character logo, the repeated title and "Related" + headlines are gone.
    assert article.body_text == "第一段。\n\n第二段。"


def test_headerless_keeps_a_related_section_that_is_text() -> None:
    text = HEADERLESS.replace(
        '<ul><li><a href="https://example.org/1">另一篇</a></li>\n<li><a href="https://example.org/2">再一篇</a></li></ul>',
        "<p>" + "这是正文的一部分，并非标题列表。" * 10 + "</p>",
    )
    article, _ = parse_article(text)
    assert "Related" in article.body_text


def test_headerless_layout_loads_without_problems(tmp_path: object) -> None:
    from pathlib import Path

    root = Path(str(tmp_path))
    (root / "2020-10-20-hk.md").write_text(HEADERLESS, encoding="utf-8")
    loaded = load_articles(load_corpus(root))
    assert loaded.problems == []
    assert [a.title for a in loaded.articles] == ["Hong Kong & the law"]


TAG = re.compile(r"<(?:p|div|span|a|img|br|strong|script|style)\b|&(?:nbsp|amp|lt|gt);")


def test_every_post_parses(corpus_slice: Path) -> None:
    loaded = load_articles(load_corpus(corpus_slice))
    assert len(loaded.articles) >= 60
    # Only the archive's one post without a title may be reported.
    assert all("no title" in p.reason for p in loaded.problems), loaded.problems
    outlets = Counter(a.outlet for a in loaded.articles)
    assert len(outlets) >= 18  # every outlet of the archive (group blogs count once)
    for article in loaded.articles:
        assert article.url.startswith("http"), article.path
        assert article.published_at is not None, article.path
        assert article.outlet, article.path
        assert "\n" not in article.title, article.path
        for block in article.blocks:
            assert not TAG.search(block.text), (article.path, block.text[:80])
            if block.kind is not BlockKind.IMAGE:
                assert block.text.strip() or block.label, article.path


def test_outlet_specific_shapes(corpus_slice: Path) -> None:
    articles = load_articles(load_corpus(corpus_slice)).articles
    by_outlet: dict[str, list] = {}  # type: ignore[type-arg]
    for article in articles:
        by_outlet.setdefault(article.outlet, []).append(article)
    # Reuters and VOA carry their own publication time in the body; CNA does not.
    assert any(a.published_source.value == "body" for a in by_outlet["路透"])
    assert any(a.published_source.value == "body" for a in by_outlet["美国之音"])
    # CNA's front-matter date is the crawl time (archived), refined by its dateline day.
    assert all(
        a.published_source.value in ("archived", "body_dateline")
        for a in by_outlet["(臺)中央社CNA"]
    )
    # Site furniture is not text: no CNA newsletter box, no ad slots.
    for article in by_outlet["(臺)中央社CNA"]:
        assert "訂閱《早安世界》" not in article.body_text
    # Most posts have paragraphs of real length.
    assert sum(1 for a in articles if a.char_count > 200) > len(articles) * 0.8
