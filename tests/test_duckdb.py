"""The JSONL export is the hand-off to engines that scale out: DuckDB reads it as is."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from newscli import cli

runner = CliRunner()


@pytest.mark.parametrize("which", ["seeds", "slice"])
def test_duckdb_counts_match_stats(which: str, corpus_slice: Path, tmp_path: Path) -> None:
    corpus = [] if which == "seeds" else ["--corpus", str(corpus_slice)]
    target = tmp_path / "articles.jsonl"
    exported = runner.invoke(
        cli.app, ["convert", "--all", "--to", "jsonl", "-o", str(target), *corpus]
    )
    assert exported.exit_code == 0, exported.stderr
    stats = json.loads(runner.invoke(cli.app, ["stats", "--json", *corpus]).stdout)
    rows = duckdb.sql(
        f"SELECT outlet, count(*) AS n, sum(chars) AS chars FROM read_json_auto('{target}', format='newline_delimited') "
        "GROUP BY outlet"
    ).fetchall()
    assert {outlet: n for outlet, n, _ in rows} == stats["outlets"]
    assert sum(chars for _, _, chars in rows) == stats["characters"]
    # Nested blocks are queryable too: every article's blocks unnest to their kinds.
    kinds = duckdb.sql(
        f"SELECT DISTINCT unnest(blocks).kind AS kind FROM read_json_auto('{target}', format='newline_delimited')"
    ).fetchall()
    assert ("paragraph",) in kinds
