"""Terminal rendering: CJK wrapping, and untrusted text that must never act on the terminal."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from conftest import assert_linear
from rich.text import Text

from newscli.article import Article, Block, BlockKind
from newscli.corpus import load_corpus
from newscli.export import to_json, to_markdown, to_txt
from newscli.load import load_articles
from newscli.printer import articles_table
from newscli.render import (
    CJKText,
    article_view,
    make_console,
    pager_command,
    stats_view,
)
from newscli.stats import compute
from newscli.textsafe import safe, safe_line

HOSTILE = "标题\x1b[31m红\x1b]0;pwned\x07 [bold red]x[/] [link=http://e.vil]y[/link] \u202eevil\x9b2J :smile:"


def _render(renderable: object, width: int = 60) -> str:
    console = make_console(width=width, color="never")
    with console.capture() as capture:
        console.print(renderable)
    return capture.get()


def test_safe_makes_controls_visible() -> None:
    assert safe("a\x1b[31mb") == "a␛[31mb"
    assert safe("x\u202ey") == "x<U+202E>y"
    assert safe("\x9b") == "<U+009B>"
    assert safe_line("a\tb\nc") == "a\\tb\\nc"
    assert safe("keep\nnewlines\tand tabs") == "keep\nnewlines\tand tabs"


def _hostile_article() -> Article:
    return Article(
        id="abc",
        path="/tmp/x\udcff.txt",
        title=HOSTILE,
        outlet="[b]o[/b]",
        blocks=[Block(BlockKind.PARAGRAPH, text=HOSTILE), Block(BlockKind.HEADING, text=HOSTILE)],
    )


def test_hostile_text_is_printed_literally_everywhere() -> None:
    article = _hostile_article()
    outputs = [
        _render(article_view(article)),
        _render(articles_table([article], 200), width=200),
        to_txt(article),
        to_markdown(article),
    ]
    for output in outputs:
        assert "\x1b" not in output and "\x07" not in output and "\x9b" not in output
        assert "\u202e" not in output
    view = outputs[0]
    assert "[bold red]x[/]" in view and "[link=http://e.vil]" in view and ":smile:" in view
    assert "␛[31m" in view


def test_json_is_valid_and_inert() -> None:
    serialized = to_json(_hostile_article())
    assert "\x1b" not in serialized and "\u202e" not in serialized and "\x9b" not in serialized
    data = json.loads(serialized)
    assert data["title"] == HOSTILE


def _article_with_pictures(script: str) -> Article:
    url = "https://www.dw.com/zh/" + "%E6%9C%9D" * 30 + "/a-62805621"
    return Article(
        id="abc",
        path="/tmp/a.txt",
        title="朝鮮官媒：普京致函金正恩",
        url=url,
        script=script,
        blocks=[
            Block(BlockKind.IMAGE, text="北韓領導人", image_url="https://e.x/1.jpg"),
            Block(BlockKind.GALLERY, text="中國之行", label="中國"),
        ],
    )


@pytest.mark.parametrize(
    ("written", "script", "picture", "gallery"),
    [
        ("traditional", "original", "圖片", "圖集"),
        ("simplified", "original", "图片", "图集"),
        ("traditional", "simplified", "图片", "图集"),
        ("simplified", "taiwan", "圖片", "圖集"),
        ("simplified", "hongkong", "圖片", "圖集"),
    ],
)
def test_labels_follow_the_script(written: str, script: str, picture: str, gallery: str) -> None:
    article = _article_with_pictures(written)
    view = _render(article_view(article, script), width=200)
    text = to_txt(article, script)
    for output in (view, text):
        assert f"[{picture}" in output and f"[{gallery}]" in output
    other = {"圖片": "图片", "图片": "圖片"}[picture]
    assert other not in view and other not in text


def test_a_url_is_shown_whole_on_a_narrow_terminal() -> None:
    article = _article_with_pictures("traditional")
    console = make_console(width=40, color="never")
    with console.capture() as capture:
        console.print(article_view(article), crop=False)
    assert article.url in capture.get().splitlines()


def test_a_quote_is_drawn_with_a_bar_and_a_paragraph_is_not() -> None:
    paragraph = "記者在現場看到，示威者在警方勸離後陸續散去。"
    quote = "「我們不會屈服，也不會離開。」"
    article = Article(
        id="q",
        path="q.txt",
        title="引語",
        blocks=[Block(BlockKind.PARAGRAPH, text=paragraph), Block(BlockKind.QUOTE, text=quote)],
    )
    lines = [line.rstrip() for line in _render(article_view(article)).splitlines()]
    assert f"│ {quote}" in lines
    assert paragraph in lines and f"│ {paragraph}" not in lines


SENTENCE = "金正恩也致信普京稱，「俄羅斯和朝鮮的友誼是在戰勝日本而建立的」。Pat Ryder 說。"


def test_a_200k_character_paragraph_renders_whole() -> None:
    paragraph = SENTENCE * 6000
    assert len(paragraph) >= 200_000
    console = make_console(width=80, color="never")
    with console.capture() as capture:
        console.print(CJKText(Text(paragraph, style="bold")))
    assert capture.get().replace("\n", "").replace(" ", "") == paragraph.replace(" ", "")


def test_rendering_a_paragraph_is_linear_in_its_length() -> None:
    # Slicing a Text per line was quadratic: a 200k-character paragraph took 78 s.
    console = make_console(width=80, color="never")

    def render(repeats: int) -> Callable[[], object]:
        text = Text(SENTENCE * repeats, style="bold")

        def work() -> None:
            with console.capture():
                console.print(CJKText(text))

        return work

    assert_linear(render, 300)


def test_color_always_wins_over_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    styled = Text("紅", style="red")
    for color, coloured in (("always", True), ("auto", False), ("never", False)):
        console = make_console(color=color, width=20)
        with console.capture() as capture:
            console.print(styled)
        assert ("\x1b[31m" in capture.get()) is coloured, color


@pytest.mark.parametrize(
    ("environ", "command"),
    [
        ({}, ["less", "-R"]),
        ({"LESS": "-X"}, ["less", "-R"]),
        ({"PAGER": "less -S"}, ["less", "-S", "-R"]),
        ({"PAGER": "/usr/bin/less -R"}, ["/usr/bin/less", "-R"]),
        ({"PAGER": "more"}, ["more"]),
        ({"PAGER": "  "}, ["less", "-R"]),
        ({"PAGER": "less '"}, ["less", "-R"]),
    ],
)
def test_pager_command_gives_less_minus_r(environ: dict[str, str], command: list[str]) -> None:
    assert pager_command(environ) == command


def test_the_stats_view_lists_the_largest_and_the_smallest_articles() -> None:
    stats = compute(load_articles(load_corpus(None)).articles)
    lines = [line.rstrip() for line in _render(stats_view(stats, 80), width=80).splitlines()]
    largest = lines.index("largest articles")
    smallest = lines.index("smallest articles")
    assert lines[largest + 1 : largest + 3] == [
        "38cea08e8c     1,786  朝鮮官媒：普京致函金正恩 稱將擴大雙邊關係",
        "dc6d1d42a4     1,068  普京会金正恩 朝俄签订防卫互助协定",
    ]
    assert lines[smallest + 1 : smallest + 3] == [
        "dc6d1d42a4     1,068  普京会金正恩 朝俄签订防卫互助协定",
        "38cea08e8c     1,786  朝鮮官媒：普京致函金正恩 稱將擴大雙邊關係",
    ]
