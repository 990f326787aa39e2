"""The index's text file: every article's normalized text, append-only, scanned in chunks.

``text-<generation>.bin`` holds the normalized (t2s) text of every article, UTF-8, each
followed by a NUL and a trailer: its summary's values and the text as written where it
differs from the normalized one (see `trailer`), so that search prints snippets without
reading the article's row. It is only appended to; the index's rows point at the live regions, and the
file is rewritten (a new generation) once most of it is dead. A search reads it in chunks,
so memory stays flat, and hands each chunk to a `ChunkCounter` (the query's matcher), which
alone decides what a hit is: a trailer lies between regions, where no hit is counted.
"""

from __future__ import annotations

import bisect
import marshal
import os
import struct
import zlib
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import compress
from pathlib import Path
from typing import BinaryIO, NamedTuple, Protocol

CHUNK_BYTES = 16 * 1024 * 1024  # how much of the text file is searched at once
SEPARATOR = b"\x00"  # after each article's text
# After the NUL: a trailer, its payload's length in bytes and the CRC-32 of those 4 bytes
# and the payload (little-endian), then the payload (see `trailer`).
TRAILER = struct.Struct("<II")


class Damaged(Exception):
    """What the index holds does not check out (a checksum, a separator, a snapshot): the
    index must be rebuilt before it answers."""


def text_crc(normalized: bytes) -> int:
    """The checksum of one article's region of the text file (without its NUL)."""
    return zlib.crc32(normalized)


_ENTRIES_FORMAT = "entries-3"


class _Joined:
    """A column of strings as one NUL-joined UTF-8 string (surrogateescape: paths keep
    undecodable bytes) and where each item starts: an item is decoded when asked for, and
    the whole column only if some caller wants it (at 200k articles, unmarshalling 205k
    strings costs ~4x one split, and a search needs only its matches' items)."""

    __slots__ = ("joined", "starts")

    def __init__(self, joined: bytes, starts: array[int]) -> None:
        self.joined = joined
        self.starts = starts

    @classmethod
    def of(cls, items: Sequence[str]) -> _Joined:
        encoded = [item.encode("utf-8", "surrogateescape") for item in items]
        starts = array("Q")
        at = 0
        for item in encoded:
            starts.append(at)
            at += len(item) + 1
        return cls(b"\0".join(encoded), starts)

    def __len__(self) -> int:
        return len(self.starts)

    def item(self, position: int) -> str:
        starts = self.starts
        end = starts[position + 1] - 1 if position + 1 < len(starts) else len(self.joined)
        return self.joined[starts[position] : end].decode("utf-8", "surrogateescape")

    def patched(self, kept: list[tuple[int, int]], added: _Joined) -> _Joined:
        """The items in the `kept` ranges of positions, then `added`'s: byte ranges joined,
        and the moved starts shifted (nothing decoded)."""
        starts, joined = self.starts, memoryview(self.joined)  # slices not copied
        pieces: list[memoryview | bytes] = []
        made = array("Q")
        at = 0
        for first, end in kept:
            begin = starts[first]
            stop = starts[end] - 1 if end < len(starts) else len(joined)
            if begin == at:
                made.extend(starts[first:end])
            else:
                made.extend(map((at - begin).__add__, starts[first:end]))
            pieces.append(joined[begin:stop])
            at += stop - begin + 1
        if len(added):
            made.extend(map(at.__add__, added.starts))
            pieces.append(added.joined)
        return _Joined(b"\0".join(pieces), made)

    def split(self) -> list[str]:
        if not self.starts:
            return []
        return self.joined.decode("utf-8", "surrogateescape").split("\0")


def _numbers(code: str, data: object) -> list[int] | None:
    if not isinstance(data, bytes):
        return None
    made = array(code)
    if len(data) % made.itemsize:
        return None
    made.frombytes(data)
    return made.tolist()


class Entries:
    """The live articles as search sees them, by text offset: parallel columns. The numbers
    are plain lists; the strings (ids, published, rels) of a loaded snapshot stay joined
    until a caller takes a whole column: id_at, published_at and rel_at slice one item."""

    __slots__ = (
        "_ids",
        "_joined",
        "_order",
        "_published",
        "_rank",
        "_rels",
        "crcs",
        "lengths",
        "offsets",
    )

    def __init__(
        self,
        ids: list[str],
        offsets: list[int],
        lengths: list[int],  # in bytes, without the closing NUL
        published: list[str | None],  # fixed-width ISO text, so text order is time order
        rels: list[str],
        crcs: list[int],  # text_crc of each article's region
    ) -> None:
        self._ids: list[str] | None = ids
        self.offsets = offsets
        self.lengths = lengths
        self._published: list[str | None] | None = published
        self._rels: list[str] | None = rels
        self.crcs = crcs
        # ids, published ("" for None) and rels as loaded, while not split
        self._joined: tuple[_Joined, _Joined, _Joined] | None = None
        # list's order (newest_order) and each position's place in it, once known
        self._order: array[int] | None = None
        self._rank: array[int] | None = None

    @classmethod
    def empty(cls) -> Entries:
        return cls([], [], [], [], [], [])

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, int, int, str | None, bytes, int]]) -> Entries:
        """Entries of rows (id, offset, length, published, rel as stored: UTF-8 bytes with
        surrogateescape, crc) in offset order, made straight into joined columns, with list's
        order: a first build at 200k articles holds ~40 MB here, not 205k strings per column
        (~100 MB) and their encoded copies while the snapshot is written."""
        offsets: list[int] = []
        lengths: list[int] = []
        crcs: list[int] = []
        columns = [(bytearray(), array("Q")) for _ in range(3)]
        (ids, id_starts), (published, published_starts), (rels, rel_starts) = columns
        for article_id, offset, length, when, rel, crc in rows:
            offsets.append(offset)
            lengths.append(length)
            crcs.append(crc)
            id_starts.append(len(ids))
            ids += article_id.encode("utf-8", "surrogateescape")
            ids += b"\0"
            published_starts.append(len(published))
            if when:
                published += when.encode("utf-8", "surrogateescape")
            published += b"\0"
            rel_starts.append(len(rels))
            rels += rel
            rels += b"\0"
        for data, _ in columns:
            del data[-1:]  # the NUL after the last item
        entries = cls([], offsets, lengths, [], [], crcs)
        entries._joined = (
            _Joined(bytes(ids), id_starts),
            _Joined(bytes(published), published_starts),
            _Joined(bytes(rels), rel_starts),
        )
        del columns, ids, published, rels
        entries._ids = entries._published = entries._rels = None
        entries.newest_order()  # then the split columns it sorted by go
        entries._published = entries._rels = None
        return entries

    @property
    def ids(self) -> list[str]:
        if self._ids is None:
            assert self._joined is not None
            self._ids = self._joined[0].split()
        return self._ids

    @property
    def published(self) -> list[str | None]:
        if self._published is None:
            assert self._joined is not None
            self._published = [item or None for item in self._joined[1].split()]
        return self._published

    @property
    def rels(self) -> list[str]:
        if self._rels is None:
            assert self._joined is not None
            self._rels = self._joined[2].split()
        return self._rels

    def id_at(self, position: int) -> str:
        if self._ids is not None or self._joined is None:
            return self.ids[position]
        return self._joined[0].item(position)

    def published_at(self, position: int) -> str | None:
        if self._published is not None or self._joined is None:
            return self.published[position]
        return self._joined[1].item(position) or None

    def rel_at(self, position: int) -> str:
        if self._rels is not None or self._joined is None:
            return self.rels[position]
        return self._joined[2].item(position)

    def __len__(self) -> int:
        return len(self.offsets)

    @property
    def ordered(self) -> bool:
        """Whether list's order is known (a loaded snapshot has it) without sorting."""
        return self._order is not None

    def newest_order(self) -> array[int]:
        """Every position in list's order (the shared rule, newscli.article.newest_first:
        newest first, ties and undated ones by path), on the stored texts: `published` has
        one fixed width in UTC, so its text order is time order, and `rels` order as paths
        do. Kept in the snapshot: a reader that wants the newest few does not sort."""
        if self._order is None:
            published, rels = self.published, self.rels
            dated = [position for position in range(len(rels)) if published[position]]
            undated = [position for position in range(len(rels)) if not published[position]]
            dated.sort(key=rels.__getitem__)  # then stable: ties by path
            dated.sort(key=lambda position: published[position] or "", reverse=True)
            undated.sort(key=rels.__getitem__)
            self._order = array("Q", dated + undated)
        return self._order

    def newest_rank(self) -> array[int]:
        """Each position's place in newest_order: sorting by it puts any positions in
        list's order."""
        if self._rank is None:
            order = self.newest_order()
            rank = array("Q", bytes(8 * len(order)))
            # rank[position] = place for each, iterated in C (a third of a Python loop)
            deque(map(rank.__setitem__, order, range(len(order))), maxlen=0)
            self._rank = rank
        return self._rank

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Entries):
            return NotImplemented
        return self._columns() == other._columns()

    __hash__ = None  # type: ignore[assignment]  # mutable, like the lists it holds

    def __repr__(self) -> str:
        return f"Entries({len(self)} articles)"

    def _columns(
        self,
    ) -> tuple[list[str], list[int], list[int], list[str | None], list[str], list[int]]:
        return (self.ids, self.offsets, self.lengths, self.published, self.rels, self.crcs)

    def append(
        self,
        article_id: str,
        offset: int,
        length: int,
        published: str | None,
        rel: str,
        crc: int,
    ) -> None:
        self._order = self._rank = None
        self.ids.append(article_id)
        self.offsets.append(offset)
        self.lengths.append(length)
        self.published.append(published)
        self.rels.append(rel)
        self.crcs.append(crc)

    def _strings(self) -> tuple[_Joined, _Joined, _Joined]:
        """ids, published ("" for None) and rels as joined columns (as loaded, or made)."""
        joined = self._joined
        return (
            joined[0] if joined is not None and self._ids is None else _Joined.of(self.ids),
            joined[1]
            if joined is not None and self._published is None
            else _Joined.of([item or "" for item in self.published]),
            joined[2] if joined is not None and self._rels is None else _Joined.of(self.rels),
        )  # a column still joined as loaded is kept as it is

    def patched(self, dead: Iterable[int], added: Entries) -> Entries | None:
        """These entries less those starting at the text offsets `dead`, then `added`
        (stored after them: larger offsets), or None if an offset is no entry's.

        For a refresh of a few files at 200k articles: the string columns stay joined (no
        205k strings decoded and encoded again) and list's order is patched, not sorted."""
        offsets = self.offsets
        gone: list[int] = []
        for offset in sorted(set(dead)):
            position = bisect.bisect_left(offsets, offset)
            if position == len(offsets) or offsets[position] != offset:
                return None
            gone.append(position)
        if added.offsets and offsets and added.offsets[0] <= offsets[-1]:
            return None
        count = len(offsets)
        kept = [
            (first, end)
            for first, end in zip([0, *(p + 1 for p in gone)], [*gone, count], strict=True)
            if first < end
        ]
        numbers: list[list[int]] = []
        for column, more in (
            (offsets, added.offsets),
            (self.lengths, added.lengths),
            (self.crcs, added.crcs),
        ):
            made: list[int] = []
            for first, end in kept:
                made.extend(column[first:end])
            made.extend(more)
            numbers.append(made)
        strings = tuple(
            _Joined.patched(mine, kept, theirs)
            for mine, theirs in zip(self._strings(), added._strings(), strict=True)
        )
        patched = Entries([], numbers[0], numbers[1], [], [], numbers[2])
        patched._ids = patched._published = patched._rels = None
        patched._joined = (strings[0], strings[1], strings[2])
        if len(added) > PATCH_ORDER_MAX or self._order is None:
            return patched  # its order is sorted when asked for
        shift = array("Q", bytes(8 * count))  # each kept position's new position
        at = 0
        for first, end in kept:
            shift[first:end] = array("Q", range(at, at + end - first))
            at += end - first
        alive = bytearray(b"\1") * count
        for position in gone:
            alive[position] = 0
        # iterators in C: 205k positions in a few ms, not a Python loop
        kept_order = compress(self._order, map(alive.__getitem__, self._order))
        order = array("Q", map(shift.__getitem__, kept_order))
        for position in range(at, at + len(added)):
            _insert_in_order(patched, order, position)
        patched._order = order
        return patched

    def dumps(self) -> bytes:
        """The snapshot's bytes: numbers as machine arrays, each column of strings as one
        joined string and where its items start (see loads)."""
        strings = self._strings()
        return marshal.dumps(
            (
                _ENTRIES_FORMAT,
                len(self.offsets),
                *(array("q", column).tobytes() for column in (self.offsets, self.lengths)),
                array("q", self.crcs).tobytes(),
                *(part for column in strings for part in (column.joined, column.starts.tobytes())),
                self.newest_order().tobytes(),
                self.newest_rank().tobytes(),
            )
        )

    @classmethod
    def loads(cls, data: bytes) -> Entries | None:
        """The inverse of dumps, or None for anything else (a damaged or foreign file)."""
        try:
            loaded = marshal.loads(data)
        except (ValueError, EOFError, TypeError):
            return None
        if isinstance(loaded, tuple) and len(loaded) == 6:
            return _lists(loaded)  # the format before: written again by the next change
        if not (isinstance(loaded, tuple) and len(loaded) == 13 and loaded[0] == _ENTRIES_FORMAT):
            return None
        count = loaded[1]
        if type(count) is not int:
            return None
        numbers = [_numbers("q", part) for part in loaded[2:5]]
        strings: list[_Joined] = []
        for joined, starts in zip(loaded[5:11:2], loaded[6:11:2], strict=True):
            column = _joined(joined, starts, count)
            if column is None:
                return None
            strings.append(column)
        offsets, lengths, crcs = numbers
        if offsets is None or lengths is None or crcs is None:
            return None
        if not len(offsets) == len(lengths) == len(crcs) == count:
            return None
        entries = cls([], offsets, lengths, [], [], crcs)
        entries._ids = entries._published = entries._rels = None
        entries._joined = (strings[0], strings[1], strings[2])
        order, rank = array("Q"), array("Q")
        for made, data in ((order, loaded[11]), (rank, loaded[12])):
            if not isinstance(data, bytes) or len(data) != 8 * count:
                return None
            made.frombytes(data)
        entries._order, entries._rank = order, rank
        return entries


PATCH_ORDER_MAX = 256  # more added entries than this: list's order is sorted again


def _precedes(entries: Entries, one: int, other: int) -> bool:
    """Whether position `one` comes before `other` in list's order (see newest_order)."""
    mine, theirs = entries.published_at(one), entries.published_at(other)
    if mine and theirs:
        if mine != theirs:
            return mine > theirs
        return entries.rel_at(one) < entries.rel_at(other)
    if mine or theirs:
        return bool(mine)
    return entries.rel_at(one) < entries.rel_at(other)


def _insert_in_order(entries: Entries, order: array[int], position: int) -> None:
    """Put `position` into `order` (list's order of the others) where it belongs."""
    low, high = 0, len(order)
    while low < high:
        middle = (low + high) // 2
        if _precedes(entries, order[middle], position):
            low = middle + 1
        else:
            high = middle
    order.insert(low, position)


def _lists(loaded: tuple[object, ...]) -> Entries | None:
    """Entries of the first snapshot format: six lists of one length."""
    parts = [part for part in loaded if isinstance(part, list)]
    if len(parts) != 6 or len({len(part) for part in parts}) != 1:
        return None
    ids, offsets, lengths, published, rels, crcs = parts
    return Entries(ids, offsets, lengths, published, rels, crcs)


def _joined(joined: object, starts: object, count: int) -> _Joined | None:
    """A loaded column of strings, if it is one of `count` items."""
    if type(joined) is not bytes or not isinstance(starts, bytes) or len(starts) != 8 * count:
        return None
    made = array("Q")
    made.frombytes(starts)
    if count and (made[0] != 0 or joined.count(b"\0") != count - 1 or made[-1] > len(joined)):
        return None
    if not count and joined:
        return None
    return _Joined(joined, made)


Listed = tuple[str | bytes | int | None, ...]  # a summary's values, as the row lists them


class StoredTexts(NamedTuple):
    """An article as the text file keeps it (see `stored_texts`)."""

    normalized: str
    text: str  # as written
    listed: Listed  # its summary's values, as its row lists them (SUMMARY_FIELDS)


def trailer(normalized: bytes, original: str, listed: Listed) -> bytes:
    """What follows an article's NUL: TRAILER, then (marshal) its summary's values `listed`
    and `original`, the text as written (of which `normalized` is the normalized form), or
    None when that is the same: search prints from the text file without reading a row."""
    same = original.encode("utf-8", "surrogatepass") == normalized
    payload = marshal.dumps((listed, None if same else original))
    size = struct.pack("<I", len(payload))
    return size + struct.pack("<I", zlib.crc32(payload, zlib.crc32(size))) + payload


def append_text(handle: BinaryIO, normalized: bytes, original: str, listed: Listed) -> int:
    """Write one article's text at the handle's position: its normalized form, a NUL and
    its trailer (its summary and its text as written, see `trailer`); return the bytes it
    takes."""
    handle.write(normalized)
    handle.write(SEPARATOR)
    tail = trailer(normalized, original, listed)
    handle.write(tail)
    return len(normalized) + len(SEPARATOR) + len(tail)


def region_size(read: Callable[[int, int], bytes], offset: int, length: int) -> int:
    """The bytes an article's region takes (text, NUL, trailer): what compaction copies."""
    head = read(TRAILER.size, offset + length + len(SEPARATOR))
    if len(head) != TRAILER.size:
        raise Damaged("the text file ends inside a trailer")
    return length + len(SEPARATOR) + TRAILER.size + int(TRAILER.unpack(head)[0])


# Read with a region at once: its trailer holds a summary (~300 bytes) and, for some, the
# text as written (about as long as the region).
_SUMMARY_BYTES = 1024


def stored_texts(
    read: Callable[[int, int], bytes], size: int, offset: int, length: int, crc: int
) -> StoredTexts:
    """An article's normalized text, text as written and summary values from the text
    file, `read(size, offset)` reading it, `size` its committed length; every part checked:
    its NUL, the region's checksum (`crc`, the row's text_crc) and the trailer's own, else
    Damaged. One read for most articles."""
    start = offset + length + len(SEPARATOR) + TRAILER.size
    if start > size:
        raise Damaged("the entries point past the text file's committed end")
    data = read(min(start + length + _SUMMARY_BYTES, size) - offset, offset)
    at = start - offset
    if len(data) < at:
        raise Damaged("the text file is shorter than its entries say")
    view = memoryview(data)
    if data[length] != 0 or zlib.crc32(view[:length]) != crc:  # its NUL, its checksum
        raise Damaged("the text file does not match its entries")
    extra, extra_crc = TRAILER.unpack_from(data, length + 1)
    if start + extra > size:
        raise Damaged("a trailer points past the text file's committed end")
    payload = view[at : at + extra] if at + extra <= len(data) else read(extra, start)
    if (
        len(payload) != extra
        or zlib.crc32(payload, zlib.crc32(view[length + 1 : length + 5])) != extra_crc
    ):
        raise Damaged("a trailer of the text file fails its checksum")
    try:
        listed, original = marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        raise Damaged("a trailer of the text file is not one") from None
    if type(listed) is not tuple or not (original is None or type(original) is str):
        raise Damaged("a trailer of the text file is not one")
    normalized = str(view[:length], "utf-8", "surrogatepass")
    return StoredTexts(normalized, normalized if original is None else original, listed)


def compact(old: Path, new: Path, regions: Iterable[tuple[int, int]]) -> list[int]:
    """Copy the live regions (offset, length) of `old`, each with its NUL and trailer, into
    `new`, in order; return where each now starts. A trailer is checked before it is
    carried on (its length decides what is copied): else Damaged."""
    starts: list[int] = []
    offset = 0
    with open(old, "rb") as source, open(new, "wb") as target:
        read = region_reader(source)
        end = os.fstat(source.fileno()).st_size
        for start, length in regions:
            taken = region_size(read, start, length)
            data = read(taken, start) if start + taken <= end else b""
            if len(data) != taken or not _trailer_sound(data, length):
                raise Damaged("a trailer of the text file fails its checksum")
            target.write(data)
            starts.append(offset)
            offset += taken
    return starts


def _trailer_sound(region: bytes, length: int) -> bool:
    """Whether the trailer after the `length` bytes of text and the NUL in `region` (the
    whole region) passes its checksum."""
    view = memoryview(region)
    head = length + len(SEPARATOR)
    crc: int = TRAILER.unpack_from(region, head)[1]
    size = view[head : head + 4]
    return zlib.crc32(view[head + TRAILER.size :], zlib.crc32(size)) == crc


def region_reader(handle: BinaryIO) -> Callable[[int, int], bytes]:
    """read(size, offset) of the open text file: one pread each where the system has it
    (a seek and a read through the buffer cost three times more)."""
    pread = getattr(os, "pread", None)
    if pread is not None:
        descriptor = handle.fileno()
        return lambda size, offset: pread(descriptor, size, offset)

    def read(size: int, offset: int) -> bytes:
        handle.seek(offset)
        return handle.read(size)

    return read


def chunks(offsets: Sequence[int], lengths: Sequence[int], limit: int) -> Iterator[tuple[int, int]]:
    """Runs of consecutive articles whose text spans at most `limit` bytes (at least one)."""
    first = 0
    count = len(offsets)
    while first < count:
        base = offsets[first]
        last = bisect.bisect_right(offsets, base + limit, first) - 1
        while last > first and offsets[last] + lengths[last] - base >= limit:
            last -= 1
        yield first, last
        first = last + 1


class ChunkCounter(Protocol):
    """What decides hits in the text file (newscli.search.Matcher is one)."""

    def count_in_chunk(
        self, chunk: bytes, starts: Sequence[int], ends: Sequence[int]
    ) -> list[tuple[int, int]]:
        """(i, hits) for every article i whose text, chunk[starts[i]:ends[i]], matches."""
        ...


def count_hits(
    text: Path | BinaryIO,
    size: int,
    entries: Entries,
    counter: ChunkCounter,
    chunk_bytes: int = CHUNK_BYTES,
) -> list[tuple[int, int]]:
    """(entry index, hits) of every matching article, in text order; `size` is the file's
    committed length (anything past it belongs to a writer still at work: no entry of the
    same transaction points there).

    Checked on the way: every region ends with its NUL and has its checksum; otherwise
    Damaged (a wrong count must never be an answer)."""
    if isinstance(text, Path):
        with open(text, "rb") as opened:
            return count_hits(opened, size, entries, counter, chunk_bytes)
    handle = text
    name = Path(str(getattr(handle, "name", "the text file"))).name
    found: list[tuple[int, int]] = []
    offsets, lengths = entries.offsets, entries.lengths
    for first, last in chunks(offsets, lengths, chunk_bytes):
        base = offsets[first]
        end = offsets[last] + lengths[last] + len(SEPARATOR)
        if end > size:  # entries and size are read in one transaction
            raise Damaged(f"{name}: the entries point past its committed end")
        handle.seek(base)
        data = handle.read(end - base)
        starts = [offset - base for offset in offsets[first : last + 1]]
        ends = [
            start + length for start, length in zip(starts, lengths[first : last + 1], strict=True)
        ]
        if len(data) != end - base:
            raise Damaged(f"{name} is shorter than its entries say")
        _check_regions(data, starts, ends, entries.crcs[first : last + 1])
        found.extend(
            (first + index, hits) for index, hits in counter.count_in_chunk(data, starts, ends)
        )
    return found


def _check_regions(
    data: bytes, starts: Sequence[int], ends: Sequence[int], crcs: Sequence[int]
) -> None:
    """Each region is followed by its NUL and has its checksum (crc32 runs at GB/s: every
    region is checked, so that a damaged byte can neither add nor hide a hit)."""
    view = memoryview(data)
    for start, end, crc in zip(starts, ends, crcs, strict=True):
        if data[end : end + 1] != SEPARATOR or zlib.crc32(view[start:end]) != crc:
            raise Damaged("the text file does not match its entries")


# Candidates closer than this are read in one go. Smaller reads less text that is no
# candidate's (at 200k, 双边关系: 117 MB read instead of 294 MB, which matters once the
# text file no longer fits the page cache) for one more read call per ~16 KB skipped.
GAP_BYTES = 16 * 1024


def runs(
    offsets: Sequence[int], lengths: Sequence[int], positions: Sequence[int], limit: int
) -> Iterator[list[int]]:
    """`positions` (ascending) in groups read at once: neighbours at most GAP_BYTES apart,
    spanning at most `limit` bytes (at least one each)."""
    group: list[int] = []
    for position in positions:
        if group:
            base = offsets[group[0]]
            previous_end = offsets[group[-1]] + lengths[group[-1]]
            end = offsets[position] + lengths[position]
            if offsets[position] - previous_end > GAP_BYTES or end - base >= limit:
                yield group
                group = []
        group.append(position)
    if group:
        yield group


def count_hits_at(
    text: BinaryIO,
    size: int,
    entries: Entries,
    positions: Sequence[int],
    counter: ChunkCounter,
    chunk_bytes: int = CHUNK_BYTES,
) -> list[tuple[int, int]]:
    """count_hits over the articles at `positions` (ascending) only: only their regions
    (and what lies between close neighbours) are read, each checked as count_hits does."""
    name = Path(str(getattr(text, "name", "the text file"))).name
    found: list[tuple[int, int]] = []
    offsets, lengths, crcs = entries.offsets, entries.lengths, entries.crcs
    for group in runs(offsets, lengths, positions, chunk_bytes):
        base = offsets[group[0]]
        end = offsets[group[-1]] + lengths[group[-1]] + len(SEPARATOR)
        if end > size:
            raise Damaged(f"{name}: the entries point past its committed end")
        text.seek(base)
        data = text.read(end - base)
        if len(data) != end - base:
            raise Damaged(f"{name} is shorter than its entries say")
        starts = [offsets[position] - base for position in group]
        ends = [start + lengths[position] for start, position in zip(starts, group, strict=True)]
        _check_regions(data, starts, ends, [crcs[position] for position in group])
        data, starts, ends = _packed(data, starts, ends)
        found.extend(
            (group[index], hits) for index, hits in counter.count_in_chunk(data, starts, ends)
        )
    return found


def _packed(data: bytes, starts: list[int], ends: list[int]) -> tuple[bytes, list[int], list[int]]:
    """The regions of `data` alone, each followed by its NUL, when what lies between them
    (articles that are not candidates) is most of it: the counter then scans only the
    candidates' text. What it counts is the same: a hit is one inside a region, and each
    region is still the same bytes followed by a NUL."""
    live = sum(ends) - sum(starts)
    if live * 2 >= len(data):
        return data, starts, ends
    view = memoryview(data)
    packed = SEPARATOR.join([view[start:end] for start, end in zip(starts, ends, strict=True)])
    new_starts: list[int] = []
    new_ends: list[int] = []
    at = 0
    for start, end in zip(starts, ends, strict=True):
        new_starts.append(at)
        at += end - start
        new_ends.append(at)
        at += len(SEPARATOR)
    return packed + SEPARATOR, new_starts, new_ends
