"""Normalization is exactly the library's t2s (and keeps length); display conversions work."""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opencc import OpenCC

from newscli import chinese
from newscli.chinese import convert_for_display, normalize, to_simplified

LIBRARY = OpenCC("t2s")
_PHRASES = sorted(LIBRARY._dict_chain_data[0][0][2])  # the 277 phrase keys
_CHARS = sorted(LIBRARY._dict_chain_data[0][1][2])[:600]
_PIECES = st.one_of(
    st.sampled_from(_PHRASES),
    st.sampled_from(_CHARS),
    st.sampled_from(list("，。、；：？！「」『』（）《》 -.\n\t…—")),
    st.text(alphabet="abcXYZ 012", max_size=5),
    st.sampled_from(["雙邊關係", "双边关系", "乾隆", "乾燥", "頭髮", "發展", "皇后", "後面"]),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_to_simplified_equals_library_t2s(text: str) -> None:
    converted = to_simplified(text)
    assert converted == LIBRARY.convert(text)
    assert len(converted) == len(text)


def test_real_text_identical(corpus_slice: Path) -> None:
    for path in sorted(corpus_slice.rglob("*.md"))[:40]:
        text = path.read_text(encoding="utf-8")
        assert to_simplified(text) == LIBRARY.convert(text), path


def test_examples() -> None:
    assert normalize("雙邊關係") == "双边关系"
    assert normalize("防衛互助協定") == "防卫互助协定"
    assert normalize("一目瞭然的頭髮") == LIBRARY.convert("一目瞭然的頭髮")
    assert normalize("KCNA Reuters", ignore_case=True) == "kcna reuters"
    assert normalize("İ", ignore_case=True) == "İ"  # length kept: only A–Z are folded


def test_display_conversions() -> None:
    assert convert_for_display("双边关系", "traditional") == "雙邊關係"
    assert convert_for_display("雙邊關係", "simplified") == "双边关系"
    assert convert_for_display("双边关系", "original") == "双边关系"
    assert convert_for_display("软件", "taiwan") == "軟體"
    assert convert_for_display("头发", "hongkong") == "頭髮"


def test_characters_shared_by_both_scripts_do_not_make_taiwanese_text_mixed() -> None:
    from newscli.chinese import detect_script

    # Traditional Taiwanese text full of 台 峰 群 里 后 干 云 (all written in Taiwan).
    text = "台灣高峰會議，群眾在公里外聚集，皇后與干涉之說如雲，人云亦云。這個國家的選舉結果將於後天公佈。"
    assert detect_script(text) == "traditional"
    assert detect_script("这个国家的选举结果将于后天公布，台风来了，高峰会议。") == "simplified"
    assert detect_script("這個國家 这个国家 這個國家 这个国家") == "mixed"


def test_the_t2s_tables_are_built_once_then_loaded_without_opencc(tmp_path: Path) -> None:
    """The first process builds the tables from OpenCC and keeps them in the cache folder;
    the next one loads them (no opencc import, no dictionary parsed) and converts the same."""
    script = (
        "import sys; from newscli.chinese import normalize, _t2s_cache_file;"
        "print(normalize('雙邊關係，防衛互助協定'), 'opencc' in sys.modules,"
        " _t2s_cache_file().name)"
    )
    env = {**os.environ, "NEWSCLI_CACHE_DIR": str(tmp_path)}
    runs = [
        subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        ).stdout.split()
        for _ in range(2)
    ]
    expected = LIBRARY.convert("雙邊關係，防衛互助協定")
    assert runs[0][:2] == [expected, "True"]  # built from the library
    assert runs[1][:2] == [expected, "False"]  # loaded: the library was never imported
    assert [path.name for path in tmp_path.glob("t2s-*.marshal")] == [runs[0][2]]


def test_a_damaged_or_outdated_t2s_cache_is_built_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSCLI_CACHE_DIR", str(tmp_path))
    built = chinese._load_t2s_parts()
    cached = chinese._t2s_cache_file()
    assert built is not None and cached is not None and cached.exists()
    cached.write_bytes(b"\x00damaged")
    assert chinese._load_t2s_parts() == built
    assert chinese._load_t2s_parts() == marshal.loads(cached.read_bytes())  # rewritten
    monkeypatch.setattr(chinese, "_T2S_FORMAT", chinese._T2S_FORMAT + 1)  # another layout
    newer = chinese._t2s_cache_file()
    assert newer is not None and newer != cached
    assert chinese._load_t2s_parts() == {**built, "format": chinese._T2S_FORMAT}
    assert not cached.exists() and newer.exists()  # the outdated file is gone
    text = "雙邊關係：一目瞭然的頭髮。乾隆皇后"
    assert chinese._T2S(chinese._load_t2s_parts())(text) == LIBRARY.convert(text)


def test_the_script_table_is_built_once_then_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """detect_script's table (4 OpenCC dictionaries read, ~0.05 s) is kept in the cache
    folder: the next process loads it without reading any dictionary, and it is the same."""
    monkeypatch.setenv("NEWSCLI_CACHE_DIR", str(tmp_path))
    chinese._script_table.cache_clear()
    built = chinese._script_table()
    assert len(list(tmp_path.glob("script-*.marshal"))) == 1
    chinese._script_table.cache_clear()

    def no_dictionary(name: str) -> dict[str, list[str]]:
        raise AssertionError(f"{name} read again")

    monkeypatch.setattr(chinese, "_dictionary", no_dictionary)
    assert chinese._script_table() == built
    assert (
        chinese.detect_script("臺灣選舉結果揭曉，執政黨獲勝，選民投票率較上次選舉略有增加")
        == "traditional"
    )
    assert (
        chinese.detect_script("台湾选举结果揭晓，执政党获胜，选民投票率较上次选举略有增加")
        == "simplified"
    )
    chinese._script_table.cache_clear()
