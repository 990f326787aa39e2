"""The library's front door, used directly (no CLI): newscli.Archive on the seeds and the slice."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
from conftest import SEEDS

import newscli
from newscli import archive as archive_module
from newscli import search as search_module
from newscli.archive import Archive, ExportError, HitSort, ListSort, NotAnArticle, export
from newscli.article import Article, Script, Summary
from newscli.corpus import SourceFile
from newscli.filters import Filters
from newscli.index import Index
from newscli.locate import ArticleNotFound
from newscli.search import Hit, Matcher, Query, Scope, TextHits

# Seed titles (the two bundled articles), newest first.
NEWER = "普京会金正恩 朝俄签订防卫互助协定"
OLDER = "朝鮮官媒：普京致函金正恩 稱將擴大雙邊關係"


def _query(*texts: str, **options: object) -> Query:
    return Query(tuple(Matcher(text) for text in texts), **options)  # type: ignore[arg-type]


def test_the_front_door_is_importable_from_the_package() -> None:
    assert newscli.Archive is Archive
    assert newscli.Scope is Scope and newscli.Script is Script
    assert newscli.Filters is Filters and newscli.Query is Query


@pytest.mark.parametrize("use_index", [True, False])
def test_list_yields_summaries_newest_first(use_index: bool) -> None:
    with Archive(SEEDS, use_index=use_index) as archive:
        listed = list(archive.list())
    assert [item.title for item in listed] == [NEWER, OLDER]
    assert all(type(item) is Summary for item in listed)  # never an Article without its text
    assert all(item.char_count > 500 for item in listed)


def test_progress_and_use_index_are_constructor_arguments(seeds_copy: Path) -> None:
    told: list[tuple[int, int]] = []
    with Archive(seeds_copy, progress=lambda done, total: told.append((done, total))) as archive:
        assert archive.index is not None and archive.refreshed is not None
        assert archive.refreshed.added == 2
    assert told[0] == (0, 2) and told[-1] == (2, 2)
    with Archive(seeds_copy, use_index=False) as archive:
        assert archive.index is None and len(list(archive.list())) == 2


@pytest.mark.parametrize("use_index", [True, False])
def test_list_sorts_filters_and_limits(use_index: bool) -> None:
    with Archive(SEEDS, use_index=use_index) as archive:
        assert [i.title for i in archive.list(reverse=True)] == [OLDER, NEWER]
        assert [i.title for i in archive.list(sort=ListSort.SIZE)] == [OLDER, NEWER]
        assert [i.title for i in archive.list(limit=1)] == [NEWER]
        simplified = Filters(scripts=(Script.SIMPLIFIED,))
        assert [i.title for i in archive.list(simplified)] == [NEWER]
        assert [i.title for i in archive.list(Filters.parse(until="2023"))] == [OLDER]
        assert archive.count(Filters.parse(since="2023")) == 1


@pytest.mark.parametrize("use_index", [True, False])
def test_search_get_and_counts_on_the_seeds(use_index: bool) -> None:
    with Archive(SEEDS, use_index=use_index) as archive:
        found = list(archive.search(_query("双边关系")))  # Simplified finds the Traditional
        assert [r.article.title for r in found] == [OLDER]
        counted = list(archive.search_counts(_query("普京"), sort=HitSort.HITS))
        assert [hits for _, hits in counted] == sorted((hits for _, hits in counted), reverse=True)
        assert all(type(summary) is Summary for summary, _ in counted)
        ids = [article_id for article_id, _ in archive.search_ids(_query("普京"), limit=1)]
        assert ids == [next(iter(archive.list())).id]
        in_titles = list(archive.search(_query("朝鮮", scope=Scope.TITLE)))
        assert [r.article.title for r in in_titles] == [OLDER]


def _everything(root: Path, use_index: bool) -> dict[str, object]:
    queries = {
        "one": _query("中国"),
        "any": _query("美国", "德国"),
        "all": _query("美国", "中国", all_terms=True),
        "title": _query("中", scope=Scope.TITLE),
        "capped": _query("的", max_hits=2),
    }
    filters = Filters.parse(since="2020-06", outlets=["德國之聲", "BBC"])
    with Archive(root, use_index=use_index) as archive:
        answers: dict[str, object] = {
            "list": [s.id for s in archive.list()],
            "by title": [s.id for s in archive.list(sort=ListSort.TITLE, reverse=True)],
            "filtered": [s.id for s in archive.list(filters)],
            "count": archive.count(filters),
        }
        for name, query in queries.items():
            for kept in (Filters(), filters):
                key = f"{name}{' filtered' if kept.active else ''}"
                answers[key] = [
                    (r.article.id, [(h.start, h.end) for h in r.hits])
                    for r in archive.search(query, kept)
                ]
                answers[key + " counts"] = [
                    (s.id, n) for s, n in archive.search_counts(query, kept)
                ]
                answers[key + " ids"] = list(archive.search_ids(query, kept, limit=5))
                answers[key + " by hits"] = [
                    r.article.id for r in archive.search(query, kept, HitSort.HITS, limit=4)
                ]
        answers["articles"] = [a.id for a in archive.articles(filters)]
    return answers


def test_without_the_index_every_answer_is_the_same(corpus_slice: Path) -> None:
    indexed = _everything(corpus_slice, use_index=True)
    assert indexed == _everything(corpus_slice, use_index=False)
    assert indexed["one"] and indexed["filtered"] and indexed["all filtered"]


def test_search_stops_reading_at_the_limit(
    corpus_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--max-results 3` of 的 (in nearly every article) reads a first small batch only, and
    looks for hits in no more articles than it has to."""
    from newscli.index import FIRST_BATCH

    read: list[int] = []
    looked_at: list[str] = []
    real_articles, real_hits = Index.articles, archive_module.article_hits

    def articles(self: Index, ids: list[str]) -> dict[str, Article]:
        read.append(len(list(ids)))
        return real_articles(self, ids)

    def article_hits(article: Article, query: Query) -> object:
        looked_at.append(article.id)
        return real_hits(article, query)

    monkeypatch.setattr(Index, "articles", articles)
    monkeypatch.setattr(archive_module, "article_hits", article_hits)
    with Archive(corpus_slice) as archive:
        total = archive.count()
        results = archive.search(_query("的"), limit=3)
        first = next(results)  # results come one at a time
        assert len(looked_at) == 1 and first.article.id == looked_at[0]
        rest = list(results)
    assert len(rest) == 2
    assert read == [FIRST_BATCH] and total > 10 * FIRST_BATCH
    assert len(looked_at) == 3


def test_most_hits_first_reads_only_the_articles_it_yields(
    corpus_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read: list[str] = []
    real_articles = Index.articles

    def articles(self: Index, ids: list[str]) -> dict[str, Article]:
        read.extend(ids)
        return real_articles(self, ids)

    monkeypatch.setattr(Index, "articles", articles)
    with Archive(corpus_slice) as archive:
        top = [r.article.id for r in archive.search(_query("的"), sort=HitSort.HITS, limit=3)]
    assert read == top
    with Archive(corpus_slice, use_index=False) as archive:
        assert top == [
            r.article.id for r in archive.search(_query("的"), sort=HitSort.HITS, limit=3)
        ]


def test_search_without_the_index_also_stops_at_the_limit(
    corpus_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    looked_at: list[str] = []
    real_hits = archive_module.article_hits

    def article_hits(article: Article, query: Query) -> object:
        looked_at.append(article.id)
        return real_hits(article, query)

    monkeypatch.setattr(archive_module, "article_hits", article_hits)
    with Archive(corpus_slice, use_index=False) as archive:
        assert len(list(archive.search(_query("的"), limit=2))) == 2
    assert len(looked_at) == 2


def test_enum_misuse_raises() -> None:
    with pytest.raises(ValueError, match="titel"):
        _query("x", scope="titel")
    assert _query("x", scope="title").scope is Scope.TITLE  # a valid name becomes the Enum
    with pytest.raises(ValueError, match="tradtional"):
        Filters(scripts=("tradtional",))  # type: ignore[arg-type]
    with Archive(SEEDS) as archive, pytest.raises(ValueError):
        list(archive.list(sort="sizes"))  # type: ignore[arg-type]
    with Archive(SEEDS) as archive, pytest.raises(ValueError):
        list(archive.search(_query("x"), sort="most"))  # type: ignore[arg-type]


def test_get_by_every_kind_of_name(seeds_copy: Path) -> None:
    with Archive(seeds_copy) as archive:
        newer = next(archive.list())
        stem = Path(newer.path).stem
        for name in (newer.path, stem, newer.id, newer.id[:8], stem[:12]):
            assert archive.get(name).id == newer.id, name
        with pytest.raises(ArticleNotFound, match="no article"):
            archive.get("no-such-thing")
        (seeds_copy / "empty.md").write_bytes(b"")
        with pytest.raises(NotAnArticle, match="empty file"):
            archive.get(str(seeds_copy / "empty.md"))


def test_get_many_reads_the_file_list_once(
    corpus_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Archive(corpus_slice) as archive:
        wanted = [s.id[:10] for s in archive.list(limit=40)]
    reads: list[str] = []
    real = Index.iter_file_keys

    def iter_file_keys(self: Index) -> Iterator[tuple[bytes, bool]]:
        reads.append("pass")
        return real(self)

    def known_files(self: Index) -> list[SourceFile]:
        raise AssertionError("a SourceFile made for every file")

    monkeypatch.setattr(Index, "iter_file_keys", iter_file_keys)
    monkeypatch.setattr(Index, "known_files", known_files)
    with Archive(corpus_slice) as archive:
        found = [article.id[:10] for article in archive.get_many(wanted)]
        assert found == wanted
        assert reads == ["pass"]  # one pass over the file names for all 40
        with pytest.raises(ArticleNotFound):
            archive.get_many([*wanted, "zz-no-such-article"])  # raises before reading any


def _numbered(count: int, events: list[str]) -> Iterator[Article]:
    for number in range(count):
        events.append(f"rendered {number}")
        yield Article(id=f"{number:016x}", path=f"/{number}.md", title=f"標題 {number}")


class _Recorder(io.StringIO):
    def __init__(self, events: list[str]) -> None:
        super().__init__()
        self.events = events

    def write(self, text: str) -> int:
        self.events.append("written")
        return super().write(text)


def test_export_streams_article_by_article() -> None:
    events: list[str] = []
    sink = _Recorder(events)
    report = export(_numbered(3, events), "jsonl", output=sink)
    # The first article reaches the writer before the third is even made; the second is
    # looked at first only to refuse several articles in a one-article format.
    assert events.index("written") < events.index("rendered 2")
    assert report.written == 3
    lines = sink.getvalue().split("\n")
    assert [json.loads(line)["title"] for line in lines if line] == [f"標題 {n}" for n in range(3)]


def test_export_refuses_several_articles_in_one_text_file_before_writing(tmp_path: Path) -> None:
    events: list[str] = []
    sink = _Recorder(events)
    with pytest.raises(ExportError, match="several articles"):
        export(_numbered(2, events), "txt", output=sink)
    assert "written" not in events
    target = tmp_path / "one.md"
    with pytest.raises(ExportError):
        export(_numbered(2, []), "md", output=target)
    assert list(tmp_path.iterdir()) == []  # no file, no temporary left behind


def test_export_to_a_file_appears_whole_at_the_end(tmp_path: Path) -> None:
    target = tmp_path / "all.jsonl"
    seen_during: list[bool] = []

    def watching() -> Iterator[Article]:
        for article in _numbered(3, []):
            seen_during.append(target.exists())
            yield article

    report = export(watching(), "jsonl", output=target)
    assert seen_during == [False, False, False] and report.written == 3
    assert len(target.read_text(encoding="utf-8").split("\n")) == 4  # three lines, then ""


def test_export_to_a_folder_keeps_names_apart(tmp_path: Path) -> None:
    twins = [
        Article(id="abcdef0123" + "000001", path="/a.md", title="同名"),
        Article(id="abcdef0123" + "000002", path="/b.md", title="同名"),
    ]
    report = export(twins, "md", folder=tmp_path / "out")
    names = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert report.written == 2 and len(set(names)) == 2
    assert any("abcdef0123000002" in name for name in names)
    again = export(twins, "md", folder=tmp_path / "out")
    assert again.written == 0 and len(again.skipped) == 2  # never over a file unasked


def test_ids_of_any_of_several_patterns_come_from_the_index_alone(
    corpus_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """-l of `-e A -e B` (and --variants): one scan per pattern, no article read, the same
    ids in the same order as reading every file."""
    query = Query((Matcher("美国"), Matcher("美國"), Matcher("川普")))
    with Archive(corpus_slice, use_index=False) as files:
        expected = [article_id for article_id, _ in files.search_ids(query)]
    assert len(expected) > 3
    with Archive(corpus_slice) as archive:
        archive.open()

        def no_reading(self: Index, ids: object) -> None:
            raise AssertionError("an article was read")

        monkeypatch.setattr(Index, "articles", no_reading)
        assert [article_id for article_id, _ in archive.search_ids(query)] == expected
        assert [i for i, _ in archive.search_ids(query, limit=2)] == expected[:2]


# --- search_texts: what search prints, from the index's stored text ----------------------


def _printed(results: Iterator[TextHits]) -> list[tuple[Summary, str, list[Hit]]]:
    return [(found.article, found.text, found.hits) for found in results]


@pytest.mark.parametrize(
    "query",
    [
        _query("的"),
        _query("台灣"),
        _query("川普", "特朗普"),
        Query((Matcher("trump", ignore_case=True),)),
        _query("美国", "中国", all_terms=True),
        _query("中国", scope="title"),
    ],
)
def test_search_texts_decode_no_article_and_convert_no_text(
    corpus_slice: Path, monkeypatch: pytest.MonkeyPatch, query: Query
) -> None:
    """On the index, a match is served from the stored text: no article's blocks are decoded
    (Index.articles, Article.from_dict) and no text converted again; the answer is the files'."""
    with Archive(corpus_slice, use_index=False) as archive:
        expected = _printed(archive.search_texts(query))
        most = _printed(archive.search_texts(query, sort=HitSort.HITS, limit=4))
    assert expected

    def forbidden(*args: object, **kwargs: object) -> NoReturn:
        raise AssertionError("the index path decoded an article or converted a text")

    with Archive(corpus_slice) as archive:
        archive.open()
        monkeypatch.setattr(Index, "articles", forbidden)
        monkeypatch.setattr(Article, "from_dict", forbidden)
        monkeypatch.setattr(search_module, "normalize", forbidden)
        assert _printed(archive.search_texts(query)) == expected
        assert _printed(archive.search_texts(query, sort=HitSort.HITS, limit=4)) == most


def test_search_texts_stream_in_small_batches(
    corpus_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--max-results 3` of 的 reads the texts of one first small batch of the newest
    articles, and no row of any."""
    import newscli.index as index_module

    read: list[int] = []
    real_stored_texts = index_module.stored_texts

    def stored_texts(*args: Any) -> index_module.StoredTexts:
        read.append(args[2])
        return real_stored_texts(*args)

    def forbidden(*args: object, **kwargs: object) -> NoReturn:
        raise AssertionError("rows read for the stored texts")

    monkeypatch.setattr(index_module, "stored_texts", stored_texts)
    monkeypatch.setattr(index_module, "TEXT_BATCH", 8)
    monkeypatch.setattr(Index, "texts", forbidden)
    with Archive(corpus_slice) as archive:
        results = archive.search_texts(_query("的"), limit=3)
        assert next(results).hits and 0 < len(read) <= 8
        assert len(list(results)) == 2
        assert archive.count() > 10 * 8
    assert len(read) <= 8


def test_search_texts_of_bodies_that_look_like_the_stored_row(tmp_path: Path) -> None:
    """The text as written comes back from the text file's trailer exactly, even a body
    (or a block) holding what a stored row's own keys look like."""
    folder = tmp_path / "odd"
    folder.mkdir()
    bodies = [
        '結尾像存儲的行 ", "text": null}',
        '第一段 "text": "假的"}\n\n第二段 ", "text": "x"}',
        "",
    ]
    for number, body in enumerate(bodies):
        paragraphs = "".join(f"<p>{part}</p>" for part in body.split("\n\n") if part)
        (folder / f"{number}.md").write_text(
            f"<!--1660528023000-->\n[標題 text {number}](https://example.com/{number})\n"
            f"------\n{paragraphs}\n",
            encoding="utf-8",
        )
    query = _query("text")
    with Archive(folder, use_index=False) as archive:
        expected = _printed(archive.search_texts(query))
    assert len(expected) == 3 and any('"text": null}' in text for _, text, _ in expected)
    with Archive(folder) as archive:
        assert _printed(archive.search_texts(query)) == expected


@pytest.mark.parametrize(
    "query",
    [
        _query("川普", "特朗普"),
        _query("台湾", "台灣"),  # one needle twice: its hits count once
        _query("台", "台灣", "灣"),  # overlapping hits: each counts
        Query((Matcher("us", ignore_case=True), Matcher("US", ignore_case=True))),
    ],
)
def test_counts_of_any_of_several_literals_read_no_article(
    corpus_slice: Path, monkeypatch: pytest.MonkeyPatch, query: Query
) -> None:
    """-c of `-e A -e B` (and --variants) is counted on the text file pattern by pattern."""
    with Archive(corpus_slice, use_index=False) as archive:
        expected = list(archive.search_counts(query))
        most = list(archive.search_counts(query, sort=HitSort.HITS, limit=3))
    assert expected

    def forbidden(*args: object, **kwargs: object) -> NoReturn:
        raise AssertionError("an article was read")

    with Archive(corpus_slice) as archive:
        archive.open()
        monkeypatch.setattr(Index, "texts", forbidden)
        monkeypatch.setattr(Index, "articles", forbidden)
        assert list(archive.search_counts(query)) == expected
        assert list(archive.search_counts(query, sort=HitSort.HITS, limit=3)) == most


def test_counts_of_other_queries_come_from_the_stored_text(
    corpus_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """-c of a query the index cannot count alone (regex, all terms, -w…) reads the stored
    text of the candidates, never an article's blocks."""
    queries = [
        Query((Matcher("美[国國]", regex=True), Matcher("中国", regex=True))),
        _query("美国", "中国", all_terms=True),
        Query((Matcher("us", ignore_case=True), Matcher("中国")), word=True),
    ]
    with Archive(corpus_slice, use_index=False) as archive:
        expected = [list(archive.search_counts(query)) for query in queries]
    assert all(expected)
    with Archive(corpus_slice) as archive:
        archive.open()
        monkeypatch.setattr(Index, "articles", lambda *args: pytest.fail("decoded"))
        assert [list(archive.search_counts(query)) for query in queries] == expected


def test_candidates_of_several_patterns_are_ordered_without_reading_summaries(
    corpus_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`-e A -e B` and --variants put the union of each pattern's articles newest first from
    the index's entries; summaries are read only for what is printed."""
    queries = [_query("川普", "特朗普"), _query("美国", "中国", all_terms=True)]
    with Archive(corpus_slice, use_index=False) as archive:
        expected = [_printed(archive.search_texts(query)) for query in queries]
    assert all(expected)
    with Archive(corpus_slice) as archive:
        archive.open()
        monkeypatch.setattr(Index, "summaries", lambda *args, **kwargs: pytest.fail("read"))
        assert [_printed(archive.search_texts(query)) for query in queries] == expected


def test_ids_and_counts_come_newest_first_as_they_are_found(
    corpus_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """search -l and -c of one pattern, or any of several literals, print as the index finds:
    the newest candidates are counted first (a small batch of regions), never a count of
    the whole text file before the first id; every answer, to the end, is the one without
    the index."""
    from newscli import index as index_module

    counted: list[int] = []  # articles per count of regions
    real_at = index_module.count_hits_at

    def counting(handle: object, size: int, entries: object, positions: list[int], *rest: object):  # type: ignore[no-untyped-def]
        counted.append(len(positions))
        return real_at(handle, size, entries, positions, *rest)  # type: ignore[arg-type]

    def no_scan(*args: object) -> NoReturn:
        raise AssertionError("the whole text file counted before the first id")

    monkeypatch.setattr(index_module, "count_hits_at", counting)
    monkeypatch.setattr(index_module, "count_hits", no_scan)
    monkeypatch.setattr(index_module, "NEWEST_WINDOW", 4)
    monkeypatch.setattr(index_module, "LARGEST_WINDOW", 16)
    filters = Filters.parse(since="2020-06", outlets=["德國之聲", "BBC"])
    queries = [("的",), ("中国",), ("Trump",), ("的", "中国"), ("美国", "德国", "美國")]
    with Archive(corpus_slice, use_index=False) as files:
        expected = {
            (words, kept.active): [(s.id, n) for s, n in files.search_counts(_query(*words), kept)]
            for words in queries
            for kept in (Filters(), filters)
        }
    with Archive(corpus_slice) as archive:
        assert archive.count() > 3 * 16
        for (words, active), answer in expected.items():
            kept = filters if active else Filters()
            for results in (
                # -l prints no hits: summed per pattern, a needle given twice counts twice
                (article_id for article_id, _ in archive.search_ids(_query(*words), kept)),
                ((s.id, n) for s, n in archive.search_counts(_query(*words), kept)),
            ):
                counted.clear()
                first = next(results)
                if words[0] == "的" and not active:  # in nearly every article: the first batches
                    assert counted[0] == 4 and sum(counted) <= (4 + 16) * len(words)
                found = [first, *results]
                if isinstance(first, str):
                    assert found == [article_id for article_id, _ in answer], (words, active)
                else:
                    assert found == answer, (words, active)
                assert max(counted) <= 16
