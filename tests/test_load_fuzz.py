"""Mutated real files never make the parser raise: each yields an article or a problem.

CI runs a few hundred cases; by hand, NEWSCLI_FUZZ_EXAMPLES=10000 runs ten thousand.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import SEEDS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newscli.corpus import SourceFile
from newscli.load import load_bytes

EXAMPLES = int(os.environ.get("NEWSCLI_FUZZ_EXAMPLES", "150"))
SOURCE = SourceFile("/fuzz/a.txt", "a.txt", 0, 0)
SEED_FILES = [path.read_bytes() for path in sorted(SEEDS.iterdir())]
HTML_BITS = [
    b"<",
    b">",
    b"</p>",
    b"<p>",
    b"<div>",
    b"</div>",
    b"<img src=",
    b'"',
    b"<br>",
    b"<!--",
    b"-->",
    b"<script>",
    b"</script>",
    b"<b>",
    b"<i>",
    b"&nbsp;",
    b"&#0;",
    b"&#x1b;",
    b"\x1b[31m",
    b"------\n",
    b"<!--123-->\n",
    b"---\n",
    b"[",
    b"](",
    b")",
    b"\r",
    b"\n",
    b"\x00",
    b"\xff",
    b"<figure><img src=x><figcaption>",
    b"<div><i>",
    b"</i></div>",
    "雙邊".encode(),
]
ENCODINGS = [
    "utf-8",
    "utf-8-sig",
    "utf-16",
    "utf-16-le",
    "gb18030",
    "big5",
    "latin-1",
    "cp1252",
    "shift_jis",
]


def check(data: bytes) -> None:
    result = load_bytes(SOURCE, data)
    assert result.article is not None or result.problems or result.ignored
    if result.article is not None:
        result.article.to_dict()  # the whole model is usable
        _ = result.article.text


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEED_FILES + _slice_files())))
    for _ in range(draw(st.integers(0, 8))):
        action = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        position = draw(st.integers(0, max(len(data) - 1, 0)))
        if action == "flip" and data:
            data[position] = draw(st.integers(0, 255))
        elif action == "insert":
            data[position:position] = draw(st.sampled_from(HTML_BITS))
        elif action == "delete":
            del data[position : position + draw(st.integers(1, 40))]
        else:
            del data[position:]
    if draw(st.booleans()):
        encoding = draw(st.sampled_from(ENCODINGS))
        data = bytearray(bytes(data).decode("utf-8", "replace").encode(encoding, "replace"))
    return bytes(data)


_SLICE: list[bytes] = []


def _slice_files() -> list[bytes]:
    return _SLICE


@pytest.fixture(autouse=True, scope="module")
def _load_slice(corpus_slice: Path) -> None:
    _SLICE[:] = [path.read_bytes() for path in sorted(corpus_slice.rglob("*.md"))[:30]]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated())
def test_mutated_files_never_raise(data: bytes) -> None:
    check(data)


def test_truncation_at_every_offset() -> None:
    short = (
        '---\ntitle: "短"\nauthor: 德国之声\n---\n<!--1660528023000-->\n[短文](https://www.dw.com/a-1)\n'
        '------\n<div><i><br>2022-08-15T01:22:34Z</i></div><p>第一段<b>粗</b></p><img src="x.jpg">'
        "<div><small>說明</small></div><p>（路透社）</p>"
    ).encode()
    for end in range(len(short) + 1):
        check(short[:end])
