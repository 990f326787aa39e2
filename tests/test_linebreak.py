"""Line breaking as Chinese is set: widths, kinsoku, whole urls, and time linear in length."""

from __future__ import annotations

import itertools

from conftest import assert_linear
from hypothesis import example, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from newscli.linebreak import NO_LINE_END, NO_LINE_START, wrap_offsets

# From the seeds (000): quotes, brackets and stops at every distance from each other.
PROSE = (
    "金正恩也致信普京稱，「俄羅斯和朝鮮的友誼是在第二次世界大戰中隨著戰勝占領朝鮮半島的日本而建立的」。"
    "根據朝中社（KCNA）週一（8月15日）報導，《勞動新聞》說：“在反對共同敵人的抗日大戰年代裡凝成的"
    "朝俄友誼跨世代”【完】『一』〔二〕［三］｛四｝〈五〉‘六’"
)
URL = "https://www.dw.com/zh/%E6%9C%9D%E9%AE%AE%E5%AE%98%E5%AA%92/a-62805621"


def lines_of(text: str, width: int) -> list[str]:
    return [text[start:end] for start, end in wrap_offsets(text, width)]


def test_wrap_counts_wide_characters_and_keeps_punctuation_attached() -> None:
    text = "金正恩也致信普京稱，「俄羅斯和朝鮮的友誼是在第二次世界大戰中隨著戰勝占領朝鮮半島的日本而建立的」。"
    lines = lines_of(text, 20)
    assert "".join(lines) == text
    assert all(cell_len(line) <= 20 for line in lines)
    assert not [line for line in lines if line[0] in "，。」"]


def test_wrap_breaks_latin_at_spaces_and_folds_long_words() -> None:
    text = "美國國防部發言人萊德（Pat Ryder）週二表示 supercalifragilisticexpialidocious"
    lines = lines_of(text, 16)
    assert all(cell_len(line) <= 16 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


def test_kinsoku_at_every_width() -> None:
    for width in range(6, 61):
        lines = lines_of(PROSE, width)
        assert "".join(lines) == PROSE, width
        assert all(cell_len(line) <= width for line in lines), width
        assert not [line for line in lines[1:] if line[0] in NO_LINE_START], width
        assert not [line for line in lines[:-1] if line[-1] in NO_LINE_END], width


def test_a_url_is_never_broken() -> None:
    text = f"原文見{URL}。另見 {URL} 和「{URL}」，完。"
    for width in range(8, 120, 3):
        lines = lines_of(text, width)
        assert sum(line.count(URL) for line in lines) == 3, width
        long_lines = [line for line in lines if cell_len(line) > width]
        assert all(URL in line for line in long_lines), width  # only a url may overflow


def test_newlines_indentation_and_blank_lines() -> None:
    text = "  首段縮進兩格\n\n第二段"
    assert lines_of(text, 40) == ["  首段縮進兩格", "", "第二段"]
    assert lines_of("", 40) == [""]
    assert lines_of("   ", 40) == [""]


def test_linear_in_paragraph_length() -> None:
    paragraph = (PROSE + " Pat Ryder " + URL + " ") * 1000
    assert len(paragraph) > 200_000
    lines = lines_of(paragraph, 80)
    assert "".join(lines).replace(" ", "") == paragraph.replace(" ", "")
    assert_linear(lambda n: lambda: lines_of((PROSE + " Pat Ryder " + URL + " ") * n, 80), 100)


_PIECES = st.sampled_from(
    ["中", "國", "，", "。", "「", "」", "（", "）", "“", "”", " ", "ab", "Ryder", URL, "、", "《"]
)


@settings(max_examples=300, deadline=None)
@example(["ab", "，", "，"], 4)  # a forced cut that moves back must still fit the line
@given(st.lists(_PIECES, max_size=60), st.integers(min_value=4, max_value=50))
def test_wrapping_loses_nothing_and_fits(pieces: list[str], width: int) -> None:
    text = "".join(pieces)
    spans = wrap_offsets(text, width)
    assert all(0 <= start <= end <= len(text) for start, end in spans)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))  # in order
    kept = "".join(text[start:end] for start, end in spans)
    assert kept.replace(" ", "") == text.replace(" ", "")
    for start, end in spans:
        line = text[start:end]
        assert cell_len(line) <= width or (URL in line and cell_len(line) > width)
