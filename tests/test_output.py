"""Writing the user's files: atomic, never over an existing file unasked, umask honoured."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from newscli.output import OutputError, write_text


@pytest.fixture
def umask() -> Iterator[None]:
    saved = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(saved)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_gets_the_umask_not_0600(tmp_path: Path, umask: None) -> None:
    target = write_text(tmp_path / "a.txt", "朝鮮官媒\n")
    assert _mode(target) == 0o640  # 0666 less umask 027
    assert target.read_text(encoding="utf-8") == "朝鮮官媒\n"
    os.umask(0o002)
    assert _mode(write_text(tmp_path / "b.txt", "x")) == 0o664


def test_an_overwritten_file_keeps_its_permissions(tmp_path: Path, umask: None) -> None:
    target = tmp_path / "a.txt"
    target.write_text("mine", encoding="utf-8")
    target.chmod(0o604)
    with pytest.raises(OutputError, match="already exists"):
        write_text(target, "theirs")
    assert target.read_text(encoding="utf-8") == "mine"
    write_text(target, "theirs", force=True)
    assert (_mode(target), target.read_text(encoding="utf-8")) == (0o604, "theirs")
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]  # no temporary file left


def test_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="is a folder"):
        write_text(tmp_path, "x")
    with pytest.raises(OutputError, match="does not exist"):
        write_text(tmp_path / "no" / "a.txt", "x")


def test_export_names_are_safe(tmp_path: Path) -> None:
    from newscli.article import Article
    from newscli.output import export_name

    hostile = Article(
        id="0123456789abcdef", path="x", title='a/b\\c:d*e?f"g<h>i|j\x1b\u202e ' + "长" * 200 + " ."
    )
    name = export_name(hostile, "txt")
    assert name.startswith("undated_0123456789_a b c d e f g h i j")
    assert not set('/\\:*?"<>|\x1b\u202e') & set(name)
    assert len(name.encode()) <= 160 and name.endswith(".txt")
    (tmp_path / name).write_text("ok")
