"""Refreshing the index: one process at a time builds; the others wait, and say so."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from newscli.cache import Cache, index_dir_for
from newscli.corpus import load_corpus
from newscli.index import Index


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
