"""Posting lists beside the text file: which articles hold a character (or a Latin trigram).

A literal query's candidates are the articles holding every key of its needle; only their
regions of the text file are then read, checked and counted (by the same matcher as a scan),
so an answer is exactly the scan's, just without reading the articles that cannot match.

``postings-<serial>.bin`` covers one text generation up to a byte offset (`covers`): an
article stored later (added, or changed: its new text is appended) is always a candidate,
and a dead one is dropped because no live entry starts where it did. The index's meta row
``postings`` names the file, its generation and what it covers, and is written in the same
transaction as the entries it was built from, so a reader never pairs the file with
another state. A compaction starts a new generation: the old file is then stale, ignored,
and rebuilt by the refresh. Keys:

- every distinct character of the normalized text (key = its code point);
- every lowercase trigram of an ASCII letter-or-digit run (``Trump`` → tru, rum, ump).

Layout: MAGIC, crc32 of the header (4 bytes), the header's length (8 bytes), the header
(marshal: generation, covers, and arrays: doc → text offset, sorted keys, where each key's
bitmap starts, its length and its crc32), then the bitmaps (pyroaring, portable format).
Damage (a crc, a short read, an unknown layout) makes the file unusable: the scan answers.
"""

from __future__ import annotations

import marshal
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from newscli.chinese import CASE_FOLD
from newscli.textstore import SEPARATOR, Entries, chunks

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext

    from pyroaring import BitMap

    from newscli.cache import Cache

MAGIC = b"NCP1"
META_KEY = "postings"  # "serial generation covers" of the current file
TRIGRAM_BASE = 1 << 24  # trigram keys come after every code point
BATCH_DOCS = 2048  # articles whose doc numbers wait in lists (~8 bytes per key of each)
BUILD_CHUNK_BYTES = 8 * 1024 * 1024  # text read at once while building
PART_DOCS = 16384  # articles built at once (memory), in worker processes when there are more
REBUILD_UNCOVERED = 8  # rebuild once more than 1/8 of the text file is not covered
# Characters whose spelling -i folds (either way): their key cannot stand for a folded needle.
_FOLDED = {chr(code) for pair in CASE_FOLD.items() for code in pair}


def _ascii_projection(text: str) -> bytes:
    """The ASCII characters of `text`, in order, lowercased. A substring's projection is a
    substring of the text's (with or without -i: CASE_FOLD folds ASCII as lower() does, and
    the full-width letters it folds are not ASCII), so its trigrams are the text's too."""
    return text.encode("ascii", "ignore").lower()


def trigram_keys(text: str) -> set[int]:
    """The keys of every trigram of the lowercase ASCII projection of `text`."""
    projected = _ascii_projection(text)
    return {
        TRIGRAM_BASE | projected[i] | projected[i + 1] << 8 | projected[i + 2] << 16
        for i in range(len(projected) - 2)
    }


def text_keys(text: str) -> set[int]:
    """Every key of one article's normalized text (what the build computes with bytes)."""
    return {ord(char) for char in text} | trigram_keys(text)


def query_keys(matcher: object) -> set[int] | None:
    """Keys every article matching `matcher` (a newscli.search.Matcher) holds, or None when
    the posting lists cannot narrow it (a regular expression, or a needle without a key:
    the scan answers).

    A needle's characters are in each match as they are (normalization is the same on both
    sides); with -i only those that case folding leaves alone. Its ASCII trigrams either
    way (see _ascii_projection)."""
    needle = getattr(matcher, "needle", None)
    if not isinstance(needle, str) or getattr(matcher, "regex", True) is not None:
        return None
    if getattr(matcher, "ignore_case", True):
        keys = {ord(char) for char in needle if char not in _FOLDED}
    else:
        keys = {ord(char) for char in needle}
    return (keys | trigram_keys(needle)) or None


# --- building ------------------------------------------------------------------------------


def _keys_of(text: str) -> Iterator[int]:
    """text_keys(text), deduplicated in C (pyroaring) rather than with a set of one-character
    strings: what the build runs on every article."""
    from pyroaring import BitMap

    codes = array("I")
    codes.frombytes(text.encode("utf-32-le", "surrogatepass"))
    yield from BitMap(codes)
    projected = _ascii_projection(text)
    count = len(projected) - 2
    if count > 0:
        packed = bytearray(4 * count)  # little-endian: byte 0 | byte 1 << 8 | byte 2 << 16
        for byte in range(3):
            packed[byte::4] = projected[byte : byte + count]
        trigrams = array("I")
        trigrams.frombytes(packed)
        for trigram in BitMap(trigrams):
            yield TRIGRAM_BASE | trigram


# How worker processes start: afresh, not forked. A forked worker starts with a copy of its
# parent's memory (at 200k files the scan and the entries, ~250 MB), and its peak RSS counts
# all of it on top of its own work. (Tests that patch a function for the workers fork.)
WORKER_START = "spawn"


def fresh_processes() -> BaseContext:
    """The multiprocessing context of the build's worker processes (see WORKER_START)."""
    import multiprocessing

    return multiprocessing.get_context(WORKER_START)


def build(
    text: Path,
    size: int,
    entries: Entries,
    generation: int,
    target: Path,
    workers: int = 1,
    initializer: Callable[[], None] | None = None,
) -> None:
    """Write the posting file of `entries` (all of them: they lie below `size`) to
    `target`. Raises textstore.Damaged if a region fails its checksum (then no file is
    left: postings built from damaged text could hide an article).

    Memory stays flat: a large index is built in parts of PART_DOCS articles (in `workers`
    processes), each written to a part file, then merged key by key into `target`."""
    count = len(entries.offsets)
    covers = entries.offsets[-1] + entries.lengths[-1] + len(SEPARATOR) if count else 0
    offsets = array("Q", entries.offsets)
    if count <= PART_DOCS:
        bitmaps = _build_range(text, size, entries, 0, count)
        _write(target, generation, covers, offsets, ((k, bitmaps[k]) for k in sorted(bitmaps)))
        return
    bounds = [*range(0, count, PART_DOCS), count]
    paths = [target.with_name(f"{target.name}.part{n}") for n in range(len(bounds) - 1)]
    tasks = [
        (text, size, _slice(entries, first, end), first, path)
        for first, end, path in zip(bounds, bounds[1:], paths, strict=False)
    ]
    parts: list[Postings] = []
    try:
        if workers > 1:
            from concurrent.futures import ProcessPoolExecutor

            with ProcessPoolExecutor(
                max_workers=workers, mp_context=fresh_processes(), initializer=initializer
            ) as pool:
                for done in [pool.submit(_build_part, *task) for task in tasks]:
                    done.result()
        else:
            for task in tasks:
                _build_part(*task)
        for path in paths:
            parts.append(Postings.read(open(path, "rb")))  # noqa: SIM115 (closed below)
        _write(target, generation, covers, offsets, _merged(parts))
    except Unusable as error:  # a part file changed under us: not a posting file to trust
        from newscli.textstore import Damaged

        raise Damaged(f"a part of the posting file does not read back: {error}") from None
    finally:
        for part in parts:
            part.handle.close()
        for path in paths:
            path.unlink(missing_ok=True)


def _build_part(text: Path, size: int, part: Entries, base: int, path: Path) -> None:
    """The posting lists of one part's articles (doc numbers from `base`), to `path`."""
    bitmaps = _build_range(text, size, part, base, base + len(part.offsets), shifted=True)
    items = ((key, bitmaps[key]) for key in sorted(bitmaps))
    _write(path, 0, 0, array("Q"), items)


def _merged(parts: list[Postings]) -> Iterator[tuple[int, BitMap]]:
    """Every key of the parts, in order, with the union of its parts' doc numbers."""
    from pyroaring import BitMap

    keys: set[int] = set()
    for part in parts:
        keys.update(part.keys)
    for key in sorted(keys):
        docs = BitMap()
        for part in parts:
            docs |= part.docs(key)
        yield key, docs


def _slice(entries: Entries, first: int, last: int) -> Entries:
    """The parts of `entries[first:last]` a build reads (offsets, lengths, crcs)."""
    part = Entries.empty()
    part.offsets = entries.offsets[first:last]
    part.lengths = entries.lengths[first:last]
    part.crcs = entries.crcs[first:last]
    return part


def _build_range(
    text: Path, size: int, entries: Entries, first_doc: int, end_doc: int, shifted: bool = False
) -> dict[int, BitMap]:
    """The bitmaps of docs first_doc..end_doc-1 (`entries` holds all docs, or with
    `shifted` just these, from its position 0).

    Memory: doc numbers wait in lists for BATCH_DOCS articles, then join the keys' bitmaps."""
    from pyroaring import BitMap

    from newscli.textstore import Damaged

    bitmaps: dict[int, BitMap] = {}
    pending: dict[int, list[int]] = {}

    def flush() -> None:
        for key, docs in pending.items():
            known = bitmaps.get(key)
            if known is None:
                bitmaps[key] = BitMap(docs)
            else:
                known.update(docs)
        pending.clear()

    shift = first_doc if shifted else 0
    offsets, lengths, crcs = entries.offsets, entries.lengths, entries.crcs
    low, high = first_doc - shift, end_doc - shift
    with open(text, "rb") as handle:
        for first, last in chunks(offsets[low:high], lengths[low:high], BUILD_CHUNK_BYTES):
            first, last = first + low, last + low
            base = offsets[first]
            end = offsets[last] + lengths[last] + len(SEPARATOR)
            if end > size:
                raise Damaged("the entries point past the text file's committed end")
            handle.seek(base)
            data = handle.read(end - base)
            view = memoryview(data)
            for position in range(first, last + 1):
                start = offsets[position] - base
                region = view[start : start + lengths[position]]
                if zlib.crc32(region) != crcs[position]:
                    raise Damaged("the text file does not match its entries")
                doc = position + shift
                for key in _keys_of(str(region, "utf-8", "surrogatepass")):
                    listed = pending.get(key)
                    if listed is None:
                        pending[key] = [doc]
                    else:
                        listed.append(doc)
                if doc % BATCH_DOCS == BATCH_DOCS - 1:
                    flush()
    flush()
    return bitmaps


def _write(
    target: Path,
    generation: int,
    covers: int,
    offsets: array[int],
    bitmaps: Iterable[tuple[int, BitMap]],
) -> None:
    """The file: header, then each key's bitmap (`bitmaps` in key order)."""
    keys, starts, lengths, crcs = array("Q"), array("Q"), array("I"), array("I")
    position = 0
    tmp = target.with_name(target.name + ".tmp")
    with open(tmp, "wb") as body:
        for key, bitmap in bitmaps:
            keys.append(key)
            bitmap.run_optimize()
            blob = bitmap.serialize()
            body.write(blob)
            starts.append(position)
            lengths.append(len(blob))
            crcs.append(zlib.crc32(blob))
            position += len(blob)
    header = marshal.dumps(
        (
            generation,
            covers,
            offsets.tobytes(),
            keys.tobytes(),
            starts.tobytes(),
            lengths.tobytes(),
            crcs.tobytes(),
        )
    )
    prefix = MAGIC + zlib.crc32(header).to_bytes(4, "big") + len(header).to_bytes(8, "big")
    with open(target, "wb") as out, open(tmp, "rb") as body:
        out.write(prefix + header)
        while block := body.read(1 << 20):
            out.write(block)
    tmp.unlink()


# --- keeping it fresh (inside the refresh's build lock) ------------------------------------


@dataclass(frozen=True)
class Stamp:
    """What the meta row says of the current posting file."""

    serial: int
    generation: int
    covers: int

    @classmethod
    def parse(cls, value: str) -> Stamp | None:
        parts = value.split()
        if len(parts) != 3 or not all(part.isdigit() for part in parts):
            return None
        return cls(int(parts[0]), int(parts[1]), int(parts[2]))

    def __str__(self) -> str:
        return f"{self.serial} {self.generation} {self.covers}"


def path_of(folder: Path, serial: int) -> Path:
    return folder / f"postings-{serial}.bin"


def needs_build(stamp: Stamp | None, generation: int, text_size: int) -> bool:
    """A missing or stale posting file, or one that leaves too much text uncovered."""
    if stamp is None or stamp.generation != generation or stamp.covers > text_size:
        return True
    return (text_size - stamp.covers) * REBUILD_UNCOVERED > text_size


def keep_fresh(
    cache: Cache, workers: int | None = None, initializer: Callable[[], None] | None = None
) -> None:
    """Build the posting file if the text file has outgrown it (called by refresh, after
    its entries are saved, inside the build lock; in the rebuild's transaction, if any)."""
    from newscli.textstore import Damaged

    generation, text_size = cache.meta_int("generation"), cache.meta_int("text_size")
    stamp = Stamp.parse(cache.meta(META_KEY))
    if not needs_build(stamp, generation, text_size):
        return
    if workers is None:
        import os

        workers = os.cpu_count() or 1
    serial = cache.meta_int("postings_serial") + 1
    target = path_of(cache.folder, serial)
    entries = _regions(cache)
    try:
        build(cache.text_path, text_size, entries, generation, target, workers, initializer)
    except Damaged:
        target.unlink(missing_ok=True)
        return  # the scan meets the damage and the index is rebuilt
    covers = entries.offsets[-1] + entries.lengths[-1] + 1 if entries.offsets else 0
    fresh = Stamp(serial, generation, covers)

    def record() -> None:
        cache.set_meta("postings_serial", serial)
        cache.set_meta(META_KEY, str(fresh))

    cache.transaction(record)
    if not cache.db.in_transaction:
        remove_old(cache.folder, serial)


def _regions(cache: Cache) -> Entries:
    """What a build reads of every article (offsets, lengths, crcs in text order), from
    the table as it streams: not the entries snapshot, whose ids and paths (~80 MB at
    200k) would sit beside the caller's scan while the build runs (a refresh that adds
    10k files at 200k peaked at 322 MB there). ~1 s at 200k, once per posting build."""
    from newscli.textstore import Entries

    part = Entries.empty()
    offsets, lengths, crcs = part.offsets, part.lengths, part.crcs
    rows = cache.db.execute(
        "SELECT text_offset, text_length, text_crc FROM articles ORDER BY text_offset"
    )
    while batch := rows.fetchmany(4096):
        for offset, length, crc in batch:
            offsets.append(offset)
            lengths.append(length)
            crcs.append(crc)
    return part


def remove_old(folder: Path, serial: int) -> None:
    """Unlink the posting files of other serials (after the commit that left them)."""
    keep = path_of(folder, serial).name
    for path in folder.glob("postings-*.bin*"):
        if path.name != keep:
            path.unlink(missing_ok=True)


# --- reading -------------------------------------------------------------------------------


class Unusable(Exception):
    """The posting file does not check out: the scan answers instead."""


@dataclass
class Postings:
    """An open posting file: its header, read and checked."""

    handle: BinaryIO
    generation: int
    covers: int
    offsets: array[int]  # doc number → text offset
    keys: array[int]
    starts: array[int]
    lengths: array[int]
    crcs: array[int]
    body: int  # where the bitmaps start in the file

    @classmethod
    def read(cls, handle: BinaryIO) -> Postings:
        prefix = handle.read(16)
        if len(prefix) != 16 or prefix[:4] != MAGIC:
            raise Unusable("not a posting file")
        length = int.from_bytes(prefix[8:16], "big")
        header = handle.read(length)
        if len(header) != length or zlib.crc32(header) != int.from_bytes(prefix[4:8], "big"):
            raise Unusable("its header fails its checksum")
        try:
            generation, covers, *parts = marshal.loads(header)
        except (ValueError, EOFError, TypeError):
            raise Unusable("its header does not load") from None
        arrays = [array(code) for code in "QQQII"]
        for made, part in zip(arrays, parts, strict=True):
            made.frombytes(part)
        offsets, keys, starts, lengths, crcs = arrays
        if not (len(keys) == len(starts) == len(lengths) == len(crcs)):
            raise Unusable("its header is inconsistent")
        return cls(handle, generation, covers, offsets, keys, starts, lengths, crcs, 16 + length)

    def docs(self, key: int) -> BitMap:
        """The doc numbers holding `key` (empty when no covered article does)."""
        from pyroaring import BitMap

        where = bisect_left(self.keys, key)
        if where == len(self.keys) or self.keys[where] != key:
            return BitMap()
        self.handle.seek(self.body + self.starts[where])
        blob = self.handle.read(self.lengths[where])
        if len(blob) != self.lengths[where] or zlib.crc32(blob) != self.crcs[where]:
            raise Unusable("a posting list fails its checksum")
        try:
            return BitMap.deserialize(blob)
        except ValueError:
            raise Unusable("a posting list does not load") from None

    def candidates(self, keys: Iterable[int], entries: Entries) -> list[int]:
        """Positions in `entries` (in text order) of the articles that may hold every key:
        the covered ones whose posting lists all name them, and every one stored after."""
        ordered = sorted(keys, key=lambda key: self.lengths_of(key))
        chosen: BitMap | None = None
        for key in ordered:
            docs = self.docs(key)
            chosen = docs if chosen is None else chosen & docs
            if not chosen:
                break
        live = entries.offsets
        picked: list[int] = []
        tail = bisect_left(live, self.covers)
        if chosen and chosen.max() >= len(self.offsets):
            raise Unusable("a posting list names an unknown article")
        if chosen and self.offsets.tolist() == live[:tail]:
            picked = list(chosen)  # nothing covered has died: doc numbers are positions
        elif chosen:
            for doc in chosen:
                offset = self.offsets[doc]
                position = bisect_left(live, offset, 0, tail)
                if position < tail and live[position] == offset:
                    picked.append(position)  # else dead: deleted or changed since
        picked.extend(range(tail, len(live)))
        return picked

    def lengths_of(self, key: int) -> int:
        where = bisect_left(self.keys, key)
        found = where < len(self.keys) and self.keys[where] == key
        return self.lengths[where] if found else 0


def open_current(cache: Cache) -> Postings | None:
    """The current posting file, if it belongs to the current text generation (called in
    the reader's transaction); None when there is none, or it is stale or damaged."""
    stamp = Stamp.parse(cache.meta(META_KEY))
    if stamp is None or stamp.generation != cache.meta_int("generation"):
        return None
    try:
        handle = open(path_of(cache.folder, stamp.serial), "rb")  # noqa: SIM115 (closed by the caller)
    except OSError:
        return None
    try:
        postings = Postings.read(handle)
    except Unusable:
        handle.close()
        return None
    if postings.generation != stamp.generation or postings.covers != stamp.covers:
        handle.close()
        return None
    return postings
