"""Finding ARTICLE by path, stem, id or prefix, with one read of the index's file list."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import SEEDS

from newscli.archive import Archive
from newscli.corpus import load_corpus
from newscli.locate import ArticleNotFound, Names, find_source, locate, locate_many


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
