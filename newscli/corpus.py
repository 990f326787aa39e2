"""Finding article files under a folder, giving them stable ids, reading and decoding them."""

from __future__ import annotations

import codecs
import hashlib
import os
import sys
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from newscli.article import Problem

ENV_CORPUS = "NEWSCLI_CORPUS"
ARTICLE_SUFFIXES = frozenset({".md", ".txt", ".markdown", ".html", ".htm"})
# How far into a file to look for the article layout before calling it "not an article".
SNIFF_BYTES = 4096


class CorpusError(Exception):
    """The corpus as a whole cannot be used (missing folder, not a folder…)."""


class SourceFile(NamedTuple):  # a tuple: made once per file on every command, so cheap
    path: str  # absolute path, as the file system spells it
    rel: str  # path relative to the corpus root, '/'-separated
    size: int
    mtime_ns: int

    @property
    def id(self) -> str:
        return article_id(self.rel)

    @property
    def stem(self) -> str:
        name = self.rel.rsplit("/", 1)[-1]
        return name.rsplit(".", 1)[0] if "." in name else name


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    problems: tuple[Problem, ...] = ()


def article_id(rel: str) -> str:
    """An id that stays the same as long as the file keeps its place in the corpus.

    64 bits, so two paths of one corpus never share one in practice; computed when
    needed, not for every file on every command. Any unique prefix finds the article.
    """
    raw = rel.encode("utf-8", "surrogateescape")  # os.fsencode, without its overhead
    return hashlib.blake2b(raw, digest_size=8).hexdigest()


def bundled_seeds() -> Path:
    """The two seed articles shipped with newscli: inside the wheel, or beside a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_seeds", here.parent / "seeds"):
        if candidate.is_dir():
            return candidate
    raise CorpusError("the bundled seeds folder is missing from this installation")


def resolve_root(path: str | os.PathLike[str] | None) -> Path:
    """--corpus, else $NEWSCLI_CORPUS, else the bundled seeds."""
    chosen = path if path not in (None, "") else os.environ.get(ENV_CORPUS) or None
    if chosen is None:
        return bundled_seeds()
    root = Path(chosen).expanduser()
    if not root.exists():
        raise CorpusError(f"{root}: no such file or folder")
    if not (root.is_dir() or root.is_file()):
        raise CorpusError(f"{root}: not a folder")
    return root.resolve()


@dataclass
class Scan:
    # rel → (size, mtime_ns): a plain dict, cheap to build and to compare with the index's
    stats: dict[str, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    ignored: int = 0  # files that are not articles (images, READMEs, hidden files…)


# With at least this many folders to share, two processes scan halves of the tree.
PARALLEL_FOLDERS = 8


def scan(root: Path) -> Scan:
    """Walk root recursively (following links, never twice into one folder).

    Stat-ing every file is most of what an up-to-date command costs, and Python's threads
    cannot share that work, so on Linux a large tree is split between this process and a
    forked one. That is exact only without symbolic links to folders (no loops, no folder
    reached twice), so if either side meets one, the whole tree is walked again serially."""
    result = Scan()
    if root.is_file():
        _add_file(result, str(root), root.name, os.stat(root))
        return result
    walker = _Walk(result)
    queue: deque[tuple[str, str]] = deque([(str(root), "")])
    while queue and len(queue) < PARALLEL_FOLDERS:
        walker.folder(*queue.popleft(), into=queue)
    if len(queue) >= PARALLEL_FOLDERS and not walker.linked_folders and _can_fork():
        pending = list(queue)
        child = _ChildScan(walker, pending[1::2])
        walker.drain(pending[0::2])
        theirs = child.collect()
        if theirs is not None and not walker.linked_folders:
            stats, problems, ignored = theirs
            result.stats.update(stats)
            result.problems.extend(Problem(*item) for item in problems)
            result.ignored += ignored
            return result
        result = Scan()  # a linked folder, or the child failed: walk it all in one process
        walker = _Walk(result)
        queue = deque([(str(root), "")])
    walker.drain(list(queue))
    return result


def _can_fork() -> bool:
    # Forking a process that runs other threads can copy their held locks into the child
    # (and Python 3.12+ warns about it): a library caller with threads gets the serial walk.
    import threading

    return (
        sys.platform.startswith("linux") and hasattr(os, "fork") and threading.active_count() == 1
    )


class _Walk:
    """Lists folders into a Scan; subfolders go onto a stack (no recursion limit)."""

    def __init__(self, result: Scan) -> None:
        self.result = result
        self.seen: set[tuple[int, int]] = set()  # (device, inode) of folders walked
        self.linked_folders = False  # met a symbolic link to a folder

    def drain(self, folders: list[tuple[str, str]]) -> None:
        stack = list(folders)
        while stack:
            self.folder(*stack.pop(), into=stack)

    def folder(
        self, folder: str, rel_prefix: str, into: deque[tuple[str, str]] | list[tuple[str, str]]
    ) -> None:
        result = self.result
        try:
            info = os.stat(folder)
        except OSError as error:
            result.problems.append(Problem(folder, _os_reason(error), "unreadable"))
            return
        key = (info.st_dev, info.st_ino)
        if key in self.seen:
            return  # a symlink loop, or a second link to a folder already walked
        self.seen.add(key)
        try:
            # Unsorted: order comes later (newest first, ties by path); sorting costs here.
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as error:
            result.problems.append(Problem(folder, _os_reason(error), "unreadable"))
            return
        stats = result.stats
        suffixes = ARTICLE_SUFFIXES
        for entry in entries:  # the hot loop of every command: kept lean on purpose
            name = entry.name
            if name[0] == ".":
                result.ignored += 1
                continue
            try:
                if entry.is_dir():  # from the listing (a stat only for symlinks)
                    if entry.is_symlink():
                        self.linked_folders = True
                    into.append((entry.path, rel_prefix + name + "/"))
                    continue
                dot = name.rfind(".")
                if dot <= 0 or name[dot:].lower() not in suffixes:
                    result.ignored += 1
                    continue
                info = entry.stat()  # follows symlinks
            except OSError as error:
                reason = "broken symbolic link" if entry.is_symlink() else _os_reason(error)
                result.problems.append(Problem(entry.path, reason, "unreadable"))
                continue
            if info.st_mode & 0o170000 == 0o100000:  # a regular file
                stats[rel_prefix + name] = (info.st_size, info.st_mtime_ns)
            else:
                result.ignored += 1


ChildResult = tuple[dict[str, tuple[int, int]], list[tuple[str, str, str]], int]


class _ChildScan:
    """A forked process walking some folders; collect() waits and returns what it found,
    or None if it met a linked folder or failed (the caller then walks serially)."""

    def __init__(self, parent: _Walk, folders: list[tuple[str, str]]) -> None:
        import marshal

        self.read_end, write_end = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the child: never returns
            code = 1
            try:
                os.close(self.read_end)
                found = Scan()
                child = _Walk(found)
                child.seen = set(parent.seen)
                child.drain(folders)
                problems = [(p.path, p.reason, p.kind) for p in found.problems]
                payload = marshal.dumps(
                    (found.stats, problems, found.ignored, child.linked_folders)
                )
                with os.fdopen(write_end, "wb") as out:
                    out.write(payload)
                code = 0
            finally:
                os._exit(code)
        os.close(write_end)

    def collect(self) -> ChildResult | None:
        import marshal

        with os.fdopen(self.read_end, "rb") as incoming:
            payload = incoming.read()
        _, status = os.waitpid(self.pid, 0)
        if status != 0 or not payload:
            return None
        stats, problems, ignored, linked = marshal.loads(payload)
        return None if linked else (stats, problems, ignored)


def _add_file(result: Scan, path: str, rel: str, info: os.stat_result) -> None:
    if os.path.splitext(rel)[1].lower() not in ARTICLE_SUFFIXES:
        result.ignored += 1
        return
    result.stats[rel] = (info.st_size, getattr(info, "st_mtime_ns", 0))


def _os_reason(error: OSError) -> str:
    return (error.strerror or str(error)).lower()


# No real article comes near this (the largest of 34k is well under 1 MB; a 50 MB body
# still loads); a bigger file is a `large` problem and is never read whole (a 3 GB file
# must not be pulled into memory to find out it is not an article).
MAX_FILE_BYTES = 64 * 1024 * 1024
ENV_MAX_FILE_BYTES = "NEWSCLI_MAX_FILE_BYTES"


def max_file_bytes() -> int:
    """The size limit for one file: $NEWSCLI_MAX_FILE_BYTES if it is a positive integer."""
    value = os.environ.get(ENV_MAX_FILE_BYTES, "").strip()
    if value.isdigit() and len(value) < 19 and int(value) > 0:
        return int(value)
    return MAX_FILE_BYTES


def too_large(path: str, size: int, limit: int) -> Problem:
    return Problem(path, f"file too large ({size:,} bytes; the limit is {limit:,})", "large")


def read_bytes(source: SourceFile, limit: int | None = None) -> bytes | Problem:
    """A file's bytes, or a Problem; a file over `limit` bytes (default max_file_bytes())
    is a `large` problem, judged by its size before reading and read no further than that."""
    limit = max_file_bytes() if limit is None else limit
    try:
        with open(source.path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > limit:
                return too_large(source.path, size, limit)
            data = handle.read(limit + 1)  # the file may have grown since the stat
            if len(data) > limit:
                return too_large(source.path, len(data), limit)
            return data
    except FileNotFoundError:
        return Problem(source.path, "file disappeared while reading", "unreadable")
    except IsADirectoryError:
        return Problem(source.path, "is a folder", "unreadable")
    except OSError as error:
        return Problem(source.path, _os_reason(error), "unreadable")


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Legacy encodings Chinese archives turn up in, tried when a file is not UTF-8.
_LEGACY = ("gb18030", "big5hkscs")


def decode(data: bytes, path: str) -> Decoded:
    """Decode a file's bytes: BOM, then UTF-8, then GB18030/Big5, then UTF-8 with replacement."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            body = data[len(bom) :]
            name = encoding.removesuffix("-sig")
            try:
                return Decoded(body.decode(name), name + " (BOM)")
            except UnicodeDecodeError as error:
                text = body.decode(name, errors="replace")
                return Decoded(text, name + " (BOM)", (_replaced(path, name, error),))
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as utf8_error:
        text = data.decode("utf-8", errors="replace")
        # A few bad bytes in a UTF-8 file (a cut download, a stray byte) are damage, not
        # another encoding: GB18030 would happily "decode" the whole file into nonsense.
        if text.count("\ufffd") <= max(8, len(text) // 200):
            return Decoded(text, "utf-8", (_replaced(path, "utf-8", utf8_error),))
        legacy = _decode_legacy(data)
        if legacy is not None:
            return legacy
        return Decoded(text, "utf-8", (_replaced(path, "utf-8", utf8_error),))


def _decode_legacy(data: bytes) -> Decoded | None:
    decoded: dict[str, str] = {}
    for encoding in _LEGACY:
        try:
            decoded[encoding] = data.decode(encoding)
        except UnicodeDecodeError:
            continue
    if not decoded:
        return None
    if len(decoded) == 1:
        encoding, text = next(iter(decoded.items()))
        return Decoded(text, encoding)
    # Both decode: let charset-normalizer's language model pick between just these two.
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=list(decoded)).best()
    encoding = best.encoding if best is not None else "gb18030"
    encoding = "big5hkscs" if encoding.startswith("big5") else "gb18030"
    return Decoded(decoded[encoding], encoding)


def _replaced(path: str, encoding: str, error: UnicodeDecodeError) -> Problem:
    return Problem(
        path,
        f"invalid {encoding} at byte {error.start}; undecodable bytes replaced with U+FFFD",
        "encoding",
    )


def looks_like_article(text: str) -> bool:
    """True when the start of a file has the archive layout (front matter, <!--ts-->, [t](u))."""
    head = text[:SNIFF_BYTES].lstrip("\ufeff \t\r\n")
    if head.startswith(("---", "<!--", "[")):
        return True
    return "\n------" in head or "\r------" in head


class Corpus:
    """The article files of a folder, as found by the last scan (newscli.load reads them)."""

    def __init__(
        self,
        root: Path,
        files: list[SourceFile] | None = None,
        scan_problems: list[Problem] | None = None,
        ignored: int = 0,
        stats: dict[str, tuple[int, int]] | None = None,
    ) -> None:
        self.root = root
        self._files = files
        self._stats = stats
        self.scan_problems = scan_problems or []
        self.ignored = ignored
        self._root_is_file: bool | None = None

    @property
    def stats(self) -> dict[str, tuple[int, int]]:
        """rel → (size, mtime_ns) of every article file."""
        if self._stats is None:
            self._stats = {f.rel: (f.size, f.mtime_ns) for f in self.files}
        return self._stats

    @property
    def files(self) -> list[SourceFile]:
        if self._files is None:
            self._files = [self.source(rel) for rel in self.stats]
        return self._files

    def source(self, rel: str) -> SourceFile:
        size, mtime_ns = self.stats[rel]
        if self._root_is_file is None:
            self._root_is_file = self.root.is_file()
        path = str(self.root) if self._root_is_file else os.path.join(str(self.root), rel)
        return SourceFile(path, rel, size, mtime_ns)

    def __len__(self) -> int:
        return len(self.stats)


def load_corpus(path: str | os.PathLike[str] | None = None) -> Corpus:
    root = resolve_root(path)
    found = scan(root)
    return Corpus(root, None, found.problems, found.ignored, stats=found.stats)
