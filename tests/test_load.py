"""From bytes to an Article: the Article is built once, by parse, with size and script."""

from __future__ import annotations

from pathlib import Path

from conftest import SEEDS

from newscli.chinese import detect_script
from newscli.corpus import SourceFile, load_corpus
from newscli.load import load, load_all, load_bytes
from newscli.parse import parse_article


def _source(path: Path) -> SourceFile:
    info = path.stat()
    return SourceFile(str(path), path.name, info.st_size, info.st_mtime_ns)


def test_parse_builds_the_whole_article() -> None:
    seed = sorted(SEEDS.iterdir())[0]
    text = seed.read_text(encoding="utf-8")
    article, _ = parse_article(text, path=str(seed), article_id="x", size_bytes=1234)
    assert article.size_bytes == 1234
    assert article.script == detect_script(article.text) != "other"  # parse detects it


def test_load_gives_size_and_script_of_every_seed() -> None:
    for seed in sorted(SEEDS.iterdir()):
        result = load(_source(seed))
        assert result.article is not None and not result.problems
        assert result.article.size_bytes == seed.stat().st_size
        assert result.article.script == detect_script(result.article.text)


def test_what_is_not_an_article_is_a_problem_or_ignored(tmp_path: Path) -> None:
    source = SourceFile(str(tmp_path / "x.md"), "x.md", 0, 0)
    assert load_bytes(source, b"").problems[0].kind == "empty"
    assert load_bytes(source, b"ab\x00cd").problems[0].kind == "binary"
    notes = load_bytes(source, "只是一些筆記，沒有文章的格式。".encode())
    assert notes.ignored and notes.article is None
    layout = load_bytes(source, b"---\ntitle:\n---\n")
    assert layout.article is None and "no title and no body" in layout.problems[0].reason


def test_load_all_in_the_scans_order() -> None:
    corpus = load_corpus(SEEDS)
    results = list(load_all(corpus))
    assert [result.source for result in results] == corpus.files
    assert all(result.article is not None for result in results)
