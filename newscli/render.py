"""Terminal output: rich renderables built by pure functions, and plain lines for pipes.

All article text goes through `textsafe.safe` and into rich `Text` objects (never markup
strings), so neither escape sequences nor `[bold]`-style markup in an article can act.
Chinese has no spaces to wrap at: `CJKText` wraps between any two CJK characters, at
spaces between Latin words, and keeps closing punctuation off the start of a line.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from newscli.article import Article, BlockKind, Summary, short_id
from newscli.chinese import convert_for_display
from newscli.rows import COLUMNS, DEFAULT_COLUMNS, records
from newscli.search import ArticleHits, snippet
from newscli.textsafe import display_path, safe, safe_line

if TYPE_CHECKING:
    from newscli.check import CheckReport
    from newscli.stats import Stats

_CJK_CHAR = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff"
_TOKEN = re.compile(rf"\s+|[{_CJK_CHAR}]|[^\s{_CJK_CHAR}]+")
# Characters that must not begin a line (kinsoku): closing brackets and punctuation.
_NO_LINE_START = set("，。、；：？！）」』》〉】〕］｝”’…—·,.;:?!)]}%")


def wrap_offsets(text: str, width: int) -> list[tuple[int, int]]:
    """Line spans of `text` wrapped to `width` terminal cells (wide characters count 2)."""
    width = max(width, 4)
    lines: list[tuple[int, int]] = []
    for para_start, para_end in _split_newlines(text):
        line_start = para_start
        line_end = para_start
        used = 0
        for match in _TOKEN.finditer(text, para_start, para_end):
            token = match.group()
            size = cell_len(token)
            if token.isspace():
                if used + size > width:
                    lines.append((line_start, line_end))
                    line_start = line_end = match.end()
                    used = 0
                else:
                    used += size
                    line_end = match.end()
                continue
            if used + size <= width:
                used += size
                line_end = match.end()
                continue
            if token[0] in _NO_LINE_START and line_end - line_start > 1 and size <= 2:
                # Carry the previous character down with the punctuation.
                carry = line_end - 1
                lines.append((line_start, carry))
                line_start, line_end = carry, match.end()
                used = cell_len(text[line_start:line_end])
                continue
            if line_end > line_start:
                lines.append((line_start, _rstrip_index(text, line_start, line_end)))
            line_start = match.start()
            used = 0
            # A word longer than a line is folded.
            position = match.start()
            for index, char in enumerate(token):
                char_size = cell_len(char)
                if used + char_size > width and used:
                    lines.append((line_start, position + index))
                    line_start = position + index
                    used = 0
                used += char_size
            line_end = match.end()
        lines.append((line_start, _rstrip_index(text, line_start, line_end)))
    return lines


def _split_newlines(text: str) -> Iterator[tuple[int, int]]:
    start = 0
    while True:
        end = text.find("\n", start)
        if end == -1:
            yield start, len(text)
            return
        yield start, end
        start = end + 1


def _rstrip_index(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


@dataclass
class CJKText:
    """A rich renderable that wraps a Text the way Chinese is set, with a left indent."""

    text: Text
    indent: int = 0

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = max(options.max_width - self.indent, 4)
        plain = self.text.plain
        pad = " " * self.indent
        for start, end in wrap_offsets(plain, width):
            line = Text(pad) + self.text[start:end]
            line.no_wrap = True
            line.overflow = "crop"
            yield line


def make_console(*, stderr: bool = False, color: str = "auto", width: int | None = None) -> Console:
    """The one place consoles are made: no markup, emoji codes or auto-highlighting, ever."""
    force = {"always": True, "never": False}.get(color)
    return Console(
        stderr=stderr,
        markup=False,
        emoji=False,
        highlight=False,
        force_terminal=force,
        no_color=True if color == "never" else None,
        width=width,
        soft_wrap=False,
    )


def short_date(article: Article | Summary) -> str:
    return article.published_at.strftime("%Y-%m-%d") if article.published_at else "-"


# --- list -----------------------------------------------------------------------------------


def articles_table(
    articles: Iterable[Article | Summary], width: int, columns: tuple[str, ...] = DEFAULT_COLUMNS
) -> Table:
    """One line per article; the title (or last) column gets the width the others leave."""
    rows = [
        tuple(
            f"{value:,}" if isinstance(value, int) else safe_line(str(value))
            for value in record.values()
        )
        for record in records(articles, columns)
    ]
    widths = [
        max([cell_len(name)] + [cell_len(row[i]) for row in rows]) for i, name in enumerate(columns)
    ]
    if "outlet" in columns:
        widths[columns.index("outlet")] = min(widths[columns.index("outlet")], 14)
    flexible = columns.index("title") if "title" in columns else len(columns) - 1
    gaps = 2 * (len(columns) - 1)
    others = sum(widths) - widths[flexible]
    widths[flexible] = max(10, min(widths[flexible], width - gaps - others))
    table = Table(
        box=None, pad_edge=False, header_style="bold", show_edge=False, padding=(0, 2, 0, 0)
    )
    for index, name in enumerate(columns):
        table.add_column(
            name,
            width=widths[index],
            no_wrap=True,
            overflow="ellipsis",
            justify="right" if COLUMNS[name].right else "left",
            style="cyan" if name == "id" else None,
        )
    for row in rows:
        cells = []
        for index, value in enumerate(row):
            cell = Text(value)
            cell.truncate(widths[index], overflow="ellipsis")
            cells.append(cell)
        table.add_row(*cells)
    return table


def tsv_line(values: Iterable[str]) -> str:
    return "\t".join(safe_line(value) for value in values)


# --- show -----------------------------------------------------------------------------------


def article_view(article: Article, script: str = "original") -> Group:
    def convert(text: str) -> Text:
        return Text(safe(convert_for_display(text, script)))

    title = convert(article.title)
    title.stylize("bold")
    parts: list[object] = [CJKText(title)]
    meta = Text()
    if article.outlet:
        meta.append(safe_line(convert_for_display(article.outlet, script)), style="cyan")
    if article.published_at:
        meta.append("  published " + article.published_at.strftime("%Y-%m-%d %H:%M UTC"))
        if article.published_source.value != "body":
            meta.append(f" (from {article.published_source.value.replace('_', ' ')})", style="dim")
    if article.author:
        meta.append("  by " + safe_line(convert_for_display(article.author, script)))
    meta.append(f"  {article.script} script", style="dim")
    parts.append(CJKText(meta))
    if article.archived_at:
        parts.append(
            Text("archived " + article.archived_at.strftime("%Y-%m-%d %H:%M UTC"), style="dim")
        )
    if article.url:
        parts.append(CJKText(Text(safe_line(article.url), style="dim underline")))
    location = f"id {article.id}  ·  {display_path(article.path)}"
    if not article.encoding.startswith("utf-8"):
        location += f"  ·  encoding {article.encoding}"
    parts.append(Text(location, style="dim"))
    parts.append(Rule(style="dim"))
    for block in article.blocks:
        text = convert(block.text)
        kind = block.kind
        if kind is BlockKind.HEADING:
            text.stylize("bold")
            parts.append(CJKText(text))
        elif kind is BlockKind.IMAGE:
            caption = Text("[图片] ", style="magenta") + text
            caption.stylize("italic")
            parts.append(CJKText(caption))
            parts.append(CJKText(Text(safe_line(block.image_url), style="dim"), indent=2))
        elif kind is BlockKind.GALLERY:
            item = Text("[图集] ", style="magenta")
            item.append(safe(convert_for_display(block.label, script)), style="bold")
            item.append("：")
            item.append_text(text)
            parts.append(CJKText(item))
            if block.image_url:
                parts.append(CJKText(Text(safe_line(block.image_url), style="dim"), indent=2))
        elif kind is BlockKind.QUOTE:
            parts.append(CJKText(Text("│ ", style="dim") + text, indent=0))
        elif kind is BlockKind.LIST_ITEM:
            parts.append(CJKText(Text("• ") + text))
        elif kind in (BlockKind.COPYRIGHT, BlockKind.SOURCES):
            text.stylize("dim")
            parts.append(CJKText(text))
        else:
            parts.append(CJKText(text))
        parts.append(Text(""))
    return Group(*parts)  # type: ignore[arg-type]


# --- search ---------------------------------------------------------------------------------


def hits_header(result: ArticleHits) -> Text:
    article = result.article
    header = Text()
    header.append(short_id(article.id), style="cyan")
    header.append("  " + short_date(article) + "  ")
    if article.outlet:
        header.append(safe_line(article.outlet) + "  ", style="dim")
    header.append(safe_line(article.title), style="bold")
    return header


def hit_snippet_text(text: str, result: ArticleHits, index: int, context: int) -> Text:
    piece = snippet(text, result.hits[index], context)
    start, end = piece.highlight
    line = Text("…" if piece.cut_before else "")
    line.append(safe(piece.text[:start]))
    line.append(safe(piece.text[start:end]), style="bold reverse red")
    line.append(safe(piece.text[end:]))
    if piece.cut_after:
        line.append("…")
    return line


def search_result_view(result: ArticleHits, context: int) -> Group:
    text = result.article.text
    parts: list[object] = [CJKText(hits_header(result))]
    for index in range(len(result.hits)):
        parts.append(CJKText(hit_snippet_text(text, result, index, context), indent=2))
    parts.append(Text(""))
    return Group(*parts)  # type: ignore[arg-type]


def search_result_lines(result: ArticleHits, context: int) -> Iterator[str]:
    """The same, as plain lines for a pipe: header, then one tab-indented line per hit."""
    article = result.article
    yield tsv_line([short_id(article.id), short_date(article), article.title])
    text = article.text
    for index in range(len(result.hits)):
        yield "\t" + safe_line(hit_snippet_text(text, result, index, context).plain)


def search_json_lines(
    results: list[ArticleHits], context: int, searched: int, elapsed: float
) -> Iterator[str]:
    """rg --json style events: begin, match (one per hit), end per article; then summary.

    Offsets are in characters: `offsets` into the article's text (title, a blank line,
    then the body: Article.text), `snippet_offsets` into the snippet."""
    from newscli.export import dumps

    total = 0
    for result in results:
        article = result.article
        yield dumps(
            {
                "type": "begin",
                "data": {
                    "id": article.id,
                    "path": article.path,
                    "title": article.title,
                    "published": article.published_at.isoformat() if article.published_at else None,
                },
            }
        )
        text = article.text
        for hit in result.hits:
            piece = snippet(text, hit, context)
            yield dumps(
                {
                    "type": "match",
                    "data": {
                        "id": article.id,
                        "text": text[hit.start : hit.end],
                        "offsets": {"start": hit.start, "end": hit.end},
                        "snippet": piece.text,
                        "snippet_offsets": {"start": piece.highlight[0], "end": piece.highlight[1]},
                    },
                }
            )
        total += len(result.hits)
        yield dumps({"type": "end", "data": {"id": article.id, "hits": len(result.hits)}})
    yield dumps(
        {
            "type": "summary",
            "data": {
                "articles_searched": searched,
                "articles_matched": len(results),
                "hits": total,
                "elapsed_seconds": round(elapsed, 6),
            },
        }
    )


# --- stats ----------------------------------------------------------------------------------


def stats_view(stats: Stats, width: int) -> Group:
    """Counts, then outlets and months as bar charts scaled to the terminal's width."""
    parts: list[object] = []
    summary = Text()
    summary.append(f"{stats.articles:,}", style="bold")
    summary.append(f" articles, {stats.characters:,} characters")
    if stats.first and stats.last:
        summary.append(f", published {stats.first[:10]} … {stats.last[:10]}")
    if stats.undated:
        summary.append(f", {stats.undated:,} undated")
    parts.append(summary)
    share = (
        ", ".join(
            f"{name} {count / stats.articles:.0%}" for name, count in stats.scripts.most_common()
        )
        if stats.articles
        else "-"
    )
    parts.append(Text(f"script: {share}"))
    parts.append(Text(""))
    parts.append(Text("articles per outlet", style="bold"))
    parts.extend(_bars([(safe_line(k), v) for k, v in stats.outlets.most_common()], width))
    if stats.months:
        parts.append(Text(""))
        parts.append(Text("articles per month (published)", style="bold"))
        parts.extend(_bars(_fold_empty_months(stats.months), width))
    for label, chosen in (("largest", stats.largest), ("smallest", stats.smallest)):
        if chosen:
            parts.append(Text(""))
            parts.append(Text(f"{label} articles", style="bold"))
            for article in chosen:
                line = Text(f"{short_id(article.id)}  {article.char_count:>8,}  ")
                line.append(safe_line(article.title))
                line.truncate(width, overflow="ellipsis")
                parts.append(line)
    return Group(*parts)  # type: ignore[arg-type]


def _fold_empty_months(months: dict[str, int]) -> list[tuple[str, int]]:
    """Runs of three or more empty months become one line: 2014-10 … 2020-05."""
    items = list(months.items())
    out: list[tuple[str, int]] = []
    index = 0
    while index < len(items):
        end = index
        while end < len(items) and items[end][1] == 0:
            end += 1
        if end - index >= 3:
            out.append((f"{items[index][0]} … {items[end - 1][0]}", 0))
            index = end
        else:
            out.append(items[index])
            index += 1
    return out


def _bars(items: list[tuple[str, int]], width: int) -> Iterator[Text]:
    if not items:
        return
    label_width = min(max(cell_len(label) for label, _ in items), 24)
    count_width = max(len(f"{count:,}") for _, count in items)
    room = max(width - label_width - count_width - 4, 10)
    top = max(count for _, count in items) or 1
    for label, count in items:
        shown = Text(label)
        shown.truncate(label_width, overflow="ellipsis", pad=True)
        line = shown + Text(f"  {count:>{count_width},} ")
        line.append("█" * max(round(count / top * room), 1 if count else 0), style="cyan")
        yield line


# --- progress -------------------------------------------------------------------------------


@contextmanager
def index_progress() -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr, shown only once there is real work (many files to parse)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    progress = Progress(
        TextColumn("indexing"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        console=make_console(stderr=True),
        transient=True,
    )
    task = None
    started = time.perf_counter()

    def update(done: int, total: int) -> None:
        nonlocal task
        if total < 200:
            return
        if task is None:
            progress.start()
            task = progress.add_task("index", total=total, rate="")
        elapsed = time.perf_counter() - started
        rate = f"{done / elapsed:,.0f} files/s" if elapsed > 0 and done else ""
        progress.update(task, completed=done, rate=rate)

    try:
        yield update
    finally:
        if task is not None:
            progress.stop()


# --- check ----------------------------------------------------------------------------------


def check_lines(report: CheckReport, shown: int = 20) -> Iterator[str]:
    """The check report as plain lines: counts first, then each list (long ones cut)."""

    def listing(paths: list[str]) -> Iterator[str]:
        for path in sorted(paths)[:shown]:
            yield "    " + display_path(path)
        if len(paths) > shown:
            yield f"    … {len(paths) - shown} more (--json lists all)"

    yield (
        f"{display_path(report.root)}: {report.files:,} files, {report.articles:,} articles, "
        f"{len(report.ignored):,} ignored (not articles)"
    )
    yield f"problems: {len(report.problems):,}"
    for kind, problems in report.problems_by_kind().items():
        yield f"  {kind} ({len(problems):,})"
        for problem in problems:
            yield f"    {display_path(problem.path)}: {safe_line(problem.reason)}"
    encodings = ", ".join(f"{name} {count:,}" for name, count in report.encodings.most_common())
    yield f"encodings: {encodings or '-'}"
    for path, encoding in sorted(report.legacy_encoded)[:shown]:
        yield f"    {display_path(path)}: {encoding}"
    sources = ", ".join(
        f"{name.replace('_', ' ')} {count:,}" for name, count in report.date_sources.most_common()
    )
    yield f"published date from: {sources or '-'}"
    yield f"no published date: {len(report.undated):,}"
    yield from listing(report.undated)
    yield f"no body text: {len(report.empty):,}"
    yield from listing(report.empty)
    yield f"urls in several files: {len(report.duplicates):,}"
    for url, paths in sorted(report.duplicates.items())[:shown]:
        yield f"  {safe_line(url)}"
        yield from listing(paths)
    if report.ignored:
        yield f"ignored: {len(report.ignored):,}"
        yield from listing(report.ignored)
