"""Audit the parser on a whole archive: boilerplate left in `text`, recall of body text
nodes, date sources, authors and scripts per outlet.

    python bench/audit_parse.py /work/corpus [--json out.json] [--frequent N]

Uses newscli.parse directly (no index) and a pool of two processes. Recall: the text
nodes of the body HTML (minus script/style and the boilerplate below), whitespace removed,
must be found in the parsed text (whitespace removed); recall = found chars / all chars.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from multiprocessing import Pool
from pathlib import Path
from typing import Any

from selectolax.lexbor import LexborHTMLParser

from newscli.article import BlockKind
from newscli.chinese import detect_script
from newscli.parse import parse_article, split_front_matter, split_header

# Boilerplate that must not be in an article's `text`: name → pattern.
BOILERPLATE = {
    "cna_related 延伸閱讀": re.compile(r"延伸閱讀"),
    "cna_glossary 小百科/看更多/關閉": re.compile(r"小百科|看更多\n?關閉|^看更多$|^關閉$", re.M),
    "feed_footer 获取更多RSS": re.compile(r"获取更多RSS|feedx\.(?:net|xyz)"),
    "rfi_dateline dd/mm/yyyy - hh:mm": re.compile(r"^\d\d/\d\d/\d{4} - \d\d:\d\d$", re.M),
    "rfi_ad 广告": re.compile(r"^广告$", re.M),
    "bbc_relative 分钟前/小时前": re.compile(r"^\d+ ?(?:分钟|小時|小时|分鐘|天)前$", re.M),
    "bbc_video 使用浏览器播视频": re.compile(r"使用浏览器播视频"),
    "bbc_bare_date": re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$", re.M),
    'stray ">': re.compile(r'^">|">$', re.M),
    "related Related": re.compile(r"^Related$", re.M),
    "cdt_ozh Better Feed": re.compile(r"Better Feed from"),
    "economist Listen on:": re.compile(r"Listen on: ?Apple Podcasts"),
    "empty paragraph \\n\\n\\n": re.compile(r"\n\n\n"),
}
TITLE_BOILERPLATE = {
    "title_rfi_suffix": re.compile(r" – 法国国际广播电台 - RFI$"),
    "title_reuters_suffix": re.compile(r" \| 路透$"),
    "title_entity": re.compile(r"&(?:quot|amp|lt|gt|apos|#x?[0-9a-fA-F]+);"),
}
# Recall's denominator leaves out the boilerplate of issue 9 section 2: these elements,
# and any element whose whole text is one of the BOILER_TEXT strings (or the title).
BOILER_SELECTORS = (
    "div.moreArticle, div.dictionary-box, .m-block-ad, .m-interstitial, .SubscriptionInner, "
    "#zoomattribute, script, style, noscript, button, template, time"
)
BOILER_TEXT = re.compile(
    r"延伸閱讀.*|获取更多RSS[：:].*|\d\d/\d\d/\d{4} - \d\d:\d\d|广告|\d+ ?(?:分钟|小时|天)前|"
    r"使用浏览器播视频.*|\d{4}年\d{1,2}月\d{1,2}日|\"?>|Related|"
    r"Feed enhanced by Better Feed from Ozh|[（(]欢迎点击此处订阅.*|感谢阅读今天的简报.*|"
    r"Listen on: ?Apple Podcasts.*|For full access to print, digital and audio editions.*|"
    r"Please subscribe to The Economist.*|上午8點同步發送電子報！.*|《[^》]{1,20}》YouTube播放列表.*|【支持】.*donate.*",
    re.S,
)
_ELEMENTS = frozenset(
    "p div li small span a b strong i em h1 h2 h3 h4 h5 h6 figcaption time".split()
)
_WS = re.compile(r"\s+")
_DATE_LINE = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d|\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d")


def audit_file(path: str) -> dict[str, Any]:
    raw = Path(path).read_bytes().decode("utf-8", "replace")
    article, problems = parse_article(raw, path=path)
    text = article.text
    body = article.body_text
    found = {name for name, pattern in BOILERPLATE.items() if pattern.search(body)}
    if body.startswith("\n") or any(
        not b.text and b.kind is not BlockKind.IMAGE for b in article.blocks
    ):
        found.add("empty block / leading newline")
    found |= {name for name, pattern in TITLE_BOILERPLATE.items() if pattern.search(article.title)}
    first = next((b for b in article.blocks if b.text), None)
    if first is not None and article.title and first.text.strip() == article.title.strip():
        found.add("title repeated as first block")
    images = [b for b in article.blocks if b.kind is BlockKind.IMAGE]
    for index, block in enumerate(article.blocks[:-1]):
        following = article.blocks[index + 1]
        if (
            block.kind is BlockKind.IMAGE
            and block.text
            and following.kind is not BlockKind.IMAGE
            and following.text == block.text
        ):
            found.add("caption repeated after image")
            break
    if any("emoji" in b.image_url for b in images):
        found.add("emoji image as block")
    # recall
    _, rest = split_front_matter(raw.replace("\r\n", "\n"), path, [])
    _, html = split_header(rest, path, [])
    parsed = _WS.sub("", text)
    total = hit = 0
    if html.strip():
        tree = LexborHTMLParser(html)
        for node in tree.css(BOILER_SELECTORS):
            node.decompose()
        for node in tree.css("i"):  # the date line (its author goes to `author`)
            if _DATE_LINE.search(node.text() or ""):
                node.decompose()
        title = " ".join(article.title.split())
        doomed: list[Any] = []
        doomed_ids: set[int] = set()
        if tree.body is not None:
            for node in tree.body.traverse():
                if node.tag not in _ELEMENTS:
                    continue
                ancestor, inside = node.parent, False
                while ancestor is not None:
                    if ancestor.mem_id in doomed_ids:
                        inside = True
                        break
                    ancestor = ancestor.parent
                if inside:
                    continue
                whole = " ".join((node.text() or "").split())
                if whole and len(whole) < 300 and (whole == title or BOILER_TEXT.fullmatch(whole)):
                    doomed.append(node)
                    doomed_ids.add(node.mem_id)
        for node in doomed:
            node.decompose()
        root = tree.body
        if root is not None:
            for node in root.traverse(include_text=True):
                if node.tag != "-text":
                    continue
                piece = _WS.sub("", node.text_content or "")
                if not piece:
                    continue
                total += len(piece)
                if piece in parsed:
                    hit += len(piece)
    return {
        "path": path,
        "outlet": article.outlet,
        "found": sorted(found),
        "total": total,
        "hit": hit,
        "source": article.published_source.value,
        "author": bool(article.author),
        "script": detect_script(article.text),
        "problems": [p.kind for p in problems],
        "paragraphs": [b.text for b in article.blocks if b.text and len(b.text) < 200],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("root")
    parser.add_argument("--json")
    parser.add_argument("--frequent", type=int, default=0)
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args()
    paths = sorted(str(p) for p in Path(args.root).rglob("*.md") if p.is_file())
    if args.limit:
        paths = paths[:: max(1, len(paths) // args.limit)]
    per: dict[str, dict[str, Any]] = defaultdict(
        lambda: {
            "n": 0,
            "found": Counter(),
            "total": 0,
            "hit": 0,
            "source": Counter(),
            "author": 0,
            "script": Counter(),
            "problems": Counter(),
            "low_recall": [],
        }
    )
    frequent: dict[str, Counter[str]] = defaultdict(Counter)
    with Pool(2) as pool:
        for row in pool.imap_unordered(audit_file, paths, chunksize=64):
            stats = per[row["outlet"]]
            stats["n"] += 1
            stats["found"].update(row["found"])
            stats["total"] += row["total"]
            stats["hit"] += row["hit"]
            stats["source"][row["source"]] += 1
            stats["author"] += row["author"]
            stats["script"][row["script"]] += 1
            stats["problems"].update(row["problems"])
            if row["total"] and row["hit"] / row["total"] < 0.95:
                stats["low_recall"].append((round(row["hit"] / row["total"], 3), row["path"]))
            if args.frequent:
                frequent[row["outlet"]].update(set(row["paragraphs"]))
    out = {}
    for outlet, stats in sorted(per.items(), key=lambda kv: -kv[1]["n"]):
        recall = stats["hit"] / stats["total"] if stats["total"] else 1.0
        out[outlet] = {
            "articles": stats["n"],
            "recall": round(recall, 4),
            "boilerplate": dict(stats["found"]),
            "published_source": dict(stats["source"]),
            "author_filled": stats["author"],
            "script": dict(stats["script"]),
            "problems": dict(stats["problems"]),
            "low_recall": sorted(stats["low_recall"])[:5],
        }
        print(
            f"{outlet or '?'}: n={stats['n']} recall={recall:.4f} authors={stats['author']} "
            f"sources={dict(stats['source'])} scripts={dict(stats['script'])}"
        )
        if stats["found"]:
            print("   boilerplate:", dict(stats["found"]))
        if stats["problems"]:
            print("   problems:", dict(stats["problems"]))
        if stats["low_recall"]:
            print("   low recall:", sorted(stats["low_recall"])[:3])
        if args.frequent:
            common = [(t, c) for t, c in frequent[outlet].most_common(args.frequent) if c >= 5]
            for text_, count in common:
                print(f"      {count:5d} {text_[:100]!r}")
    totals: Counter[str] = Counter()
    for stats in per.values():
        totals.update(stats["found"])
    print("TOTAL boilerplate:", dict(totals))
    if args.json:
        Path(args.json).write_text(json.dumps(out, ensure_ascii=False, indent=1), "utf-8")


if __name__ == "__main__":
    sys.exit(main())
