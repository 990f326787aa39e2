"""Broken files, hostile text and odd folders: every case yields an article or one problem."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import SEEDS
from typer.testing import CliRunner

from newscli import cli
from newscli import corpus as corpus_module
from newscli.corpus import decode, load_corpus, scan
from newscli.load import load, load_articles

runner = CliRunner()
SEED_000 = (SEEDS / "000_a72835dd61d86983.txt").read_bytes()
SEED_002 = (SEEDS / "002_7f245f662d01c087.txt").read_bytes()
SEED_002_TEXT = SEED_002.decode("utf-8")
ESC_TITLE = "危險\x1b[2J\x1b]0;owned\x07標題 [bold red]markup[/] \u202eevil\x9b"
TRADITIONAL = (
    "<!--1660528023000-->\n[臺灣選舉結果揭曉　執政黨獲勝](https://www.cna.com.tw/news/1.aspx)\n------\n"
    "<p>中央社記者今天報導，臺灣地方選舉結果於晚間揭曉，執政黨在多數縣市獲得勝利。"
    "選民投票率較上次選舉略有增加，各黨候選人紛紛發表感言，感謝支持者的熱情參與。</p>"
    "<p>學者指出，這次選舉反映了民眾對經濟發展與社會福利政策的關注，也顯示兩岸關係議題的影響。</p>"
)


def _article(title: str, body: str, stamp: str = "1660528023000") -> str:
    return f"<!--{stamp}-->\n[{title}](https://example.org/{abs(hash(title))})\n------\n{body}"


# name → (bytes, expected): "article" (no problem), "warn:<reason>" (article + problem),
# "problem:<reason>" (no article), "ignored".
def hostile_cases() -> dict[str, tuple[bytes, str]]:
    cases: dict[str, tuple[bytes, str]] = {
        "healthy/000.txt": (SEED_000, "article"),
        "healthy/002 copy「二」.txt": (SEED_002, "article"),
        "enc/utf8-bom.txt": (b"\xef\xbb\xbf" + SEED_002, "article"),
        "enc/gbk.txt": (
            SEED_002_TEXT.replace("防卫互助协定", "防衛互助協定").encode("gb18030"),
            "article",
        ),
        "enc/big5.txt": (TRADITIONAL.encode("big5"), "article"),
        "enc/utf16.txt": (SEED_002_TEXT.encode("utf-16"), "article"),
        "enc/broken-utf8.txt": (
            SEED_002[:600] + b"\xff\xfe\xfa" + SEED_002[600:],
            "warn:undecodable bytes replaced",
        ),
        "lines/crlf.txt": (SEED_002.replace(b"\n", b"\r\n"), "article"),
        "lines/cr.txt": (SEED_002.replace(b"\n", b"\r"), "article"),
        "lines/mixed.txt": (
            SEED_002.replace(b"\n", b"\r\n", 2).replace(b"</p>", b"</p>\r", 3),
            "article",
        ),
        "shape/empty.txt": (b"", "problem:empty file"),
        "shape/only-comment.txt": (b"<!--1660528023000-->\n", "problem:no title and no body"),
        "shape/header-no-body.txt": (
            _article("只有标题", "").encode(),
            "article",
        ),
        "shape/no-separator.txt": (
            b"<!--1660528023000-->\n[no separator](https://x.org/1)\n<p>body</p>",
            "warn:no '------' line",
        ),
        "shape/no-timestamp.txt": (
            b"[no timestamp](https://x.org/2)\n------\n<p>body</p>",
            "warn:no <!--epoch-ms--> archive timestamp",
        ),
        "shape/bad-timestamp.txt": (
            _article("bad timestamp", "<p>x</p>", "yesterday").encode(),
            "warn:archive timestamp is not a number",
        ),
        "shape/far-timestamp.txt": (
            _article("far timestamp", "<p>x</p>", "99999999999999999").encode(),
            "warn:archive timestamp out of range",
        ),
        "shape/title-not-link.txt": (
            b"<!--1660528023000-->\njust a title\n------\n<p>x</p>",
            "warn:title line is not a [title](url) link",
        ),
        "shape/title-brackets.txt": (
            _article("a ] b ) c [d]", "<p>x</p>").encode(),
            "article",
        ),
        "shape/fm-unterminated.md": (
            b'---\ntitle: "unterminated"\nauthor: X\n<!--1660528023000-->\n[t](https://x.org/3)\n------\n<p>x</p>',
            "warn:front matter has no closing '---' line",
        ),
        "shape/fm-garbage.md": (
            b'---\n!!! ???\n: : :\ntitle: "garbage"\n---\n<!--1660528023000-->\n[t](https://x.org/4)\n------\n<p>x</p>',
            "warn:front matter has 2 line(s) that are not 'key: value'",
        ),
        "shape/cut-tag.txt": (
            _article("cut tag", '<p>完整的段落</p><p class="a').encode(),
            "article",
        ),
        "shape/cut-attribute.txt": (
            _article("cut attribute", '<p>段落</p><img src="https://x.org/i.jpg').encode(),
            "article",
        ),
        "shape/deep.txt": (
            _article("deep", "<div>" * 10_000 + "很深的文字" + "</div>" * 10_000).encode(),
            "article",
        ),
        "shape/unbalanced.txt": (
            _article(
                "unbalanced", "</p></div><p><b><i>不平衡</b></i></div></span><p>第二段"
            ).encode(),
            "article",
        ),
        "shape/large.txt": (
            _article(
                "large", "<p>" + "很长的段落。" * 200 + "</p>" * 1 + "<p>尾</p>" * 3000
            ).encode(),
            "article",
        ),
        "shape/nul.txt": (SEED_002[:300] + b"\x00\x00" + SEED_002[300:], "problem:binary file"),
        "shape/script-style.txt": (
            _article(
                "script style",
                "<!-- 注释不要显示 --><script>alert('x')</script><style>p{color:red}</style><p>可见</p>",
            ).encode(),
            "article",
        ),
        "text/escapes.txt": (
            _article(
                ESC_TITLE, f"<p>{ESC_TITLE} 正文 [link=https://e.vil]点我[/link]</p>"
            ).encode(),
            "article",
        ),
        "names/a b「c」？.txt": (_article("全角文件名", "<p>x</p>").encode(), "article"),
        "names/line\nbreak.txt": (_article("换行文件名", "<p>x</p>").encode(), "article"),
        "other/photo.jpg": (b"\xff\xd8\xff\xe0 not really a jpeg", "ignored"),
        "other/data.json": (b'{"a": 1}', "ignored"),
        "other/README.md": (b"# My archive\n\nNotes about these files.\n", "ignored"),
        ".git/config": (b"[core]\n", "ignored"),
        ".hidden.txt": (_article("hidden", "<p>x</p>").encode(), "ignored"),
    }
    return cases


def build(root: Path) -> dict[str, str]:
    """Write every case under root; return rel → expectation."""
    expected: dict[str, str] = {}
    for rel, (data, outcome) in hostile_cases().items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        expected[rel] = outcome
    bad_name = os.fsencode(root / "names") + b"/bad\xffname.txt"
    with open(bad_name, "wb") as handle:
        handle.write(_article("非UTF-8文件名", "<p>x</p>").encode())
    expected[os.fsdecode(b"names/bad\xffname.txt")] = "article"
    (root / "links").mkdir()
    os.symlink(root / "healthy" / "000.txt", root / "links" / "to-000.txt")
    expected["links/to-000.txt"] = "article"
    os.symlink(root, root / "links" / "loop")
    os.symlink(root / "nowhere.txt", root / "links" / "broken.txt")
    expected["links/broken.txt"] = "problem:broken symbolic link"
    (root / "empty-folder").mkdir()
    locked = root / "shape" / "locked.txt"
    locked.write_bytes(SEED_002)
    locked.chmod(0)
    expected["shape/locked.txt"] = "problem:permission denied"
    return expected


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[str, str]]:
    root = tmp_path / "hostile"
    root.mkdir()
    expected = build(root)
    if os.geteuid() == 0:  # root reads mode-000 files: refuse that one file as the OS would
        real_open = open

        def refusing_open(file, *args, **kwargs):  # type: ignore[no-untyped-def]
            if str(file).endswith("locked.txt"):
                raise PermissionError(13, "Permission denied", str(file))
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr(corpus_module, "open", refusing_open, raising=False)
    yield root, expected
    (root / "shape" / "locked.txt").chmod(0o644)


def test_every_case_is_an_article_or_one_problem(hostile: tuple[Path, dict[str, str]]) -> None:
    root, expected = hostile
    corpus = load_corpus(root)
    loaded = load_articles(corpus)
    by_path = {os.path.relpath(a.path, root): a for a in loaded.articles}
    problems: dict[str, list[str]] = {}
    for problem in loaded.problems:
        problems.setdefault(os.path.relpath(problem.path, root), []).append(problem.reason)
    for rel, outcome in expected.items():
        kind, _, reason = outcome.partition(":")
        if kind == "article":
            assert rel in by_path, rel
            assert rel not in problems, (rel, problems.get(rel))
        elif kind == "warn":
            assert rel in by_path, rel
            assert len(problems[rel]) == 1 and reason in problems[rel][0], (rel, problems.get(rel))
        elif kind == "problem":
            assert rel not in by_path, rel
            assert len(problems[rel]) == 1 and reason in problems[rel][0], (rel, problems.get(rel))
        else:
            assert rel not in by_path and rel not in problems, rel
    unexpected = set(problems) - {
        rel for rel, o in expected.items() if o.startswith(("warn", "problem"))
    }
    assert not unexpected, {rel: problems[rel] for rel in unexpected}


def test_encodings_are_detected_and_named(hostile: tuple[Path, dict[str, str]]) -> None:
    root, _ = hostile
    articles = {os.path.relpath(a.path, root): a for a in load_articles(load_corpus(root)).articles}
    assert articles["enc/gbk.txt"].encoding == "gb18030"
    assert articles["enc/gbk.txt"].title == "普京会金正恩 朝俄签订防衛互助協定"
    assert articles["enc/big5.txt"].encoding == "big5hkscs"
    assert articles["enc/big5.txt"].title == "臺灣選舉結果揭曉　執政黨獲勝"
    assert articles["enc/utf16.txt"].encoding == "utf-16-le (BOM)"
    assert articles["enc/utf8-bom.txt"].encoding == "utf-8 (BOM)"
    assert articles["enc/utf16.txt"].title == articles["healthy/002 copy「二」.txt"].title
    assert articles["lines/cr.txt"].blocks == articles["healthy/002 copy「二」.txt"].blocks
    assert articles["lines/mixed.txt"].blocks == articles["healthy/002 copy「二」.txt"].blocks
    assert "alert" not in articles["shape/script-style.txt"].text
    assert "注释" not in articles["shape/script-style.txt"].text
    assert articles["shape/deep.txt"].body_text == "很深的文字"
    assert articles["shape/title-brackets.txt"].title == "a ] b ) c [d]"
    assert articles["shape/cut-tag.txt"].body_text == "完整的段落"


def test_end_to_end_on_the_hostile_folder(hostile: tuple[Path, dict[str, str]]) -> None:
    root, expected = hostile
    listing = runner.invoke(cli.app, ["list", "--no-headers", "--corpus", str(root)])
    assert listing.exit_code == 0
    rows = listing.stdout.splitlines()
    articles = [rel for rel, outcome in expected.items() if outcome.startswith(("article", "warn"))]
    assert len(rows) == len(articles)
    for rel, outcome in expected.items():
        if outcome.startswith(("warn", "problem")):
            mentions = [
                line for line in listing.stderr.splitlines() if rel.replace("\n", "\\n") in line
            ]
            assert len(mentions) == 1, (rel, listing.stderr)
    # No raw escape byte or bidi override reaches the terminal, and markup stays literal.
    for output in (listing.stdout, listing.stderr):
        assert "\x1b" not in output and "\u202e" not in output and "\x9b" not in output
    assert "[bold red]markup[/]" in listing.stdout

    search = runner.invoke(cli.app, ["search", "防卫互助协定", "--corpus", str(root), "-l"])
    assert search.exit_code == 0
    assert len(search.stdout.split()) >= 5  # seed 002 and its re-encoded, re-lined copies
    hostile_search = runner.invoke(cli.app, ["search", "正文", "--corpus", str(root)])
    assert "\x1b" not in hostile_search.stdout and "␛[2J" in hostile_search.stdout

    shown = runner.invoke(cli.app, ["show", str(root / "enc" / "big5.txt"), "--corpus", str(root)])
    assert shown.exit_code == 0 and shown.stdout.startswith("臺灣選舉結果揭曉")
    escaped = runner.invoke(
        cli.app, ["show", str(root / "text" / "escapes.txt"), "--corpus", str(root)]
    )
    assert "\x1b" not in escaped.stdout and "␛]0;owned␇" in escaped.stdout
    as_json = runner.invoke(
        cli.app,
        ["convert", str(root / "text" / "escapes.txt"), "--to", "json", "--corpus", str(root)],
    )
    assert json.loads(as_json.stdout)["title"] == ESC_TITLE
    for form in ("txt", "md"):
        exported = runner.invoke(
            cli.app,
            ["convert", str(root / "text" / "escapes.txt"), "--to", form, "--corpus", str(root)],
        )
        assert "\x1b" not in exported.stdout and "\u202e" not in exported.stdout

    checked = runner.invoke(cli.app, ["check", "--corpus", str(root), "--json"])
    assert checked.exit_code == 1
    report = json.loads(checked.stdout)
    reported = [item["path"] for items in report["problems"].values() for item in items]
    bad = [rel for rel, outcome in expected.items() if outcome.startswith(("warn", "problem"))]
    assert sorted(os.path.relpath(p, root) for p in reported) == sorted(bad)
    assert report["encodings"]["gb18030"] == 1 and report["encodings"]["big5hkscs"] == 1
    # The symlink is the same article as the healthy seed: one url, two files.
    assert any(len(paths) == 2 for paths in report["duplicate_urls"].values())
    assert os.path.relpath(report["no_body_text"][0], root) == "shape/header-no-body.txt"
    text_report = runner.invoke(cli.app, ["check", "--corpus", str(root)])
    assert text_report.exit_code == 1 and "problems: " in text_report.stdout


def test_same_answers_without_the_index(hostile: tuple[Path, dict[str, str]]) -> None:
    root, _ = hostile
    runner.invoke(cli.app, ["list", "--corpus", str(root)])  # tells each problem, once
    for command in (["list"], ["search", "-c", "金正恩"], ["check", "--json"]):
        with_index = runner.invoke(cli.app, [*command, "--corpus", str(root)])
        without = runner.invoke(cli.app, [*command, "--corpus", str(root), "--no-index"])
        assert with_index.stdout == without.stdout, command
        # Once told, the index says what --no-index says: at most one summary line.
        assert with_index.stderr == without.stderr, command


def test_nothing_in_the_corpus_changes(
    hostile: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    root, _ = hostile

    def snapshot() -> dict[str, tuple[int, int]]:
        state = {}
        for folder, _, names in os.walk(root):
            for name in names:
                path = os.path.join(folder, name)
                if os.path.islink(path) or not os.path.exists(path):
                    continue
                info = os.stat(path)
                state[path] = (info.st_size, info.st_mtime_ns)
        return state

    before = snapshot()
    for command in (
        ["list"],
        ["search", "x"],
        ["check"],
        ["convert", "000", "-o", str(tmp_path / "out.txt")],
    ):
        runner.invoke(cli.app, [*command, "--corpus", str(root)])
    assert snapshot() == before


def test_file_deleted_between_listing_and_reading(seeds_copy: Path) -> None:
    victim = load_corpus(seeds_copy).files[0]
    Path(victim.path).unlink()
    result = load(victim)
    assert result.article is None
    assert result.problems[0].reason == "file disappeared while reading"


def test_empty_and_missing_folders(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(cli.app, ["list", "--corpus", str(empty)])
    assert result.exit_code == 0 and result.stdout == "id\tpublished\toutlet\ttitle\tchars\n"
    assert result.stderr.strip() == f"newscli: no articles in {empty}"
    missing = runner.invoke(cli.app, ["search", "x", "--corpus", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "no such file or folder" in missing.stderr


def test_convert_output_errors(tmp_path: Path) -> None:
    no_folder = runner.invoke(
        cli.app, ["convert", "000", "-o", str(tmp_path / "no" / "such" / "a.txt")]
    )
    assert no_folder.exit_code == 2 and "does not exist" in no_folder.stderr
    a_folder = runner.invoke(cli.app, ["convert", "000", "-o", str(tmp_path)])
    assert a_folder.exit_code == 2 and "is a folder" in a_folder.stderr


def test_fifty_megabyte_body(tmp_path: Path) -> None:
    paragraph = "<p>" + "这是一个非常长的文章里的一段话，用来测试很大的文件。" * 20 + "</p>"
    body = paragraph * (50 * 1024 * 1024 // len(paragraph.encode()))
    path = tmp_path / "huge.txt"
    path.write_text(_article("巨大的文章", body), encoding="utf-8")
    assert path.stat().st_size > 50 * 1024 * 1024 * 0.99
    source = load_corpus(path).files[0]
    result = load(source)
    assert result.article is not None and result.problems == []
    assert len(result.article.blocks) == body.count("<p>")


def test_utf8_with_a_few_bad_bytes_is_not_taken_for_gb18030() -> None:
    decoded = decode(SEED_000[:500] + b"\x80" + SEED_000[500:], "x.txt")
    assert decoded.encoding == "utf-8"
    assert "朝鮮官媒" in decoded.text and len(decoded.problems) == 1


def test_symlink_loop_is_walked_once(tmp_path: Path) -> None:
    shutil.copytree(SEEDS, tmp_path / "c")
    os.symlink(tmp_path / "c", tmp_path / "c" / "again")
    assert len(scan(tmp_path / "c").stats) == 2
