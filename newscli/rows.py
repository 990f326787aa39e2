"""Rows of article fields in every output format: one writer for every command that lists.

Formats: table (rich, on a terminal), tsv, csv, json (one array), jsonl, ids.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from newscli.article import Article, Summary, short_id
from newscli.textsafe import escape_json_text


@dataclass(frozen=True)
class Column:
    name: str
    value: Callable[[Article | Summary], object]  # a str or an int (json keeps the type)
    right: bool = False  # right-aligned in tables


def _date(moment: object) -> str:
    return moment.strftime("%Y-%m-%d") if moment else ""  # type: ignore[attr-defined]


COLUMNS: dict[str, Column] = {
    column.name: column
    for column in (
        Column("id", lambda a: short_id(a.id)),
        Column("published", lambda a: _date(a.published_at)),
        Column("archived", lambda a: _date(a.archived_at)),
        Column("outlet", lambda a: a.outlet),
        Column("title", lambda a: a.title),
        Column("chars", lambda a: a.char_count, right=True),
        Column("author", lambda a: a.author),
        Column("script", lambda a: a.script),
        Column("tags", lambda a: ",".join(a.tags)),
        Column("url", lambda a: a.url),
        Column("path", lambda a: a.path),
        Column("full_id", lambda a: a.id),
        Column("published_at", lambda a: a.published_at.isoformat() if a.published_at else ""),
    )
}
DEFAULT_COLUMNS = ("id", "published", "outlet", "title", "chars")


def parse_columns(text: str | None) -> tuple[str, ...]:
    if not text:
        return DEFAULT_COLUMNS
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in COLUMNS]
    if unknown or not names:
        raise ValueError(
            f"unknown column {', '.join(unknown) or '(none given)'}; choose from {', '.join(COLUMNS)}"
        )
    return names


def records(
    articles: Iterable[Article | Summary], columns: tuple[str, ...]
) -> Iterator[dict[str, object]]:
    for article in articles:
        yield {name: COLUMNS[name].value(article) for name in columns}


def text_lines(
    articles: Iterable[Article | Summary], columns: tuple[str, ...], form: str
) -> Iterator[str]:
    """Every format but `table`, line by line (json is one array over several lines)."""
    from newscli.textsafe import safe, safe_line

    if form == "ids":
        for article in articles:
            yield short_id(article.id)
    elif form == "tsv":
        for record in records(articles, columns):
            yield "\t".join(safe_line(str(value)) for value in record.values())
    elif form == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for record in records(articles, columns):
            writer.writerow([safe(str(value)) for value in record.values()])
        yield buffer.getvalue().removesuffix("\n")  # one piece: quoted fields may hold newlines
    elif form == "jsonl":
        for record in records(articles, columns):
            yield escape_json_text(json.dumps(record, ensure_ascii=False))
    elif form == "json":
        items = [
            escape_json_text(json.dumps(r, ensure_ascii=False)) for r in records(articles, columns)
        ]
        if not items:
            yield "[]"
            return
        yield "["
        for index, item in enumerate(items):
            yield "  " + item + ("," if index < len(items) - 1 else "")
        yield "]"
    else:
        raise ValueError(f"unknown format {form!r}")
