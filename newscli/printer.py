"""Every command's output for machines and pipes, written as it is produced.

One place for: rows of articles (`list`: tsv, csv, json, jsonl, ids, and tables through
`render`), hits per article (`search -c`), the search event stream (`search --json`:
ripgrep's JSON Lines format plus our own fields), search's plain lines for a pipe, the
`check` report's lines, and JSON documents (`stats --json`, `check --json`).

Writers take iterators and write each line as soon as it is made (a JSON array too), so
the first row is out before the last one is computed. The vocabulary is the same in every
JSON output (newscli/schema.json describes it): `id` is the full id, times are
`YYYY-MM-DDTHH:MM:SSZ` (UTC), a missing value is `null` (never `""`), `tags` is an array,
and the publication time is `published_at`. Tables, and the ids of `-l`/`-f ids`, show the
ten-digit prefix that every look-up accepts.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from itertools import chain
from typing import TYPE_CHECKING, Any, Generic, Protocol, TextIO, TypeVar, Union

from newscli.article import iso_utc, json_path, short_id
from newscli.textsafe import display_path, dumps, safe, safe_line

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from newscli.check import CheckReport
    from newscli.search import Found, Hit
    from newscli.stats import Bucket
    from newscli.variants import FormCount

JSON = Union[None, bool, int, float, str, list["JSON"], dict[str, "JSON"]]  # noqa: UP007


def write_json(out: TextIO, data: Any) -> None:
    """One JSON document (stats, check), indented for people who read it too."""
    out.write(dumps(data, indent=2) + "\n")


# --- rows -------------------------------------------------------------------------------------


class Listable(Protocol):
    """What a row of `list` needs: an Article or a Summary (the index's bodiless form)."""

    @property
    def id(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def outlet(self) -> str: ...
    @property
    def author(self) -> str: ...
    @property
    def archived_at(self) -> datetime | None: ...
    @property
    def published_at(self) -> datetime | None: ...
    @property
    def tags(self) -> Sequence[str]: ...
    @property
    def script(self) -> str: ...
    @property
    def char_count(self) -> int: ...


R = TypeVar("R")


@dataclass(frozen=True)
class Column(Generic[R]):
    """One column: its header (and --columns name), its JSON key and value, its text."""

    name: str
    value: Callable[[R], JSON]  # the typed value in JSON: None when missing
    key: str = ""  # its JSON key, when not `name`
    text: Callable[[R], str] | None = None  # tsv/csv text, when not derived from `value`
    short: Callable[[R], str] | None = None  # a shorter form for tables (the id prefix)
    right: bool = False  # right-aligned in tables

    @property
    def json_key(self) -> str:
        return self.key or self.name

    def cell(self, row: R) -> str:
        if self.text is not None:
            return self.text(row)
        value = self.value(row)
        if value is None:
            return ""
        if isinstance(value, list):
            return ",".join(str(item) for item in value)
        return str(value)

    def table_cell(self, row: R) -> str:
        if self.short is not None:
            return self.short(row)
        value = self.value(row)
        return f"{value:,}" if isinstance(value, int) else self.cell(row)


def _day(moment: datetime | None) -> str:
    """The day of a time, as tables and tsv/csv show `published` and `archived`: in the
    zone the time carries (UTC, or the reader's --tz: see article.in_zone)."""
    from newscli.dates import format_day

    return format_day(moment)


def _plain(value: str) -> str:
    """An Enum's value, a str as it is (scripts may be either)."""
    return str(value.value) if isinstance(value, Enum) else value


def _id_prefix(item: Listable) -> str:
    return short_id(item.id)


COLUMNS: dict[str, Column[Listable]] = {
    column.name: column
    for column in (
        Column[Listable]("id", lambda a: a.id, short=_id_prefix),
        Column[Listable](
            "published",
            lambda a: iso_utc(a.published_at),
            key="published_at",
            text=lambda a: _day(a.published_at),
        ),
        Column[Listable](
            "archived",
            lambda a: iso_utc(a.archived_at),
            key="archived_at",
            text=lambda a: _day(a.archived_at),
        ),
        Column[Listable]("outlet", lambda a: a.outlet or None),
        Column[Listable]("title", lambda a: a.title or None),
        Column[Listable]("chars", lambda a: a.char_count, right=True),
        Column[Listable]("author", lambda a: a.author or None),
        Column[Listable]("script", lambda a: _plain(a.script)),
        Column[Listable]("tags", lambda a: list(a.tags)),
        Column[Listable]("url", lambda a: a.url or None),
        Column[Listable]("path", lambda a: a.path),
        Column[Listable]("full_id", lambda a: a.id, key="id"),
        Column[Listable]("published_at", lambda a: iso_utc(a.published_at)),
        Column[Listable]("archived_at", lambda a: iso_utc(a.archived_at)),
    )
}
DEFAULT_COLUMNS = ("id", "published", "outlet", "title", "chars")


def parse_columns(text: str | None) -> tuple[str, ...]:
    """`--columns a,b,c` checked against COLUMNS (a ValueError names the unknown ones)."""
    if not text:
        return DEFAULT_COLUMNS
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in COLUMNS]
    if unknown or not names:
        raise ValueError(
            f"unknown column {', '.join(unknown) or '(none given)'}; choose from {', '.join(COLUMNS)}"
        )
    return names


def record(row: R, columns: Sequence[Column[R]]) -> dict[str, JSON]:
    """One row as a JSON object (columns naming the same key give it once); a path comes
    as valid UTF-8 with its raw bytes beside it (article.json_path)."""
    data = {column.json_key: column.value(row) for column in columns}
    path = data.get("path")
    if isinstance(path, str):
        names = json_path(path)
        data["path"] = names["path"]
        data["path_bytes"] = names["path_bytes"]
    return data


def table_rows(items: Iterable[Listable], names: Sequence[str]) -> list[tuple[str, ...]]:
    """The cells of a `list` table: one line each, the id as its prefix, sizes with commas."""
    columns = [COLUMNS[name] for name in names]
    return [tuple(safe_line(c.table_cell(item)) for c in columns) for item in items]


def articles_table(
    items: Iterable[Listable], width: int, names: Sequence[str] = DEFAULT_COLUMNS
) -> Table:
    """`list --format table`: a rich Table `width` cells wide (rich is imported only here)."""
    from newscli.render import rows_table

    right = [name for name in names if COLUMNS[name].right]
    return rows_table(names, table_rows(items, names), width, right=right)


def write_rows(
    out: TextIO,
    rows: Iterable[R],
    columns: Sequence[Column[R]],
    form: str,
    *,
    headers: bool = True,
) -> int:
    """Rows as tsv, csv, json (one array) or jsonl, each written as soon as it is made.

    TSV and CSV start with a header row unless `headers` is false. TSV shows tabs and
    newlines inside a field as `\\t` and `\\n`; CSV quotes them. Returns the rows written."""
    written = 0
    if form == "tsv":
        if headers:
            out.write("\t".join(column.name for column in columns) + "\n")
        for row in rows:
            out.write("\t".join(safe_line(column.cell(row)) for column in columns) + "\n")
            written += 1
    elif form == "csv":
        import csv  # here: the hot paths (list -f tsv, search -c) need neither csv nor base64

        writer = csv.writer(out, lineterminator="\n")
        if headers:
            writer.writerow([column.name for column in columns])
        for row in rows:
            writer.writerow([csv_cell(safe(column.cell(row))) for column in columns])
            written += 1
    elif form == "jsonl":
        for row in rows:
            out.write(dumps(record(row, columns)) + "\n")
            written += 1
    elif form == "json":
        for row in rows:
            out.write(("[\n  " if not written else ",\n  ") + dumps(record(row, columns)))
            written += 1
        out.write("\n]\n" if written else "[]\n")
    else:
        raise ValueError(f"unknown format {form!r}")
    return written


# A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK(…),
# +cmd|…): OWASP's advice for CSV injection is a leading ' so it shows as text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def csv_cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as text, never runs: a cell starting with = + - @,
    tab or CR gets a leading ' (a plain negative number is left as it is)."""
    if text.startswith(_FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def write_list(
    out: TextIO,
    items: Iterable[Listable],
    names: Sequence[str],
    form: str,
    *,
    headers: bool = True,
    console: Console | None = None,
) -> int:
    """`list` as table, tsv, csv, json, jsonl or ids; a table goes to `console`."""
    if form == "ids":
        written = 0
        for item in items:
            out.write(short_id(item.id) + "\n")
            written += 1
        return written
    if form == "table":
        from newscli.render import make_console

        shown = list(items)  # a table needs every row to size its columns
        console = console or make_console()
        console.print(articles_table(shown, console.width, names))
        return len(shown)
    return write_rows(out, items, [COLUMNS[name] for name in names], form, headers=headers)


Counted = tuple[Listable, int]

COUNT_COLUMNS: tuple[Column[Counted], ...] = (
    Column[Counted]("id", lambda pair: pair[0].id),
    Column[Counted]("hits", lambda pair: pair[1]),
    Column[Counted]("title", lambda pair: pair[0].title or None),
)


def write_counts(out: TextIO, counted: Iterable[Counted], *, headers: bool = True) -> int:
    """`search -c`: id, hits, title, tab-separated (a header row unless told not to)."""
    return write_rows(out, counted, COUNT_COLUMNS, "tsv", headers=headers)


def write_forms(out: TextIO, counts: Iterable[FormCount], *, headers: bool = True) -> int:
    """`search --variants --forms`: form, articles, hits, tab-separated, most hits first."""
    rows = 0
    if headers:
        out.write("form\tarticles\thits\n")
    for count in counts:
        out.write(f"{safe_line(count.form)}\t{count.articles}\t{count.hits}\n")
        rows += 1
    return rows


def write_outlets(out: TextIO, outlets: Iterable[tuple[str, int]], *, headers: bool = True) -> int:
    """`stats --outlets`: outlet, articles, tab-separated."""
    rows = 0
    if headers:
        out.write("outlet\tarticles\n")
    for outlet, articles in outlets:
        out.write(f"{safe_line(outlet)}\t{articles}\n")
        rows += 1
    return rows


def bucket_columns(names: Sequence[str]) -> tuple[Column[Bucket], ...]:
    """One column per bucket kind (--by; and `form`), then articles and hits."""

    def key(position: int) -> Callable[[Bucket], JSON]:
        return lambda bucket: bucket.key[position]

    keys = tuple(Column["Bucket"](name, key(i)) for i, name in enumerate(names))
    return (
        *keys,
        Column["Bucket"]("articles", lambda bucket: bucket.articles, right=True),
        Column["Bucket"]("hits", lambda bucket: bucket.hits, right=True),
    )


def write_buckets(
    out: TextIO, buckets: Sequence[Bucket], names: Sequence[str], form: str, *, headers: bool
) -> int:
    """`search --by`: tsv, csv, json or jsonl rows, one per bucket."""
    return write_rows(out, buckets, bucket_columns(names), form, headers=headers)


BAR_WIDTH = 30


def buckets_table(buckets: Sequence[Bucket], names: Sequence[str], width: int) -> Table:
    """`search --by` on a terminal: the buckets with a bar of articles each."""
    from newscli.render import rows_table

    columns = bucket_columns(names)
    most = max((bucket.articles for bucket in buckets), default=0) or 1
    rows = [
        (
            *(safe_line(column.table_cell(bucket)) for column in columns),
            "█" * max(1, round(bucket.articles * BAR_WIDTH / most)),
        )
        for bucket in buckets
    ]
    header = [*(column.name for column in columns), "bar"]
    return rows_table(header, rows, width, right=("articles", "hits"))


@dataclass(frozen=True)
class KwicLine:
    """One hit as a concordance line: context either side, and where it comes from."""

    left: str
    hit: str
    right: str
    id: str
    published_at: datetime | None
    outlet: str


KWIC_COLUMNS: tuple[Column[KwicLine], ...] = (
    Column[KwicLine]("left", lambda line: line.left),
    Column[KwicLine]("hit", lambda line: line.hit),
    Column[KwicLine]("right", lambda line: line.right),
    Column[KwicLine]("id", lambda line: line.id),
    Column[KwicLine](
        "date",
        lambda line: iso_utc(line.published_at),
        key="published_at",
        text=lambda line: _day(line.published_at),
    ),
    Column[KwicLine]("outlet", lambda line: line.outlet or None),
)


def kwic_lines(results: Iterable[Found], context: int) -> Iterator[KwicLine]:
    """`search --format kwic`: `context` characters either side of every hit (newlines
    shown as spaces; a concordance reads across paragraphs), in the text as written."""
    for result in results:
        article, text = result.article, result.text
        for hit in result.hits:
            yield KwicLine(
                text[max(0, hit.start - context) : hit.start].replace("\n", " "),
                text[hit.start : hit.end],
                text[hit.end : hit.end + context].replace("\n", " "),
                article.id,
                article.published_at,
                article.outlet,
            )


def write_kwic(
    out: TextIO, results: Iterable[Found], context: int, form: str, *, headers: bool
) -> int:
    """Concordance lines as tsv, csv or jsonl ("kwic", "kwic-csv", "kwic-jsonl")."""
    rows = {"kwic": "tsv", "kwic-csv": "csv", "kwic-jsonl": "jsonl"}[form]
    if rows == "tsv":
        if headers:
            out.write("\t".join(column.name for column in KWIC_COLUMNS) + "\n")
        return _write_blocks(out, (kwic_block(result, context) for result in results))
    return write_rows(out, kwic_lines(results, context), KWIC_COLUMNS, rows, headers=headers)


def kwic_block(result: Found, context: int) -> tuple[str, int]:
    """One article's `--format kwic` rows (KWIC_COLUMNS as tsv) as one string, and how
    many: built per hit without a KwicLine or a cell each, made safe once per article."""
    article, text = result.article, result.text
    where = (article.id, _day(article.published_at), article.outlet or "")
    tail = "\t" + "\t".join(safe_line(value) for value in where) + "\n"
    spans = [
        (
            text[start - context if start > context else 0 : start].replace("\n", " "),
            text[start:end],
            text[end : end + context].replace("\n", " "),
        )
        for start, end in result.hits
    ]
    if "\t" in text or any("\n" in hit for _, hit, _ in spans):
        # A tab or newline in a cell shows as \t or \n (safe_line): cell by cell.
        rows = "".join("\t".join(safe_line(cell) for cell in span) + tail for span in spans)
        return rows, len(spans)
    # safe() maps characters one by one and leaves the tail (already safe) as it is.
    return safe("".join(f"{left}\t{hit}\t{right}{tail}" for left, hit, right in spans)), len(spans)


# --- search: plain lines for a pipe -----------------------------------------------------------


def snippet_block(text: str, hits: Iterable[Hit], context: int) -> str:
    """One tab-indented line per hit: `context` characters either side (the windows of
    search.snippet), … where text was cut. Built in one pass, no object per hit, and the
    text made safe once for the whole block (safe() maps characters one by one, and the
    tabs and newlines between lines are not among those it changes). tests/conftest.py
    keeps the per-hit rule (snippet_line) it must equal."""
    size = len(text)
    rfind, find = text.rfind, text.find
    pieces: list[str] = []
    add = pieces.append
    for hit_start, hit_end in hits:
        start = hit_start - context if hit_start > context else 0
        end = hit_end + context
        if end > size:
            end = size
        paragraph_start = rfind("\n\n", start, hit_start)
        if paragraph_start != -1:
            start = paragraph_start + 2
            before = "\t"
        else:
            before = "\t…" if start > 0 else "\t"
        paragraph_end = find("\n\n", hit_end, end)
        if paragraph_end != -1:
            end = paragraph_end
            after = "\n"
        else:
            after = "…\n" if end < size else "\n"
        add(before + text[start:end].replace("\n", " ") + after)
    if not pieces:
        return ""
    windows = "".join(pieces)
    if "\t" in text:
        # A tab inside a window is shown as \t (safe_line), the line's own tab stays. Rare:
        # done line by line. (A CR is safe()'s: ␍.)
        lines = windows[:-1].split("\n")
        windows = "".join("\t" + line[1:].replace("\t", "\\t") + "\n" for line in lines)
    return safe(windows)


WRITE_CHUNK = 64 * 1024  # characters gathered before one write (at most)
FIRST_CHUNK = 4 * 1024  # the first writes after the first article (then twice as large)


def search_result_block(result: Found, context: int) -> str:
    """An article's hits for a pipe, as one string: a header (id prefix, date, title),
    then one tab-indented line per hit (snippet_block), each line ended by a newline."""
    article = result.article
    fields = (short_id(article.id), _day(article.published_at) or "-", article.title)
    header = "\t".join(fields)
    if header.count("\t") == 2 and "\n" not in header:
        header = safe(header)  # safe_line of each field, in one call
    else:
        header = "\t".join(safe_line(value) for value in fields)
    return header + "\n" + snippet_block(result.text, result.hits, context)


def write_search_lines(out: TextIO, results: Iterable[Found], context: int) -> int:
    """Every result as search_result_block; returns the articles written. The first
    article is written (and flushed) at once; then whole articles are gathered into writes
    of about WRITE_CHUNK characters (one write per line cost more than making the line)."""
    blocks = ((search_result_block(result, context), 1) for result in results)
    return _write_blocks(out, blocks)


def _write_blocks(out: TextIO, blocks: Iterable[tuple[str, int]]) -> int:
    """(text, count) blocks, one per article: the first written and flushed at once (the
    next may take a scan of the whole index), then gathered into writes that grow from
    FIRST_CHUNK to WRITE_CHUNK characters (small ones first, so that a reader that has
    gone, `| head`, is noticed before the rest is made). Returns the sum of the counts."""
    written = 0
    pending: list[str] = []
    gathered = 0
    limit = 0
    for block, count in blocks:
        pending.append(block)
        gathered += len(block)
        written += count
        if gathered >= limit:
            out.write("".join(pending))
            pending.clear()
            gathered = 0
            if not limit:
                out.flush()
            limit = min(max(limit * 2, FIRST_CHUNK), WRITE_CHUNK)
    if pending:
        out.write("".join(pending))
    return written


# --- search: ripgrep's JSON Lines ----------------------------------------------------------------


def _raw(text: str) -> bytes:
    """The bytes a string stands for: UTF-8, with file-name bytes kept by surrogateescape."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            return text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            return text.encode("utf-8", "surrogatepass")


def rg_data(text: str) -> dict[str, JSON]:
    """rg's arbitrary data: {"text": …} for valid UTF-8, else {"bytes": base64}."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        import base64

        return {"bytes": base64.b64encode(_raw(text)).decode("ascii")}
    return {"text": text}


def rg_duration(seconds: float) -> dict[str, JSON]:
    whole = int(seconds)
    return {
        "secs": whole,
        "nanos": round((seconds - whole) * 1e9),
        "human": f"{seconds:.6f}s",
    }


@dataclass
class SearchStats:
    """rg's stats object, for one article (`end`) or the whole search (`summary`)."""

    elapsed: float = 0.0
    searches: int = 0
    searches_with_match: int = 0
    bytes_searched: int = 0
    bytes_printed: int = 0
    matched_lines: int = 0
    matches: int = 0

    def add(self, other: SearchStats) -> None:
        self.elapsed += other.elapsed
        self.searches += other.searches
        self.searches_with_match += other.searches_with_match
        self.bytes_searched += other.bytes_searched
        self.bytes_printed += other.bytes_printed
        self.matched_lines += other.matched_lines
        self.matches += other.matches

    def to_dict(self) -> dict[str, JSON]:
        return {
            "elapsed": rg_duration(self.elapsed),
            "searches": self.searches,
            "searches_with_match": self.searches_with_match,
            "bytes_searched": self.bytes_searched,
            "bytes_printed": self.bytes_printed,
            "matched_lines": self.matched_lines,
            "matches": self.matches,
        }


@dataclass(frozen=True)
class MatchedLines:
    """The lines (text up to and including "\\n") that one or more hits fall on."""

    start: int  # character offsets into the article's text
    end: int
    hits: tuple[Hit, ...]


def matched_lines(text: str, hits: Iterable[Hit]) -> Iterator[MatchedLines]:
    """Hits grouped as rg groups them: one group per line, or per run of lines when a hit
    spans a newline. Hits must come in order of their start."""
    group: MatchedLines | None = None
    for hit in hits:
        start = text.rfind("\n", 0, hit.start) + 1
        newline = text.find("\n", max(hit.end - 1, hit.start))
        end = len(text) if newline == -1 else newline + 1
        if group is not None and start < group.end:
            group = MatchedLines(group.start, max(group.end, end), (*group.hits, hit))
            continue
        if group is not None:
            yield group
        group = MatchedLines(start, end, (hit,))
    if group is not None:
        yield group


def match_events(
    article_id: str,
    path: str,
    text: str,
    groups: Iterable[MatchedLines],
    context: int,
    form_of: Callable[[str, Hit], str] | None = None,
) -> Iterator[dict[str, JSON]]:
    """rg's `match` messages for one article's text (title, blank line, body).

    rg's fields: `lines`, `line_number` (from 1), `absolute_offset` (bytes from the start
    of the text to the line), `submatches` with `start`/`end` in BYTES into lines.text.
    Ours: `id`, and per submatch `line_chars` (characters into lines.text), `offsets`
    (characters into the article's text) and `snippet` (`context` characters either side);
    with `form_of` (search --variants), `form`: the written form that found the hit."""
    from newscli.search import snippet

    line_number, line_start, byte_offset = 1, 0, 0
    for group in groups:
        line_number += text.count("\n", line_start, group.start)
        byte_offset += len(_raw(text[line_start : group.start]))
        line_start = group.start
        lines = text[group.start : group.end]
        submatches: list[JSON] = []
        for hit in group.hits:
            begin, end = hit.start - group.start, hit.end - group.start
            byte_start = len(_raw(lines[:begin]))
            piece = snippet(text, hit, context)
            submatch: dict[str, JSON] = {
                "match": rg_data(lines[begin:end]),
                "start": byte_start,
                "end": byte_start + len(_raw(lines[begin:end])),
                "line_chars": {"start": begin, "end": end},
                "offsets": {"start": hit.start, "end": hit.end},
                "snippet": {
                    "text": piece.text,
                    "start": piece.highlight[0],
                    "end": piece.highlight[1],
                },
            }
            if form_of is not None:
                submatch["form"] = form_of(text, hit)
            submatches.append(submatch)
        yield {
            "type": "match",
            "data": {
                "path": rg_data(path),
                "lines": rg_data(lines),
                "line_number": line_number,
                "absolute_offset": byte_offset,
                "submatches": submatches,
                "id": article_id,
            },
        }


def _line_count(text: str, start: int, end: int) -> int:
    return text.count("\n", start, end) + (0 if text.endswith("\n", start, end) else 1)


def write_search_events(
    out: TextIO,
    results: Iterable[Found],
    *,
    context: int,
    searched: int | Callable[[], int],
    started: float,
    form_of: Callable[[str, Hit], str] | None = None,
) -> SearchStats:
    """`search --json`: per article `begin`, one `match` per matched line, `end`; then one
    `summary`. The format is ripgrep's (`rg --json`), so tools that read it work; the
    "file" is the article's text as `show` and `convert` give it (title, blank line, body).

    `searched` (articles looked at, after filters) may be a callable read at the end, for
    searches that only know it once their results are exhausted."""
    total = SearchStats()
    iterator = iter(results)
    while True:
        clock = time.perf_counter()
        result = next(iterator, None)
        if result is None:
            break
        article = result.article
        text = result.text
        stats = SearchStats(searches=1, searches_with_match=1, matches=len(result.hits))
        stats.bytes_searched = len(_raw(text))
        begin: dict[str, JSON] = {
            "type": "begin",
            "data": {
                "path": rg_data(article.path),
                "id": article.id,
                "title": article.title or None,
                "outlet": article.outlet or None,
                "published_at": iso_utc(article.published_at),
            },
        }
        groups = list(matched_lines(text, result.hits))
        stats.matched_lines = sum(_line_count(text, g.start, g.end) for g in groups)
        events = match_events(article.id, article.path, text, groups, context, form_of)
        for event in chain((begin,), events):
            line = dumps(event) + "\n"
            out.write(line)
            stats.bytes_printed += len(_raw(line))
        stats.elapsed = time.perf_counter() - clock
        end: dict[str, JSON] = {
            "type": "end",
            "data": {
                "path": rg_data(article.path),
                "binary_offset": None,
                "stats": stats.to_dict(),
                "id": article.id,
            },
        }
        out.write(dumps(end) + "\n")
        total.add(stats)
    total.searches = searched() if callable(searched) else searched
    summary: dict[str, JSON] = {
        "type": "summary",
        "data": {
            "elapsed_total": rg_duration(time.perf_counter() - started),
            "stats": total.to_dict(),
        },
    }
    out.write(dumps(summary) + "\n")
    return total


# --- check ------------------------------------------------------------------------------------


def check_lines(report: CheckReport, shown: int = 20) -> Iterator[str]:
    """The check report as plain lines: counts first, then each list. A long list shows
    its first `shown` entries and then says how many more there are: never a silent cut."""

    def more(left: int, what: str) -> Iterator[str]:
        if left > 0:
            yield f"    … {left:,} more {what} (--json lists all)"

    def listing(paths: list[str]) -> Iterator[str]:
        for path in sorted(paths)[:shown]:
            yield "    " + display_path(path)
        yield from more(len(paths) - shown, "files")

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
    yield from more(len(report.legacy_encoded) - shown, "files")
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
    if len(report.duplicates) > shown:
        yield f"  … {len(report.duplicates) - shown:,} more urls (--json lists all)"
    if report.ignored:
        yield f"ignored: {len(report.ignored):,}"
        yield from listing(report.ignored)


def write_lines(out: TextIO, lines: Iterable[str]) -> None:
    for line in lines:
        out.write(line + "\n")
