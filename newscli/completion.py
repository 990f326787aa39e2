"""What a TAB offers: article ids and outlet names, read straight from the index's SQLite.

A completion must answer in a fraction of a second, so it never refreshes (or builds) the
index: it reads the index as last refreshed, read-only, and offers nothing when there is
none yet.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

from newscli.article import NEWEST_FIRST_SQL, short_id

MAX_CHOICES = 200  # a shell shows no more than a screenful usefully


def _rows(root: Path, sql: str, parameters: tuple[object, ...]) -> list[tuple[object, ...]]:
    """The rows of one read-only query on the index, or none when there is no index yet
    (or it is busy or damaged: a TAB never waits and never repairs)."""
    from newscli.cache import index_dir_for

    database = index_dir_for(root) / "index.sqlite"
    if not database.is_file():
        return []
    try:
        connection = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True, timeout=0.2)
    except sqlite3.Error:
        return []
    with closing(connection):
        try:
            return connection.execute(sql, parameters).fetchall()
        except sqlite3.Error:
            return []


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def article_ids(root: Path, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(short id, title) of indexed articles whose id begins with `prefix`, newest first."""
    rows = _rows(
        root,
        "SELECT id, title FROM articles WHERE id LIKE ? ESCAPE '\\' "
        f"ORDER BY {NEWEST_FIRST_SQL} LIMIT ?",
        (_like_prefix(prefix.lower()), MAX_CHOICES),
    )
    for article_id, title in rows:
        yield short_id(str(article_id)), " ".join(str(title).split())


def outlet_names(root: Path, prefix: str = "") -> Iterator[str]:
    """Outlets of the indexed articles that begin with `prefix`, A to Z."""
    rows = _rows(
        root,
        "SELECT DISTINCT outlet FROM articles WHERE outlet != '' AND outlet LIKE ? "
        "ESCAPE '\\' ORDER BY outlet LIMIT ?",
        (_like_prefix(prefix), MAX_CHOICES),
    )
    for (outlet,) in rows:
        yield str(outlet)
