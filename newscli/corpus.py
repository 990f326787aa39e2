"""Finding article files under a folder, giving them stable ids, reading and decoding them."""

from __future__ import annotations

import codecs
import hashlib
import os
import time
from array import array
from collections.abc import Iterable
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
    problems: list[Problem] = field(default_factory=list)
    ignored: int = 0  # files that are not articles (images, READMEs, hidden files…)
    # Files changed so recently (see RACY_NS) that an edit in the same timestamp tick
    # would not show in (size, mtime_ns): the index must not vouch for what it read.
    racy: list[str] = field(default_factory=list)
    # Files whose inode changed though their folder's last listing had them (a rename over
    # them): parsed again even if their (size, mtime_ns) is what the index holds.
    replaced: list[str] = field(default_factory=list)
    folders: FolderState | None = None  # what the next scan may reuse (None: a file root)
    listed: int = 0  # folders listed (the others were known and unchanged)
    # False only when every folder and every file is what `previous` recorded (nothing
    # listed, changed, racy or replaced, no problem, no linked file): then the index that
    # `previous` was saved with (its token) is fresh without comparing a single file.
    changed: bool = True
    trusted: int = 0  # folders whose files were not stat-ed (trust_folders)
    # Article files not in a folder record: linked ones (stat-ed through their link on
    # every scan), or the root itself when it is a file.
    extra: dict[str, tuple[int, int]] = field(default_factory=dict)
    _stats: dict[str, tuple[int, int]] | None = None

    @property
    def stats(self) -> dict[str, tuple[int, int]]:
        """rel → (size, mtime_ns) of every article file: made from the folder records when
        first asked (a command whose index is fresh never asks)."""
        if self._stats is None:
            stats: dict[str, tuple[int, int]] = {}
            racy = self.folders.racy if self.folders is not None else {}
            for prefix, record in self.folders.folders.items() if self.folders else ():
                sizes, mtimes = _signatures(record)
                for name, size, mtime_ns in zip(_names(record[4]), sizes, mtimes, strict=True):
                    if size >= 0:
                        stats[prefix + name] = (size, mtime_ns)
                    elif size == RACY_SIZE:
                        stats[prefix + name] = racy[prefix + name]
            stats.update(self.extra)
            self._stats = stats
        return self._stats

    @property
    def count(self) -> int:
        """How many article files (len(stats), without making it)."""
        if self._stats is not None:
            return len(self._stats)
        total = len(self.extra)
        for record in self.folders.folders.values() if self.folders else ():
            sizes, _ = _signatures(record)
            total += len(sizes) - sizes.count(NOT_A_FILE)
        return total


# A folder, or a file, whose times are this close to the start of a scan is not trusted
# as unchanged next time: timestamps have a granularity (a kernel tick, 1-2 s
# on some file systems), so an edit later in the same tick may leave them as they were.
RACY_NS = 2_000_000_000

# A folder as its last listing found it: (st_dev, st_ino, mtime_ns, ctime_ns) of the folder,
# then its entries sorted by what they are. A folder gets a new mtime and ctime whenever an
# entry is added, removed or renamed (ctime cannot be set back, unlike mtime), so while
# these four match, the listing holds.
FolderRecord = tuple[int, int, int, int, str, str, str, int, list[int], bytes]
#   files: names with an article suffix that are not links (stat-ed on every scan: an edit
#   in place changes the file, not its folder); folders: real subfolders; links: symbolic
#   links (followed on every scan: their target may change); the count of ignored names;
#   the inode of each file (0 if none): a file replaced by a rename keeping its size and
#   mtime (cp -p elsewhere, then mv) is known by its new inode; the (size, mtime_ns) of
#   each file as the last scan found it (array "q", two per file): an unchanged file is
#   compared there and goes into no dict at all (RACY_SIZE: too recent to vouch for, so
#   never equal to what a stat gives; NOT_A_FILE: no article file). A folder changed too
#   recently to be trusted is recorded with mtime -1: listed again, but its inodes kept.
#   Names are joined by NUL (which no file name holds): one string per folder loads in
#   half the time of one string per name (0.1 s instead of 0.2 s for 205k names).
_FOLDER_STATE_VERSION = 4  # 4: a token is saved only for a scan without linked files
RACY_SIZE = -1
NOT_A_FILE = -2


def _signatures(record: FolderRecord) -> tuple[array[int], array[int]]:
    """The sizes and the mtimes of a folder record's files."""
    packed = array("q")
    packed.frombytes(record[9])
    return packed[0::2], packed[1::2]


def _packed(sizes: Iterable[int], mtimes: Iterable[int]) -> bytes:
    packed = array("q")
    for size, mtime_ns in zip(sizes, mtimes, strict=True):
        packed.append(size)
        packed.append(mtime_ns)
    return packed.tobytes()


@dataclass
class FolderState:
    """The folders of the last scan, for the next one: an unchanged folder is not listed
    again, and an unchanged file is only compared with its record."""

    folders: dict[str, FolderRecord] = field(default_factory=dict)  # rel prefix → record
    # The files_digest of the index this state was saved with: while the index still has
    # it, the index's files are the ones recorded here (racy ones recorded as RACY_SIZE).
    token: str = ""
    # rel → (size, mtime_ns) of the files recorded as RACY_SIZE by this scan (not saved).
    racy: dict[str, tuple[int, int]] = field(default_factory=dict)

    def dumps(self) -> bytes:
        import marshal

        return marshal.dumps((_FOLDER_STATE_VERSION, self.token, self.folders))

    def signatures(self, folder: str) -> dict[str, tuple[int, int]]:
        """File name → (size, mtime_ns) of each article file of a folder (its rel prefix)
        as recorded (RACY_SIZE for a racy one); empty for a folder not recorded."""
        record = self.folders.get(folder)
        if record is None:
            return {}
        sizes, mtimes = _signatures(record)
        return {
            name: (size, mtime_ns)
            for name, size, mtime_ns in zip(_names(record[4]), sizes, mtimes, strict=True)
            if size != NOT_A_FILE
        }

    def inodes(self, folder: str) -> dict[str, int]:
        """File name → inode of each file of a folder (its rel prefix: "" or "a/b/") as
        recorded; empty for a folder not recorded."""
        return _inodes(self.folders.get(folder))

    @classmethod
    def loads(cls, data: bytes | None) -> FolderState | None:
        """The state saved by dumps, or None (anything else: walk every folder)."""
        import marshal

        if not data:
            return None
        try:
            version, token, folders = marshal.loads(data)
        except (ValueError, EOFError, TypeError):
            return None
        if version != _FOLDER_STATE_VERSION or type(folders) is not dict or type(token) is not str:
            return None
        for rel, record in folders.items():
            if not (
                type(rel) is str
                and type(record) is tuple
                and len(record) == 10
                and all(type(item) is int for item in record[:4])
                and all(type(names) is str for names in record[4:7])
                and type(record[7]) is int
                and type(record[8]) is list
                and type(record[9]) is bytes
                and len(record[9]) == 16 * len(record[8])
            ):
                return None
        return cls(folders, token)


def scan(root: Path, previous: FolderState | None = None, trust_folders: bool = False) -> Scan:
    """Walk root recursively (following links, never twice into one folder).

    With `previous` (the `folders` of an earlier scan of this root), a folder whose
    identity and times are unchanged is not listed again: its recorded names are reused,
    and every file of it is still stat-ed (through the open folder, so without resolving
    the path again) and compared with its record, since an edit in place changes a file
    and not its folder. The result is what a walk without `previous` finds.

    With `trust_folders` (opt-in: NEWSCLI_FRESHNESS=folders), the files of such a folder
    are not stat-ed at all unless the folder, or a file's record, is too recent to vouch
    for: faster, but blind to an edit in place (`>>`, truncate-and-write, `cp` over a
    file, `touch`), which changes the file and not its folder."""
    started = time.time_ns()
    result = Scan()
    if root.is_file():
        _add_file(result, str(root), root.name, os.stat(root))
        return result
    known = previous.folders if previous is not None else {}
    walker = _Walk(result, known, started - RACY_NS, started + RACY_NS, trust_folders)
    walker.drain([(str(root), "")])
    state = FolderState(walker.recorded, previous.token if previous is not None else "")
    result.folders = state
    result.changed = bool(
        previous is None
        or walker.changed
        or result.listed
        or result.problems
        or result.racy
        or result.replaced
        or result.extra
        or len(walker.recorded) != len(known)
    )
    if result.racy:
        _mark_racy(state, result.racy)
    return result


def _mark_racy(state: FolderState, racy: list[str]) -> None:
    """Record racy files as RACY_SIZE (the next scan then finds them changed, as the index
    stores them), keeping what they are now for this scan's stats."""
    by_folder: dict[str, list[str]] = {}
    for rel in racy:
        prefix, _, name = rel.rpartition("/")
        by_folder.setdefault(prefix + "/" if prefix else "", []).append(name)
    for prefix, names in by_folder.items():
        record = state.folders.get(prefix)
        if record is None:
            continue  # a linked file: not recorded, compared on every scan anyway
        sizes, mtimes = _signatures(record)
        positions = {name: at for at, name in enumerate(_names(record[4]))}
        for name in names:
            at = positions.get(name)
            if at is not None:
                state.racy[prefix + name] = (sizes[at], mtimes[at])
                sizes[at] = RACY_SIZE
        state.folders[prefix] = (*record[:9], _packed(sizes, mtimes))


def _names(joined: str) -> list[str]:
    return joined.split("\0") if joined else []


def _inodes(record: FolderRecord | None) -> dict[str, int]:
    """File name → inode as a folder's record saw it (empty without a record)."""
    return dict(zip(_names(record[4]), record[8], strict=False)) if record is not None else {}


_OPEN_FOLDER = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_REGULAR = 0o100000
_FILE_TYPE = 0o170000
_FOLDER = 0o040000


class _Walk:
    """Lists folders into a Scan; subfolders go onto a stack (no recursion limit)."""

    def __init__(
        self,
        result: Scan,
        known: dict[str, FolderRecord],
        racy_from: int,
        racy_until: int,
        trust_folders: bool = False,
    ) -> None:
        self.result = result
        self.known = known
        self.recorded: dict[str, FolderRecord] = {}
        # Times in [racy_from, racy_until) are too close to now to vouch for anything (one
        # far in the future is not: an edit would set it to now).
        self.racy_from = racy_from
        self.racy_until = racy_until
        self.trust_folders = trust_folders
        self.changed = False  # a known folder's file found changed
        self.seen: set[tuple[int, int]] = set()  # (device, inode) of folders walked

    def drain(self, folders: list[tuple[str, str]]) -> None:
        stack = list(folders)
        while stack:
            self.folder(*stack.pop(), into=stack)

    def folder(self, folder: str, rel_prefix: str, into: list[tuple[str, str]]) -> None:
        result = self.result
        try:
            handle = os.open(folder, _OPEN_FOLDER)  # follows a link, like the listing would
        except OSError as error:
            result.problems.append(Problem(folder, _os_reason(error), "unreadable"))
            return
        try:
            info = os.fstat(handle)
            key = (info.st_dev, info.st_ino)
            if key in self.seen:
                return  # a symlink loop, or a second link to a folder already walked
            self.seen.add(key)
            identity = (info.st_dev, info.st_ino, info.st_mtime_ns, info.st_ctime_ns)
            record = self.known.get(rel_prefix)
            if record is not None and record[:4] == identity:
                again = self._stat_known(handle, folder, rel_prefix, record, into)
                if again is not None:
                    self.recorded[rel_prefix] = again
                    return
            try:
                listed = self._list(handle, identity)
            except OSError as error:
                result.problems.append(Problem(folder, _os_reason(error), "unreadable"))
                return
            inodes, signatures = self._stat_listed(handle, folder, rel_prefix, listed, record, into)
            racy_from, racy_until = self.racy_from, self.racy_until
            if racy_from <= identity[2] < racy_until or racy_from <= identity[3] < racy_until:
                listed = (identity[0], identity[1], -1, -1, *listed[4:8], [], b"")
            self.recorded[rel_prefix] = (*listed[:8], inodes, signatures)
        finally:
            os.close(handle)

    def _list(self, handle: int, identity: tuple[int, int, int, int]) -> FolderRecord:
        """Sort a folder's entries by what they are, from the listing alone (no stat)."""
        self.result.listed += 1
        files: list[str] = []
        folders: list[str] = []
        links: list[str] = []
        ignored = 0
        suffixes = ARTICLE_SUFFIXES
        # Unsorted: order comes later (newest first, ties by path); sorting costs here.
        with os.scandir(handle) as listing:
            for entry in listing:
                name = entry.name
                if name[0] == ".":
                    ignored += 1
                    continue
                try:
                    if entry.is_symlink():
                        links.append(name)
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        folders.append(name)
                        continue
                except OSError:
                    pass  # stat-ing it says what went wrong
                dot = name.rfind(".")
                if dot <= 0 or name[dot:].lower() not in suffixes:
                    ignored += 1
                else:
                    files.append(name)
        joined = ("\0".join(files), "\0".join(folders), "\0".join(links))
        return (*identity, *joined, ignored, [], b"")

    def _trusted(self, record: FolderRecord, sizes: array[int], mtimes: array[int]) -> bool:
        """Whether trust_folders may skip stat-ing this (unchanged) folder's files: not if
        the folder's times, or a file's recorded mtime, are too recent to vouch for, nor
        if a file is recorded as racy (the index waits for it to be parsed again)."""
        racy_from, racy_until = self.racy_from, self.racy_until
        return not (
            racy_from <= record[2] < racy_until
            or racy_from <= record[3] < racy_until
            or (mtimes and max(mtimes) >= racy_from)
            or RACY_SIZE in sizes
            or NOT_A_FILE in sizes
        )

    def _stat_known(
        self,
        handle: int,
        folder: str,
        rel_prefix: str,
        record: FolderRecord,
        into: list[tuple[str, str]],
    ) -> FolderRecord | None:
        """The files of a folder listed before, compared with its record: the record as it
        is now, or None (and nothing found) if one of them is not what the listing said
        any more: the folder is then listed again."""
        result = self.result
        names = _names(record[4])
        sizes, mtimes = _signatures(record)
        if len(sizes) != len(names):
            return None
        if self.trust_folders and self._trusted(record, sizes, mtimes):
            result.trusted += 1
        else:
            stat = os.stat
            changes: list[tuple[str, os.stat_result]] = []
            # The hot loop of every command: one stat and two comparisons per file, kept
            # lean on purpose. A file keeping its size and mtime cannot have changed type:
            # that takes an unlink or a rename, which changes the folder.
            for name, size, mtime_ns in zip(names, sizes, mtimes, strict=True):
                try:
                    info = stat(name, dir_fd=handle)
                except OSError:  # gone, or unreadable: whatever it is, a listing will say
                    return None
                if info.st_mtime_ns != mtime_ns or info.st_size != size:
                    changes.append((name, info))
            if changes:
                updated = self._changed(record, names, sizes, mtimes, changes)
                if updated is None:
                    return None
                record = updated
            racy_from, racy_until = self.racy_from, self.racy_until
            if mtimes and max(mtimes) >= racy_from:
                result.racy.extend(
                    rel_prefix + name
                    for name, mtime_ns in zip(names, mtimes, strict=True)
                    if racy_from <= mtime_ns < racy_until
                )
        result.ignored += record[7]
        self._follow(handle, folder, rel_prefix, _names(record[6]), into)
        into.extend(
            (os.path.join(folder, name), rel_prefix + name + "/") for name in _names(record[5])
        )
        return record

    def _changed(
        self,
        record: FolderRecord,
        names: list[str],
        sizes: array[int],
        mtimes: array[int],
        changes: list[tuple[str, os.stat_result]],
    ) -> FolderRecord | None:
        """`record` with the new signatures of its changed files (sizes and mtimes are
        updated in place), or None if one is no regular file now (list it again)."""
        positions = {name: at for at, name in enumerate(names)}
        for name, info in changes:
            if info.st_mode & _FILE_TYPE != _REGULAR:
                return None
            at = positions[name]
            sizes[at], mtimes[at] = info.st_size, info.st_mtime_ns
        self.changed = True
        return (*record[:9], _packed(sizes, mtimes))

    def _stat_listed(
        self,
        handle: int,
        folder: str,
        rel_prefix: str,
        record: FolderRecord,
        before: FolderRecord | None,
        into: list[tuple[str, str]],
    ) -> tuple[list[int], bytes]:
        """The files of a folder just listed (whatever fails is a problem); their inodes,
        compared with those of its listing `before`, and their signatures."""
        result = self.result
        ignored = record[7]
        inodes: list[int] = []
        packed = array("q")
        known = _inodes(before)
        racy_from, racy_until = self.racy_from, self.racy_until
        for name in _names(record[4]):
            try:
                info = os.stat(name, dir_fd=handle)
            except OSError as error:
                inodes.append(0)
                packed.extend((NOT_A_FILE, 0))
                path = os.path.join(folder, name)
                result.problems.append(Problem(path, _os_reason(error), "unreadable"))
                continue
            inodes.append(info.st_ino)
            if known.get(name, info.st_ino) != info.st_ino:
                result.replaced.append(rel_prefix + name)
            if info.st_mode & _FILE_TYPE == _REGULAR:
                mtime_ns = info.st_mtime_ns
                packed.extend((info.st_size, mtime_ns))
                if racy_from <= mtime_ns < racy_until:
                    result.racy.append(rel_prefix + name)
                continue
            packed.extend((NOT_A_FILE, 0))
            if info.st_mode & _FILE_TYPE == _FOLDER:  # a folder the listing could not tell
                into.append((os.path.join(folder, name), rel_prefix + name + "/"))
            else:
                ignored += 1
        result.ignored += ignored
        self._follow(handle, folder, rel_prefix, _names(record[6]), into)
        into.extend(
            (os.path.join(folder, name), rel_prefix + name + "/") for name in _names(record[5])
        )
        return inodes, packed.tobytes()

    def _follow(
        self,
        handle: int,
        folder: str,
        rel_prefix: str,
        links: list[str],
        into: list[tuple[str, str]],
    ) -> None:
        """Symbolic links are followed on every scan: what they point to may have changed
        without their folder changing."""
        result = self.result
        for name in links:
            try:
                info: os.stat_result | None = os.stat(name, dir_fd=handle)
            except OSError:
                info = None
            if info is not None and info.st_mode & _FILE_TYPE == _FOLDER:
                into.append((os.path.join(folder, name), rel_prefix + name + "/"))
                continue
            dot = name.rfind(".")
            if dot <= 0 or name[dot:].lower() not in ARTICLE_SUFFIXES:
                result.ignored += 1
            elif info is None:
                path = os.path.join(folder, name)
                result.problems.append(Problem(path, "broken symbolic link", "unreadable"))
            elif info.st_mode & _FILE_TYPE == _REGULAR:
                rel = rel_prefix + name
                result.extra[rel] = (info.st_size, info.st_mtime_ns)
                if self.racy_from <= info.st_mtime_ns < self.racy_until:
                    result.racy.append(rel)
            else:
                result.ignored += 1


def _add_file(result: Scan, path: str, rel: str, info: os.stat_result) -> None:
    if os.path.splitext(rel)[1].lower() not in ARTICLE_SUFFIXES:
        result.ignored += 1
        return
    result.extra[rel] = (info.st_size, getattr(info, "st_mtime_ns", 0))


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
    """The article files of a folder, as found by its scan: made when first needed, or by
    scan_with (which the index calls with the folders of the previous scan)."""

    def __init__(
        self,
        root: Path,
        files: list[SourceFile] | None = None,
        scan_problems: list[Problem] | None = None,
        ignored: int = 0,
        stats: dict[str, tuple[int, int]] | None = None,
        trust_folders: bool = False,
    ) -> None:
        self.root = root
        self._files = files
        self._stats = stats
        self._scan_problems = scan_problems or []
        self._ignored = ignored
        self.last_scan: Scan | None = None  # the scan made by this object, if any
        self._root_is_file: bool | None = None
        # Freshness by folder times only (FRESHNESS_FOLDERS): see scan(). The index's own
        # commands (`index`, `check`) make their corpus without it.
        self.trust_folders = trust_folders

    @property
    def scanned(self) -> bool:
        return self._stats is not None or self._files is not None or self.last_scan is not None

    def scan_with(self, previous: FolderState | None) -> Scan:
        """Scan the folder now, reusing what `previous` knows of unchanged folders (its
        stats are made only if asked for: see Scan.stats)."""
        if self.trust_folders:
            found = scan(self.root, previous, trust_folders=True)
        else:
            found = scan(self.root, previous)
        self._stats, self._files = None, None
        self._scan_problems, self._ignored = found.problems, found.ignored
        self.last_scan = found
        return found

    def release(self) -> None:
        """Forget the scan (at 200k files its names and stats hold ~90 MB): for a command
        that goes on with the index alone. Anything asked of the corpus later scans again."""
        self._stats = self._files = self.last_scan = None
        self._scan_problems, self._ignored = [], 0

    def forget_stats(self) -> None:
        """Drop the dict of every file's stats made from the scan (~100 MB at 200k files),
        made again from the scan if asked (not if this corpus was made from a list)."""
        if self.last_scan is not None:
            self._stats = self._files = None
            self.last_scan._stats = None

    def _scan_if_needed(self) -> None:
        if not self.scanned:
            self.scan_with(None)

    @property
    def scan_problems(self) -> list[Problem]:
        self._scan_if_needed()
        return self._scan_problems

    @property
    def ignored(self) -> int:
        self._scan_if_needed()
        return self._ignored

    @property
    def replaced(self) -> list[str]:
        """Files replaced (a new inode) since the last scan, whatever their size and mtime."""
        self._scan_if_needed()
        return self.last_scan.replaced if self.last_scan is not None else []

    @property
    def racy(self) -> list[str]:
        """Files too recently changed for their (size, mtime_ns) to vouch for their text."""
        self._scan_if_needed()
        return self.last_scan.racy if self.last_scan is not None else []

    @property
    def stats(self) -> dict[str, tuple[int, int]]:
        """rel → (size, mtime_ns) of every article file."""
        if self._stats is None:
            if self._files is not None:
                self._stats = {f.rel: (f.size, f.mtime_ns) for f in self._files}
            else:
                found = self.last_scan if self.last_scan is not None else self.scan_with(None)
                self._stats = found.stats
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


ENV_FRESHNESS = "NEWSCLI_FRESHNESS"
FRESHNESS_FILES = "files"  # the default: every file stat-ed on every command (exact)
FRESHNESS_FOLDERS = "folders"  # opt-in: unchanged folders' files trusted (see scan())
FRESHNESS_MODES = (FRESHNESS_FILES, FRESHNESS_FOLDERS)


def freshness_mode(value: str | None) -> str:
    """The freshness mode named by `value` (an option), else by $NEWSCLI_FRESHNESS, else
    "files"; CorpusError for any other name."""
    chosen = (value if value else os.environ.get(ENV_FRESHNESS, "")).strip().lower()
    if not chosen:
        return FRESHNESS_FILES
    if chosen not in FRESHNESS_MODES:
        source = "--freshness" if value else f"${ENV_FRESHNESS}"
        raise CorpusError(
            f"{source}: unknown freshness mode {chosen!r} (use {' or '.join(FRESHNESS_MODES)})"
        )
    return chosen


def load_corpus(
    path: str | os.PathLike[str] | None = None, freshness: str = FRESHNESS_FILES
) -> Corpus:
    """The corpus at `path` (see resolve_root); its folder is scanned when first needed,
    by the rule `freshness` names (FRESHNESS_FILES, or the opt-in FRESHNESS_FOLDERS)."""
    return Corpus(resolve_root(path), trust_folders=freshness == FRESHNESS_FOLDERS)
