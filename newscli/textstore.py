"""The index's text file: every article's normalized text, append-only, scanned in chunks.

``text-<generation>.bin`` holds the normalized (t2s) text of every article, UTF-8, each
followed by a NUL. It is only appended to; the index's rows point at the live regions, and
the file is rewritten (a new generation) once most of it is dead. A search reads it in
chunks, so memory stays flat, and hands each chunk to a `ChunkCounter` (the query's
matcher), which alone decides what a hit is.
"""

from __future__ import annotations

import bisect
import marshal
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

CHUNK_BYTES = 16 * 1024 * 1024  # how much of the text file is searched at once
SEPARATOR = b"\x00"  # after each article's text


class Damaged(Exception):
    """What the index holds does not check out (a checksum, a separator, a snapshot): the
    index must be rebuilt before it answers."""


def text_crc(normalized: bytes) -> int:
    """The checksum of one article's region of the text file (without its NUL)."""
    return zlib.crc32(normalized)


@dataclass
class Entries:
    """The live articles as search sees them, by text offset: parallel lists (cheap to load)."""

    ids: list[str]
    offsets: list[int]
    lengths: list[int]  # in bytes, without the closing NUL
    published: list[str | None]  # fixed-width ISO text, so text order is time order
    rels: list[str]
    crcs: list[int]  # text_crc of each article's region

    @classmethod
    def empty(cls) -> Entries:
        return cls([], [], [], [], [], [])

    def append(
        self,
        article_id: str,
        offset: int,
        length: int,
        published: str | None,
        rel: str,
        crc: int,
    ) -> None:
        self.ids.append(article_id)
        self.offsets.append(offset)
        self.lengths.append(length)
        self.published.append(published)
        self.rels.append(rel)
        self.crcs.append(crc)

    def without(self, rels: set[str]) -> Entries:
        """These entries less the articles of the files `rels`."""
        kept = Entries.empty()
        for index, rel in enumerate(self.rels):
            if rel not in rels:
                kept.append(
                    self.ids[index],
                    self.offsets[index],
                    self.lengths[index],
                    self.published[index],
                    rel,
                    self.crcs[index],
                )
        return kept

    def dumps(self) -> bytes:
        return marshal.dumps(
            (self.ids, self.offsets, self.lengths, self.published, self.rels, self.crcs)
        )

    @classmethod
    def loads(cls, data: bytes) -> Entries | None:
        """The inverse of dumps, or None for anything else (a damaged or foreign file)."""
        try:
            loaded = marshal.loads(data)
        except (ValueError, EOFError, TypeError):
            return None
        if not (isinstance(loaded, tuple) and len(loaded) == 6):
            return None
        ids, offsets, lengths, published, rels, crcs = loaded
        if not all(isinstance(part, list) for part in loaded):
            return None
        if len({len(part) for part in loaded}) != 1:
            return None
        return cls(ids, offsets, lengths, published, rels, crcs)


def append_text(handle: BinaryIO, normalized: bytes) -> int:
    """Write one article's text at the handle's position; return the bytes it takes."""
    handle.write(normalized)
    handle.write(SEPARATOR)
    return len(normalized) + len(SEPARATOR)


def compact(old: Path, new: Path, regions: Iterable[tuple[int, int]]) -> list[int]:
    """Copy the live regions (offset, length) of `old` into `new`, in order; return where
    each now starts."""
    starts: list[int] = []
    offset = 0
    with open(old, "rb") as source, open(new, "wb") as target:
        for start, length in regions:
            source.seek(start)
            target.write(source.read(length + len(SEPARATOR)))
            starts.append(offset)
            offset += length + len(SEPARATOR)
    return starts


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


GAP_BYTES = 64 * 1024  # candidates closer than this are read in one go


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
        found.extend(
            (group[index], hits) for index, hits in counter.count_in_chunk(data, starts, ends)
        )
    return found
