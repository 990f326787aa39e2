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


def test_a_dangling_symlink_is_an_existing_file(tmp_path: Path) -> None:
    link = tmp_path / "out.txt"
    link.symlink_to(tmp_path / "nowhere" / "x.txt")
    with pytest.raises(OutputError, match="already exists"):
        write_text(link, "x")
    assert link.is_symlink() and not (tmp_path / "nowhere").exists()
    write_text(link, "朝鮮", force=True)  # asked for: the link is replaced, nothing followed
    assert not link.is_symlink() and link.read_text(encoding="utf-8") == "朝鮮"
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize("force", [False, True])
def test_a_fifo_is_written_as_a_stream_never_replaced(tmp_path: Path, force: bool) -> None:
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    write_text(fifo, "朝鮮官媒\n", force=force)
    reader.join(timeout=30)
    assert received == ["朝鮮官媒\n".encode()]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]  # no temporary file beside it


def test_a_character_device_is_written_into_not_replaced() -> None:
    before = os.stat(os.devnull)
    write_text(os.devnull, "x")  # exists, but is a device: a stream, no --force needed
    after = os.stat(os.devnull)
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino


def test_a_socket_is_refused_in_one_line(tmp_path: Path) -> None:
    import socket

    path = tmp_path / "s"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        for force in (False, True):
            with pytest.raises(OutputError, match="is a socket"):
                write_text(path, "x", force=force)
        assert stat.S_ISSOCK(os.lstat(path).st_mode)


def test_dash_is_stdout() -> None:
    from typer.testing import CliRunner

    from newscli import cli

    result = CliRunner().invoke(cli.app, ["convert", "--all", "--to", "jsonl", "-o", "-"])
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.strip().split("\n")) == 2  # the two seeds, on stdout
    assert not Path("-").exists()
