"""Writing an Article out as plain text, Markdown, JSON or JSON Lines (pure: str in, str out)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from newscli.article import Article, Block, BlockKind, iso_utc, json_path
from newscli.chinese import convert_for_display
from newscli.dates import format_moment
from newscli.textsafe import dumps, safe


def metadata_line(article: Article, convert: Callable[[str], str] = str) -> str:
    parts = [convert(article.outlet)]
    if article.published_at:
        parts.append(format_moment(article.published_at))
    if article.author:
        parts.append(convert(article.author))
    parts.append(article.url)
    return " | ".join(part for part in parts if part)


def display_label(word: str, written: str, script: str = "original") -> str:
    """A label of ours (图片, 图集: written in Simplified) in the script the reader chose;
    with 'original', in the article's own script (圖片 beside Traditional text)."""
    if script == "original":
        script = "traditional" if written == "traditional" else "simplified"
    return word if script == "simplified" else convert_for_display(word, script)


def to_txt(article: Article, script: str = "original") -> str:
    """What a person pastes elsewhere: no HTML, no hard wrapping, blank lines between blocks."""

    def convert(text: str) -> str:
        return convert_for_display(text, script)

    lines = [convert(article.title), metadata_line(article, convert), ""]

    def label(word: str) -> str:
        return display_label(word, article.script, script)

    for block in article.blocks:
        lines.append(_txt_block(block, convert, label))
        lines.append("")
    return safe("\n".join(lines).rstrip("\n") + "\n")


def _txt_block(
    block: Block, convert: Callable[[str], str], label: Callable[[str], str] = str
) -> str:
    text = convert(block.text)
    if block.kind is BlockKind.IMAGE:
        return f"[{label('图片')}: {text}]" if text else f"[{label('图片')}]"
    if block.kind is BlockKind.GALLERY:
        gallery = label("图集")
        return (
            f"[{gallery}] {convert(block.label)}：{text}" if block.label else f"[{gallery}] {text}"
        )
    if block.kind is BlockKind.LIST_ITEM:
        return f"• {text}"
    if block.kind is BlockKind.QUOTE:
        return "\n".join(f"> {line}" for line in text.split("\n"))
    return text


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def _md_escape(text: str) -> str:
    escaped = _MD_SPECIAL.sub(r"\\\1", text)
    return re.sub(r"^([#>+-]|\d+\.)", r"\\\1", escaped, flags=re.M)


# Characters a url may keep as they are inside Markdown's <…> and (…): RFC 3986's
# unreserved and reserved sets, less the ones Markdown reads as syntax ( ( ) < > [ ] ).
_URL_KEEP = "-._~:/?#@!$&'*+,;=%"


def md_url(url: str) -> str | None:
    """A url made inert for Markdown, or None when it must not become a link at all.

    Only http(s) urls are linked (never `javascript:`, `data:` …); every character that could
    close the link or open markup is percent-encoded, so a url can only ever be one link.
    """
    from urllib.parse import quote, urlsplit

    url = url.strip()
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    if scheme not in ("http", "https"):
        return None
    return quote(url, safe=_URL_KEEP)


def _md_image(alt: str, url: str) -> list[str]:
    """`![alt](<url>)`, or nothing when the url is not one to link (the caption stays)."""
    target = md_url(url)
    return [f"![{alt}](<{target}>)"] if target else []


def to_markdown(article: Article, script: str = "original") -> str:
    """Markdown with structure; links in the text become numbered footnotes."""

    def convert(text: str) -> str:
        return convert_for_display(text, script)

    footnotes: list[str] = []

    def with_links(block: Block, text: str) -> str:
        out = _md_escape(text)
        for link in block.links:
            label = _md_escape(convert(link.text))
            if label and label in out and md_url(link.url) and link.url not in footnotes:
                footnotes.append(link.url)
                out = out.replace(label, f"{label}[^{len(footnotes)}]", 1)
        return out

    lines = [f"# {_md_escape(convert(article.title))}", ""]
    meta = [f"**{_md_escape(convert(article.outlet))}**"] if article.outlet else []
    if article.published_at:
        meta.append(format_moment(article.published_at))
    if article.author:
        meta.append(_md_escape(convert(article.author)))
    if article.url:
        header_url = md_url(article.url)
        meta.append(f"<{header_url}>" if header_url else _md_escape(article.url))
    lines += [" · ".join(meta), ""]
    for block in article.blocks:
        text = convert(block.text)
        kind = block.kind
        if kind is BlockKind.HEADING:
            lines.append(f"## {with_links(block, text)}")
        elif kind is BlockKind.IMAGE:
            image = _md_image(_md_escape(text), block.image_url)
            lines += image
            if text:
                lines += [""] * bool(image) + [f"*{_md_escape(text)}*"]
        elif kind is BlockKind.GALLERY:
            image = _md_image(_md_escape(convert(block.label)), block.image_url)
            if image:
                lines += [*image, ""]
            lines.append(f"**{_md_escape(convert(block.label))}**：{with_links(block, text)}")
        elif kind is BlockKind.QUOTE:
            lines.append("\n".join(f"> {line}" for line in with_links(block, text).split("\n")))
        elif kind is BlockKind.LIST_ITEM:
            lines.append(f"- {with_links(block, text)}")
        elif kind in (BlockKind.COPYRIGHT, BlockKind.SOURCES):
            lines.append(f"*{with_links(block, text)}*")
        else:
            lines.append(with_links(block, text).replace("\n", "  \n"))
        lines.append("")
    if footnotes:
        lines += [f"[^{number}]: <{md_url(url) or ''}>" for number, url in enumerate(footnotes, 1)]
    return safe("\n".join(lines).rstrip("\n") + "\n")


def article_dict(article: Article, script: str = "original") -> dict[str, Any]:
    """What `convert --to json|jsonl` prints (the schema's `article`): Article.to_dict with
    times in the one output form (iso_utc), its text converted to `script`."""
    data: dict[str, Any] = {}
    for key, value in article.to_dict().items():
        if key == "path":  # valid UTF-8 whatever bytes the file name holds, + path_bytes
            data.update(json_path(article.path))
        else:
            data[key] = value
    data["published_at"] = iso_utc(article.published_at)
    data["archived_at"] = iso_utc(article.archived_at)
    if script != "original":
        data["script"] = script

        def convert(value: str | None) -> str | None:
            return convert_for_display(value, script) if value else value

        for key in ("title", "outlet", "author", "lead_caption", "text"):
            data[key] = convert(data[key])
        for block in data["blocks"]:
            block["text"] = convert(block["text"])
            block["label"] = convert(block["label"])
    return data


def to_json(article: Article, script: str = "original") -> str:
    return dumps(article_dict(article, script), indent=2) + "\n"


def to_jsonl_line(article: Article, script: str = "original") -> str:
    return dumps(article_dict(article, script)) + "\n"


RENDERERS: dict[str, Callable[[Article, str], str]] = {
    "txt": to_txt,
    "md": to_markdown,
    "json": to_json,
    "jsonl": to_jsonl_line,
}
