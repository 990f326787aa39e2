"""The folder walk: with the folders of the last scan, it finds exactly what a full walk finds."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import SEED_000, SEEDS, backdate, rewrite_same_size

from newscli import corpus as corpus_module
from newscli.corpus import FolderState, Scan, decode, scan


def _tree(root: Path, folders: int = 12) -> None:
    for number in range(folders):
        folder = root / f"day-{number:02d}" / ("deeper" if number % 3 else "")
        folder.mkdir(parents=True, exist_ok=True)
        for seed in SEEDS.iterdir():
            shutil.copy(seed, folder / f"{number}-{seed.name}")
        (folder / "notes.json").write_text("{}")


def _found(found: Scan) -> tuple:  # type: ignore[type-arg]
    return found.stats, sorted(map(str, found.problems)), found.ignored


def test_a_linked_folder_and_a_loop_are_walked_once(tmp_path: Path) -> None:
    _tree(tmp_path)
    os.symlink(tmp_path / "day-01", tmp_path / "day-07" / "deeper" / "again")  # twice
    os.symlink(tmp_path, tmp_path / "day-05" / "deeper" / "loop")  # and a loop
    first = scan(tmp_path)
    assert len(first.stats) == 24 and first.ignored == 12  # each folder walked once
    assert _found(scan(tmp_path, first.folders)) == _found(first)


def test_broken_link_is_a_problem(tmp_path: Path) -> None:
    _tree(tmp_path)
    os.symlink(tmp_path / "nowhere.txt", tmp_path / "day-04" / "deeper" / "broken.txt")
    found = scan(tmp_path)
    assert [p.reason for p in found.problems] == ["broken symbolic link"]
    again = scan(tmp_path, found.folders)
    assert [p.reason for p in again.problems] == ["broken symbolic link"]


# --- the hybrid: folders listed again only when changed, files stat-ed every time ---------


@pytest.fixture
def settled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tree whose folders were last changed long enough ago (here 0.1 s) to be trusted."""
    monkeypatch.setattr(corpus_module, "RACY_NS", 100_000_000)
    _tree(tmp_path)
    (tmp_path / "day-02" / "old").mkdir()
    shutil.copy(SEEDS / "000_a72835dd61d86983.txt", tmp_path / "day-02" / "old" / "x.txt")
    backdate(tmp_path.rglob("*.txt"))  # and files last changed a minute ago
    return tmp_path


def _same_size_edit(path: Path) -> None:
    rewrite_same_size(path, "獭")


def _replace_folder(folder: Path) -> None:
    """rm -r and a new folder of the same name with the same files and mtime (cp -a)."""
    info = folder.stat()
    copy = folder.with_name(folder.name + ".new")
    shutil.copytree(folder, copy)
    shutil.rmtree(folder)
    (copy / "1-002_7f245f662d01c087.txt").unlink()
    copy.rename(folder)
    os.utime(folder, ns=(info.st_atime_ns, info.st_mtime_ns))


def _make_subfolder(root: Path) -> None:
    (root / "day-03" / "new").mkdir()
    shutil.copy(SEEDS / "000_a72835dd61d86983.txt", root / "day-03" / "new" / "n.txt")


def _file_becomes_folder(root: Path) -> None:
    path = root / "day-00" / "0-000_a72835dd61d86983.txt"
    path.unlink()
    path.mkdir()
    shutil.copy(SEEDS / "000_a72835dd61d86983.txt", path / "inside.md")


def _retarget_link(root: Path) -> None:
    os.unlink(root / "day-06" / "link.txt")
    os.symlink(
        root / "day-01" / "deeper" / "1-002_7f245f662d01c087.txt", root / "day-06" / "link.txt"
    )


def _folder_to_broken_link(root: Path) -> None:
    shutil.rmtree(root / "day-04" / "deeper")
    os.symlink(root / "nowhere", root / "day-04" / "deeper")


def _append(path: Path) -> None:
    with open(path, "ab") as handle:
        handle.write("\n追加的一段。\n".encode())


EDITS: dict[str, Callable[[Path], object]] = {
    "add": lambda root: shutil.copy(SEEDS / "000_a72835dd61d86983.txt", root / "day-00" / "n.md"),
    "delete": lambda root: (root / "day-00" / "0-000_a72835dd61d86983.txt").unlink(),
    "rename": lambda root: (root / "day-00" / "0-000_a72835dd61d86983.txt").rename(
        root / "day-00" / "renamed.txt"
    ),
    "new subfolder": _make_subfolder,
    "append": lambda root: _append(root / "day-04" / "deeper" / "4-000_a72835dd61d86983.txt"),
    "truncate and write": lambda root: _same_size_edit(
        root / "day-00" / "0-000_a72835dd61d86983.txt"
    ),
    "cp over": lambda root: shutil.copyfile(
        SEEDS / "002_7f245f662d01c087.txt", root / "day-00" / "0-000_a72835dd61d86983.txt"
    ),
    "touch": lambda root: (root / "day-02" / "old" / "x.txt").touch(),
    "folder replaced": lambda root: _replace_folder(root / "day-01" / "deeper"),
    "file becomes folder": _file_becomes_folder,
    "link retargeted": _retarget_link,
    "linked file edited": lambda root: _append(root / "day-00" / "0-000_a72835dd61d86983.txt"),
    "folder becomes a broken link": _folder_to_broken_link,
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_a_scan_with_the_last_folders_finds_what_a_full_walk_finds(
    settled: Path, edit: str
) -> None:
    os.symlink(settled / "day-00" / "0-000_a72835dd61d86983.txt", settled / "day-06" / "link.txt")
    time.sleep(0.2)
    first = scan(settled)
    assert first.folders is not None and len(first.folders.folders) == 22  # all trusted
    assert _found(scan(settled, first.folders)) == _found(first)
    EDITS[edit](settled)
    again = scan(settled, first.folders)
    assert _found(again) == _found(scan(settled)), edit
    assert _found(again) != _found(first), edit
    in_place = ("append", "truncate and write", "cp over", "touch", "linked file edited")
    assert again.listed == 0 if edit in in_place else 0 < again.listed <= 3


def test_unchanged_folders_are_not_listed_again(
    settled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed: list[object] = []
    real_scandir = os.scandir

    def spy(path: int) -> object:
        listed.append(path)
        return real_scandir(path)

    first = scan(settled)
    monkeypatch.setattr(os, "scandir", spy)
    again = scan(settled, first.folders)
    assert listed == [] and again.listed == 0
    assert _found(again) == _found(first)
    _append(settled / "day-02" / "old" / "x.txt")  # an edit in place: still no listing
    assert scan(settled, first.folders).stats != first.stats and listed == []
    shutil.copy(SEEDS / "000_a72835dd61d86983.txt", settled / "day-05" / "n.txt")
    assert len(scan(settled, first.folders).stats) == len(first.stats) + 1
    assert len(listed) == 1  # only the folder that changed


def test_a_folder_changed_too_recently_is_listed_again_next_time(tmp_path: Path) -> None:
    _tree(tmp_path)  # just made: within RACY_NS of the scan
    found = scan(tmp_path)
    assert found.folders is not None and len(found.folders.folders) == 21
    assert {record[2] for record in found.folders.folders.values()} == {-1}  # untrusted
    assert scan(tmp_path, found.folders).listed == found.listed == 21


def test_a_file_changed_too_recently_is_racy(tmp_path: Path) -> None:
    _tree(tmp_path, folders=1)
    old = tmp_path / "day-00" / "0-000_a72835dd61d86983.txt"
    info = old.stat()
    os.utime(old, ns=(info.st_atime_ns, info.st_mtime_ns - 60 * 10**9))
    assert scan(tmp_path).racy == ["day-00/0-002_7f245f662d01c087.txt"]
    # Far in the future is not racy (an edit would set it to now): not parsed every time.
    os.utime(old, ns=(info.st_atime_ns, info.st_mtime_ns + 3600 * 10**9))
    assert scan(tmp_path).racy == ["day-00/0-002_7f245f662d01c087.txt"]


def test_a_damaged_folder_state_means_walking_everything(tmp_path: Path) -> None:
    _tree(tmp_path)
    for data in (b"", b"garbage", FolderState({"": (1, 2, 3, 4, "x", "", "", 0)}).dumps()[:-3]):
        assert FolderState.loads(data) is None
    assert FolderState.loads(FolderState({"": (1, 2, 3, 4, 5, "", "", 0)}).dumps()) is None  # type: ignore[dict-item]


def test_utf8_with_a_few_bad_bytes_is_not_taken_for_gb18030() -> None:
    decoded = decode(SEED_000[:500] + b"\x80" + SEED_000[500:], "x.txt")
    assert decoded.encoding == "utf-8"
    assert "朝鮮官媒" in decoded.text and len(decoded.problems) == 1


def test_symlink_loop_is_walked_once(tmp_path: Path) -> None:
    shutil.copytree(SEEDS, tmp_path / "c")
    os.symlink(tmp_path / "c", tmp_path / "c" / "again")
    assert len(scan(tmp_path / "c").stats) == 2


def test_a_known_file_gone_from_an_unchanged_folder_means_listing_it_again(
    settled: Path,
) -> None:
    first = scan(settled)
    assert first.folders is not None
    folders = dict(first.folders.folders)
    record = folders["day-00/"]  # a state that claims one more file than the folder holds
    folders["day-00/"] = (*record[:4], record[4] + "\0ghost.txt", *record[5:])
    again = scan(settled, FolderState(folders))
    assert _found(again) == _found(first) and again.listed == 1


def _replace_keeping_size_and_mtime(path: Path) -> None:
    """cp -p, an edit of the same size, touch -r, mv: only the inode tells."""
    info = path.stat()
    copy = path.with_name("copy.tmp")
    data = path.read_bytes()
    copy.write_bytes(data.replace("的".encode(), "獭".encode(), 1))
    os.utime(copy, ns=(info.st_atime_ns, info.st_mtime_ns))
    os.replace(copy, path)
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (info.st_size, info.st_mtime_ns)


def test_a_file_replaced_by_a_rename_is_known_by_its_inode(settled: Path) -> None:
    first = scan(settled)
    assert first.replaced == []
    _replace_keeping_size_and_mtime(settled / "day-02" / "old" / "x.txt")
    again = scan(settled, first.folders)
    assert again.stats == first.stats and again.replaced == ["day-02/old/x.txt"]
    assert again.folders is not None and scan(settled, again.folders).replaced == []


# --- each file's record: an unchanged file is only compared; the opt-in trust_folders ----


def _append_in_place(path: Path, text: str) -> None:
    """`>>`: the file changes, its folder does not (then made older than the racy window)."""
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text)
    backdate([path])


def test_an_unchanged_tree_is_unchanged_and_an_edit_in_place_is_a_change(settled: Path) -> None:
    first = scan(settled)
    assert first.changed  # nothing to compare with
    again = scan(settled, first.folders)
    assert not again.changed and again.listed == 0 and again.count == len(first.stats) == 25
    assert again.stats == first.stats  # made from the records, only when asked
    _append_in_place(settled / "day-02" / "old" / "x.txt", "<p>追加</p>")
    edited = scan(settled, again.folders)
    assert edited.changed and edited.listed == 0  # its folder is unchanged: not listed
    size, _ = first.stats["day-02/old/x.txt"]
    assert edited.stats["day-02/old/x.txt"][0] == size + len("<p>追加</p>".encode())
    assert _found(edited) == _found(scan(settled))
    assert not scan(settled, edited.folders).changed  # its record holds the edit now


def test_a_racy_file_is_recorded_as_racy_so_the_next_scan_finds_it_changed(
    settled: Path,
) -> None:
    first = scan(settled)
    path = settled / "day-00" / "0-002_7f245f662d01c087.txt"
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("<p>追加</p>")  # just now: within the racy window
    racy = scan(settled, first.folders)
    assert racy.racy == ["day-00/0-002_7f245f662d01c087.txt"] and racy.changed
    assert racy.stats == scan(settled).stats  # its stat as it is now, though recorded racy
    time.sleep(0.15)  # no longer racy, unchanged since: found changed once more
    assert scan(settled, racy.folders).changed


def test_trusting_folders_sees_added_deleted_and_renamed_files(settled: Path) -> None:
    first = scan(settled)
    assert first.folders is not None
    trusted = scan(settled, first.folders, trust_folders=True)
    assert not trusted.changed and trusted.trusted == len(first.folders.folders)
    assert trusted.stats == first.stats
    shutil.copy(SEEDS / "000_a72835dd61d86983.txt", settled / "day-03" / "added.txt")
    (settled / "day-04" / "deeper" / "4-000_a72835dd61d86983.txt").unlink()
    (settled / "day-05" / "deeper" / "5-002_7f245f662d01c087.txt").rename(
        settled / "day-06" / "renamed.txt"
    )
    state = trusted.folders
    for _ in range(2):  # just changed (folders racy), then settled
        found = scan(settled, state, trust_folders=True)
        assert found.changed and _found(found) == _found(scan(settled))
        state = found.folders
        time.sleep(0.15)
    assert "day-03/added.txt" in found.stats and "day-06/renamed.txt" in found.stats
    assert "day-04/deeper/4-000_a72835dd61d86983.txt" not in found.stats


def test_trusting_folders_is_blind_to_an_edit_in_place_and_the_default_is_not(
    settled: Path,
) -> None:
    """The known blind spot of the opt-in mode: `>>` (or truncate-and-write, `cp` over a
    file, `touch`) changes a file and not its folder."""
    first = scan(settled)
    _append_in_place(settled / "day-02" / "old" / "x.txt", "<p>追加</p>")
    blind = scan(settled, first.folders, trust_folders=True)
    assert not blind.changed and blind.stats == first.stats
    exact = scan(settled, first.folders)
    assert exact.changed and exact.stats != first.stats
    assert _found(exact) == _found(scan(settled))
