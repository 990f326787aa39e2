"""The index: same answers as reading the files, kept fresh, and never a hazard to the user."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import time
from itertools import islice
from pathlib import Path

import pytest
from conftest import SEEDS, backdate, count_parses, search_result_lines
from typer.testing import CliRunner, Result

from newscli import cli
from newscli.archive import Archive
from newscli.article import Summary, newest_first
from newscli.corpus import load_corpus
from newscli.index import Index, index_dir_for
from newscli.load import load_articles
from newscli.refresh import IndexedRow, Refresh
from newscli.search import Matcher, Query

runner = CliRunner()

QUERIES = [
    ("中", {}),
    ("美国", {}),
    ("雙邊關係", {}),
    ("新冠疫情", {}),
    ("trump", {"ignore_case": True}),
    ("REUTERS", {}),  # the Reuters photo credits
    (r"习近平|習近平", {"regex": True}),
    (r"\d{4}年\d+月", {"regex": True}),
]


def _answers(corpus: Path, use_index: bool, query: str, options: dict, **shape: object) -> tuple:  # type: ignore[type-arg]
    with Archive(corpus, use_index=use_index) as archive:
        matcher = Matcher(query, **options)
        built = Query((matcher, *shape.pop("more", ())), **shape)  # type: ignore[arg-type]
        full = [
            (r.article.id, [(h.start, h.end) for h in r.hits], list(search_result_lines(r, 30)))
            for r in archive.search(built)
        ]
        counts = [(a.id, n) for a, n in archive.search_counts(built)]
        return full, counts, archive.count()


@pytest.mark.parametrize(("query", "options"), QUERIES)
def test_index_search_equals_file_search(corpus_slice: Path, query: str, options: dict) -> None:  # type: ignore[type-arg]
    with_index = _answers(corpus_slice, True, query, options)
    without = _answers(corpus_slice, False, query, options)
    assert with_index == without
    assert with_index[0], f"{query!r} should match something in the slice"
    assert [(i, len(h)) for i, h, _ in with_index[0]] == with_index[1]


@pytest.mark.parametrize(
    "shape",
    [
        {"more": (Matcher("中国"),), "all_terms": True},
        {"more": (Matcher("台湾"),)},
        {"exclude": (Matcher("中国"),)},
        {"scope": "title"},
        {"scope": "body", "max_hits": 2},
    ],
)
def test_index_equals_files_for_every_query_shape(corpus_slice: Path, shape: dict) -> None:  # type: ignore[type-arg]
    with_index = _answers(corpus_slice, True, "美国", {}, **dict(shape))
    assert with_index == _answers(corpus_slice, False, "美国", {}, **dict(shape))
    assert with_index[0]


def test_list_equals_file_list(corpus_slice: Path) -> None:
    def listing(*extra: str) -> str:
        result = runner.invoke(cli.app, ["list", "--corpus", str(corpus_slice), *extra])
        assert result.exit_code == 0
        return result.stdout

    assert listing() == listing("--no-index")
    assert listing("-n", "5") == listing("--no-index", "-n", "5")


def _ids(corpus: Path, query: str) -> list[str]:
    result = runner.invoke(cli.app, ["search", "-l", query, "--corpus", str(corpus)])
    return result.stdout.split()


def test_freshness_add_edit_delete_rename(seeds_copy: Path) -> None:
    assert _ids(seeds_copy, "防卫互助协定") == ["dc6d1d42a4"]
    first = seeds_copy / "000_a72835dd61d86983.txt"
    second = seeds_copy / "002_7f245f662d01c087.txt"
    # add
    extra = _add_an_article(seeds_copy)
    assert len(_ids(seeds_copy, "防卫互助协定")) == 2
    # edit in place, keeping the size: mtime alone must be enough
    text = first.read_text(encoding="utf-8")
    first.write_text(text.replace("雙邊關係", "三邊關係"), encoding="utf-8")
    os.utime(first, ns=(first.stat().st_atime_ns, first.stat().st_mtime_ns + 10**9))
    assert _ids(seeds_copy, "三边关系") == ["38cea08e8c"]
    # delete
    second.unlink()
    assert len(_ids(seeds_copy, "防卫互助协定")) == 1
    # rename: the id follows the path
    extra.rename(seeds_copy / "renamed.txt")
    listed = runner.invoke(cli.app, ["list", "--no-headers", "--corpus", str(seeds_copy)]).stdout
    assert "新文章" in listed and len(listed.splitlines()) == 2


def test_incremental_snapshots_equal_the_tables(corpus_slice: Path, tmp_path: Path) -> None:
    """The snapshots a refresh updates in memory must equal what the tables say."""
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_slice, corpus)
    paths = sorted(corpus.rglob("*.md"))

    def check() -> None:
        loaded = load_corpus(corpus)
        index = Index(loaded.root)
        index.refresh(loaded)
        assert index.cache.entries_snapshot() == index.cache.entries_from_tables()
        assert index.cache.files_snapshot() == {r: (s, m) for r, s, m in index.cache.files_rows()}
        index.close()

    check()
    paths[0].write_text(paths[0].read_text(encoding="utf-8") + "<p>加一段</p>", encoding="utf-8")
    paths[1].unlink()
    shutil.copy(paths[2], corpus / "copy.md")
    check()
    paths[3].rename(corpus / "moved.md")
    check()


def test_show_finds_a_file_the_index_has_not_seen_yet(seeds_copy: Path) -> None:
    assert _ids(seeds_copy, "金正恩")  # the index now knows two files
    (seeds_copy / "later.txt").write_text(
        "<!--1700000000000-->\n[后来的文章](https://x.org/9)\n------\n<p>正文</p>", encoding="utf-8"
    )
    shown = runner.invoke(cli.app, ["show", "later", "--corpus", str(seeds_copy)])
    assert shown.exit_code == 0 and shown.stdout.startswith("后来的文章")
    (seeds_copy / "002_7f245f662d01c087.txt").unlink()
    gone = runner.invoke(cli.app, ["show", "dc6d", "--corpus", str(seeds_copy)])
    assert gone.exit_code == 2 and "no article 'dc6d'" in gone.stderr


def test_parser_version_change_rebuilds(seeds_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = load_corpus(seeds_copy)
    index = Index(corpus.root)
    assert index.refresh(corpus).added == 2
    assert index.refresh(corpus).unchanged == 2
    index.close()
    monkeypatch.setattr("newscli.cache.PARSER_VERSION", 999)
    index = Index(corpus.root)
    stats = index.refresh(corpus)
    assert stats.rebuilt and stats.added == 2
    index.close()


def test_index_lives_in_the_cache_not_the_corpus(seeds_copy: Path, tmp_path: Path) -> None:
    before = sorted(p.name for p in seeds_copy.rglob("*"))
    runner.invoke(cli.app, ["search", "金正恩", "--corpus", str(seeds_copy)])
    assert sorted(p.name for p in seeds_copy.rglob("*")) == before
    assert index_dir_for(seeds_copy).is_relative_to(tmp_path / "cache")
    assert (index_dir_for(seeds_copy) / "index.sqlite").exists()


def test_unwritable_cache_falls_back_with_one_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("NEWSCLI_CACHE_DIR", str(blocker))
    result = runner.invoke(cli.app, ["search", "-l", "金正恩"])
    assert result.exit_code == 0
    assert result.stdout.split() == ["dc6d1d42a4", "38cea08e8c"]
    warnings = result.stderr.splitlines()
    assert len(warnings) == 1 and "working without the index" in warnings[0]


def test_corrupted_database_is_rebuilt_with_one_warning(seeds_copy: Path) -> None:
    assert _ids(seeds_copy, "金正恩") == ["dc6d1d42a4", "38cea08e8c"]
    database = index_dir_for(seeds_copy) / "index.sqlite"
    for suffix in ("-wal", "-shm"):
        Path(str(database) + suffix).unlink(missing_ok=True)
    database.write_bytes(b"this is not a database" * 100)
    result = runner.invoke(cli.app, ["search", "-l", "金正恩", "--corpus", str(seeds_copy)])
    assert result.exit_code == 0
    assert result.stdout.split() == ["dc6d1d42a4", "38cea08e8c"]
    assert len(result.stderr.splitlines()) == 1 and "damaged" in result.stderr
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 2


@pytest.mark.parametrize("when", ["build", "refresh"])
def test_killed_build_continues(corpus_slice: Path, tmp_path: Path, when: str) -> None:
    """kill -9 in the middle of a build or refresh: the next run finishes it, correctly."""
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_slice, corpus)
    for path in corpus.rglob("*.md"):  # changed a minute ago: not too recent to trust
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns - 60 * 10**9))
    if when == "refresh":
        loaded = load_corpus(corpus)
        Index(loaded.root).refresh(loaded)
        for number, path in enumerate(sorted(corpus.rglob("*.md"))):
            if number % 2:
                path.write_bytes(path.read_bytes().replace("美国".encode(), "美國".encode()))
            os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns - 10 * 10**9))
    script = textwrap.dedent(
        f"""
        import os, signal
        import newscli.refresh as refresh
        from newscli.index import Index
        refresh.BATCH = 8
        calls = 0
        original = refresh.Refresh.store
        def store(self, rows):
            global calls
            original(self, rows)
            calls += 1
            if calls == 3:
                os.kill(os.getpid(), signal.SIGKILL)
        refresh.Refresh.store = store
        from newscli.corpus import load_corpus
        corpus = load_corpus({str(corpus)!r})
        Index(corpus.root).refresh(corpus, workers=1)
        """
    )
    killed = subprocess.run([sys.executable, "-c", script], env=os.environ.copy(), check=False)
    assert killed.returncode == -9
    loaded = load_corpus(corpus)
    index = Index(loaded.root)
    stats = index.refresh(loaded)
    assert stats.unchanged >= 16 and stats.parsed == len(loaded.files) - stats.unchanged
    assert stats.parsed > 0
    index.close()
    assert _answers(corpus, True, "美国", {}) == _answers(corpus, False, "美国", {})


def test_full_disk_during_refresh_falls_back(
    seeds_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    def full(self: Refresh, rows: list[IndexedRow]) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Refresh, "store", full)
    result = runner.invoke(cli.app, ["search", "-l", "金正恩", "--corpus", str(seeds_copy)])
    assert result.exit_code == 0
    assert result.stdout.split() == ["dc6d1d42a4", "38cea08e8c"]
    assert len(result.stderr.splitlines()) == 1 and "No space left on device" in result.stderr
    monkeypatch.undo()
    assert _ids(seeds_copy, "金正恩") == ["dc6d1d42a4", "38cea08e8c"]  # and it recovers


@pytest.mark.parametrize(("in_workers", "full_from"), [(False, 0), (True, 0), (False, 2)])
def test_a_full_disk_parses_each_file_once(
    corpus_slice: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    in_workers: bool,
    full_from: int,
) -> None:
    """A disk that is full (from the first batch on, or from the third, the first two
    committed): the refresh goes on parsing without writing, and the command uses what it
    parsed and what it committed: every file is parsed once (the fallback without the index
    parsed everything a second time), one warning line."""
    import errno

    clean = runner.invoke(cli.app, ["list", "--no-index", "--corpus", str(corpus_slice)])
    files = len(load_corpus(corpus_slice).files)
    counter = tmp_path / "parses"
    count_parses(monkeypatch, counter)
    original = Refresh.store
    batches: list[int] = []

    def full(self: Refresh, rows: list[IndexedRow]) -> None:
        batches.append(len(rows))
        if len(batches) > full_from:
            raise OSError(errno.ENOSPC, "No space left on device")
        original(self, rows)

    monkeypatch.setattr(Refresh, "store", full)
    monkeypatch.setattr("newscli.refresh.BATCH", 8)
    monkeypatch.setattr("newscli.refresh.PARALLEL_FROM", 1 if in_workers else 10**9)
    for _ in range(2):  # and the same on the next command
        counter.write_bytes(b"")
        result = runner.invoke(cli.app, ["list", "--corpus", str(corpus_slice)])
        assert result.exit_code == 0 and result.stdout == clean.stdout
        assert result.stderr.splitlines() == [
            "newscli: warning: cannot update the index: [Errno 28] No space left on device;"
            " working without it"
        ]
        assert counter.stat().st_size == files


def test_a_file_size_limit_parses_each_file_once(corpus_slice: Path, tmp_path: Path) -> None:
    """The real thing: writes past RLIMIT_FSIZE fail (EFBIG, SIGXFSZ ignored), in SQLite's
    files and the text file alike; the answer is right and each file is parsed once."""
    env = {**os.environ, "NEWSCLI_CACHE_DIR": str(tmp_path / "cache")}
    clean = subprocess.run(
        [sys.executable, "-m", "newscli", "list", "--no-index", "--corpus", str(corpus_slice)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    files = len(load_corpus(corpus_slice).files)
    counter = tmp_path / "parses"
    script = textwrap.dedent(
        f"""
        import os, resource, signal, sys
        from newscli import cli, load, postings, refresh
        postings.WORKER_START = "fork"  # the workers keep the patch below
        original = load.load
        def counted(source):
            handle = os.open({str(counter)!r}, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
            os.write(handle, b"x")
            os.close(handle)
            return original(source)
        load.load = refresh.load = counted
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, resource.RLIM_INFINITY))
        sys.argv = ["newscli", "list", "--corpus", {str(corpus_slice)!r}]
        cli.main()
        """
    )
    for _ in range(2):
        counter.write_bytes(b"")
        result = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0 and result.stdout == clean.stdout
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert "cannot update the index" in result.stderr
        assert counter.stat().st_size == files


def test_two_processes_at_once(corpus_slice: Path) -> None:
    command = [sys.executable, "-m", "newscli", "list", "--corpus", str(corpus_slice)]
    processes = [
        subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy()
        )
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert all(process.returncode == 0 for process in processes), outputs
    assert len({out for out, _ in outputs}) == 1
    assert len(outputs[0][0].splitlines()) >= 60


def test_seeds_via_index_and_without(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(SEEDS.parent.parent)
    assert (
        runner.invoke(cli.app, ["list"]).stdout
        == runner.invoke(cli.app, ["list", "--no-index"]).stdout
    )


# --- what the index serves -------------------------------------------------------------


def test_summaries_are_summaries_newest_first(corpus_slice: Path) -> None:
    loaded = load_corpus(corpus_slice)
    index = Index(loaded.root)
    index.refresh(loaded)
    summaries = index.summaries()
    assert summaries and all(isinstance(item, Summary) for item in summaries)
    assert summaries == newest_first(summaries)
    assert [s.id for s in index.summaries(limit=3)] == [s.id for s in summaries[:3]]
    assert list(index.iter_summaries(limit=3)) == summaries[:3]
    some = [summaries[5].id, summaries[0].id, summaries[-1].id]
    assert index.summaries(ids=some) == [summaries[0], summaries[5], summaries[-1]]
    articles = {a.id: a for a in load_articles(loaded).articles}
    for item in summaries:
        assert item == Summary.of(articles[item.id])  # char_count, tags and all
    index.close()


@pytest.mark.parametrize("pattern", ["x*", "(?=美)", r"\b", "美*"])
def test_regex_counting_skips_empty_matches(corpus_slice: Path, pattern: str) -> None:
    """An empty match (x*, a lookahead) is no hit, in the index's count as in the files'."""
    loaded = load_corpus(corpus_slice)
    index = Index(loaded.root)
    index.refresh(loaded)
    matcher = Matcher(pattern, regex=True)
    expected = [
        (article.id, len(matcher.find(matcher.normalize(article.text))))
        for article in load_articles(loaded).articles
    ]
    expected = sorted((i, n) for i, n in expected if n)
    assert sorted(index.count_matches(matcher)) == expected
    if pattern.startswith("(?=") or pattern == r"\b":
        assert expected == []
    if pattern == "美*":
        assert expected
    index.close()


# --- problems are news once ------------------------------------------------------------

BROKEN_UTF8 = "broken-utf8.txt"  # an article (德国之声, 2024) with a problem
UNDATED = "no-timestamp.txt"  # an article without a date, with a problem
NOT_AN_ARTICLE = "only-comment.txt"  # a problem, no article


@pytest.fixture
def troubled(seeds_copy: Path) -> Path:
    seed = (seeds_copy / "002_7f245f662d01c087.txt").read_bytes()
    (seeds_copy / BROKEN_UTF8).write_bytes(seed[:600] + b"\xff\xfe\xfa" + seed[600:])
    (seeds_copy / UNDATED).write_bytes(b"[no timestamp](https://x.org/2)\n------\n<p>body</p>")
    (seeds_copy / NOT_AN_ARTICLE).write_bytes(b"<!--1660528023000-->\n")
    return seeds_copy


def _run(corpus: Path, *args: str) -> Result:
    result = runner.invoke(cli.app, [*args, "--corpus", str(corpus)])
    assert result.exit_code == 0, result.output
    return result


def _told(result: Result) -> list[str]:
    """The files the warnings name, one by one (the summary line names none)."""
    return sorted(
        os.path.basename(line.split(": ")[2])
        for line in result.stderr.splitlines()
        if "files have problems" not in line
    )


SUMMARY = "newscli: warning: {} files have problems; newscli check lists them\n"


def test_a_problem_is_told_once_then_counted(troubled: Path) -> None:
    first = _run(troubled, "list")
    assert _told(first) == [BROKEN_UTF8, UNDATED, NOT_AN_ARTICLE]
    assert "files have problems" not in first.stderr  # all three were just told
    assert len(first.stdout.splitlines()) == 1 + 4  # header and results only on stdout
    for command in (
        ["list"],
        ["search", "金正恩"],
        ["stats"],
        ["convert", "--all", "--to", "jsonl"],
    ):
        again = _run(troubled, *command)
        assert again.stderr == SUMMARY.format(3), command


def test_warnings_come_before_the_results(troubled: Path) -> None:
    """On a terminal both streams share one screen: results must not scroll away."""

    def screen(*args: str) -> list[str]:
        # Unbuffered, both streams into one pipe: the order a terminal would show.
        command = [sys.executable, "-u", "-m", "newscli", *args, "--corpus", str(troubled)]
        shown = subprocess.run(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=os.environ.copy()
        )
        return shown.stdout.decode().splitlines()

    first = screen("search", "金正恩")
    assert all(line.startswith("newscli: warning: ") for line in first[:3])
    assert not any(line.startswith("newscli:") for line in first[3:]) and len(first) > 3
    again = screen("search", "金正恩")
    assert again[0] == SUMMARY.format(3).strip() and len(again) > 1
    assert not any(line.startswith("newscli:") for line in again[1:])


def test_a_changed_file_is_news_again(troubled: Path) -> None:
    _run(troubled, "list")
    path = troubled / BROKEN_UTF8
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns - 10 * 10**9))
    changed = _run(troubled, "list")
    assert _told(changed) == [BROKEN_UTF8]
    assert changed.stderr.endswith(SUMMARY.format(3))
    assert _run(troubled, "list").stderr == SUMMARY.format(3)


def test_quiet_says_nothing_and_keeps_the_news(troubled: Path) -> None:
    for command in (["list"], ["search", "金正恩"], ["stats"], ["index"]):
        quiet = _run(troubled, *command, "-q")
        assert quiet.stderr == "", command
    quiet = _run(troubled, "convert", "--all", "--to", "jsonl", "--quiet")
    assert quiet.stderr == "" and len(quiet.stdout.splitlines()) == 4
    shown = _run(troubled, "show", str(troubled / BROKEN_UTF8))
    assert "undecodable bytes replaced" in shown.stderr
    assert _run(troubled, "show", str(troubled / BROKEN_UTF8), "-q").stderr == ""
    assert _run(troubled, "list", "--no-index", "-q").stderr == ""
    # Nothing was told, so it is still news.
    assert _told(_run(troubled, "list")) == [BROKEN_UTF8, UNDATED, NOT_AN_ARTICLE]


def test_files_left_out_by_a_filter_never_warn(troubled: Path) -> None:
    dated = _run(troubled, "list", "--since", "2024")
    # The undated article is filtered out; a file that is no article cannot be filtered.
    assert _told(dated) == [BROKEN_UTF8]
    assert dated.stderr.endswith(SUMMARY.format(3))
    searched = _run(troubled, "search", "金正恩", "--outlet", "德国之声")
    assert searched.stderr == SUMMARY.format(3)
    everything = _run(troubled, "list")  # what the filters kept back is news here
    assert _told(everything) == [UNDATED, NOT_AN_ARTICLE]


def test_without_the_index_one_summary_line(troubled: Path) -> None:
    for command in (["list"], ["search", "金正恩"], ["stats"]):
        without = _run(troubled, *command, "--no-index")
        assert without.stderr == SUMMARY.format(3), command
        assert without.stdout == _run(troubled, *command).stdout


def test_index_tells_new_problems_and_check_lists_every_one(troubled: Path) -> None:
    built = _run(troubled, "index")
    assert _told(built) == [BROKEN_UTF8, UNDATED, NOT_AN_ARTICLE]
    assert "5 files: 5 added" in built.stdout and "3 with problems" in built.stdout
    assert _run(troubled, "list").stderr == SUMMARY.format(3)
    checked = runner.invoke(cli.app, ["check", "--corpus", str(troubled), "--json"])
    assert checked.exit_code == 1
    listed = [
        item["path"] for items in json.loads(checked.stdout)["problems"].values() for item in items
    ]
    assert sorted(os.path.basename(path) for path in listed) == [
        BROKEN_UTF8,
        UNDATED,
        NOT_AN_ARTICLE,
    ]


def test_a_broken_link_is_told_once_and_again_when_it_comes_back(troubled: Path) -> None:
    link = troubled / "gone.txt"
    link.symlink_to(troubled / "nowhere.txt")
    assert "gone.txt" in _told(_run(troubled, "list"))
    assert _run(troubled, "list").stderr == SUMMARY.format(4)
    link.unlink()
    assert _run(troubled, "list").stderr == SUMMARY.format(3)
    link.symlink_to(troubled / "nowhere.txt")
    assert _told(_run(troubled, "list")) == ["gone.txt"]


def test_one_file_with_a_problem_reads_well(seeds_copy: Path) -> None:
    (seeds_copy / NOT_AN_ARTICLE).write_bytes(b"<!--1660528023000-->\n")
    _run(seeds_copy, "list")
    assert _run(seeds_copy, "list").stderr == (
        "newscli: warning: 1 file has problems; newscli check lists them\n"
    )


def test_a_first_build_tells_at_most_fifty(tmp_path: Path) -> None:
    for number in range(60):
        (tmp_path / f"empty-{number:02d}.txt").write_bytes(b"")
    first = runner.invoke(cli.app, ["list", "--corpus", str(tmp_path)])
    lines = first.stderr.splitlines()
    assert len(lines) == 51 and lines[-1] == SUMMARY.format(60).strip()
    # The ten beyond the fifty were counted, so they are no news either.
    assert runner.invoke(cli.app, ["list", "--corpus", str(tmp_path)]).stderr == SUMMARY.format(60)


@pytest.mark.parametrize("window", [1, 7, 256])
def test_newest_matches_equal_the_full_count_newest_first(corpus_slice: Path, window: int) -> None:
    loaded = load_corpus(corpus_slice)
    index = Index(loaded.root)
    index.refresh(loaded)
    summaries = index.summaries()
    for text, options in [*QUERIES, ("的", {}), ("一二三四五六七八九十", {})]:
        matcher = Matcher(text, **options)
        counted = index.count_matches(matcher, newest_first=True)
        assert list(index.newest_matches(matcher, window=window)) == counted, text
        # The shared rule: newest first, ties and undated ones by path (as list orders).
        ranked = {item.id: place for place, item in enumerate(summaries)}
        assert [ranked[i] for i, _ in counted] == sorted(ranked[i] for i, _ in counted)
    index.close()


def test_a_reader_that_stops_early_reads_only_the_newest(
    corpus_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # search 的 --max-results 3 counted 的 in every article and sorted them all (17.8 s at
    # 34k, then 0.9 s); the newest articles hold it, so nothing else need be read.
    import newscli.index as index_module

    loaded = load_corpus(corpus_slice)
    index = Index(loaded.root)
    index.refresh(loaded)
    full = index.count_matches(Matcher("的"), newest_first=True)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the whole text was counted")

    monkeypatch.setattr(index_module, "_count", refuse)
    first = list(islice(index.newest_matches(Matcher("的"), window=16), 3))
    assert first == full[:3]
    index.close()
    result = runner.invoke(
        cli.app, ["search", "的", "--max-results", "3", "-l", "--corpus", str(corpus_slice)]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.split("\n")[:-1] == [article_id[:10] for article_id, _ in full[:3]]


# --- freshness: the saved folder state vouches for a fresh index; the opt-in folders mode ---


@pytest.fixture
def settled_seeds(seeds_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The seeds, changed long enough ago to be trusted (0.1 s for folders, here)."""
    from newscli import corpus as corpus_module

    monkeypatch.setattr(corpus_module, "RACY_NS", 100_000_000)
    monkeypatch.delenv("NEWSCLI_FRESHNESS", raising=False)
    backdate(seeds_copy.rglob("*.txt"))
    return seeds_copy


def _append(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as handle:  # `>>`: its folder keeps its times
        handle.write(text)
    backdate([path])


def test_a_fresh_index_is_found_fresh_without_listing_the_files(
    settled_seeds: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newscli import corpus as corpus_module

    assert _ids(settled_seeds, "防卫互助协定") == ["dc6d1d42a4"]  # builds, saves the state
    stats_of = corpus_module.Scan.stats

    def refused(scan: corpus_module.Scan) -> dict[str, tuple[int, int]]:
        raise AssertionError("a fresh index needs no dict of the files")

    monkeypatch.setattr(corpus_module.Scan, "stats", property(refused))
    assert _ids(settled_seeds, "防卫互助协定") == ["dc6d1d42a4"]
    monkeypatch.setattr(corpus_module.Scan, "stats", stats_of)
    _append(settled_seeds / "000_a72835dd61d86983.txt", "<p>追加一句独一无二</p>")
    assert _ids(settled_seeds, "独一无二") == ["38cea08e8c"]  # the default sees `>>`
    assert _ids(settled_seeds, "独一无二") == _ids_without_index(settled_seeds, "独一无二")


def _ids_without_index(corpus: Path, query: str) -> list[str]:
    result = runner.invoke(cli.app, ["search", "-l", query, "--no-index", "--corpus", str(corpus)])
    return result.stdout.split()


def test_folders_freshness_is_opt_in_and_blind_to_an_edit_in_place(
    settled_seeds: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _ids(settled_seeds, "防卫互助协定") == ["dc6d1d42a4"]
    monkeypatch.setenv("NEWSCLI_FRESHNESS", "folders")
    assert _ids(settled_seeds, "防卫互助协定") == ["dc6d1d42a4"]
    # Its known blind spot: an edit in place changes the file, not its folder.
    _append(settled_seeds / "000_a72835dd61d86983.txt", "<p>追加一句独一无二</p>")
    assert _ids(settled_seeds, "独一无二") == []
    assert _ids_without_index(settled_seeds, "独一无二") == ["38cea08e8c"]
    # What changes a folder it sees: an added file.
    _add_an_article(settled_seeds)
    assert len(_ids(settled_seeds, "防卫互助协定")) == 2
    # `index` (and check) always stat every file, whatever the mode.
    result = runner.invoke(cli.app, ["index", "--corpus", str(settled_seeds)])
    assert result.exit_code == 0 and "1 changed" in result.stdout, result.output
    time.sleep(0.2)  # the folders changed above settle (a racy folder is listed again)
    assert _ids(settled_seeds, "独一无二") == ["38cea08e8c"]
    # The default mode sees the next edit in place.
    _append(settled_seeds / "000_a72835dd61d86983.txt", "<p>再加一句绝无仅有</p>")
    assert _ids(settled_seeds, "绝无仅有") == []
    monkeypatch.setenv("NEWSCLI_FRESHNESS", "files")
    assert _ids(settled_seeds, "绝无仅有") == ["38cea08e8c"]


def test_an_unknown_freshness_mode_is_one_line(
    seeds_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSCLI_FRESHNESS", "sometimes")
    result = runner.invoke(cli.app, ["search", "-l", "的", "--corpus", str(seeds_copy)])
    assert result.exit_code != 0
    assert result.stderr.strip().splitlines() == [
        "newscli: $NEWSCLI_FRESHNESS: unknown freshness mode 'sometimes' (use files or folders)"
    ]


# --- search's snippets: printed as found, from the text file alone ----------------------------


@pytest.mark.parametrize("batch", [1, 5, 64])
def test_newest_texts_are_the_matches_newest_first_without_a_count(
    corpus_slice: Path, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    """search prints as it finds: the stored texts of the matches, newest first, batch by
    batch, without counting every article first, and with no stored row (JSON) decoded:
    the text as written comes from the text file."""
    import newscli.index as index_module

    loaded = load_corpus(corpus_slice)
    index = Index(loaded.root)
    index.refresh(loaded)
    queries = [*QUERIES, ("的", {}), ("台灣", {}), ("一二三四五六七八九十", {})]
    expected = {}
    for text, options in queries:
        ids = [article_id for article_id, _ in index.count_matches(Matcher(text, **options))]
        expected[text] = (index.newest_first(ids), index.texts(ids))

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("counted before printing, or a stored row decoded")

    monkeypatch.setattr(index_module, "_count", refuse)
    monkeypatch.setattr(index_module.Article, "from_dict", refuse)
    monkeypatch.setattr(index_module, "TEXT_BATCH", batch)
    written = 0  # matches of 台灣 whose text as written is not the normalized text
    for text, options in queries:
        matcher = Matcher(text, **options)
        given = list(index.newest_texts(matcher))
        # (and maybe a few the posting list could not rule out: search finds the hits)
        got = [stored for stored in given if matcher.find(matcher.fold(stored.normalized))]
        ids, texts = expected[text]
        assert [stored.summary.id for stored in got] == ids, text
        assert got == [texts[article_id] for article_id in ids], text
        if text == "台灣":
            written = sum(stored.text != stored.normalized for stored in got)
    assert written > 0  # traditional articles: their text as written came back too
    index.close()


def test_texts_as_written_are_the_articles_text(corpus_slice: Path) -> None:
    """The text file's copy of each text as written is the article's text (traditional ones
    included), and the same bytes are not stored twice."""
    loaded = load_corpus(corpus_slice)
    index = Index(loaded.root)
    index.refresh(loaded)
    articles = {article.id: article for article in load_articles(loaded).articles}
    stored = index.texts(list(articles))
    assert {key: value.text for key, value in stored.items()} == {
        key: article.text for key, article in articles.items()
    }
    differing = sum(value.text != value.normalized for value in stored.values())
    assert 0 < differing < len(stored)
    index.close()


def test_a_damaged_text_as_written_rebuilds_and_search_answers_right(
    corpus_slice: Path, tmp_path: Path
) -> None:
    """A flipped byte in a trailer (the text as written, which only snippets read): one
    warning, the index rebuilt, and the same lines as the files give."""
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_slice, corpus)
    backdate(p for p in corpus.rglob("*") if p.is_file())
    loaded = load_corpus(corpus)
    index = Index(loaded.root)
    index.refresh(loaded)
    matching = [article_id for article_id, _ in index.count_matches(Matcher("台灣"))]
    offset, length = next(
        row[1:]
        for article_id in matching
        for row in index.db.execute(
            "SELECT script, text_offset, text_length FROM articles WHERE id = ?", (article_id,)
        )
        if row[0] == "traditional"
    )
    text_path = index.cache.text_path
    index.close()
    data = bytearray(text_path.read_bytes())
    trailer_at = offset + length + 1 + 8
    assert int.from_bytes(data[offset + length + 1 : trailer_at - 4], "little")  # one is there
    data[trailer_at + 1] ^= 0x01
    text_path.write_bytes(bytes(data))
    arguments = ["search", "台灣", "--corpus", str(corpus)]
    indexed = runner.invoke(cli.app, arguments)
    files = runner.invoke(cli.app, [*arguments, "--no-index"])
    assert indexed.exit_code == files.exit_code == 0
    assert indexed.stdout == files.stdout
    assert sum("damaged" in line for line in indexed.stderr.splitlines()) == 1


def test_the_stored_article_is_the_last_column(corpus_slice: Path) -> None:
    """A summary (list, search's headers) is read without walking the stored article's
    overflow pages: SQLite reads a row's columns in order, so the JSON comes last."""
    loaded = load_corpus(corpus_slice)
    index = Index(loaded.root)
    index.refresh(loaded)
    columns = [row[1] for row in index.db.execute("PRAGMA table_info(articles)")]
    assert columns[-1] == "data"
    index.close()


def _add_an_article(root: Path) -> Path:
    """A new file in a new subfolder, holding 防卫互助协定 (as one seed does); its path."""
    extra = root / "sub" / "new.txt"
    extra.parent.mkdir()
    extra.write_text(
        "<!--1700000000000-->\n[新文章](https://x.org/1)\n------\n<p>防卫互助协定全文</p>",
        encoding="utf-8",
    )
    return extra
