"""Markdown exports are safe by construction: a url can only ever be one inert link."""

from __future__ import annotations

import re

from newscli.article import Article, Block, BlockKind, Link
from newscli.export import md_url, to_markdown

HOSTILE_IMAGES = [
    'http://i/x.jpg"><script>alert(1)</script>',
    "http://i/x.jpg)[INJECTED](http://evil.example/)",
    "http://i/x.jpg> <b>bold</b>",
    "http://i/a b.jpg",
]


def _article(**fields: object) -> Article:
    base: dict[str, object] = {"id": "0" * 16, "path": "x.md", "title": "標題"}
    base.update(fields)
    return Article(**base)  # type: ignore[arg-type]


def _links(markdown: str) -> list[str]:
    """Every link or image target a Markdown renderer would see: ](…) and <…> autolinks."""
    return re.findall(r"\]\(<([^>]*)>\)", markdown) + re.findall(
        r"^\[\^\d+\]: <([^>]*)>", markdown, re.M
    )


def test_hostile_image_urls_stay_one_inert_link() -> None:
    for url in HOSTILE_IMAGES:
        markdown = to_markdown(_article(blocks=[Block(BlockKind.IMAGE, "說明", image_url=url)]))
        assert "INJECTED](" not in markdown
        assert "<script" not in markdown and "<b>" not in markdown
        image_lines = [line for line in markdown.splitlines() if line.startswith("![")]
        assert len(image_lines) == 1
        target = re.fullmatch(r"!\[說明\]\(<([^<>()\s]*)>\)", image_lines[0])
        assert target is not None, image_lines[0]


def test_non_http_urls_are_never_links() -> None:
    markdown = to_markdown(
        _article(
            url="javascript:alert(1)",
            blocks=[
                Block(BlockKind.IMAGE, "圖", image_url="javascript:alert(2)"),
                Block(BlockKind.IMAGE, "", image_url="data:image/png;base64,AAAA"),
            ],
        )
    )
    assert "<javascript:" not in markdown
    assert "](<javascript" not in markdown and "](<data:" not in markdown
    assert "*圖*" in markdown  # the caption is kept even when the image is not linked
    assert md_url("javascript:alert(1)") is None
    assert md_url("HTTPS://example.com/a b") == "HTTPS://example.com/a%20b"


def test_footnote_urls_are_escaped() -> None:
    url = "https://example.com/a>b)[x](y"
    block = Block(BlockKind.PARAGRAPH, "看這裡的報導", links=(Link("報導", url),))
    markdown = to_markdown(_article(blocks=[block]))
    assert "[^1]: <https://example.com/a%3Eb%29%5Bx%5D%28y>" in markdown
    assert all("<" not in target and ">" not in target for target in _links(markdown))


def test_ordinary_urls_are_unchanged() -> None:
    url = "https://www.dw.com/zh/普京/a-69399723?x=1&y=2#top"
    markdown = to_markdown(_article(url=url, outlet="德国之声"))
    assert "<https://www.dw.com/zh/%E6%99%AE%E4%BA%AC/a-69399723?x=1&y=2#top>" in markdown
