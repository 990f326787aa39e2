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
