"""Writing the user's output files: atomically, and never over an existing file unasked."""

from __future__ import annotations

import os
import re
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
    if target.exists() and not force:
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
        if not force and target.exists():
            raise OutputError(f"{target}: already exists (use --force to overwrite)")
        os.chmod(temporary, _mode_for(target))
        os.replace(temporary, target)
    except OSError as error:
        raise OutputError(f"{target}: cannot write: {error.strerror or error}") from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
