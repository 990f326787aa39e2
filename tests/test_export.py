"""The JSON form of an article (convert --to json/jsonl): one vocabulary, lossless round trip."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from newscli import cli
from newscli.article import Article, Block, BlockKind, Link, iso_utc
from newscli.corpus import load_corpus
from newscli.export import article_dict, md_url, to_json, to_jsonl_line, to_markdown
from newscli.load import load_articles

runner = CliRunner()


def seed(article_id: str = "38cea08e8c8c52de") -> Article:
    return next(a for a in load_articles(load_corpus(None)).articles if a.id == article_id)


def test_iso_utc_is_one_form() -> None:
    assert iso_utc(None) is None
    moment = datetime(2020, 8, 5, 12, 0, 0, 484000, tzinfo=timezone.utc)
    assert iso_utc(moment) == "2020-08-05T12:00:00Z"
    beijing = datetime(2020, 8, 5, 20, 0, 0, tzinfo=timezone(timedelta(hours=8)))
    assert iso_utc(beijing) == "2020-08-05T12:00:00Z"
    assert iso_utc(datetime(999, 1, 2, 3, 4, 5)) == "0999-01-02T03:04:05Z"


def test_the_seed_as_json() -> None:
    data = json.loads(to_json(seed()))
    assert data["id"] == "38cea08e8c8c52de"
    assert data["published_at"] == "2022-08-15T01:22:34Z"
    assert data["archived_at"] == "2022-08-15T01:47:03Z"
    assert (
        data["author"] is None and data["lead_caption"] == "北韩领导人金正恩是普京拉拢的重点对象？"
    )
    assert data["tags"] == [] and data["outlet"] == "德国之声"
    assert "published" not in data
    assert set(data["blocks"][0]) == {"kind", "text", "label", "image_url", "links"}
    assert all(set(block) == set(data["blocks"][0]) for block in data["blocks"])


def test_missing_values_are_null_never_empty_strings() -> None:
    bare = Article(
        "0123456789abcdef",
        "/c/a.txt",
        "標題",
        blocks=[Block(BlockKind.IMAGE, image_url="https://x.org/a.jpg")],
    )
    data = json.loads(to_jsonl_line(bare))
    for key in ("url", "outlet", "author", "lead_image", "lead_caption"):
        assert data[key] is None, key
    assert data["published_at"] is None and data["archived_at"] is None
    assert data["blocks"] == [
        {
            "kind": "image",
            "text": None,
            "label": None,
            "image_url": "https://x.org/a.jpg",
            "links": [],
        }
    ]


def test_converted_script_keeps_nulls() -> None:
    article = replace(seed(), author="", lead_caption="")
    data = article_dict(article, "simplified")
    assert data["script"] == "simplified" and data["author"] is None
    assert data["title"] == "朝鲜官媒：普京致函金正恩 称将扩大双边关系"
    assert all(block["text"] is None or "關係" not in block["text"] for block in data["blocks"])


def test_the_json_form_round_trips() -> None:
    """The index stores articles as to_dict: reading one back gives the same article, to the
    microsecond (two articles of one second keep their order, from files or the index)."""
    article = replace(
        seed(),
        tags=["朝鲜", "俄罗斯"],
        author="記者",
        published_at=datetime(2022, 8, 15, 1, 22, 34, 6000, tzinfo=timezone.utc),
        archived_at=datetime(2022, 8, 15, 1, 47, 3, tzinfo=timezone.utc),
    )
    article.blocks.append(
        Block(BlockKind.GALLERY, "文字", label="標籤", links=(Link("文字", "https://x.org"),))
    )
    again = Article.from_dict(json.loads(json.dumps(article.to_dict())))
    assert again == article
    assert article_dict(article)["published_at"] == "2022-08-15T01:22:34Z"


def test_dicts_of_the_old_form_still_load() -> None:
    """Indexes written before null replaced "" (the index re-reads them as they are)."""
    old = {
        "id": "0123456789abcdef",
        "path": "/c/a.txt",
        "title": "標題",
        "url": "",
        "author": "",
        "published_at": "2022-08-15T01:22:34.484000Z",
        "blocks": [{"kind": "paragraph", "text": "正文"}],
    }
    article = Article.from_dict(old)
    assert article.url == "" and article.blocks[0].text == "正文"
    assert iso_utc(article.published_at) == "2022-08-15T01:22:34Z"


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


# --- Markdown: safe by construction, a url can only ever be one inert link ---

HOSTILE_IMAGES = [
    'http://i/x.jpg"><script>alert(1)</script>',
    "http://i/x.jpg)[INJECTED](http://evil.example/)",
    "http://i/x.jpg> <b>bold</b>",
    "http://i/a b.jpg",
]


def _article(**fields: object) -> Article:
    base: dict[str, object] = {"id": "0" * 16, "path": "x.md", "title": "標題"}
    base.update(fields)
    return Article(**base)  # type: ignore[arg-type]


def _links(markdown: str) -> list[str]:
    """Every link or image target a Markdown renderer would see: ](…) and <…> autolinks."""
    return re.findall(r"\]\(<([^>]*)>\)", markdown) + re.findall(
        r"^\[\^\d+\]: <([^>]*)>", markdown, re.M
    )


def test_hostile_image_urls_stay_one_inert_link() -> None:
    for url in HOSTILE_IMAGES:
        markdown = to_markdown(_article(blocks=[Block(BlockKind.IMAGE, "說明", image_url=url)]))
        assert "INJECTED](" not in markdown
        assert "<script" not in markdown and "<b>" not in markdown
        image_lines = [line for line in markdown.splitlines() if line.startswith("![")]
        assert len(image_lines) == 1
        target = re.fullmatch(r"!\[說明\]\(<([^<>()\s]*)>\)", image_lines[0])
        assert target is not None, image_lines[0]


def test_non_http_urls_are_never_links() -> None:
    markdown = to_markdown(
        _article(
            url="javascript:alert(1)",
            blocks=[
                Block(BlockKind.IMAGE, "圖", image_url="javascript:alert(2)"),
                Block(BlockKind.IMAGE, "", image_url="data:image/png;base64,AAAA"),
            ],
        )
    )
    assert "<javascript:" not in markdown
    assert "](<javascript" not in markdown and "](<data:" not in markdown
    assert "*圖*" in markdown  # the caption is kept even when the image is not linked
    assert md_url("javascript:alert(1)") is None
    assert md_url("HTTPS://example.com/a b") == "HTTPS://example.com/a%20b"


def test_footnote_urls_are_escaped() -> None:
    url = "https://example.com/a>b)[x](y"
    block = Block(BlockKind.PARAGRAPH, "看這裡的報導", links=(Link("報導", url),))
    markdown = to_markdown(_article(blocks=[block]))
    assert "[^1]: <https://example.com/a%3Eb%29%5Bx%5D%28y>" in markdown
    assert all("<" not in target and ">" not in target for target in _links(markdown))


def test_ordinary_urls_are_unchanged() -> None:
    url = "https://www.dw.com/zh/普京/a-69399723?x=1&y=2#top"
    markdown = to_markdown(_article(url=url, outlet="德国之声"))
    assert "<https://www.dw.com/zh/%E6%99%AE%E4%BA%AC/a-69399723?x=1&y=2#top>" in markdown


def test_undecodable_file_names_are_valid_utf8_that_duckdb_reads(tmp_path: Path) -> None:
    import base64
    import os

    seeds = Path(__file__).resolve().parents[1] / "seeds"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    raw_names = []
    for index, seed in enumerate(sorted(seeds.iterdir())):
        raw = f"{index}-".encode() + b"\xff\xfe\xe4\xb8" + b".txt"  # Latin-1 / cut UTF-8
        raw_names.append(raw)
        with open(os.path.join(os.fsencode(corpus), raw), "wb") as handle:
            handle.write(seed.read_bytes())
    target = tmp_path / "articles.jsonl"
    exported = runner.invoke(
        cli.app, ["convert", "--all", "--to", "jsonl", "-o", str(target), "--corpus", str(corpus)]
    )
    assert exported.exit_code == 0, exported.stderr
    text = target.read_bytes().decode("utf-8")  # strict: no lone surrogate anywhere
    assert "\\ud" not in text
    rows = duckdb.sql(
        f"SELECT path, path_bytes FROM read_json_auto('{target}', format='newline_delimited')"
    ).fetchall()
    assert len(rows) == len(raw_names)
    for path, path_bytes in rows:
        assert "\ufffd" in path
        raw = base64.b64decode(path_bytes)
        assert (
            raw.startswith(os.fsencode(corpus)) and raw[len(os.fsencode(corpus)) + 1 :] in raw_names
        )
    listed = runner.invoke(
        cli.app, ["list", "-f", "jsonl", "--columns", "id,path", "--corpus", str(corpus)]
    )
    assert listed.exit_code == 0, listed.stderr
    for line in listed.stdout.split("\n")[:-1]:
        row = json.loads(line)
        assert "\ufffd" in row["path"] and "\\ud" not in line
        assert base64.b64decode(row["path_bytes"]).endswith(b"\xff\xfe\xe4\xb8.txt")
    plain = runner.invoke(cli.app, ["list", "-f", "jsonl", "--columns", "path"])
    assert all(json.loads(line)["path_bytes"] is None for line in plain.stdout.split("\n")[:-1])
