"""`convert` through the CLI: folders, JSONL, script conversion and output errors."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import lines, run
from typer.testing import CliRunner

from newscli import cli

runner = CliRunner()


def test_convert_several_into_a_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("convert", "000", "002", "--out-dir", str(out), "--to", "md")
    assert result.exit_code == 0 and result.stdout.strip() == f"2 written to {out}"
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "2022-08-15_38cea08e8c_朝鮮官媒：普京致函金正恩 稱將擴大雙邊關係.md",
        "2024-06-19_dc6d1d42a4_普京会金正恩 朝俄签订防卫互助协定.md",
    ]
    again = run("convert", "--all", "--out-dir", str(out), "--to", "md")
    assert again.exit_code == 1 and again.stderr.count("already exists") == 2
    assert run("convert", "--all", "--out-dir", str(out), "--to", "md", "--force").exit_code == 0
    several = run("convert", "000", "002")
    assert several.exit_code == 2 and "--out-dir" in several.stderr
    assert run("convert").exit_code == 2
    assert run("convert", "000", "--all").exit_code == 2


def test_convert_jsonl_and_script(tmp_path: Path) -> None:
    rows = [json.loads(line) for line in lines("convert", "--all", "--to", "jsonl")]
    assert [row["id"][:10] for row in rows] == ["dc6d1d42a4", "38cea08e8c"]
    assert {"title", "blocks", "text", "published_at", "outlet", "script"} <= set(rows[0])
    converted = [
        json.loads(line)
        for line in lines("convert", "--all", "--to", "jsonl", "--script", "traditional")
    ]
    assert converted[0]["title"] == "普京會金正恩 朝俄簽訂防衛互助協定"
    assert "防衛互助協定" in converted[0]["text"]
    txt = run("convert", "002", "--script", "simplified", "-s", "taiwan").stdout
    assert txt.startswith("普京會金正恩 朝俄簽訂防衛互助協定")
    target = tmp_path / "all.jsonl"
    assert run("convert", "--all", "--to", "jsonl", "-o", str(target)).exit_code == 0
    assert len(target.read_text(encoding="utf-8").splitlines()) == 2


def test_round_trip_list_json_to_convert_json(corpus_slice: Path) -> None:
    corpus = ["--corpus", str(corpus_slice)]
    listed = json.loads(
        run("list", "-f", "json", "--columns", "id,title,published_at", *corpus).stdout
    )
    assert len(listed) >= 60
    for row in listed[:25]:
        exported = json.loads(run("convert", row["id"], "--to", "json", *corpus).stdout)
        assert exported["title"] == row["title"]
        # One vocabulary: the same id and the same timestamp string in list and convert.
        assert exported["id"] == row["id"]
        assert exported["published_at"] == row["published_at"]


def test_convert_output_errors(tmp_path: Path) -> None:
    no_folder = runner.invoke(
        cli.app, ["convert", "000", "-o", str(tmp_path / "no" / "such" / "a.txt")]
    )
    assert no_folder.exit_code == 2 and "does not exist" in no_folder.stderr
    a_folder = runner.invoke(cli.app, ["convert", "000", "-o", str(tmp_path)])
    assert a_folder.exit_code == 2 and "is a folder" in a_folder.stderr
