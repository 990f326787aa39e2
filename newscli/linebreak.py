"""Breaking text into lines the way Chinese is set, in time linear in the text's length.

Chinese has no spaces to wrap at: a line may break between any two CJK characters, and at
spaces between Latin words. Kinsoku (line-breaking rules of CJK typesetting): a line never
begins with closing punctuation (，。、」）…) and never ends with opening punctuation
(“（《「…), so such a character travels with its neighbour. A url is never broken: a
terminal must be able to click it, so it moves to a line of its own and may overflow.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from rich.cells import cell_len

# Characters that must not begin a line: closing brackets and quotes, stops, commas…
NO_LINE_START = frozenset(
    "，。、；：？！）」』》〉】〕］｝〗〙〛｠”’»…‥—·・ー～々〻ゝゞ,.;:?!)]}%‰℃"
)
# Characters that must not end a line: opening brackets and quotes.
NO_LINE_END = frozenset("“‘（《「『【〔［｛〈〖〘〚｟«([{")

_CJK_CHAR = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff"
_OPEN = re.escape("".join(sorted(NO_LINE_END)))
_CLOSE = re.escape("".join(sorted(NO_LINE_START)))
# A unit: a run of CJK characters, a Latin word or a url, with the opening punctuation
# before it and the closing punctuation after it. A line breaks between units (at spaces
# or not) and, inside a unit, only between two characters of its CJK run.
_UNIT = re.compile(
    rf"(?P<space>\s+)"
    rf"|[{_OPEN}]*(?:(?P<url>(?:https?|ftp)://[^\s{_CJK_CHAR}]+|www\.[^\s{_CJK_CHAR}]+)"
    rf"|(?P<run>(?:(?![{_OPEN}{_CLOSE}])[{_CJK_CHAR}])+)"
    rf"|[{_CJK_CHAR}]|[^\s{_CJK_CHAR}]+)[{_CLOSE}]*"
    rf"|[{_OPEN}]+|[{_CLOSE}]+"
)
MIN_WIDTH = 4


class _Unit(NamedTuple):
    """Text that must stay on one line (a character and the punctuation glued to it)."""

    start: int
    end: int
    width: int
    url: bool
    run_start: int = 0  # the CJK run inside, where the unit may break (empty: nowhere)
    run_end: int = 0
    run_wide: bool = False  # every character of the run is two cells wide


def wrap_offsets(text: str, width: int) -> list[tuple[int, int]]:
    """Line spans of `text` wrapped to `width` terminal cells (wide characters count 2).

    Every line fits in `width` cells except one holding only a url longer than that.
    Spaces where a line breaks are dropped; a newline always ends a line."""
    width = max(width, MIN_WIDTH)
    lines: list[tuple[int, int]] = []
    for para_start, para_end in _paragraphs(text):
        lines.extend(_wrap_paragraph(text, para_start, para_end, width))
    return lines


def _paragraphs(text: str) -> Iterator[tuple[int, int]]:
    start = 0
    while True:
        end = text.find("\n", start)
        if end == -1:
            yield start, len(text)
            return
        yield start, end
        start = end + 1


def _units(text: str, start: int, end: int) -> Iterator[_Unit | int]:
    """The paragraph as units, and (as ints) the widths of the spaces between them."""
    for match in _UNIT.finditer(text, start, end):
        if match.group("space") is not None:
            yield cell_len(match.group())
            continue
        first, last = match.span()
        run_start, run_end = match.span("run")
        if run_start == -1:
            run_start = run_end = first
        run = text[run_start:run_end]
        yield _Unit(
            first,
            last,
            cell_len(match.group()),
            match.group("url") is not None,
            run_start,
            run_end,
            cell_len(run) == 2 * len(run),
        )


def _wrap_paragraph(text: str, start: int, end: int, width: int) -> Iterator[tuple[int, int]]:
    line_start = line_end = start
    used = 0  # cells on the current line, the paragraph's indentation included
    content = False  # the current line holds text
    emitted = False
    space = 0  # cells of the spaces since the last unit
    for item in _units(text, start, end):
        if isinstance(item, int):
            space += item
            continue
        unit = item
        indented = not content and line_start == start  # the paragraph's first unit
        gap = space if content or indented else 0
        space = 0
        while True:
            if not content and not indented:
                line_start = unit.start
            if used + gap + unit.width <= width:
                used += gap + unit.width
                line_end = unit.end
                content = True
                break
            head = _head(text, unit, width - used - gap)
            if head is not None:  # fill the line with the start of the CJK run
                cut, head_width = head
                yield line_start, cut
                unit = unit._replace(start=cut, width=unit.width - head_width, run_start=cut)
            elif content:
                yield line_start, line_end
            elif unit.url:  # a url overflows rather than breaks
                line_end, used, content = unit.end, unit.width, True
                break
            else:
                pieces = _fold(text, unit, width)
                yield from pieces[:-1]
                line_start, line_end = pieces[-1]
                used, content = cell_len(text[line_start:line_end]), True
                emitted = True
                break
            emitted = True
            content, used, gap, indented = False, 0, 0, False
    if content or not emitted:
        yield line_start, line_end


def _head(text: str, unit: _Unit, room: int) -> tuple[int, int] | None:
    """Where to break inside the unit's CJK run so its head fits in `room` cells (leaving
    at least one character of the run for the tail): (offset, the head's width)."""
    most = unit.run_end - unit.run_start - 1
    if room <= 0 or most < 1:
        return None
    used = cell_len(text[unit.start : unit.run_start])  # opening punctuation before the run
    if unit.run_wide:
        count = min((room - used) // 2, most)
        return (unit.run_start + count, used + 2 * count) if count >= 1 else None
    count = 0
    while count < most:
        size = cell_len(text[unit.run_start + count])
        if used + size > room:
            break
        used += size
        count += 1
    return (unit.run_start + count, used) if count >= 1 else None


MAX_KINSOKU_SHIFT = 4  # how far a forced cut moves back to keep punctuation attached


def _fold(text: str, unit: _Unit, width: int) -> list[tuple[int, int]]:
    """A unit wider than a line (a very long word): cut by characters, where kinsoku
    allows it within a few characters of the line's end."""
    pieces: list[tuple[int, int]] = []
    piece_start = unit.start
    used = 0
    for position in range(unit.start, unit.end):
        size = cell_len(text[position])
        if used + size > width and used:
            cut = position
            while cut > max(piece_start + 1, position - MAX_KINSOKU_SHIFT) and (
                text[cut] in NO_LINE_START or text[cut - 1] in NO_LINE_END
            ):
                cut -= 1
            carried = cell_len(text[cut:position])
            if text[cut] in NO_LINE_START or text[cut - 1] in NO_LINE_END or carried + size > width:
                cut, carried = position, 0  # no better place near: a plain cut
            pieces.append((piece_start, cut))
            piece_start, used = cut, carried
        used += size
    pieces.append((piece_start, unit.end))
    return pieces
