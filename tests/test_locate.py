"""Finding ARTICLE by path, stem, id or prefix, with one read of the index's file list."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import SEEDS

import newscli.corpus as corpus_module
from newscli.archive import Archive
from newscli.corpus import SourceFile, article_id, load_corpus
from newscli.index import Index
from newscli.locate import (
    ArticleNotFound,
    IndexedNames,
    Names,
    find_source,
    locate,
    locate_many,
)


@pytest.mark.parametrize("scans", [1, 10**9])  # tables from the start, or plain scans only
def test_names_by_id_stem_rel_and_prefix(scans: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Names, "SCANS", scans)
    corpus = load_corpus(SEEDS)
    names = Names(corpus.root, corpus.files)
    for source in corpus.files:
        assert names.find(source.id) == source
        assert names.find(source.id[:6]) == source
        assert names.find(source.stem) == source
        assert names.find(source.rel) == source
        assert find_source(corpus, source.path) == source
    with pytest.raises(ArticleNotFound, match="empty"):
        names.find("  ")
    with pytest.raises(ArticleNotFound, match="no article"):
        names.find("zzzz")


@pytest.mark.parametrize("scans", [1, 10**9])
def test_an_ambiguous_prefix_lists_its_candidates(
    scans: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Names, "SCANS", scans)
    for number in range(3):
        shutil.copy(sorted(SEEDS.iterdir())[0], tmp_path / f"same-{number}.md")
    corpus = load_corpus(tmp_path)
    with pytest.raises(ArticleNotFound, match="ambiguous: it begins 3") as raised:
        Names(corpus.root, corpus.files).find("same-")
    assert len(raised.value.candidates) == 3
    assert Names(corpus.root, corpus.files).find("same-1").stem == "same-1"


def test_a_file_the_index_has_not_seen_is_found_by_a_scan(seeds_copy: Path) -> None:
    with Archive(seeds_copy) as archive:
        archive.open()  # the index now knows the two seeds
    late = seeds_copy / "late-arrival.md"
    shutil.copy(sorted(SEEDS.iterdir())[0], late)
    known = sorted(SEEDS.iterdir())[1].stem
    found = locate_many(seeds_copy, ["late-arrival", known])
    assert [source.stem for source in found] == ["late-arrival", known]
    assert locate(seeds_copy, "late-arr", use_index=False).path == str(late)


def _answer(find: Callable[[str], SourceFile], name: str) -> tuple[str, ...]:
    """What a look-up answers: the file found, or the error and its candidates."""
    try:
        found = find(name)
    except ArticleNotFound as error:
        return (str(error), *sorted(source.rel for source in error.candidates))
    return (found.rel, str(found.size), str(found.mtime_ns))


def test_ids_are_looked_up_in_the_index_without_hashing_paths(
    corpus_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Archive(corpus_slice) as archive:
        archive.open()  # the index now knows every file of the slice
    index = Index(corpus_slice)
    files = index.known_files()
    plain = Names(corpus_slice, files)  # hashes every path: the answers to match
    names = [plain.ids[0], *plain.ids[:12:3]]
    names += [article_id[:length] for article_id in plain.ids[:5] for length in (1, 4, 10)]
    names += [files[0].stem, files[1].rel, files[2].stem[:6], "2020", "2020-", "zzzz", "0000"]
    expected = {name: _answer(plain.find, name) for name in names}
    assert any("ambiguous" in answer[0] for answer in expected.values())
    hashed: list[str] = []

    def counting(rel: str) -> str:
        hashed.append(rel)
        return article_id(rel)

    monkeypatch.setattr(corpus_module, "article_id", counting)
    monkeypatch.setattr(Names, "SCANS", 10**9)  # no tables: one look-up at a time
    indexed = IndexedNames(corpus_slice, index)
    for name in names:
        assert _answer(indexed.find, name) == expected[name], name
    (not_articles,) = index.db.execute("SELECT count(*) FROM files WHERE status != 'article'")
    assert len(hashed) <= not_articles[0] * len(names)  # only files that are not articles
    full_id = plain.ids[7]
    hashed.clear()
    assert locate(corpus_slice, full_id).rel == files[7].rel
    assert hashed == []
    monkeypatch.setattr(Names, "SCANS", 2)  # many names: tables, with the ids from the index
    tables = IndexedNames(corpus_slice, index)
    for name in names:
        assert _answer(tables.find, name) == expected[name], name
    assert len(hashed) <= not_articles[0]
    index.close()
