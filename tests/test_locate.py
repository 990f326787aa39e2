"""Finding ARTICLE by path, stem, id or prefix, with one read of the index's file list."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from conftest import SEEDS, backdate, count_parses, rewrite_same_size, run, runner

import newscli.cache as cache_module
import newscli.corpus as corpus_module
import newscli.locate as locate_module
from newscli import PARSER_VERSION, cli
from newscli.archive import Archive
from newscli.corpus import RACY_NS, SourceFile, article_id, load_corpus
from newscli.export import RENDERERS
from newscli.index import Index
from newscli.locate import (
    ArticleNotFound,
    IndexedNames,
    Names,
    find_source,
    locate,
    locate_all,
    locate_many,
    vouched_for,
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


# --- unchanged files are served from the index, byte for byte what a parse gives -----------


def _backdated_copy(corpus_slice: Path, tmp_path: Path) -> Path:
    """The slice, its files older than the racy window (so the index may vouch for them)."""
    target = tmp_path / "slice"
    shutil.copytree(corpus_slice, target)
    backdate(path for path in target.rglob("*") if path.is_file())
    return target


def _names_of(root: Path) -> list[str]:
    """Every article, named as users do: ten-digit ids, full ids, a stem and a path."""
    with Archive(root) as archive:
        ids = [summary.id for summary in archive.list()]
        paths = [summary.path for summary in archive.list()]
    assert len(ids) > 20
    names = [article_id[:10] for article_id in ids[::2]] + ids[1::2]
    return [*names, Path(paths[0]).stem, paths[1]]


def test_unchanged_files_are_served_from_the_index_with_the_same_bytes(
    corpus_slice: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _backdated_copy(corpus_slice, tmp_path)
    names = _names_of(root)
    monkeypatch.setattr(locate_module, "STORED_FROM", len(names) - 1)  # all but the path
    counter = tmp_path / "parses"
    count_parses(monkeypatch, counter)
    with Archive(root) as archive:
        few = list(archive.get_many(names[:3]))  # fewer than STORED_FROM: parsed
    assert len(counter.read_bytes()) == 3
    counter.write_bytes(b"")
    with Archive(root) as archive:
        from_index = list(archive.get_many(names))
    assert counter.read_bytes() == b"x"  # only the one named by its path is parsed
    assert few == from_index[:3]
    with Archive(root, use_index=False) as archive:
        parsed = list(archive.get_many(names))
    assert len(counter.read_bytes()) == 1 + len(names)
    assert [article.path for article in from_index] == [article.path for article in parsed]
    for form, render in RENDERERS.items():
        for script in ("original", "simplified", "traditional"):
            for stored, fresh in zip(from_index, parsed, strict=True):
                assert render(stored, script) == render(fresh, script), (form, script)


@pytest.mark.parametrize("form", ["txt", "md", "json", "jsonl"])
def test_convert_and_show_of_names_print_what_no_index_prints(
    form: str, corpus_slice: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(locate_module, "STORED_FROM", 2)
    root = _backdated_copy(corpus_slice, tmp_path)
    names = _names_of(root)
    for extra in ([], ["--script", "simplified"]):
        common = ["--to", form, "--corpus", str(root), *extra]
        if form == "jsonl":
            indexed = run("convert", *common, *names)
            plain = run("convert", *common, "--no-index", *names)
            assert indexed.exit_code == 0, indexed.stderr
            assert indexed.stdout == plain.stdout and indexed.stdout.count("\n") == len(names)
        folders = []
        for index_flag in ([], ["--no-index"]):
            folder = tmp_path / f"out-{form}-{len(extra)}-{len(index_flag)}"
            done = run("convert", *common, *index_flag, "--out-dir", str(folder), *names)
            assert done.exit_code == 0, done.stderr
            folders.append({path.name: path.read_bytes() for path in folder.iterdir()})
        assert folders[0] == folders[1] and len(folders[0]) == len(names)
    # show has no --no-index: files named by their paths are parsed, never looked up
    with Archive(root, use_index=False) as archive:
        paths = {name: article.path for name in names for article in archive.get_many([name])}
    shown = run("show", "--corpus", str(root), *names[:5])
    assert shown.exit_code == 0, shown.stderr
    by_path = run("show", "--corpus", str(root), *(paths[name] for name in names[:5]))
    assert shown.stdout == by_path.stdout
    listed = run("search", "-l", "的", "--corpus", str(root)).stdout
    assert listed.count("\n") > 20
    piped = runner.invoke(cli.app, ["show", "-", "--corpus", str(root)], input=listed)
    assert piped.exit_code == 0, piped.stderr
    with Archive(root, use_index=False) as archive:
        listed_paths = [article.path for article in archive.get_many(listed.split())]
    assert piped.stdout == run("show", "--corpus", str(root), *listed_paths).stdout


def test_a_file_edited_since_it_was_indexed_is_parsed_not_served_stale(
    corpus_slice: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(locate_module, "STORED_FROM", 1)
    root = _backdated_copy(corpus_slice, tmp_path)
    with Archive(root) as archive:
        first = next(archive.list())
    path = Path(first.path)
    # The same size and the mtime the index saw, but changed just now: racy, so parsed.
    indexed_mtime = path.stat().st_mtime_ns
    rewrite_same_size(path, "兩")
    with Archive(root) as archive:
        (edited,) = archive.get_many([first.id])
    assert "兩" in edited.text  # (a new mtime: not the indexed file any more)
    backdate([path], seconds=3600)  # an old mtime, not the one the index saw
    assert path.stat().st_mtime_ns != indexed_mtime
    with Archive(root) as archive:
        (again,) = archive.get_many([first.id[:10]])
    assert "兩" in again.text
    with path.open("ab") as handle:  # grown: another size
        handle.write("<p>追加的段落。</p>".encode())
    backdate([path], seconds=7200)
    with Archive(root) as archive:
        (grown,) = archive.get_many([first.id])
    assert "追加的段落。" in grown.text
    with Archive(root, use_index=False) as archive:
        assert archive.get(first.id) == grown


def test_a_file_replaced_by_a_rename_keeping_size_and_mtime_is_parsed(
    corpus_slice: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(locate_module, "STORED_FROM", 1)
    root = _backdated_copy(corpus_slice, tmp_path)
    with Archive(root) as archive:
        first, second = list(archive.list(limit=2))
    path = Path(first.path)
    assert all(located.indexed for located in locate_all(root, [first.id, second.id]))
    before = path.stat()
    elsewhere = tmp_path / "elsewhere.md"  # cp -p, edited, then mv over the indexed file
    shutil.copy2(path, elsewhere)
    rewrite_same_size(elsewhere, "兩")
    os.utime(elsewhere, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(elsewhere, path)
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    located = locate_all(root, [first.id, second.id])
    assert [item.indexed for item in located] == [False, True]
    with Archive(root) as archive:
        replaced, _ = archive.get_many([first.id, second.id])
    assert "兩" in replaced.text


def test_the_index_vouches_only_for_an_unchanged_file_old_enough_to_tell(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text("x")
    info = path.stat()
    source = SourceFile(str(path), "a.md", info.st_size, info.st_mtime_ns)
    later = info.st_mtime_ns + 10 * RACY_NS
    assert vouched_for(source, info, later)
    assert not vouched_for(source, info, info.st_mtime_ns + RACY_NS // 2)  # racy: may change
    assert not vouched_for(source._replace(size=-1), info, later)  # recorded racy
    assert not vouched_for(source._replace(size=2), info, later)
    assert not vouched_for(source._replace(mtime_ns=info.st_mtime_ns - 1), info, later)
    assert not vouched_for(source, os.stat(tmp_path), later)  # not a regular file


def test_a_parser_of_another_version_is_not_served(
    corpus_slice: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(locate_module, "STORED_FROM", 1)
    root = _backdated_copy(corpus_slice, tmp_path)
    names = _names_of(root)[:3]
    with Archive(root) as archive:
        archive.open()
    assert all(located.indexed for located in locate_all(root, names))
    monkeypatch.setattr(cache_module, "PARSER_VERSION", PARSER_VERSION + 1)
    assert not any(located.indexed for located in locate_all(root, names))
    counter = tmp_path / "parses"
    count_parses(monkeypatch, counter)
    with Archive(root) as archive:
        assert len(list(archive.get_many(names))) == 3
    assert len(counter.read_bytes()) == 3


def test_many_names_are_resolved_without_every_files_source(
    corpus_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Archive(corpus_slice) as archive:
        archive.open()
    index = Index(corpus_slice)
    files = index.known_files()
    plain = Names(corpus_slice, files)
    names = [article_id[:10] for article_id in plain.ids]  # as `search -l` prints them
    names += [plain.ids[3], files[4].stem, files[5].rel, files[6].stem[:-2], "zzzz", "0000"]
    expected = [_answer(plain.find, name) for name in names]
    ambiguous = next(name for name in ("2020", "2020-", "20") if name in plain.stems[0])
    with pytest.raises(ArticleNotFound) as raised:
        plain.find(ambiguous)
    in_order = [source.rel for source in raised.value.candidates]

    def refused() -> list[SourceFile]:
        raise AssertionError("every file's SourceFile made")

    monkeypatch.setattr(Index, "known_files", refused)
    answers = IndexedNames(corpus_slice, index).find_all(names)
    for name, answer, wanted in zip(names, answers, expected, strict=True):
        got = _answer(partial(_raise_or_return, answer), name)
        assert got == wanted, name
    monkeypatch.undo()  # an ambiguous name lists its candidates in the corpus's order
    (answer,) = IndexedNames(corpus_slice, index).find_all([ambiguous])
    assert isinstance(answer, ArticleNotFound)
    assert [source.rel for source in answer.candidates] == in_order
    index.close()


def _raise_or_return(answer: SourceFile | ArticleNotFound, _name: str) -> SourceFile:
    if isinstance(answer, ArticleNotFound):
        raise answer
    return answer


def test_odd_file_names_are_found_as_names_finds_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed = sorted(SEEDS.iterdir())[0].read_bytes()
    root = tmp_path / "odd"
    (root / "sub.dir").mkdir(parents=True)
    odd = [b"a.b.md", b"\xe4\xb8\xad\xe6\x96\x87.md", b"\xff\xfe.md", b"\xe4\xb8.md", b"x..md"]
    odd += [b"dup-1.md", b"dup-2.md"]
    for raw in odd:
        (root / os.fsdecode(raw)).write_bytes(seed)
    (root / "sub.dir" / "noext.txt").write_bytes(seed)
    (root / "empty.md").write_bytes(b"")  # a file that is not an article: its id is hashed
    with Archive(root) as archive:
        archive.open()
    index = Index(root)
    plain = Names(root, index.known_files())
    names = ["a", "a.b", "a.b.md", "中", "中文", "\udcff", "\udcff\udcfe", "\udce4", "x.", "x"]
    names += ["sub.dir/noext.txt", "noext", "sub", "empty", plain.ids[0][:5], "zz", "dup-"]
    expected = [_answer(plain.find, name) for name in names]
    assert "ambiguous" in expected[-1][0] and "\udce4\udcb8.md" in expected[7]
    monkeypatch.setattr(Names, "SCANS", 1)  # one pass over the names
    answers = IndexedNames(root, index).find_all(names)
    for name, answer, wanted in zip(names, answers, expected, strict=True):
        assert _answer(partial(_raise_or_return, answer), name) == wanted, name
    monkeypatch.setattr(Names, "SCANS", 10**9)  # SQLite's scan per name
    few = IndexedNames(root, index)
    for name, wanted in zip(names, expected, strict=True):
        assert _answer(few.find, name) == wanted, name
    index.close()


def test_an_ambiguous_name_is_asked_of_the_folder_without_reading_every_name_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for number in range(3):
        shutil.copy(sorted(SEEDS.iterdir())[0], tmp_path / f"same-{number}.md")
    with Archive(tmp_path) as archive:
        archive.open()

    def refused(self: Index) -> list[SourceFile]:
        raise AssertionError("every file name read to order candidates nobody sees")

    monkeypatch.setattr(Index, "known_files", refused)
    with pytest.raises(ArticleNotFound, match="ambiguous: it begins 3") as raised:
        locate_many(tmp_path, ["same-"])
    assert [source.stem for source in raised.value.candidates] == [
        source.stem for source in load_corpus(tmp_path).files
    ]
