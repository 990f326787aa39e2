"""Writing the user's output files: atomically, and never over an existing file unasked.

Only regular files are replaced. A FIFO or a character device (/dev/null, /dev/stdout,
a terminal) is written into as a stream, never replaced by a file; a block device or a
socket is refused; a symbolic link counts as an existing file even when it leads nowhere.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from newscli.article import Article

# Characters no file system of Windows, macOS or Linux takes well in a name, controls,
# and bidi overrides (a name must not read differently from what it is).
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*\u202a-\u202e\u2066-\u2069]+')
_TITLE_BYTES = 120  # most file systems allow 255 bytes; leave room for date, id, suffix


def export_name(article: Article, extension: str, full_id: bool = False) -> str:
    """A file name safe on every OS: published date, id, then as much title as fits."""
    from newscli.article import short_id

    title = _UNSAFE_NAME.sub(" ", article.title)
    title = " ".join(title.split()).strip(" .")
    while len(title.encode("utf-8", "surrogateescape")) > _TITLE_BYTES:
        title = title[:-1]
    title = title.rstrip(" .").encode("utf-8", "replace").decode("utf-8", "replace")
    day = article.published_at.strftime("%Y-%m-%d") if article.published_at else "undated"
    ident = article.id if full_id else short_id(article.id)
    return f"{day}_{ident}_{title}.{extension}" if title else f"{day}_{ident}.{extension}"


class OutputError(Exception):
    """The output file could not be written; the message names it and says why."""


def _mode_for(target: Path) -> int:
    """The permissions the file would have if written directly: an overwritten file keeps
    its own, a new one gets 0666 less the umask (mkstemp's temporary file is 0600)."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0o022)  # reading the umask means setting it: put it straight back
        os.umask(umask)
        return 0o666 & ~umask


def write_text(path: str | os.PathLike[str], text: str, *, force: bool = False) -> Path:
    """Write via a temporary file in the same folder and a rename: no half-written file."""
    with atomic_file(path, force=force) as stream:
        stream.write(text)
    return Path(path).expanduser()


@contextmanager
def atomic_file(path: str | os.PathLike[str], *, force: bool = False) -> Iterator[TextIO]:
    """A text stream into a temporary file beside `path`, renamed over it when the block
    ends without an error (and removed when it raises): written piece by piece, the file
    appears whole or not at all."""
    target = Path(path).expanduser()
    if target.is_dir():
        raise OutputError(f"{target}: is a folder")
    if _stream_target(target):
        with _write_stream(target) as into:
            yield into
        return
    if os.path.lexists(target) and not force:  # lexists: a dangling link is there too
        raise OutputError(f"{target}: already exists (use --force to overwrite)")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"{target}: folder {folder} does not exist")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as error:
        raise OutputError(f"{target}: cannot write here: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            yield stream
        if not force and os.path.lexists(target):
            raise OutputError(f"{target}: already exists (use --force to overwrite)")
        os.chmod(temporary, _mode_for(target))
        os.replace(temporary, target)
    except OSError as error:
        raise OutputError(f"{target}: cannot write: {error.strerror or error}") from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _stream_target(target: Path) -> bool:
    """True when target is a FIFO or a character device (written into, never replaced);
    an OutputError for other things that are not regular files or folders."""
    try:
        mode = target.stat().st_mode  # follows a link: /dev/stdout is one
    except OSError:
        return False  # nothing there (or a dangling link): a new file, by the usual rules
    if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
        return True
    if stat.S_ISBLK(mode):
        raise OutputError(f"{target}: is a block device; refusing to write to it")
    if stat.S_ISSOCK(mode):
        raise OutputError(f"{target}: is a socket; cannot write to it")
    return False


@contextmanager
def _write_stream(target: Path) -> Iterator[TextIO]:
    """A FIFO or a device, opened for writing as it is (no temporary file, no rename)."""
    try:
        with open(target, "w", encoding="utf-8", newline="\n") as handle:
            yield handle
    except OSError as error:
        raise OutputError(f"{target}: cannot write: {error.strerror or error}") from None
