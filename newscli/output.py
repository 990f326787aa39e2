"""Writing the user's output files: atomically, and never over an existing file unasked."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class OutputError(Exception):
    """The output file could not be written; the message names it and says why."""


def write_text(path: str | os.PathLike[str], text: str, *, force: bool = False) -> Path:
    """Write via a temporary file in the same folder and a rename: no half-written file."""
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
            stream.write(text)
        if not force and target.exists():
            raise OutputError(f"{target}: already exists (use --force to overwrite)")
        os.replace(temporary, target)
    except OSError as error:
        raise OutputError(f"{target}: cannot write: {error.strerror or error}") from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return target
