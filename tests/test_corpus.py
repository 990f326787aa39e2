"""The folder walk: the two-process scan finds exactly what a one-process walk finds."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import SEED_000, SEEDS

from newscli import corpus as corpus_module
from newscli.corpus import decode, scan


def _tree(root: Path, folders: int = 12) -> None:
    for number in range(folders):
        folder = root / f"day-{number:02d}" / ("deeper" if number % 3 else "")
        folder.mkdir(parents=True, exist_ok=True)
        for seed in SEEDS.iterdir():
            shutil.copy(seed, folder / f"{number}-{seed.name}")
        (folder / "notes.json").write_text("{}")


def _serial(root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple:  # type: ignore[type-arg]
    with monkeypatch.context() as patch:
        patch.setattr(corpus_module, "PARALLEL_FOLDERS", 10**9)
        found = scan(root)
    return found.stats, sorted(map(str, found.problems)), found.ignored


def _parallel(root: Path) -> tuple:  # type: ignore[type-arg]
    found = scan(root)
    return found.stats, sorted(map(str, found.problems)), found.ignored


def test_two_process_scan_equals_one_process_walk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tree(tmp_path)
    forks = []
    real_fork = os.fork
    monkeypatch.setattr(os, "fork", lambda: forks.append(1) or real_fork())
    parallel = _parallel(tmp_path)
    assert forks, "a tree this wide should be shared with a second process"
    assert parallel == _serial(tmp_path, monkeypatch)
    assert len(parallel[0]) == 24 and parallel[2] == 12


def test_a_linked_folder_anywhere_means_one_exact_walk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tree(tmp_path)
    os.symlink(
        tmp_path / "day-01", tmp_path / "day-07" / "deeper" / "again"
    )  # the same folder twice
    os.symlink(tmp_path, tmp_path / "day-05" / "deeper" / "loop")  # and a loop
    assert _parallel(tmp_path) == _serial(tmp_path, monkeypatch)
    assert len(_parallel(tmp_path)[0]) == 24  # each folder walked once


def test_broken_link_found_by_the_second_process_is_a_problem(tmp_path: Path) -> None:
    _tree(tmp_path)
    os.symlink(tmp_path / "nowhere.txt", tmp_path / "day-04" / "deeper" / "broken.txt")
    found = scan(tmp_path)
    assert [p.reason for p in found.problems] == ["broken symbolic link"]


def test_utf8_with_a_few_bad_bytes_is_not_taken_for_gb18030() -> None:
    decoded = decode(SEED_000[:500] + b"\x80" + SEED_000[500:], "x.txt")
    assert decoded.encoding == "utf-8"
    assert "朝鮮官媒" in decoded.text and len(decoded.problems) == 1


def test_symlink_loop_is_walked_once(tmp_path: Path) -> None:
    shutil.copytree(SEEDS, tmp_path / "c")
    os.symlink(tmp_path / "c", tmp_path / "c" / "again")
    assert len(scan(tmp_path / "c").stats) == 2
