"""The cache's own rules (newscli.cache): transactions that never hide the real failure."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from newscli.cache import Cache


@pytest.mark.parametrize("nested", [False, True])
def test_a_failure_after_sqlite_rolled_back_by_itself_keeps_its_own_message(
    tmp_path: Path, nested: bool
) -> None:
    """On "database or disk is full" SQLite ends the transaction itself; our ROLLBACK then
    failed with "cannot rollback - no transaction is active" and hid the cause."""
    cache = Cache(tmp_path / "index")

    def full() -> None:
        cache.db.execute("ROLLBACK")  # what SQLite does by itself on SQLITE_FULL
        raise sqlite3.OperationalError("database or disk is full")

    def work() -> None:
        cache.transaction(full)

    with pytest.raises(sqlite3.OperationalError, match="database or disk is full"):
        cache.transaction(work if nested else full)
    assert not cache.db.in_transaction
    cache.transaction(lambda: cache.set_meta("after", 1))  # and the cache still works
    assert cache.meta("after") == "1"
