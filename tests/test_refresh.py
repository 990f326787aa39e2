"""Refreshing the index: one process at a time builds; the others wait, and say so; every
change to the files is seen by the next command."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import SEEDS, backdate, rewrite_same_size

from newscli import corpus as corpus_module
from newscli.archive import Archive
from newscli.cache import Cache, index_dir_for
from newscli.corpus import load_corpus
from newscli.index import Index
from newscli.refresh import Refresh
from newscli.search import Matcher, Query
from newscli.textstore import Entries


def test_a_refresh_waits_for_the_build_lock_and_says_so_on_a_terminal(
    seeds_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = load_corpus(seeds_copy)
    holder = Cache(index_dir_for(corpus.root))  # another process's build, to flock
    done: list[int] = []

    def build() -> None:  # SQLite connections stay in their thread
        index = Index(corpus.root)
        done.append(index.refresh(corpus, lambda _done, _total: None).added)
        index.close()

    with holder.build_lock():
        worker = threading.Thread(target=build)
        worker.start()
        time.sleep(1)
        assert done == []  # still waiting
    worker.join(timeout=60)
    assert done == [2]  # then it built, once
    assert "waiting" in capsys.readouterr().err
    holder.close()


def test_without_a_terminal_the_wait_is_silent(
    seeds_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = load_corpus(seeds_copy)
    holder = Cache(index_dir_for(corpus.root))
    done: list[int] = []

    def build() -> None:
        index = Index(corpus.root)
        done.append(index.refresh(corpus).added)
        index.close()

    with holder.build_lock():
        worker = threading.Thread(target=build)
        worker.start()
        time.sleep(0.5)
    worker.join(timeout=60)
    assert done == [2]
    assert capsys.readouterr().err == ""
    holder.close()


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux's /proc")
def test_workers_end_when_newscli_is_killed(corpus_slice: Path, tmp_path: Path) -> None:
    """kill -9 of a building newscli must not leave its parsing workers behind."""
    import os
    import shutil
    import signal
    import subprocess
    import sys

    corpus = tmp_path / "corpus"
    for copy in range(12):  # enough files for the worker pool, and a build of some seconds
        shutil.copytree(corpus_slice, corpus / f"copy{copy}")
    env = {**os.environ, "NEWSCLI_CACHE_DIR": str(tmp_path / "cache")}
    build = subprocess.Popen(
        [sys.executable, "-m", "newscli", "index", "--corpus", str(corpus)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def children() -> set[int]:
        found: set[int] = set()
        for task in Path(f"/proc/{build.pid}/task").glob("*/children"):
            found.update(int(pid) for pid in task.read_text().split())
        return found

    deadline = time.monotonic() + 30
    workers: set[int] = set()
    while time.monotonic() < deadline and len(workers) < 2 and build.poll() is None:
        workers = children()
        time.sleep(0.05)
    assert len(workers) >= 2, "the build never started its workers"
    build.send_signal(signal.SIGKILL)
    build.wait()

    def alive(pid: int) -> bool:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, IndexError):
            return False
        return state != "Z"  # a zombie has ended; only its parent's reaping is left

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive(pid) for pid in workers):
        time.sleep(0.1)
    assert not any(alive(pid) for pid in workers)


# --- freshness: every change is seen by the next command --------------------------------

SEED = "000_a72835dd61d86983.txt"
OTHER = "002_7f245f662d01c087.txt"
MARK = "獭"  # in no seed; 3 bytes in UTF-8, as 的 is


def _answers(root: Path, use_index: bool) -> tuple[list[str], list[str], int]:
    """The ids of the articles holding MARK and of all articles, newest first, and a count."""
    with Archive(root, use_index=use_index) as archive:
        marked = [r.article.id for r in archive.search(Query((Matcher(MARK),)))]
        every = [r.article.id for r in archive.search(Query((Matcher("金正恩|，", regex=True),)))]
        return marked, every, archive.count()


def _seen_by_the_index(root: Path) -> tuple[list[str], list[str], int]:
    with_index = _answers(root, True)
    assert with_index == _answers(root, False)
    return with_index


@pytest.fixture
def settled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two folders of the seeds, changed long enough ago to be trusted (here 0.1 s for the
    folders; a minute for the files)."""
    monkeypatch.setattr(corpus_module, "RACY_NS", 100_000_000)
    root = tmp_path / "corpus"
    for folder in ("a", "b/deeper"):
        (root / folder).mkdir(parents=True)
        for seed in (SEED, OTHER):
            shutil.copy(SEEDS / seed, root / folder / seed)
    backdate(root.rglob("*.txt"))
    return root


def _rewrite_same_size(path: Path) -> None:
    rewrite_same_size(path, MARK)


def _append(path: Path) -> None:
    with open(path, "ab") as handle:
        handle.write(f"<p>{MARK}</p>\n".encode())


def _replace_folder(folder: Path) -> None:
    info = folder.stat()
    copy = folder.with_name("copy")
    shutil.copytree(folder, copy)
    shutil.rmtree(folder)
    (copy / OTHER).unlink()
    _append(copy / SEED)
    copy.rename(folder)
    os.utime(folder, ns=(info.st_atime_ns, info.st_mtime_ns))


def _replace_by_rename(path: Path) -> None:
    """cp -p, an edit of the same size, touch -r, mv: only the inode tells."""
    info = path.stat()
    copy = path.with_name("copy.tmp")
    shutil.copy2(path, copy)
    _rewrite_same_size(copy)
    os.utime(copy, ns=(info.st_atime_ns, info.st_mtime_ns))
    os.replace(copy, path)
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (info.st_size, info.st_mtime_ns)


def _new_subfolder(root: Path) -> None:
    (root / "a" / "new").mkdir()
    shutil.copy(SEEDS / SEED, root / "a" / "new" / "n.txt")


CHANGES: dict[str, Callable[[Path], object]] = {
    "add": lambda root: shutil.copy(SEEDS / SEED, root / "a" / "n.md"),
    "delete": lambda root: (root / "a" / SEED).unlink(),
    "rename": lambda root: (root / "a" / SEED).rename(root / "a" / "renamed.txt"),
    "new subfolder": _new_subfolder,
    ">> append": lambda root: _append(root / "b" / "deeper" / SEED),
    "truncate and write the same size": lambda root: _rewrite_same_size(root / "a" / SEED),
    "cp over": lambda root: shutil.copyfile(SEEDS / OTHER, root / "a" / SEED),
    "folder replaced": lambda root: _replace_folder(root / "b" / "deeper"),
    "replaced by a rename, same size and mtime": lambda root: _replace_by_rename(root / "a" / SEED),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_every_change_is_seen_by_the_next_command(settled: Path, change: str) -> None:
    before = _seen_by_the_index(settled)
    assert before[0] == [] and before[2] == 4
    CHANGES[change](settled)
    after = _seen_by_the_index(settled)
    assert after != before, change


def test_a_touched_file_is_parsed_again(settled: Path) -> None:
    corpus = load_corpus(settled)
    index = Index(corpus.root)
    assert index.refresh(corpus).added == 4
    (settled / "a" / SEED).touch()
    corpus = load_corpus(settled)
    stats = index.refresh(corpus)
    assert (stats.changed, stats.unchanged) == (1, 3)
    assert corpus.last_scan is not None and corpus.last_scan.listed == 0  # no folder listed
    index.close()


def test_unchanged_folders_are_not_listed_by_the_next_command(settled: Path) -> None:
    corpus = load_corpus(settled)
    index = Index(corpus.root)
    index.refresh(corpus)
    assert corpus.last_scan is not None and corpus.last_scan.listed == 4  # the first time
    again = load_corpus(settled)
    assert index.refresh(again).unchanged == 4
    assert again.last_scan is not None and again.last_scan.listed == 0
    (index.folder / "folders.marshal").write_bytes(b"NCS1damaged")  # then: walk everything
    damaged = load_corpus(settled)
    assert index.refresh(damaged).unchanged == 4
    assert damaged.last_scan is not None and damaged.last_scan.listed == 4
    index.close()


def test_an_edit_in_the_same_tick_as_the_last_scan_is_seen(seeds_copy: Path) -> None:
    """Racy: a file changed right before a scan may change again within the same timestamp
    tick, keeping its size and mtime (forced here with utime): it is parsed again."""
    path = seeds_copy / SEED
    path.write_bytes(path.read_bytes())  # just written: within RACY_NS of the next scan
    before = _seen_by_the_index(seeds_copy)
    assert before[0] == []
    info = path.stat()
    _rewrite_same_size(path)
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert path.stat().st_size == info.st_size
    assert _seen_by_the_index(seeds_copy)[0] != []


def test_a_file_old_enough_is_not_parsed_again(settled: Path) -> None:
    corpus = load_corpus(settled)
    index = Index(corpus.root)
    index.refresh(corpus)
    assert corpus.racy == []
    assert index.refresh(load_corpus(settled)).unchanged == 4
    index.close()


def test_a_replacement_seen_by_a_refresh_that_failed_is_seen_by_the_next(
    settled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The folder state is saved only after the refresh: else the new inode would be
    what the state knows while the index still holds the old text."""
    assert _seen_by_the_index(settled)[0] == []
    _replace_by_rename(settled / "a" / SEED)

    def fail(self: Refresh) -> None:
        raise OSError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(Refresh, "run", fail)
        corpus = load_corpus(settled)
        index = Index(corpus.root)
        with pytest.raises(OSError):
            index.refresh(corpus)
        index.close()
    assert _seen_by_the_index(settled)[0] != []


# --- memory: worker processes do not start with a copy of their parent's -------------------


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="needs Linux's /proc")
def test_workers_do_not_inherit_the_parents_memory(corpus_slice: Path, tmp_path: Path) -> None:
    """A forked worker starts with its parent's memory (at 200k files the scan and the
    entries: the posting workers peaked at 320 MB while the parent held 280 MB): the
    parse and posting workers are started afresh, so their peak is their own work."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(
        f"""
        import os, threading, time
        from pathlib import Path
        from newscli import postings, refresh
        from newscli.corpus import load_corpus
        from newscli.index import Index
        held = bytearray(300 * 1024 * 1024)  # the parent's memory, touched
        for at in range(0, len(held), 4096):
            held[at] = 1
        refresh.PARALLEL_FROM = 1
        postings.PART_DOCS = 16  # parts, built by workers
        # worker pid -> its VmHWM in MB (not getrusage: it counts the parent's memory for a
        # child started afresh too, as Linux keeps the high-water mark across exec)
        peaks = {{}}
        done = False
        def watch():
            while not done:
                for task in Path("/proc/self/task").iterdir():
                    for pid in (task / "children").read_text().split():
                        try:
                            status = Path(f"/proc/{{pid}}/status").read_text()
                            peak = int(status.split("VmHWM:")[1].split()[0]) // 1024
                        except (OSError, IndexError):
                            continue
                        peaks[pid] = peak  # the last seen: of the worker, after its exec
                time.sleep(0.005)
        watcher = threading.Thread(target=watch)
        watcher.start()
        corpus = load_corpus(Path({str(corpus_slice)!r}))
        index = Index(corpus.root)
        stats = index.refresh(corpus, workers=2)
        done = True
        watcher.join()
        assert stats.added == len(corpus), stats
        assert postings.open_current(index.cache) is not None
        print(len(peaks), max(peaks.values()))
        """
    )
    env = {**os.environ, "NEWSCLI_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    workers, peak = map(int, done.stdout.split())
    # Four start (two parsing, two building the posting file), but a short-lived one can
    # end between two looks on a loaded machine: one seen is enough, as a forked worker
    # would show the parent's 300 MB.
    assert workers >= 1
    assert peak < 200  # MB: each worker's own work (forked: over 300)


def _snapshots_match_the_tables(root: Path) -> str:
    """The snapshots equal what the tables say (files, entries and list's order), and the
    answers equal those without the index; the snapshots' state (meta snapshots_fresh)."""
    _seen_by_the_index(root)
    cache = Cache(index_dir_for(root.resolve()))
    try:
        entries, truth = cache.entries_snapshot(), cache.entries_from_tables()
        assert entries is not None and entries == truth
        assert list(entries.newest_order()) == list(truth.newest_order())
        files = cache.files_snapshot()
        assert files == {rel: (size, mtime) for rel, size, mtime in cache.files_rows()}
        assert files is not None and files.keys() == load_corpus(root).stats.keys()
        assert cache.damaged_snapshot is None
        return cache.meta("snapshots_fresh")
    finally:
        cache.close()


@pytest.mark.parametrize("compact", [False, True])
def test_a_refresh_of_a_few_files_patches_the_snapshots(
    settled: Path, monkeypatch: pytest.MonkeyPatch, compact: bool
) -> None:
    """A refresh of a few files takes them from the saved folder state (no dict of every
    file) and writes a delta of the files beside a linked base, and the entries patched:
    after adds, edits, deletes, renames and a new folder, each equals the tables. (A
    refresh that compacts the text file moves every entry: it writes them whole.)"""
    from newscli import refresh
    from newscli.cache import FULL, PATCHED

    monkeypatch.setattr(refresh, "COMPACT_WHEN_DEAD", 0.3 if compact else 2.0)

    assert _snapshots_match_the_tables(settled) == FULL  # a first build: whole
    steps: list[Callable[[Path], object]] = [
        CHANGES["add"],
        lambda root: _append(root / "b" / "deeper" / SEED),
        lambda root: (root / "a" / OTHER).unlink(),
        lambda root: (root / "b" / "deeper" / OTHER).rename(root / "b" / "renamed.md"),
        _new_subfolder,
        lambda root: _rewrite_same_size(root / "a" / "n.md"),
    ]
    states = []
    for step in steps:
        step(settled)
        states.append(_snapshots_match_the_tables(settled))
    assert (FULL in states) is compact and PATCHED in states
    marked, _, count = _seen_by_the_index(settled)
    assert count == 5 and len(marked) == 2


def test_a_large_change_writes_the_snapshots_whole(
    settled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newscli import refresh
    from newscli.cache import FULL, PATCHED

    _seen_by_the_index(settled)
    _append(settled / "a" / SEED)
    assert _snapshots_match_the_tables(settled) == PATCHED
    monkeypatch.setattr(refresh, "DELTA_MIN", 1)  # the delta holds 1 file: 2 is too many
    _append(settled / "a" / OTHER)
    assert _snapshots_match_the_tables(settled) == FULL


def test_a_damaged_files_delta_reads_the_tables_and_is_made_again(settled: Path) -> None:
    from newscli.cache import FULL, PATCHED

    _seen_by_the_index(settled)
    _append(settled / "a" / SEED)
    assert _snapshots_match_the_tables(settled) == PATCHED
    folder = index_dir_for(settled.resolve())
    (delta,) = folder.glob("snapshot-filesdelta-*.marshal")
    data = bytearray(delta.read_bytes())
    data[-2] ^= 0x5A
    delta.write_bytes(bytes(data))
    cache = Cache(folder)
    truth = {rel: (size, mtime) for rel, size, mtime in cache.files_rows()}
    assert cache.files() == truth  # from the tables
    assert cache.damaged_snapshot is not None and "filesdelta" in cache.damaged_snapshot[1]
    assert "made it again from the tables" in (cache.repair_snapshots() or "")
    assert cache.meta("snapshots_fresh") == FULL and cache.files_snapshot() == truth
    cache.close()
    _append(settled / "a" / OTHER)  # and the next refresh patches again
    assert _snapshots_match_the_tables(settled) == PATCHED


def test_a_refresh_without_the_folder_state_compares_every_file(settled: Path) -> None:
    """No saved folder state (or one saved for another index): every file is compared with
    the index's, and the snapshots are written whole."""
    from newscli.cache import FULL

    _seen_by_the_index(settled)
    (index_dir_for(settled.resolve()) / "folders.marshal").unlink()
    _append(settled / "a" / SEED)
    assert _snapshots_match_the_tables(settled) == FULL


def test_a_large_refresh_lets_go_of_the_scans_stats_before_writing(
    settled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first build does not hold the dict of every file's stats (~100 MB at 200k files)
    while it writes the snapshots and the posting file; asked again, the corpus makes it."""
    from newscli import refresh

    monkeypatch.setattr(refresh, "DELTA_MIN", 1)
    corpus = load_corpus(settled)
    index = Index(corpus.root)
    written: list[bool] = []
    save = Cache.save_snapshots

    def watched(cache: Cache, files: bytes | None = None, entries: Entries | None = None) -> None:
        assert corpus.last_scan is not None
        written.append(corpus.last_scan._stats is None)
        save(cache, files, entries)

    monkeypatch.setattr(Cache, "save_snapshots", watched)
    assert index.refresh(corpus).added == 4
    index.close()
    assert written == [True]
    assert sorted(corpus.stats) == sorted(load_corpus(settled).stats)


def test_a_folder_changed_by_no_article_leaves_the_index_as_it_is(settled: Path) -> None:
    """A folder listed again for a file that is no article: nothing to compare or write
    (the dict of every file's stats is not made), and the next scan finds it fresh."""
    corpus = load_corpus(settled)
    index = Index(corpus.root)
    index.refresh(corpus)
    serial = index.cache.meta("snapshot_serial")
    (settled / "a" / "notes.png").write_bytes(b"\x89PNG")
    time.sleep(0.2)  # the folder's new times are old enough to vouch for it (RACY_NS)
    again = load_corpus(settled)
    assert index.refresh(again).unchanged == 4
    assert again.last_scan is not None and again.last_scan._stats is None
    assert index.cache.meta("snapshot_serial") == serial
    third = load_corpus(settled)
    assert index.refresh(third).unchanged == 4
    assert third.last_scan is not None and not third.last_scan.changed
    index.close()


def test_a_deleted_articles_whole_region_counts_as_dead(
    settled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its text, NUL and trailer (summary and text as written) are dead once it is gone:
    with every article deleted, all of the text file is dead, so compaction comes when
    COMPACT_WHEN_DEAD says, not later."""
    from newscli import refresh

    monkeypatch.setattr(refresh, "COMPACT_WHEN_DEAD", 2.0)  # never: count, do not compact
    with Archive(settled) as archive:
        assert archive.count() == 4
    for path in settled.rglob("*.txt"):
        path.unlink()
    with Archive(settled) as archive:
        assert archive.count() == 0
    cache = Cache(index_dir_for(settled.resolve()))
    assert cache.meta_int("text_size") > 0
    assert cache.meta_int("dead_bytes") == cache.meta_int("text_size")


def test_a_refresh_of_a_part_lets_go_of_every_files_stats_before_parsing(
    settled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the snapshots cannot be patched (here: no saved folder state) and fewer than
    half the files changed, the files to parse keep their own signatures and the scan's
    dict of every file's stats is let go before the entries load and the files parse
    (10k files added at 200k: 350 → 297 MB); the answers stay those of --no-index."""
    from newscli import refresh

    with Archive(settled) as archive:
        archive.count()
    cache = Cache(index_dir_for(settled.resolve()))
    (cache.folder / "folders.marshal").unlink()  # the full comparison, not the delta
    cache.close()
    (settled / "a" / SEED).write_bytes((SEEDS / SEED).read_bytes() + f"<p>{MARK}</p>".encode())
    corpus = load_corpus(settled)
    held: list[bool] = []
    parse = refresh.Refresh._parse_and_store

    def watched(self: refresh.Refresh, todo: list[str]) -> None:
        assert corpus.last_scan is not None
        held.append(corpus.last_scan._stats is not None)
        parse(self, todo)

    monkeypatch.setattr(refresh.Refresh, "_parse_and_store", watched)
    index = Index(corpus.root)
    assert index.refresh(corpus).changed == 1
    index.close()
    assert held == [False]
    _seen_by_the_index(settled)
