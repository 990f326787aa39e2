"""The index's text file: chunks cover every article once, compaction keeps the live text,
the scan stops at the committed length, and a damaged snapshot is never trusted."""

from __future__ import annotations

import marshal
import random
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace

import pytest

from newscli import textstore
from newscli.search import Matcher
from newscli.textstore import (
    Damaged,
    Entries,
    append_text,
    chunks,
    compact,
    count_hits,
    count_hits_at,
    stored_texts,
    text_crc,
    trailer,
)

TEXTS = ["美国总统", "没有", "美国和美国", "", "最后的美国"]
# The texts as written (normalize() of each is TEXTS'): some traditional, some the same.
WRITTEN = str.maketrans("国总统后", "國總統後")
LISTED = (
    "id",
    b"a\xff/b.md",
    "标题",
    "",
    "",
    "",
    None,
    "none",
    None,
    7,
    12,
    "mixed",
    "[]",
    "utf-8",
)


def _original(text: str) -> str:
    return text.translate(WRITTEN)


def _reader(path: Path) -> textstore.Callable[[int, int], bytes]:
    data = path.read_bytes()
    return lambda size, offset: data[offset : offset + size]


def _written(folder: Path, texts: list[str], dead_every: int = 0) -> tuple[Path, Entries, int]:
    """A text file holding `texts` (with a dead region after every `dead_every`-th)."""
    path = folder / "text-1.bin"
    entries = Entries.empty()
    size = 0
    with open(path, "wb") as handle:
        for number, text in enumerate(texts):
            data = text.encode("utf-8")
            entries.append(f"id{number}", size, len(data), None, f"{number}.md", text_crc(data))
            size += append_text(handle, data, _original(text), LISTED)
            if dead_every and number % dead_every == 0:
                dead = "美国 (a dead region)"
                size += append_text(handle, dead.encode(), _original(dead), LISTED)
    return path, entries, size


@pytest.mark.parametrize("limit", [1, 7, 13, 64, 10_000])
def test_chunks_cover_every_article_once(limit: int) -> None:
    offsets = [0, 5, 9, 30, 31, 60]
    lengths = [4, 3, 20, 0, 28, 2]
    runs = list(chunks(offsets, lengths, limit))
    covered = [index for first, last in runs for index in range(first, last + 1)]
    assert covered == list(range(len(offsets)))
    for first, last in runs:
        assert first == last or offsets[last] + lengths[last] - offsets[first] < limit


class _Spy:
    """A ChunkCounter that records the chunks it is given."""

    def __init__(self) -> None:
        self.seen: list[list[bytes]] = []
        self.chunks: list[bytes] = []

    def count_in_chunk(
        self, chunk: bytes, starts: Sequence[int], ends: Sequence[int]
    ) -> list[tuple[int, int]]:
        pieces = [chunk[start:end] for start, end in zip(starts, ends, strict=True)]
        self.seen.append(pieces)
        self.chunks.append(bytes(chunk))
        return [(index, len(piece)) for index, piece in enumerate(pieces) if piece]


def test_the_scan_hands_each_article_to_the_counter_once(tmp_path: Path) -> None:
    path, entries, size = _written(tmp_path, TEXTS, dead_every=2)
    spy = _Spy()
    found = count_hits(path, size, entries, spy, chunk_bytes=16)
    assert [piece.decode() for pieces in spy.seen for piece in pieces] == TEXTS
    assert len(spy.seen) > 1  # several chunks at this size
    assert found == [(i, len(t.encode())) for i, t in enumerate(TEXTS) if t]
    matcher = Matcher("美國")
    assert count_hits(path, size, entries, matcher, chunk_bytes=16) == [(0, 1), (2, 2), (4, 1)]


def test_entries_past_the_committed_length_are_damage_not_a_shorter_answer(
    tmp_path: Path,
) -> None:
    # Entries and the committed length are read in one transaction: an entry past it can
    # only be damage (a flipped offset), and a count that silently skips it would be wrong.
    path, entries, _ = _written(tmp_path, TEXTS)
    committed = entries.offsets[2]
    with pytest.raises(Damaged):
        count_hits(path, committed, entries, Matcher("美国"), chunk_bytes=8)


@pytest.mark.parametrize("where", range(0, 40, 3))
def test_a_flipped_byte_of_the_text_file_is_found(tmp_path: Path, where: int) -> None:
    path, entries, size = _written(tmp_path, TEXTS, dead_every=2)
    clean = count_hits(path, size, entries, Matcher("美国"), chunk_bytes=8)
    data = bytearray(path.read_bytes())
    live = any(
        offset <= where <= offset + length
        for offset, length in zip(entries.offsets, entries.lengths, strict=True)
    )
    data[where] ^= 0x01
    path.write_bytes(bytes(data))
    if live:  # a live region or its NUL: never a count that differs silently
        with pytest.raises(Damaged):
            count_hits(path, size, entries, Matcher("美国"), chunk_bytes=8)
    else:  # a dead region: no answer depends on it
        assert count_hits(path, size, entries, Matcher("美国"), chunk_bytes=8) == clean


def test_compaction_keeps_the_live_text_in_order(tmp_path: Path) -> None:
    path, entries, _ = _written(tmp_path, TEXTS, dead_every=1)
    live = entries.patched([entries.offsets[entries.rels.index("1.md")]], Entries.empty())
    assert live is not None
    new = tmp_path / "text-2.bin"
    starts = compact(path, new, zip(live.offsets, live.lengths, strict=True))
    data = new.read_bytes()
    kept = [t for i, t in enumerate(TEXTS) if i != 1]
    assert data == b"".join(
        t.encode() + b"\x00" + trailer(t.encode(), _original(t), LISTED) for t in kept
    )
    assert [data[s : s + n].decode() for s, n in zip(starts, live.lengths, strict=True)] == kept
    # each with its text as written
    read, crcs = _reader(new), [entries.crcs[i] for i in range(len(TEXTS)) if i != 1]
    assert [
        stored_texts(read, len(data), start, length, crc)
        for start, length, crc in zip(starts, live.lengths, crcs, strict=True)
    ] == [(t, _original(t), LISTED) for t in kept]


@pytest.mark.parametrize(
    "original",
    ["美國總統", "美国总统", "", "台灣\n\n末\udcfe", '\\ " \u2028 \x1b\x00', "a" * 70_000, "乾杯"],
)
def test_the_text_as_written_comes_back_from_the_trailer(tmp_path: Path, original: str) -> None:
    """What search prints comes from the text file alone: the normalized text and the text
    as written, whatever it holds (lone surrogates, NULs, more than one read's worth); a
    text that is its own normalized form costs no second copy."""
    from newscli.chinese import normalize

    path = tmp_path / "text-1.bin"
    normalized = normalize(original).encode("utf-8", "surrogatepass")
    with open(path, "wb") as handle:
        handle.write(b"before")
        size = 6 + append_text(handle, normalized, original, LISTED)
    read = _reader(path)
    got = stored_texts(read, size, 6, len(normalized), text_crc(normalized))
    assert got == (normalize(original), original, LISTED)
    same = normalized.decode("utf-8", "surrogatepass") == original
    payload = path.read_bytes()[6 + len(normalized) + 1 + textstore.TRAILER.size :]
    assert (marshal.loads(payload)[1] is None) is same  # no second copy of the same text


def test_every_byte_of_a_region_and_its_trailer_is_checked(tmp_path: Path) -> None:
    path, entries, size = _written(tmp_path, TEXTS)
    data = path.read_bytes()
    offset, length, crc = entries.offsets[2], entries.lengths[2], entries.crcs[2]
    end = entries.offsets[3]
    assert stored_texts(_reader(path), size, offset, length, crc) == (
        TEXTS[2],
        _original(TEXTS[2]),
        LISTED,
    )
    for where in range(offset, end):
        for flip in (0x01, 0x80):
            damaged = bytearray(data)
            damaged[where] ^= flip
            path.write_bytes(bytes(damaged))
            with pytest.raises(Damaged):
                stored_texts(_reader(path), size, offset, length, crc)
    path.write_bytes(data)
    with pytest.raises(Damaged):  # a trailer past the committed end
        stored_texts(_reader(path), end - 1, offset, length, crc)


def test_a_trailer_is_never_counted_as_hits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The text as written lies between regions: a needle it holds (not the normalized
    text's) is no hit, and a trailer full of them costs one look each, not one per hit."""
    path = tmp_path / "text-1.bin"
    entries = Entries.empty()
    size = 0
    with open(path, "wb") as handle:
        for number, (text, original) in enumerate(
            [("没有", "美国" * 5000), ("美国", "美國"), ("无", "美国 美国")]
        ):
            data = text.encode()
            entries.append(f"id{number}", size, len(data), None, f"{number}.md", text_crc(data))
            size += append_text(handle, data, original, LISTED)
    assert count_hits(path, size, entries, Matcher("美国")) == [(1, 1)]
    with open(path, "rb") as handle:
        assert count_hits_at(handle, size, entries, [0, 1, 2], Matcher("美国")) == [(1, 1)]
    import bisect

    from newscli import search

    looks: list[int] = []

    def bisect_right(items: Sequence[int], value: int) -> int:
        looks.append(value)
        return bisect.bisect_right(items, value)

    monkeypatch.setattr(search, "bisect", SimpleNamespace(bisect_right=bisect_right))
    counted = Matcher("美国").count_in_chunk(
        path.read_bytes(),
        entries.offsets,
        [o + n for o, n in zip(entries.offsets, entries.lengths, strict=True)],
    )
    assert counted == [(1, 1)]
    assert len(looks) <= 4  # the 5,000 in the first trailer: one look


def test_entries_snapshot_round_trip_and_damage() -> None:
    entries = Entries(
        ["a", "b"], [0, 5], [4, 3], ["2020-01-01T00:00:00.000000+00:00", None], ["x", "y"], [7, 9]
    )
    assert Entries.loads(entries.dumps()) == entries
    assert entries.patched([0], Entries.empty()) == Entries(["b"], [5], [3], [None], ["y"], [9])
    for damaged in (
        b"not marshal",
        entries.dumps()[:-3],
        marshal.dumps(["a", "b"]),
        marshal.dumps((["a"], [0], [4], [None], [], [1])),  # lists of different lengths
        marshal.dumps((["a"], [0], [4], [None], "x", [1])),
        marshal.dumps((["a"], [0], [4], [None], ["x"])),  # before checksums
    ):
        assert Entries.loads(damaged) is None


@pytest.mark.parametrize("gap", [0, 8, 1 << 16])
def test_counting_at_positions_reads_only_those_articles(
    tmp_path: Path, gap: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = ["美国", "x" * 40, "美国美国", "y" * 40, "没有", "最后的美国"]
    path, entries, size = _written(tmp_path, texts)
    monkeypatch.setattr(textstore, "GAP_BYTES", gap)
    spy = _Spy()
    with open(path, "rb") as handle:
        found = count_hits_at(handle, size, entries, [0, 2, 5], spy, chunk_bytes=64)
        assert [piece.decode() for pieces in spy.seen for piece in pieces] == [
            texts[0],
            texts[2],
            texts[5],
        ]
        assert found == [(0, 6), (2, 12), (5, 15)]  # positions in the entries
        if gap == 0:
            assert len(spy.seen) == 3  # each read by itself, the 40-byte ones skipped
        matcher = Matcher("美國")
        assert count_hits_at(handle, size, entries, [0, 2, 4, 5], matcher) == [
            (0, 1),
            (2, 2),
            (5, 1),
        ]


def test_counting_at_positions_checks_each_region(tmp_path: Path) -> None:
    path, entries, size = _written(tmp_path, TEXTS)
    data = bytearray(path.read_bytes())
    data[entries.offsets[2]] ^= 0x01
    path.write_bytes(bytes(data))
    with open(path, "rb") as handle:
        assert count_hits_at(handle, size, entries, [0], Matcher("美国")) == [(0, 1)]
        with pytest.raises(Damaged):
            count_hits_at(handle, size, entries, [0, 2], Matcher("美国"))
        with pytest.raises(Damaged):
            count_hits_at(handle, entries.offsets[2], entries, [2], Matcher("美国"))


def _unordered() -> Entries:
    return Entries(
        ["a", "b", "c", "d", "e"],
        [0, 5, 9, 14, 20],
        [4, 3, 4, 5, 2],
        [
            "2020-01-01T00:00:00.000000+00:00",
            None,
            "2021-06-01T00:00:00.000000+00:00",
            "2020-01-01T00:00:00.000000+00:00",
            None,
        ],
        ["x/3.md", "z-\udcff.md", "台灣/y.md", "x/1.md", "a.md"],  # undecodable byte kept
        [7, 9, 11, 13, 15],
    )


def test_a_loaded_snapshot_keeps_its_strings_joined_and_list_order() -> None:
    entries = _unordered()
    assert not entries.ordered
    loaded = Entries.loads(entries.dumps())
    assert loaded is not None and loaded.ordered
    # items one at a time, without splitting a whole column
    assert [loaded.id_at(n) for n in range(5)] == entries.ids
    assert [loaded.rel_at(n) for n in range(5)] == entries.rels
    assert [loaded.published_at(n) for n in range(5)] == entries.published
    assert loaded._ids is None and loaded._rels is None and loaded._published is None
    # newest first, ties by path, then the undated by path: as newscli.article.newest_first
    assert loaded.newest_order().tolist() == [2, 3, 0, 4, 1]
    assert entries.newest_order().tolist() == [2, 3, 0, 4, 1]
    assert [loaded.newest_rank()[n] for n in range(5)] == [2, 4, 0, 1, 3]
    loaded.append("f", 23, 1, "2022-01-01T00:00:00.000000+00:00", "b.md", 17)
    assert not loaded.ordered and loaded.newest_order().tolist() == [5, 2, 3, 0, 4, 1]
    assert Entries.loads(loaded.dumps()) == loaded
    assert Entries.loads(Entries.empty().dumps()) == Entries.empty()


def test_a_snapshot_of_the_format_before_still_loads() -> None:
    entries = _unordered()
    columns = (entries.ids, entries.offsets, entries.lengths, entries.published)
    old = marshal.dumps((*columns, entries.rels, entries.crcs))
    loaded = Entries.loads(old)
    assert loaded == entries and loaded is not None and not loaded.ordered


@pytest.mark.parametrize(
    ("needle", "options"), [("美国", {}), ("ab", {"ignore_case": True}), ("美.", {"regex": True})]
)
def test_counting_at_positions_scans_only_the_candidates_text(
    tmp_path: Path,
    needle: str,
    options: dict,  # type: ignore[type-arg]
) -> None:
    """Between close candidates lie other articles (read in one go): the counter is given
    the candidates' regions alone, and counts what it would have counted in place."""
    texts = ["美国AB", "美国ab美国" * 20, "ab美元", "no" * 30, "Ab美国ab", "美" * 50, "x美国"]
    path, entries, size = _written(tmp_path, texts)
    matcher = Matcher(needle, **options)
    spy = _Spy()
    positions = [0, 2, 4, 6]
    with open(path, "rb") as handle:
        counted = count_hits_at(handle, size, entries, positions, spy)
        assert counted == [(n, len(texts[n].encode())) for n in positions]
        (chunk,) = spy.chunks
        assert chunk == b"\0".join(texts[n].encode() for n in positions) + b"\0"
        in_place = [
            (position, hits)
            for position, hits in count_hits(handle, size, entries, matcher)
            if position in positions
        ]
        assert count_hits_at(handle, size, entries, positions, matcher) == in_place
        assert in_place


def _random_entries(chance: random.Random, count: int, start: int) -> Entries:
    entries = Entries.empty()
    offset = start
    for number in range(count):
        published = chance.choice([None, f"2020-01-0{chance.randint(1, 3)}T00:00:00.000000+00:00"])
        folder = chance.choice(["a/", "b/", "\udcff/", "中文/", ""])  # undecodable bytes too
        length = chance.randint(0, 5)
        rel = f"{folder}{chance.randint(0, 9)}-{start}-{number}.md"
        entries.append(f"{start}-{number}", offset, length, published, rel, chance.randrange(9))
        offset += length + 1
    return entries


def test_patched_entries_equal_the_entries_made_afresh() -> None:
    """A refresh's entries: the loaded snapshot (strings still joined) less the dropped
    articles plus the stored ones, with list's order patched, equal the same entries made
    one by one and sorted, and write the same snapshot."""
    chance = random.Random(11)
    for _ in range(300):
        base = _random_entries(chance, chance.randint(0, 30), 0)
        loaded = Entries.loads(base.dumps())
        assert loaded is not None and loaded.ordered
        dead = chance.sample(base.offsets, chance.randint(0, len(base)))
        end = base.offsets[-1] + base.lengths[-1] + 1 if len(base) else 0
        added = _random_entries(chance, chance.randint(0, 6), end)
        expected = Entries.empty()
        for position in [p for p in range(len(base)) if base.offsets[p] not in dead]:
            expected.append(
                base.ids[position],
                base.offsets[position],
                base.lengths[position],
                base.published[position],
                base.rels[position],
                base.crcs[position],
            )
        for position in range(len(added)):
            expected.append(
                added.ids[position],
                added.offsets[position],
                added.lengths[position],
                added.published[position],
                added.rels[position],
                added.crcs[position],
            )
        for source in (loaded, base):  # joined as loaded, or lists as made
            patched = source.patched(dead, added)
            assert patched is not None and patched == expected
            assert [patched.rel_at(p) for p in range(len(patched))] == expected.rels
            assert list(patched.newest_order()) == list(expected.newest_order())
            assert list(patched.newest_rank()) == list(expected.newest_rank())
            assert patched.dumps() == expected.dumps()


def test_patched_entries_refuse_an_offset_of_no_entry() -> None:
    entries = Entries(["a", "b"], [0, 5], [4, 3], [None, None], ["x", "y"], [7, 9])
    assert entries.patched([3], Entries.empty()) is None
    assert entries.patched([], Entries(["c"], [2], [1], [None], ["z"], [1])) is None  # not after


def test_entries_from_rows_equal_the_entries_appended() -> None:
    """The tables' rows (rels as stored bytes) made straight into joined columns: the same
    entries, list's order and snapshot as appending each row."""
    chance = random.Random(5)
    for count in (0, 1, 2, 40):
        made = _random_entries(chance, count, 0)
        rows = [
            (
                made.ids[p],
                made.offsets[p],
                made.lengths[p],
                made.published[p],
                made.rels[p].encode("utf-8", "surrogateescape"),
                made.crcs[p],
            )
            for p in range(count)
        ]
        entries = Entries.from_rows(rows)
        assert entries.ordered and entries == made
        assert list(entries.newest_order()) == list(made.newest_order())
        assert entries.dumps() == made.dumps()


@pytest.mark.parametrize("where", ["length", "crc", "payload"])
def test_compaction_never_carries_a_damaged_trailer_on(tmp_path: Path, where: str) -> None:
    """A trailer's length decides what compaction copies: a flipped byte in it (or in
    what it covers) is damage found there, not a wrong region carried into the next
    generation (or a read of the rest of the file)."""
    path, entries, _ = _written(tmp_path, TEXTS, dead_every=1)
    data = bytearray(path.read_bytes())
    head = entries.offsets[1] + entries.lengths[1] + 1  # the second article's trailer
    data[head + {"length": 3, "crc": 5, "payload": 9}[where]] ^= 0x40
    path.write_bytes(bytes(data))
    with pytest.raises(Damaged):
        compact(path, tmp_path / "text-2.bin", zip(entries.offsets, entries.lengths, strict=True))
