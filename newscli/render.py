"""Terminal output: rich renderables built by pure functions, and plain lines for pipes.

All article text goes through `textsafe.safe` and into rich `Text` objects (never markup
strings), so neither escape sequences nor `[bold]`-style markup in an article can act.
`CJKText` sets text the way Chinese is set; the line-breaking rules are in `linebreak`.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.pager import Pager
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from newscli.article import Article, BlockKind, Summary, short_id
from newscli.chinese import convert_for_display
from newscli.dates import format_day, format_moment
from newscli.export import display_label
from newscli.linebreak import wrap_offsets
from newscli.search import Found, snippet
from newscli.textsafe import display_path, safe, safe_line

if TYPE_CHECKING:
    from newscli.stats import Stats


@dataclass
class CJKText:
    """A rich renderable that wraps a Text the way Chinese is set, with a left indent."""

    text: Text
    indent: int = 0

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = max(options.max_width - self.indent, 4)
        plain = self.text.plain
        spans = wrap_offsets(plain, width)
        # One divide for all lines: slicing a Text per line copies all of it (quadratic).
        cuts = sorted({offset for span in spans for offset in span})
        bounds = zip([0, *cuts], [*cuts, len(plain)], strict=True)
        pieces = dict(zip(bounds, self.text.divide(cuts), strict=True))
        pad = " " * self.indent
        for span in spans:
            piece = pieces.get(span) or Text()
            line = Text(pad) + piece if pad else piece
            line.no_wrap = True
            line.overflow = "ignore"  # only a url is wider than the line: it must stay whole
            yield line


def make_console(*, stderr: bool = False, color: str = "auto", width: int | None = None) -> Console:
    """The one place consoles are made: no markup, emoji codes or auto-highlighting, ever.

    `color` is --color: auto (colour on a terminal unless $NO_COLOR), always (colour even
    into a pipe, whatever $NO_COLOR says: the flag is the later, explicit word), never."""
    force = {"always": True, "never": False}.get(color)
    return Console(
        stderr=stderr,
        markup=False,
        emoji=False,
        highlight=False,
        force_terminal=force,
        no_color={"always": False, "never": True}.get(color),
        width=width,
        soft_wrap=False,
    )


def pager_command(environ: Mapping[str, str]) -> list[str]:
    """$PAGER, else less; less always gets -R (colours) on its command line, because a
    $LESS without R would otherwise show the escape codes as text."""
    try:
        command = shlex.split(environ.get("PAGER", "").strip() or "less")
    except ValueError:
        command = ["less"]
    if command and os.path.basename(command[0]) == "less" and "-R" not in command:
        command.append("-R")
    return command or ["less", "-R"]


class CommandPager(Pager):
    """Pages through an external command (see pager_command); without one, just prints."""

    def show(self, content: str) -> None:
        environ = dict(os.environ)
        environ.setdefault("LESS", "-FRX")  # quit if one screen, keep the text on exit
        try:
            subprocess.run(
                pager_command(environ),
                input=content.encode("utf-8", "surrogateescape"),
                env=environ,
                check=False,
            )
        except OSError:  # no such pager: the text itself is what matters
            sys.stdout.write(content)


def short_date(article: Article | Summary) -> str:
    return format_day(article.published_at) or "-"


# --- list -----------------------------------------------------------------------------------


def rows_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    width: int,
    *,
    right: Collection[str] = (),
) -> Table:
    """Rows of one-line cells as a table `width` cells wide: the title (or last) column gets
    the width the others leave, outlets are cut at 14 cells, ids are cyan. The printer
    makes the cells (newscli.printer.articles_table is `list --format table`)."""
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
            justify="right" if name in right else "left",
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


# --- show -----------------------------------------------------------------------------------


def article_view(article: Article, script: str = "original") -> Group:
    def convert(text: str) -> Text:
        return Text(safe(convert_for_display(text, script)))

    def label(word: str) -> str:
        return display_label(word, article.script, script)

    title = convert(article.title)
    title.stylize("bold")
    parts: list[object] = [CJKText(title)]
    meta = Text()
    if article.outlet:
        meta.append(safe_line(convert_for_display(article.outlet, script)), style="cyan")
    if article.published_at:
        meta.append("  published " + format_moment(article.published_at))
        if article.published_source.value != "body":
            meta.append(f" (from {article.published_source.value.replace('_', ' ')})", style="dim")
    if article.author:
        meta.append("  by " + safe_line(convert_for_display(article.author, script)))
    meta.append(f"  {article.script} script", style="dim")
    parts.append(CJKText(meta))
    if article.archived_at:
        parts.append(Text("archived " + format_moment(article.archived_at), style="dim"))
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
            caption = Text(f"[{label('图片')}] ", style="magenta") + text
            caption.stylize("italic")
            parts.append(CJKText(caption))
            parts.append(CJKText(Text(safe_line(block.image_url), style="dim"), indent=2))
        elif kind is BlockKind.GALLERY:
            item = Text(f"[{label('图集')}] ", style="magenta")
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


def hits_header(result: Found) -> Text:
    article = result.article
    header = Text()
    header.append(short_id(article.id), style="cyan")
    header.append("  " + short_date(article) + "  ")
    if article.outlet:
        header.append(safe_line(article.outlet) + "  ", style="dim")
    header.append(safe_line(article.title), style="bold")
    return header


def hit_snippet_text(text: str, result: Found, index: int, context: int) -> Text:
    piece = snippet(text, result.hits[index], context)
    start, end = piece.highlight
    line = Text("…" if piece.cut_before else "")
    line.append(safe(piece.text[:start]))
    line.append(safe(piece.text[start:end]), style="bold reverse red")
    line.append(safe(piece.text[end:]))
    if piece.cut_after:
        line.append("…")
    return line


def search_result_view(result: Found, context: int) -> Group:
    text = result.text
    parts: list[object] = [CJKText(hits_header(result))]
    for index in range(len(result.hits)):
        parts.append(CJKText(hit_snippet_text(text, result, index, context), indent=2))
    parts.append(Text(""))
    return Group(*parts)  # type: ignore[arg-type]


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
