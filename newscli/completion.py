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

from newscli.article import short_id

MAX_CHOICES = 200  # a shell shows no more than a screenful usefully


def _read_only(root: Path) -> sqlite3.Connection | None:
    from newscli.index import index_dir_for

    database = index_dir_for(root) / "index.sqlite"
    if not database.is_file():
        return None
    try:
        return sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True, timeout=0.2)
    except sqlite3.Error:
        return None


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def article_ids(root: Path, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(short id, title) of indexed articles whose id begins with `prefix`, newest first."""
    connection = _read_only(root)
    if connection is None:
        return
    with closing(connection):
        try:
            rows = connection.execute(
                "SELECT id, title FROM articles WHERE id LIKE ? ESCAPE '\\' "
                "ORDER BY published_at DESC, path LIMIT ?",
                (_like_prefix(prefix.lower()), MAX_CHOICES),
            ).fetchall()
        except sqlite3.Error:
            return
    for article_id, title in rows:
        yield short_id(article_id), " ".join(str(title).split())


def outlet_names(root: Path, prefix: str = "") -> Iterator[str]:
    """Outlets of the indexed articles that begin with `prefix`, A to Z."""
    connection = _read_only(root)
    if connection is None:
        return
    with closing(connection):
        try:
            rows = connection.execute(
                "SELECT DISTINCT outlet FROM articles WHERE outlet != '' AND outlet LIKE ? "
                "ESCAPE '\\' ORDER BY outlet LIMIT ?",
                (_like_prefix(prefix), MAX_CHOICES),
            ).fetchall()
        except sqlite3.Error:
            return
    for (outlet,) in rows:
        yield str(outlet)
