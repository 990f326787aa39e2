"""Terminal rendering: CJK wrapping, and untrusted text that must never act on the terminal."""

from __future__ import annotations

import json

from rich.cells import cell_len

from newscli.article import Article, Block, BlockKind
from newscli.export import to_json, to_markdown, to_txt
from newscli.render import article_view, articles_table, make_console, wrap_offsets
from newscli.textsafe import safe, safe_line

HOSTILE = "标题\x1b[31m红\x1b]0;pwned\x07 [bold red]x[/] [link=http://e.vil]y[/link] \u202eevil\x9b2J :smile:"


def _render(renderable: object, width: int = 60) -> str:
    console = make_console(width=width, color="never")
    with console.capture() as capture:
        console.print(renderable)
    return capture.get()


def test_wrap_counts_wide_characters_and_keeps_punctuation_attached() -> None:
    text = "金正恩也致信普京稱，「俄羅斯和朝鮮的友誼是在第二次世界大戰中隨著戰勝占領朝鮮半島的日本而建立的」。"
    lines = [text[a:b] for a, b in wrap_offsets(text, 20)]
    assert "".join(lines) == text
    assert all(cell_len(line) <= 20 for line in lines)
    assert not [line for line in lines if line[0] in "，。」"]


def test_wrap_breaks_latin_at_spaces_and_folds_long_words() -> None:
    text = "美國國防部發言人萊德（Pat Ryder）週二表示 supercalifragilisticexpialidocious"
    lines = [text[a:b] for a, b in wrap_offsets(text, 16)]
    assert all(cell_len(line) <= 16 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


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
