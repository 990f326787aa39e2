"""newscli/schema.json against what every command really prints, on the seeds and real posts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

import newscli
from newscli import cli

runner = CliRunner()
SCHEMA = json.loads((Path(newscli.__file__).parent / "schema.json").read_text(encoding="utf-8"))
ALL_COLUMNS = "id,published,archived,outlet,title,chars,author,script,tags,url,path,published_at"


def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator({**SCHEMA, "$ref": f"#/$defs/{name}"})


def output(*args: str) -> str:
    result = runner.invoke(cli.app, list(args))
    assert result.exit_code in (0, 1), result.stderr
    return result.stdout


def json_lines(text: str) -> list[Any]:
    return [json.loads(line) for line in text.split("\n") if line]


def strings(value: Any, where: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings(item, f"{where}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, f"{where}.{key}")


def valid(name: str, *documents: Any) -> None:
    checker = validator(name)
    assert documents
    for document in documents:
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in checker.iter_errors(document)]
        assert not errors, errors[:5]
        empty = [where for where, text in strings(document) if text == ""]
        assert not empty, f"missing values must be null, not empty strings: {empty[:5]}"


def test_the_schema_is_valid_draft_2020_12() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert {"article", "list_row", "list", "search_event", "stats", "check"} <= set(SCHEMA["$defs"])


def test_the_schemas_lists_are_the_models() -> None:
    """A new date source or block kind must be described before it can be printed."""
    from newscli.article import BlockKind, DateSource

    article = SCHEMA["$defs"]["article"]["properties"]
    assert article["published_source"]["enum"] == [source.value for source in DateSource]
    block = SCHEMA["$defs"]["block"]["properties"]
    assert block["kind"]["enum"] == [kind.value for kind in BlockKind]


def test_the_schema_rejects_the_old_forms() -> None:
    """It is strict enough to catch what issue 8 found: short ids, +00:00, "" for null."""
    row = {"id": "38cea08e8c8c52de", "published_at": "2022-08-15T01:22:34Z", "author": None}
    assert validator("list_row").is_valid(row)
    assert not validator("list_row").is_valid({**row, "id": "38cea08e8c"})
    assert not validator("list_row").is_valid({**row, "published_at": "2022-08-15T01:22:34+00:00"})
    assert not validator("list_row").is_valid({**row, "published_at": "2022-08-15T01:22:34.484Z"})
    assert not validator("list_row").is_valid({**row, "author": 3})
    assert not validator("list_row").is_valid({**row, "published": "2022-08-15"})
    assert not validator("list_row").is_valid({**row, "tags": "a,b"})


def _every_command(corpus: list[str]) -> None:
    valid("list", json.loads(output("list", "-f", "json", "--columns", ALL_COLUMNS, *corpus)))
    valid("list", json.loads(output("list", "-f", "json", *corpus)))
    valid("list_row", *json_lines(output("list", "-f", "jsonl", "--columns", ALL_COLUMNS, *corpus)))
    for extra in ([], ["--no-index"], ["--script", "simplified"]):
        valid("article", *json_lines(output("convert", "--all", "--to", "jsonl", *extra, *corpus)))
    first = json_lines(output("list", "-f", "jsonl", "--columns", "id", *corpus))[0]["id"]
    valid("article", json.loads(output("convert", first, "--to", "json", *corpus)))
    for query in (["金正恩"], ["-e", "美国", "-e", "中國"], ["-r", "[。！]\\n"], ["nothing-here"]):
        for extra in ([], ["--no-index"]):
            events = json_lines(output("search", *query, "--json", *extra, *corpus))
            valid("search_event", *events)
            assert events[-1]["type"] == "summary"
    valid("stats", json.loads(output("stats", "--json", *corpus)))
    valid("stats", json.loads(output("stats", "--json", "--since", "2099", *corpus)))
    valid("check", json.loads(output("check", "--json", *corpus)))


def test_every_command_on_the_seeds() -> None:
    _every_command([])


def test_every_command_on_real_posts(corpus_slice: Path) -> None:
    _every_command(["--corpus", str(corpus_slice)])


@pytest.mark.parametrize("name", ["article", "list_row", "stats_article", "search_begin"])
def test_one_vocabulary(name: str) -> None:
    """The fields several outputs share have one definition each."""
    properties = SCHEMA["$defs"][name]["properties"]
    properties = properties["data"]["properties"] if "data" in properties else properties
    assert properties["id"] == {"$ref": "#/$defs/id"}
    assert properties["published_at"] == {"$ref": "#/$defs/opt_timestamp"}
    assert "published" not in properties


def _hostile_corpus(root: Path) -> Path:
    """Articles made to break outputs: control and bidi characters, an undecodable file
    name, no date, no outlet, an empty body, no title, a title that is all markup."""

    def article(title: str, body: str, stamp: str = "1660528023000") -> bytes:
        return f"<!--{stamp}-->\n[{title}](https://example.org/a)\n------\n{body}".encode()

    root.mkdir()
    (root / "ctl.txt").write_bytes(
        article("標題\x1b[2J\u202e金正恩\x85", "<p>金正恩\x07說\t好</p>")
    )
    (root / "markup.txt").write_bytes(article("[bold red]金正恩[/]", "<p>金正恩</p><p></p>"))
    (root / "nodate.txt").write_bytes(
        b"[\xe9\x87\x91\xe6\xad\xa3\xe6\x81\xa9](u)\n------\n<p>x</p>"
    )
    (root / "empty-body.txt").write_bytes(article("空的", ""))
    (root / "no-title.txt").write_bytes(article("", "<p>金正恩</p>"))
    with open(bytes(root) + b"/bad\xffname.txt", "wb") as handle:
        handle.write(article("非UTF-8文件名 金正恩", "<p>金正恩 金正恩</p>"))
    return root


def test_every_command_on_hostile_files(tmp_path: Path) -> None:
    corpus = ["--corpus", str(_hostile_corpus(tmp_path / "hostile"))]
    listed = json.loads(output("list", "-f", "json", "--columns", ALL_COLUMNS, *corpus))
    assert len(listed) == 6 and any(row["title"] is None for row in listed)
    valid("list", listed)
    valid("article", *json_lines(output("convert", "--all", "--to", "jsonl", *corpus)))
    events = json_lines(output("search", "金正恩", "--json", *corpus))
    valid("search_event", *events)
    paths = [e["data"]["path"] for e in events if e["type"] == "begin"]
    assert any("bytes" in path for path in paths) and any("text" in path for path in paths)
    valid("stats", json.loads(output("stats", "--json", *corpus)))
    valid("check", json.loads(output("check", "--json", *corpus)))
