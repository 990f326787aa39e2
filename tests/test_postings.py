"""Posting lists beside the text file: a literal query reads only its candidates, and every
answer is the scan's (and the files' without an index), through refreshes, compaction and
damage."""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

import pytest
from conftest import CORPUS_TAR
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from newscli import cli, postings, refresh
from newscli import index as index_module
from newscli.cache import Cache, index_dir_for
from newscli.chinese import normalize
from newscli.corpus import load_corpus
from newscli.index import Index
from newscli.search import Matcher

SLICE_FILES = 600  # the first posts of the shared corpus: every outlet of early 2020

QUERIES = [
    "中",  # in most articles: the posting list says so, the scan answers
    "美",
    "美国",
    "美國",  # Traditional input
    "双边关系",
    "雙邊關係",
    "台灣",
    "新冠病毒",
    "习近平",
    "Trump",
    "trump",
    "BBC",
    "COVID-19",
    "2020年",
    "iPhone",
    "川普Trump",  # mixed
    "。",
    "「",
    "　",  # an ideographic space
    "Ｔ",  # full width
    "𠀀",  # outside the BMP
    "美 国",  # a space between: no article
    "ab",
    "x",
]


@pytest.fixture(scope="module")
def posts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first SLICE_FILES posts of the shared corpus (many outlets, both scripts)."""
    target = tmp_path_factory.mktemp("posts")
    taken = 0
    with tarfile.open(CORPUS_TAR, "r:xz") as archive:
        for member in archive:
            handle = archive.extractfile(member) if member.isfile() else None
            if handle is None:
                continue
            path = target / member.name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(handle.read())
            taken += 1
            if taken == SLICE_FILES:
                break
    return target


@pytest.fixture
def posts_copy(posts: Path, tmp_path: Path) -> Path:
    target = tmp_path / "posts"
    shutil.copytree(posts, target)
    return target


def _index(root: Path) -> Index:
    index = Index(root)
    index.refresh(load_corpus(root))
    return index


def _scanned(
    index: Index, matcher: Matcher, monkeypatch: pytest.MonkeyPatch
) -> list[tuple[str, int]]:
    with monkeypatch.context() as patched:
        patched.setattr(index_module, "open_postings", lambda cache: None)
        return index.count_matches(matcher, newest_first=True)


def _no_scan(*args: object, **kwargs: object) -> list[tuple[int, int]]:
    raise AssertionError("the whole text file was scanned")


def _stamp(index: Index) -> postings.Stamp:
    stamp = postings.Stamp.parse(index.cache.meta(postings.META_KEY))
    assert stamp is not None
    return stamp


def _posting_file(index: Index) -> Path:
    return postings.path_of(index.folder, _stamp(index).serial)


@pytest.mark.parametrize(
    "options",
    [{}, {"ignore_case": True}, {"regex": True}],
    ids=["literal", "ignore-case", "regex"],
)
def test_answers_equal_the_scan_for_many_queries(
    posts_copy: Path, options: dict[str, bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    index = _index(posts_copy)
    assert _posting_file(index).exists()
    matched = 0
    for query in QUERIES:
        matcher = Matcher(query, **options)
        found = index.count_matches(matcher, newest_first=True)
        assert found == _scanned(index, matcher, monkeypatch), query
        matched += bool(found)
    assert matched >= len(QUERIES) - 6  # the queries do find articles
    index.close()


@pytest.mark.parametrize("query", ["双边关系", "雙邊關係", "Trump", "川普", "COVID-19"])
def test_a_rare_literal_reads_only_its_candidates(
    posts_copy: Path, query: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = _index(posts_copy)
    expected = _scanned(index, Matcher(query), monkeypatch)
    assert expected
    read: list[int] = []
    real_at = index_module.count_hits_at

    def counting(*args: object, **kwargs: object) -> list[tuple[int, int]]:
        read.append(len(args[3]))  # type: ignore[arg-type]
        return real_at(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(index_module, "count_hits", _no_scan)
    monkeypatch.setattr(index_module, "count_hits_at", counting)
    assert index.count_matches(Matcher(query), newest_first=True) == expected
    assert 0 < read[0] < index.count() / 4  # a few candidates, not every article
    index.close()


def test_a_regex_or_a_keyless_needle_scans(posts_copy: Path) -> None:
    assert postings.query_keys(Matcher("美国", regex=True)) is None
    assert postings.query_keys(Matcher("Ab", ignore_case=True)) is None  # folded, no trigram
    assert postings.query_keys(Matcher("美", ignore_case=True)) == {ord("美")}
    assert postings.query_keys(Matcher("TRUMP", ignore_case=True)) == postings.trigram_keys("trump")


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="abcABC 美国美國中ＡａK\u212a-、𠀀", max_size=40),
    st.integers(0, 40),
    st.integers(0, 40),
    st.booleans(),
)
def test_every_key_of_a_match_is_a_key_of_its_text(
    text: str, start: int, length: int, ignore_case: bool
) -> None:
    """The rule candidates rest on: if the needle occurs (as the matcher sees it), the
    text has every key the query asks for."""
    needle = text[start : start + length]
    if not needle:
        return
    matcher = Matcher(needle, ignore_case=ignore_case)
    stored = normalize(text)  # what the text file holds
    assert matcher.needle in normalize(text, ignore_case)
    keys = postings.query_keys(matcher)
    assert keys is None or keys <= postings.text_keys(stored)


def test_cli_counts_equal_no_index(posts_copy: Path) -> None:
    runner = CliRunner()
    for query in ["台灣", "美国", "Trump"]:
        with_index = runner.invoke(cli.app, ["search", "-c", "--corpus", str(posts_copy), query])
        without = runner.invoke(
            cli.app, ["search", "-c", "--no-index", "--corpus", str(posts_copy), query]
        )
        assert with_index.exit_code == 0, with_index.output
        assert with_index.stdout == without.stdout
        assert with_index.stdout.strip()
    listed = runner.invoke(cli.app, ["search", "-l", "--corpus", str(posts_copy), "双边关系"])
    unindexed = runner.invoke(
        cli.app, ["search", "-l", "--no-index", "--corpus", str(posts_copy), "双边关系"]
    )
    assert listed.stdout == unindexed.stdout != ""


def _article(title: str, body: str) -> str:
    return f"<!--1660528023000-->\n[{title}](https://example.org/{abs(hash(title))})\n------\n<p>{body}</p>"


def test_refreshes_keep_the_answers(posts_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Added, changed and deleted articles: the new text lies past what the posting file
    covers (always a candidate), a dead one is dropped, and the answer stays the scan's."""
    index = _index(posts_copy)
    first = _stamp(index)
    files = sorted(path for path in posts_copy.rglob("*") if path.is_file())
    marker = "鳕鱼双边关系"
    (posts_copy / "new").mkdir()
    (posts_copy / "new" / "added.txt").write_text(_article("新文章", f"一篇{marker}的报道"))
    files[0].write_text(_article("改过的文章", f"改写后讲{marker}"))
    holder = next(path for path in files[1:] if "双边关系" in normalize(path.read_text()))
    holder.unlink()
    index.refresh(load_corpus(posts_copy))
    assert _stamp(index) == first  # small changes: the file still serves, with a tail
    for query in [marker, "双边关系", "新文章", "改写", "Trump"]:
        matcher = Matcher(query)
        found = index.count_matches(matcher, newest_first=True)
        assert found == _scanned(index, matcher, monkeypatch), query
    assert len(index.count_matches(Matcher(marker))) == 2
    index.close()


def test_a_large_change_rebuilds_the_posting_file(posts_copy: Path) -> None:
    index = _index(posts_copy)
    first = _stamp(index)
    extra = posts_copy / "extra"
    extra.mkdir()
    for number in range(200):  # far more than 1/8 of the text
        (extra / f"{number}.txt").write_text(_article(f"标题{number}", "中美双边关系" * 200))
    index.refresh(load_corpus(posts_copy))
    second = _stamp(index)
    assert second.serial == first.serial + 1 and second.covers > first.covers
    assert not postings.path_of(index.folder, first.serial).exists()
    index.close()


def test_compaction_renumbers_and_the_posting_file_follows(
    posts_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = _index(posts_copy)
    first = _stamp(index)
    monkeypatch.setattr(refresh, "COMPACT_WHEN_DEAD", 0.0001)
    files = sorted(path for path in posts_copy.rglob("*") if path.is_file())
    for path in files[::3]:
        path.unlink()
    files[1].write_text(_article("改过的文章", "改写后讲双边关系"))  # compaction follows a parse
    index.refresh(load_corpus(posts_copy))
    generation = index.cache.meta_int("generation")
    assert _stamp(index).generation == generation != first.generation
    for query in ["美国", "双边关系", "Trump", "台灣"]:
        matcher = Matcher(query)
        assert index.count_matches(matcher, newest_first=True) == _scanned(
            index, matcher, monkeypatch
        )
    index.close()


def test_a_stale_posting_file_is_ignored(posts_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One that belongs to another text generation (a compaction whose refresh did not get
    to rebuild it) is never used."""
    index = _index(posts_copy)
    stamp = _stamp(index)
    stale = postings.Stamp(stamp.serial, stamp.generation + 1, stamp.covers)
    index.cache.transaction(lambda: index.cache.set_meta(postings.META_KEY, str(stale)))
    assert postings.open_current(index.cache) is None
    stamp_only = postings.Stamp(stamp.serial, stamp.generation, stamp.covers + 1)
    index.cache.transaction(lambda: index.cache.set_meta(postings.META_KEY, str(stamp_only)))
    assert postings.open_current(index.cache) is None  # the file says it covers less
    index.close()


@pytest.mark.parametrize("where", ["header", "body", "truncated", "magic"])
def test_a_damaged_posting_file_is_ignored_never_wrong(
    posts_copy: Path, where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = _index(posts_copy)
    path = _posting_file(index)
    data = bytearray(path.read_bytes())
    if where == "header":
        data[40] ^= 0xFF
    elif where == "body":
        data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)
    elif where == "truncated":
        data = data[: len(data) // 2]
    else:
        data[:4] = b"XXXX"
    path.write_bytes(bytes(data))
    for query in QUERIES[:12]:
        matcher = Matcher(query)
        assert index.count_matches(matcher, newest_first=True) == _scanned(
            index, matcher, monkeypatch
        ), query
    index.close()


def test_batches_give_the_same_file(posts: Path, tmp_path: Path) -> None:
    """The build gathers doc numbers a batch at a time (memory): the batch size changes
    nothing in what it writes."""
    index = _index(posts)
    cache = index.cache
    entries = cache.entries()
    args = (cache.text_path, cache.meta_int("text_size"), entries, 7)
    postings.build(*args, tmp_path / "default.bin")
    postings.BATCH_DOCS, saved = 3, postings.BATCH_DOCS
    try:
        postings.build(*args, tmp_path / "small.bin")
    finally:
        postings.BATCH_DOCS = saved
    assert (tmp_path / "default.bin").read_bytes() == (tmp_path / "small.bin").read_bytes()
    index.close()


def test_damaged_text_builds_no_posting_file(posts_copy: Path) -> None:
    index = _index(posts_copy)
    cache = index.cache
    text = bytearray(cache.text_path.read_bytes())
    text[100] ^= 0x01
    cache.text_path.write_bytes(bytes(text))
    target = index.folder / "rebuilt.bin"
    with pytest.raises(index_module.IndexDamaged):
        postings.build(cache.text_path, cache.meta_int("text_size"), cache.entries(), 1, target)
    assert not target.exists()
    index.close()


def test_the_posting_file_is_small(posts: Path) -> None:
    index = Index(posts)
    index.refresh(load_corpus(posts))
    cache = Cache(index_dir_for(posts))
    size = _posting_file(index).stat().st_size
    assert 0 < size < cache.text_path.stat().st_size
    cache.close()
    index.close()


@pytest.mark.parametrize("workers", [1, 3])
def test_parts_and_worker_processes_write_the_same_sets(
    posts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    """A large index is built in parts (memory), in worker processes, merged key by key:
    the same sets as one part, and no part file left behind."""
    index = _index(posts)
    cache = index.cache
    args = (cache.text_path, cache.meta_int("text_size"), cache.entries(), 7)
    postings.build(*args, tmp_path / "one.bin")
    monkeypatch.setattr(postings, "PART_DOCS", 128)
    postings.build(*args, tmp_path / "parts.bin", workers=workers)
    assert sorted(path.name for path in tmp_path.glob("*.bin*")) == ["one.bin", "parts.bin"]
    with open(tmp_path / "one.bin", "rb") as one, open(tmp_path / "parts.bin", "rb") as parts:
        whole, merged = postings.Postings.read(one), postings.Postings.read(parts)
        assert whole.keys == merged.keys and whole.offsets == merged.offsets
        assert len(whole.keys) > 1000
        for key in whole.keys:  # the same sets (containers may be laid out otherwise)
            assert whole.docs(key) == merged.docs(key)
    index.close()


def test_a_posting_build_reads_the_regions_from_the_table_not_the_snapshot(
    posts_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build needs offsets, lengths and checksums only: read as they stream from the
    table, without the entries snapshot's ids and paths beside the refresh's scan (a
    refresh adding 10k files at 200k peaked at 322 MB there); answers equal the scan."""
    index = _index(posts_copy)
    first = _stamp(index)
    extra = posts_copy / "extra"
    extra.mkdir()
    for number in range(200):  # far more than 1/8 of the text: a new posting file
        (extra / f"{number}.txt").write_text(_article(f"标题{number}", "中美双边关系" * 200))

    def no_snapshot(cache: Cache) -> None:
        raise AssertionError("the posting build loaded every entry")

    monkeypatch.setattr(Cache, "entries", no_snapshot)
    index.refresh(load_corpus(posts_copy))
    monkeypatch.undo()
    assert _stamp(index).serial == first.serial + 1
    for query in ("双边关系", "中美", "Trump"):
        matcher = Matcher(query)
        assert index.count_matches(matcher, newest_first=True) == _scanned(
            index, matcher, monkeypatch
        )
    index.close()
