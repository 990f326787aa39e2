"""One article file's text → Article: front matter, the archive header, and the HTML body.

The layout, after an optional Jekyll front-matter block (``---`` … ``---``)::

    <!--1660528023000-->            archived at, epoch milliseconds
    [title](url)
    ------
    <div><i>author<br>2022-08-15T01:22:34.484Z</i></div> …   the HTML body

or, header-less: the front matter straight followed by the HTML body (title, date, outlet
and url then come from the front matter alone). Outlet-specific cleanup, date-line zones
and reporter bylines are data in outlets.py; date forms and datelines in dates.py.

Everything here is pure: text in, (Article, problems) out. Nothing raises on bad input;
what cannot be understood is recovered as far as possible and reported as a Problem.
"""

from __future__ import annotations

import html as html_entities
import re
from datetime import datetime, timezone, tzinfo
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import newscli.dates as dates
from newscli.article import Article, Block, BlockKind, DateSource, Link, Problem
from newscli.chinese import detect_script
from newscli.dates import parse_date

if TYPE_CHECKING:
    from selectolax.lexbor import LexborNode

from newscli.outlets import COMMON, HEADERLESS_RELATED, OutletRules, reporter_names, rules_for

__all__ = [
    "outlet_from_url",
    "parse_article",
    "parse_body",
    "parse_date",
    "parse_title_link",
    "split_front_matter",
    "split_header",
]

_TIMESTAMP = re.compile(r"^<!--\s*(.*?)\s*-->")
_SEPARATOR = re.compile(r"^-{3,}\s*$")
# Earliest and latest archive times we believe: anything else is a broken header.
_MIN_EPOCH_MS = 631152000000  # 1990-01-01
_MAX_EPOCH_MS = 4102444800000  # 2100-01-01


def parse_article(
    text: str,
    *,
    path: str = "",
    article_id: str = "",
    encoding: str = "utf-8",
    size_bytes: int = 0,
) -> tuple[Article, list[Problem]]:
    problems: list[Problem] = []
    # NUL never reaches the model: the index separates articles with it.
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "\ufffd")
    text = text.lstrip("\ufeff")
    front, rest = split_front_matter(text, path, problems)
    header, body_html = split_header(rest, path, problems, has_front_matter=bool(front))

    article = Article(id=article_id, path=path, title="", encoding=encoding, size_bytes=size_bytes)
    article.archived_at = header.archived_at
    article.url = front.get_str("from") or front.get_str("url") or header.url
    tags = front.get_list("tags")
    categories = front.get_list("categories")
    article.tags = tags
    fm_author = front.get_str("author")
    if fm_author and categories and fm_author not in categories:
        # Group blogs (China Digital Times, Bitter Winter) name the writer as author.
        article.outlet = categories[0]
        if fm_author.lower() != "unknown":
            article.author = fm_author
    else:
        # The front matter's `author` is the outlet; the reporter is found in the body.
        article.outlet = fm_author or outlet_from_url(article.url)
    rules = rules_for(article.outlet)
    article.title = clean_title(front.get_str("title") or header.title, rules)
    if not article.title and not any("title" in p.reason for p in problems):
        problems.append(Problem(path, "no title found", "layout"))

    body_html, dropped = limit_nesting(body_html)
    if dropped:
        problems.append(
            Problem(
                path,
                f"HTML nested deeper than {MAX_NESTING} levels: {dropped:,} tags below that dropped",
                "complex",
            )
        )
    body = parse_body(body_html, base_url=article.url, rules=rules, headerless=header.headerless)
    article.blocks = _drop_title_block(body.blocks, article.title)
    article.author = article.author or body.author or _reporter(article.blocks, rules)
    fm_date_text = front.get_str("date")
    fm_date = parse_date(fm_date_text)
    if fm_date_text and fm_date is None:
        problems.append(Problem(path, f"front matter date is not a date: {fm_date_text!r}", "date"))
    article.published_at, article.published_source = publication_time(
        article, body.published_at, fm_date
    )
    for block in article.blocks:
        if block.kind is BlockKind.IMAGE:
            article.lead_image, article.lead_caption = block.image_url, block.text
            break
    article.script = detect_script(article.text)
    return article, problems


def publication_time(
    article: Article, body_time: datetime | None, fm_date: datetime | None
) -> tuple[datetime | None, DateSource]:
    """The best publication time and where it comes from (see DateSource)."""
    if body_time is not None:
        return body_time, DateSource.BODY
    moment: datetime | None = None
    source = DateSource.NONE
    if fm_date is not None:
        # A front-matter date equal to the archive time is when the feed was read.
        crawl = (
            article.archived_at is not None
            and abs((fm_date - article.archived_at).total_seconds()) < 1
        )
        moment, source = fm_date, DateSource.ARCHIVED if crawl else DateSource.FRONT_MATTER
    elif article.archived_at is not None:
        moment, source = article.archived_at, DateSource.ARCHIVED
    if moment is None:
        return None, DateSource.NONE
    # A dateline in the first paragraphs names the day: it wins when it disagrees.
    head = "\n".join(block.text for block in article.blocks[:3])
    day = dates.epoch_dateline_day(head)
    zone: tzinfo = dates.BEIJING
    if day is None:
        day = dates.cna_dateline_day(head, moment)
        zone = dates.TAIPEI
    if day is not None and not dates.same_day(moment, day, zone):
        return dates.start_of_day(day, zone), DateSource.BODY_DATELINE
    return moment, source


def clean_title(title: str, rules: OutletRules) -> str:
    """One line, HTML entities decoded (&quot; &amp; &#x27;), the feed's suffix removed."""
    for _ in range(2):  # some feeds encode twice: "&amp;#21328;"
        if "&" in title:
            title = html_entities.unescape(title)
    title = _one_line(title)
    for suffix in rules.title_suffixes:
        if title.endswith(suffix) and len(title) > len(suffix):
            return title[: -len(suffix)].rstrip()
    return title


def _drop_title_block(blocks: list[Block], title: str) -> list[Block]:
    """BBC and the header-less layout repeat the title as the body's first block(s) (BBC:
    twice, a hidden <h1> and a visible headline); VOA as the caption of its lead video's
    poster. Those blocks go; the image stays, without that caption."""
    wanted = " ".join(title.split())
    if not wanted:
        return blocks
    result: list[Block] = []
    for index, block in enumerate(blocks):
        if index >= 4 or " ".join(block.text.split()) != wanted:
            if block.kind is not BlockKind.IMAGE and block.text:
                return result + blocks[index:]
            result.append(block)
        elif block.kind is BlockKind.IMAGE:
            result.append(Block(BlockKind.IMAGE, image_url=block.image_url, links=block.links))
    return result


def _reporter(blocks: list[Block], rules: OutletRules) -> str:
    """The reporter a byline names in the first or the last paragraphs (outlets.py)."""
    if not rules.reporters:
        return ""
    texts = [b.text for b in blocks if b.kind is not BlockKind.IMAGE and b.text]
    for text in texts[:2] + texts[-4:]:
        for pattern in rules.reporters:
            match = pattern.search(text)
            if match is not None:
                names = reporter_names(match.group("names"))
                if names:
                    return ", ".join(dict.fromkeys(names))
    return ""


# --- front matter -------------------------------------------------------------------------


class FrontMatter(dict[str, "str | list[str]"]):
    def get_str(self, key: str) -> str:
        value = self.get(key, "")
        return ", ".join(value) if isinstance(value, list) else value.strip()

    def get_list(self, key: str) -> list[str]:
        value = self.get(key, [])
        if isinstance(value, str):
            return [value.strip()] if value.strip() else []
        return value


_FM_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s?(.*)$")


def split_front_matter(text: str, path: str, problems: list[Problem]) -> tuple[FrontMatter, str]:
    """Jekyll front matter is optional; a broken block is read as far as it goes."""
    if not text.startswith("---\n") and text.rstrip("\n") != "---":
        return FrontMatter(), text
    lines = text.split("\n")
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if end is None:
        problems.append(Problem(path, "front matter has no closing '---' line", "front_matter"))
        # Read key: value lines until the archive header (or anything else) starts.
        end = 1
        while end < len(lines) and not lines[end].startswith(("<!--", "[", "------")):
            end += 1
        front = parse_front_matter(lines[1:end], path, problems)
        return front, "\n".join(lines[end:])
    front = parse_front_matter(lines[1:end], path, problems)
    return front, "\n".join(lines[end + 1 :])


def parse_front_matter(lines: list[str], path: str, problems: list[Problem]) -> FrontMatter:
    """The YAML subset the archive writes: scalars, quoted strings (may span lines), [a, b]."""
    front = FrontMatter()
    index = 0
    bad_lines = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _FM_KEY.match(line)
        if match is None:
            bad_lines += 1
            continue
        key, raw = match.group(1), match.group(2).strip()
        if raw[:1] in ("'", '"'):
            quote = raw[0]
            value_text = raw
            while not _closes_quote(value_text, quote) and index < len(lines):
                value_text += "\n" + lines[index]
                index += 1
            front[key] = _unquote(value_text, quote)
        elif raw.startswith("["):
            inner = raw[1:-1] if raw.endswith("]") else raw[1:]
            front[key] = [_unquote(item.strip(), None) for item in inner.split(",") if item.strip()]
        else:
            front[key] = raw
    if bad_lines:
        problems.append(
            Problem(
                path,
                f"front matter has {bad_lines} line(s) that are not 'key: value'",
                "front_matter",
            )
        )
    return front


def _closes_quote(value: str, quote: str) -> bool:
    if len(value) < 2 or not value.endswith(quote):
        return False
    if quote == "'":
        return True
    backslashes = len(value[:-1]) - len(value[:-1].rstrip("\\"))
    return backslashes % 2 == 0


def _unquote(value: str, quote: str | None) -> str:
    if quote is None:
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            quote = value[0]
        else:
            return value
    inner = value[1:-1] if len(value) >= 2 and value.endswith(quote) else value[1:]
    if quote == '"':
        return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), inner)
    return inner.replace("''", "'")


# --- archive header -----------------------------------------------------------------------


class Header:
    def __init__(self) -> None:
        self.archived_at: datetime | None = None
        self.title = ""
        self.url = ""
        self.headerless = False  # front matter straight followed by the HTML body


def split_header(
    text: str, path: str, problems: list[Problem], has_front_matter: bool = False
) -> tuple[Header, str]:
    header = Header()
    lines = text.split("\n")
    index = 0
    while index < len(lines) and not lines[index].strip():
        index += 1
    first = lines[index].lstrip() if index < len(lines) else ""
    if has_front_matter and first.startswith("<") and not first.startswith("<!--"):
        # The header-less layout: a normal layout of the archive, not a problem.
        header.headerless = True
        return header, "\n".join(lines[index:])
    if index < len(lines) and lines[index].lstrip().startswith("<!--"):
        match = _TIMESTAMP.match(lines[index].strip())
        stamp = match.group(1) if match else lines[index].strip()[4:]
        header.archived_at = _epoch_ms(stamp, path, problems)
        index += 1
    else:
        problems.append(Problem(path, "no <!--epoch-ms--> archive timestamp line", "layout"))
    while index < len(lines) and not lines[index].strip():
        index += 1
    # The title line; a separator straight away means there is none.
    if index < len(lines) and not _SEPARATOR.match(lines[index]):
        title_line = lines[index].strip()
        index += 1
        link = parse_title_link(title_line)
        if link is None:
            if title_line.startswith("<"):
                index -= 1  # no title line at all: the body starts here
            else:
                header.title = title_line
                problems.append(Problem(path, "title line is not a [title](url) link", "layout"))
        else:
            header.title, header.url = link
    if index < len(lines) and _SEPARATOR.match(lines[index]):
        index += 1
    else:
        problems.append(Problem(path, "no '------' line between header and body", "layout"))
    return header, "\n".join(lines[index:])


def parse_title_link(line: str) -> tuple[str, str] | None:
    """``[title](url)`` where the title may itself hold ']' or ')': split at the last ']('."""
    if not (line.startswith("[") and line.endswith(")")):
        return None
    split = line.rfind("](")
    if split < 1:
        return None
    return line[1:split].strip(), line[split + 2 : -1].strip()


def _epoch_ms(stamp: str, path: str, problems: list[Problem]) -> datetime | None:
    if not stamp.isdigit() or not stamp.isascii():
        problems.append(
            Problem(path, f"archive timestamp is not a number: {stamp[:40]!r}", "layout")
        )
        return None
    if len(stamp) > 15:  # int() of thousands of digits is slow, or refused (3.11+)
        problems.append(Problem(path, f"archive timestamp out of range: {stamp[:40]}…", "layout"))
        return None
    value = int(stamp)
    if not _MIN_EPOCH_MS <= value <= _MAX_EPOCH_MS:
        problems.append(Problem(path, f"archive timestamp out of range: {stamp[:40]}", "layout"))
        return None
    return datetime.fromtimestamp(value / 1000, tz=timezone.utc)


# --- dates and outlets --------------------------------------------------------------------


# Host → outlet, spelled as the archive's own front matter spells it.
OUTLETS_BY_HOST = {
    "dw.com": "德国之声",
    "rfi.fr": "法广",
    "zaobao.com": "联合早报",
    "zaobao.com.sg": "联合早报",
    "reuters.com": "路透",
    "voachinese.com": "美国之音",
    "voanews.com": "美国之音",
    "bbc.com": "BBC",
    "bbc.co.uk": "BBC",
    "cna.com.tw": "(臺)中央社CNA",
    "rti.org.tw": "RTI 中央廣播電臺",
    "epochtimes.com": "大纪元",
    "rfa.org": "自由亚洲电台",
    "chinadigitaltimes.net": "中国数字时代",
    "solidot.org": "Solidot",
    "economist.com": "经济学人en",
    "nytimes.com": "纽约时报",
    "ftchinese.com": "金融时报",
    "bitterwinter.org": "寒冬",
    "cctv.com": "CCTV新闻联播",
}


def outlet_from_url(url: str) -> str:
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
    parts = host.split(".")
    for size in range(len(parts), 1, -1):
        outlet = OUTLETS_BY_HOST.get(".".join(parts[-size:]))
        if outlet:
            return outlet
    return host.removeprefix("www.")


def _one_line(text: str) -> str:
    return " ".join(text.split()) if any(c in text for c in "\n\r\t") else text.strip()


# --- HTML body ----------------------------------------------------------------------------

_SKIP_TAGS = frozenset(
    "script style noscript template svg iframe form input button select textarea head "
    "meta link object embed canvas audio source track map area title".split()
)
_BLOCK_TAGS = frozenset(
    "p div section article main header footer aside nav ul ol dl dt dd table thead "
    "tbody tfoot tr td th caption center pre address details summary hr body html "
    "figure figcaption".split()
)
_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Site furniture that carries no article text: ads, newsletter boxes, share bars, badges.
_JUNK = re.compile(
    r"(?:^|[\s_-])(?:dfp|adslot|advert\w*|ad-container|innity|subscription\w*|self-promo|"
    r"newsletter|social-share|share-?bar|trustbadge\w*|related-?posts?)(?:$|[\s_-])",
    re.IGNORECASE,
)
_DATE_LINE = re.compile(r"^\s*(?:(?P<author>.*?)\n)?\s*(?P<date>[^\n]*\d{4}[^\n]*)\s*$", re.S)
_AUTHOR_LINE = re.compile(
    r"^(?:作者|撰稿|記者|记者|文)\s*[：:／/]?\s*(?P<name>[^\s，,。（(]{2,20})\s*$"
)
_COPYRIGHT = re.compile(
    r"^\s*(?:©|\(c\)|Copyright\b)|版權聲明|版权声明|版權所有|版权所有|All rights reserved", re.I
)
# DW's date-line names: a literal "null " for a missing first name, and roles around the
# name ("采访记者： William Yang", "达扬（摘编）", "王凡（综合报道）").
_NULL_PREFIX = re.compile(r"^(?:null\s+|采访记者\s*[：:]\s*)")
_ROLE_SUFFIX = re.compile(r"\s*[（(](?:摘编|综合报道|采访记者|编译|整理)[)）]$")
_SOURCES = re.compile(r"^[（(][^（()）]{2,60}[)）]$")
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_NEWLINE = re.compile(rf"(?<=[{_CJK}])[ \t]*\n\s*(?=[{_CJK}])")
_SPACES = re.compile(r"[ \t\n\r\f\u00a0]+")
_BR = object()  # marks a <br> in an inline run


# The HTML parser's work per tag grows with the depth of open elements: 10k nested
# <div>s cost 0.2 s, 40k 3 s, 100k 28 s. Deeper tags are dropped (their text kept), so
# one file's cost stays well under a second. (Browsers cap the depth too.)
MAX_NESTING = 10_000
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)[^<>]*>")
# Tags that never stay open (void) or that the next sibling closes: they do not deepen.
_FLAT_TAGS = frozenset(
    "area base br col embed hr img input link meta param source track wbr "
    "p li dt dd option tr td th".split()
)


def limit_nesting(html: str, max_depth: int = MAX_NESTING) -> tuple[str, int]:
    """html with the tags nested deeper than max_depth removed (their text stays), and how
    many were removed. Linear: one regex pass; most bodies have too few tags to be checked."""
    if html.count("<") <= max_depth:
        return html, 0
    depth = 0
    dropped = 0
    pieces: list[str] = []
    last = 0
    for match in _TAG.finditer(html):
        closing, name = match.group(1), match.group(2).lower()
        if name in _FLAT_TAGS or match.group(0).endswith("/>"):
            continue
        deep = depth >= max_depth if not closing else depth > max_depth
        depth = max(0, depth - 1) if closing else depth + 1
        if deep:
            pieces.append(html[last : match.start()])
            last = match.end()
            dropped += 1
    if not dropped:
        return html, 0
    pieces.append(html[last:])
    return "".join(pieces), dropped


class Body:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.published_at: datetime | None = None
        self.author = ""


# A self-closed <iframe …/> is not closed in HTML: everything after it would become the
# iframe's raw text. Close it explicitly. (Linear: [^<>]* cannot overlap itself.)
_SELF_CLOSED_IFRAME = re.compile(r"<iframe\b([^<>]*?)/\s*>", re.IGNORECASE)


def parse_body(
    html: str, base_url: str = "", rules: OutletRules | None = None, headerless: bool = False
) -> Body:
    from selectolax.lexbor import LexborHTMLParser

    rules = rules or rules_for("")
    body = Body()
    if not html.strip():
        return body
    if "iframe" in html or "IFRAME" in html:
        html = _SELF_CLOSED_IFRAME.sub(r"<iframe\1></iframe>", html)
    tree = LexborHTMLParser(html)
    root = tree.body
    if root is None:
        return body
    for selector in rules.drop_selectors:
        for node in tree.css(selector):
            node.decompose()
    link_patterns = COMMON.drop_links + rules.drop_links
    for link in tree.css("a"):
        if any(pattern.match(link.text(deep=True)) for pattern in link_patterns):
            link.decompose()
    walker = _Walker(base_url, rules.dateline_zone)
    walker.walk(root)
    blocks = _drop_boilerplate(walker.blocks, rules, headerless)
    body.published_at, body.author = walker.date_line
    if body.published_at is None and rules.paris_dateline:
        blocks, body.published_at = _rfi_dateline(blocks)
    if not body.author:
        for block in blocks[:3]:
            match = _AUTHOR_LINE.match(block.text) if block.kind is BlockKind.PARAGRAPH else None
            if match:
                body.author = match.group("name")
                break
    body.blocks = _mark_closing_lines(blocks)
    return body


def _rfi_dateline(blocks: list[Block]) -> tuple[list[Block], datetime | None]:
    """RFI's first paragraph "05/08/2020 - 12:02" is its publication time (Paris)."""
    for index, block in enumerate(blocks[:3]):
        if block.kind is BlockKind.IMAGE:
            continue
        moment = dates.rfi_dateline(block.text)
        if moment is not None:
            return blocks[:index] + blocks[index + 1 :], moment
        break
    return blocks, None


_TEXT_KINDS = frozenset(
    {BlockKind.PARAGRAPH, BlockKind.HEADING, BlockKind.LIST_ITEM, BlockKind.QUOTE}
)


def _drop_boilerplate(blocks: list[Block], rules: OutletRules, headerless: bool) -> list[Block]:
    """Blocks that are site furniture by the outlet's rules (and the archive's own footer)."""
    patterns = COMMON.drop_blocks + rules.drop_blocks
    kept = [
        block
        for block in blocks
        if block.kind not in _TEXT_KINDS
        or not any(pattern.fullmatch(block.text) for pattern in patterns)
    ]
    # A caption repeated as a paragraph right after its image (VOA's audio label, RFA).
    kept = [
        block
        for index, block in enumerate(kept)
        if not (
            index
            and block.kind is BlockKind.PARAGRAPH
            and kept[index - 1].kind is BlockKind.IMAGE
            and block.text
            and block.text == kept[index - 1].text
        )
    ]
    if headerless:
        kept = _drop_headerless_furniture(kept)
    return kept


def _drop_headerless_furniture(blocks: list[Block]) -> list[Block]:
    """The header-less layout: a one-character site logo first, "Related" + headlines last."""
    if blocks and blocks[0].kind in _TEXT_KINDS and len(blocks[0].text.strip()) == 1:
        blocks = blocks[1:]
    for index in range(len(blocks) - 1, -1, -1):
        block = blocks[index]
        if block.kind in _TEXT_KINDS and block.text.strip().rstrip(":：") in HEADERLESS_RELATED:
            tail = blocks[index + 1 :]
            # Only when everything after it is headlines: list items or short link lines.
            if all(b.kind is BlockKind.LIST_ITEM or (b.links and len(b.text) <= 120) for b in tail):
                return blocks[:index]
            break
    return blocks


class _Walker:
    """Iterative (deeply nested HTML must not hit Python's recursion limit) tree walk."""

    def __init__(self, base_url: str, dateline_zone: tzinfo = timezone.utc) -> None:
        self.base_url = base_url
        self.dateline_zone = dateline_zone
        self.blocks: list[Block] = []
        self.inline: list[object] = []  # str pieces and _BR
        self.links: list[Link] = []
        self.consumed: set[int] = set()  # caption nodes already used by an image
        self.date_line: tuple[datetime | None, str] = (None, "")
        self.seen_content = False

    def walk(self, root: LexborNode) -> None:
        # Stack items: (node, exiting, kind-for-exit)
        stack: list[tuple[LexborNode, bool, BlockKind | None]] = [
            (node, False, None) for node in reversed(_children(root))
        ]
        while stack:
            node, exiting, kind = stack.pop()
            if exiting:
                self.flush(kind or BlockKind.PARAGRAPH)
                continue
            tag = node.tag
            if tag == "-text":
                self.inline.append(node.text_content or "")
                continue
            if not tag or tag.startswith(("-", "#", "!")) or tag in _SKIP_TAGS:
                continue
            if node.mem_id in self.consumed:
                continue
            attrs = node.attributes
            marker = f"{attrs.get('class') or ''} {attrs.get('id') or ''}"
            if marker.strip() and _JUNK.search(marker) and node.css_first("p") is None:
                continue  # furniture; but an ad slot wrapped round a real <p> is kept
            if tag == "br":
                self.inline.append(_BR)
                continue
            if tag in ("img", "video"):
                self.image(node, tag)
                continue
            if tag == "a":
                self.start_link(node)
            if not self.seen_content and tag in ("div", "p") and self.try_date_line(node):
                continue
            if tag == "div" and self.try_gallery(node):
                continue
            block_kind = self.block_kind(node, tag)
            if block_kind is not None:
                self.flush(BlockKind.PARAGRAPH)
                stack.append((node, True, block_kind))
            stack.extend((c, False, None) for c in reversed(_children(node)))
        self.flush(BlockKind.PARAGRAPH)

    def block_kind(self, node: LexborNode, tag: str) -> BlockKind | None:
        if tag in _HEADING_TAGS:
            return BlockKind.HEADING
        if tag == "blockquote":
            return BlockKind.QUOTE
        if tag == "li":
            return BlockKind.LIST_ITEM
        if tag == "p" and _is_bold_only(node):
            return BlockKind.HEADING
        if tag in _BLOCK_TAGS:
            return BlockKind.PARAGRAPH
        return None

    def start_link(self, node: LexborNode) -> None:
        href = (node.attributes.get("href") or "").strip()
        text = _SPACES.sub(" ", node.text(deep=True) or "").strip()
        if not href or not text or href.startswith(("javascript:", "#", "mailto:")):
            return
        url = self.absolute(href)
        if url.startswith(("http://", "https://")):
            self.links.append(Link(text, url))

    def absolute(self, url: str) -> str:
        url = url.strip()
        if url.startswith("//"):
            return "https:" + url
        if self.base_url and not url.startswith(("http://", "https://", "data:")):
            try:
                return urljoin(self.base_url, url)
            except ValueError:
                return url
        return url

    def try_date_line(self, node: LexborNode) -> bool:
        """The body's first line: <div><i>[author<br>]2022-08-15T01:22:34.484Z</i></div>."""
        kids = _element_children(node)  # direct children only: deep trees stay linear
        if len(kids) != 1 or kids[0].tag != "i":
            return False
        italic = kids[0]
        text = _text_of(italic, br="\n").strip()
        if len(text) > 300:  # a date line is short; _DATE_LINE is quadratic on long text
            return False
        match = _DATE_LINE.match(text)
        if match is None:
            return False
        moment = parse_date(match.group("date"), self.dateline_zone)
        if moment is None:
            return False
        author = _SPACES.sub(" ", match.group("author") or "").strip()
        # DW writes a missing first name as a literal "null ".
        names = list(
            dict.fromkeys(
                _ROLE_SUFFIX.sub("", _NULL_PREFIX.sub("", name.strip()))
                for name in author.split(",")
                if name.strip()
            )
        )
        names = [name for name in names if name and name != "null"]
        self.date_line = (moment, ", ".join(names))
        return True

    def try_gallery(self, node: LexborNode) -> bool:
        """DW picture galleries: <div><img …><b>label</b>：text</div>."""
        first = _first_element(node)
        if first is None or first.tag != "img":
            return False
        bold = next((kid for kid in _element_children(node) if kid.tag == "b"), None)
        if bold is None:
            return False
        label = _SPACES.sub(" ", _text_of(bold)).strip()
        full = _clean(_text_of(node, br="\n"))
        text = full[len(label) :] if full.startswith(label) else full
        text = text.lstrip("：: ").strip()
        self.flush(BlockKind.PARAGRAPH)
        image = self.absolute(first.attributes.get("src") or "")
        self.blocks.append(Block(BlockKind.GALLERY, text=text, label=label, image_url=image))
        self.seen_content = True
        return True

    def image(self, node: LexborNode, tag: str) -> None:
        attrs = node.attributes
        if tag == "img" and _is_emoji(attrs):
            self.inline.append(attrs.get("alt") or "")  # 🙏 inside a sentence stays inline
            return
        if tag == "video":
            src = attrs.get("poster") or ""
        else:
            src = attrs.get("src") or attrs.get("data-src") or attrs.get("data-original") or ""
        if not src.strip() or src.startswith("data:"):
            return
        caption_node = _find_caption(node)
        caption = ""
        if caption_node is not None:
            caption = _clean(_text_of(caption_node, br="\n"))
            self.consumed.add(caption_node.mem_id)
        if not caption and tag == "img":  # no caption element, or an empty one (BBC)
            caption = _clean(attrs.get("alt") or attrs.get("aria-label") or "")
        self.flush(BlockKind.PARAGRAPH)
        self.blocks.append(Block(BlockKind.IMAGE, text=caption, image_url=self.absolute(src)))
        self.seen_content = True

    def flush(self, kind: BlockKind) -> None:
        if not self.inline:
            return  # links seen so far belong to text still to come
        pieces, links = self.inline, tuple(dict.fromkeys(self.links))
        self.inline, self.links = [], []
        # <br><br> separates paragraphs inside one element; a single <br> is a line break.
        for raw in re.split(r"\n[ \t\u00a0]*\n", _join_inline(pieces)):
            paragraph = _clean(raw)
            if not paragraph:
                continue
            block_kind = kind
            if kind is BlockKind.HEADING and (len(paragraph) > 60 or "。" in paragraph):
                block_kind = BlockKind.PARAGRAPH  # a bold lead paragraph, not a heading
            own_links = tuple(link for link in links if link.text in paragraph)
            self.blocks.append(Block(block_kind, text=paragraph, links=own_links))
            self.seen_content = True


def _join_inline(pieces: list[object]) -> str:
    out: list[str] = []
    for piece in pieces:
        if piece is _BR:
            out.append("\n")
        else:
            # Source newlines inside HTML text are spaces; only <br> breaks a line.
            out.append(_SPACES.sub(" ", _CJK_NEWLINE.sub("", str(piece))))
    return "".join(out)


def _clean(text: str) -> str:
    """Collapse spaces on each line, trim lines, drop empty ones."""
    text = _CJK_NEWLINE.sub("", text)
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _text_of(node: LexborNode, br: str = "") -> str:
    """Text of a subtree without script/style, with <br> as `br`."""
    out: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        tag = current.tag
        if tag == "-text":
            out.append(current.text_content or "")
            continue
        if tag == "br":
            out.append(br)
            continue
        if not tag or tag.startswith(("-", "#", "!")) or tag in _SKIP_TAGS:
            continue
        stack.extend(reversed(_children(current)))
    return "".join(out)


def _children(node: LexborNode) -> list[LexborNode]:
    kids: list[LexborNode] = []
    child = node.child
    while child is not None:
        kids.append(child)
        child = child.next
    return kids


def _first_element(node: LexborNode) -> LexborNode | None:
    child = node.child
    while child is not None:
        if child.tag == "-text" and (child.text_content or "").strip():
            return None
        if child.tag and child.tag[0].isalpha():
            return child
        child = child.next
    return None


def _element_children(node: LexborNode) -> list[LexborNode]:
    kids: list[LexborNode] = []
    child = node.child
    while child is not None:
        if (child.tag and child.tag[0].isalpha()) or (
            child.tag == "-text" and (child.text_content or "").strip()
        ):
            kids.append(child)
        child = child.next
    return kids


def _is_bold_only(node: LexborNode) -> bool:
    kids = _element_children(node)
    return bool(kids) and all(kid.tag in ("strong", "b") for kid in kids)


def _next_element(node: LexborNode) -> LexborNode | None:
    sibling = node.next
    while sibling is not None:
        if sibling.tag == "-text":
            if (sibling.text_content or "").strip():
                return None
        elif sibling.tag and sibling.tag[0].isalpha():
            return sibling
        sibling = sibling.next
    return None


def _is_emoji(attrs: dict[str, str | None]) -> bool:
    """WordPress (CDT) writes emoji as <img class="wp-smiley" alt="🙏" src=".../emoji/...">."""
    alt = attrs.get("alt") or ""
    if not alt or len(alt) > 8:
        return False
    return "wp-smiley" in (attrs.get("class") or "") or "/images/core/emoji/" in (
        attrs.get("src") or ""
    )


def _is_caption(node: LexborNode) -> bool:
    marker = node.attributes.get("class") or ""
    return node.tag == "figcaption" or "caption" in marker or "picinfo" in marker


def _find_caption(image: LexborNode) -> LexborNode | None:
    """The caption an archive puts next to an image, in the shapes its outlets use."""
    following = _next_element(image)
    parent = image.parent
    if following is None and parent is not None and len(_element_children(parent)) == 1:
        # <div class="wrap"><img></div><div class="picinfo">… (CNA), RFA's image-caption
        wrapper_next = _next_element(parent)
        if wrapper_next is not None and _is_caption(wrapper_next):
            return wrapper_next
    if following is not None:
        kids = _element_children(following)
        if following.tag == "div" and len(kids) == 1 and kids[0].tag == "small":  # DW, VOA
            return following
        if _is_caption(following):
            return following
    # <figure><img><figcaption> (WordPress, Reuters puts figcaption after the figure)
    ancestor = image.parent
    for _ in range(5):
        if ancestor is None:
            break
        if ancestor.tag == "figure" or "wp-caption" in (ancestor.attributes.get("class") or ""):
            caption = ancestor.css_first("figcaption, .wp-caption-text")
            if caption is None:
                sibling = _next_element(ancestor)
                if sibling is not None and sibling.tag == "figcaption":
                    caption = sibling
            return caption
        ancestor = ancestor.parent
    return None


def _mark_closing_lines(blocks: list[Block]) -> list[Block]:
    """Mark the closing copyright notice and the '（路透社、法新社）' sources line."""
    result = list(blocks)
    index = len(result) - 1
    checked = 0
    while index >= 0 and checked < 4:
        block = result[index]
        if block.kind is BlockKind.PARAGRAPH:
            checked += 1
            if len(block.text) < 400 and _COPYRIGHT.search(block.text):
                result[index] = Block(BlockKind.COPYRIGHT, text=block.text, links=block.links)
            elif _SOURCES.match(block.text):
                result[index] = Block(BlockKind.SOURCES, text=block.text, links=block.links)
            else:
                break
        index -= 1
    return result
