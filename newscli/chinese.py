"""Traditional/Simplified: a fast, exact normalization for matching, and OpenCC for display.

Matching compares text in one canonical script (Simplified). opencc-python-reimplemented's
``t2s`` is the source of truth, but it converts only ~0.3 M characters/s. Its t2s is a
group of two dictionaries: 277 phrases (tried first, longest match) and a one-character
table. Phrases never span its separator characters, so any separator-delimited chunk that
holds no phrase key converts character by character: a ``str.translate`` table does that
at C speed, and only the rare chunks holding a phrase key go to the library itself.
The result is identical to ``OpenCC('t2s').convert`` for every input (tests check it), and
t2s never changes a string's length, so offsets found in normalized text point into the
original text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

# Display conversions offered by `show --script` and `convert --script`.
DISPLAY_CONVERSIONS = {
    "original": None,
    "simplified": "t2s",
    "traditional": "s2t",
    "taiwan": "s2twp",
    "hongkong": "s2hk",
}

# Latin case folding that keeps every string's length (str.lower() does not, e.g. 'İ'):
# the one table of what ignore_case folds (search derives its byte patterns from it).
CASE_FOLD = {code: code + 32 for code in range(ord("A"), ord("Z") + 1)}
CASE_FOLD.update({code: code + 32 for code in range(ord("Ａ"), ord("Ｚ") + 1)})


# What the cached t2s tables hold (bump when _t2s_parts changes what it builds).
_T2S_FORMAT = 1
# The files OpenCC's t2s is made of, inside the opencc package: the cache is keyed on them.
_T2S_SOURCES = (
    "opencc.py",
    "config/t2s.json",
    "dictionary/TSPhrases.txt",
    "dictionary/TSCharacters.txt",
)


def _t2s_parts() -> dict[str, Any] | None:
    """What the fast t2s is made of, built from OpenCC's own dictionaries (~30 ms): plain
    values (marshal-able), or None for an unexpected library layout."""
    from opencc import OpenCC

    library: Any = OpenCC("t2s")
    try:
        ((_, _, phrases), (char_max, _, characters)) = library._dict_chain_data[0]
    except (AttributeError, IndexError, TypeError, ValueError):
        return None
    if char_max != 1:
        return None
    # Every phrase key holds a character that t2s converts (a Traditional one) except a
    # few; one such "trigger" per key, rare in most text, finds the few chunks that can
    # hold a phrase by a character-class scan, ~10x faster than the alternation.
    keys = sorted(phrases, key=len, reverse=True)
    triggers = {
        next((char for char in reversed(key) if char in characters), key[-1]) for key in keys
    }
    separators = re.compile(library.split_chars_re.pattern)
    return {
        "format": _T2S_FORMAT,
        "characters": {ord(key): ord(value.split(" ")[0]) for key, value in characters.items()},
        "phrases": keys,
        "triggers": "".join(sorted(triggers)),
        "separators": separators.pattern,
        "separator_chars": "".join(c for c in map(chr, range(0x3100)) if separators.fullmatch(c)),
    }


def _cache_file(kind: str, sources: tuple[str, ...], form: int) -> Path | None:
    """Where tables built from OpenCC's files are kept: in newscli's cache folder, named by
    the installed opencc's version and the size and mtime of those files (another opencc:
    another file, never a stale one)."""
    import hashlib
    import importlib.util
    import os

    from newscli.places import cache_root

    spec = importlib.util.find_spec("opencc")
    if spec is None or not spec.submodule_search_locations:
        return None
    package = Path(next(iter(spec.submodule_search_locations)))
    key = [str(form), str(package)]
    try:
        key += sorted(
            name
            for name in os.listdir(package.parent)
            if name.lower().startswith("opencc_python_reimplemented-")
        )  # its dist-info folder names the version
        for name in sources:
            info = (package / name).stat()
            key.append(f"{name}:{info.st_size}:{info.st_mtime_ns}")
    except OSError:
        return None
    digest = hashlib.blake2b("\n".join(key).encode("utf-8", "surrogateescape"), digest_size=8)
    return cache_root() / f"{kind}-{digest.hexdigest()}.marshal"


def _cached(
    kind: str, sources: tuple[str, ...], form: int, build: Callable[[], dict[str, Any] | None]
) -> dict[str, Any] | None:
    """Tables from the cache, or built now (and kept for the next process)."""
    import marshal
    import os

    cached = _cache_file(kind, sources, form)
    if cached is not None:
        try:
            loaded: object = marshal.loads(cached.read_bytes())
            if isinstance(loaded, dict) and loaded.get("format") == form:
                return loaded
        except (OSError, ValueError, EOFError, TypeError):
            pass  # missing or damaged: built again below
    parts = build()
    if cached is not None and parts is not None:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_name(f"{cached.name}.{os.getpid()}.tmp")
            partial.write_bytes(marshal.dumps(parts))
            os.replace(partial, cached)
            for old in cached.parent.glob(f"{kind}-*.marshal"):
                if old != cached:
                    old.unlink(missing_ok=True)
        except OSError:
            pass  # a read-only cache: build them each time
    return parts


def _t2s_cache_file() -> Path | None:
    return _cache_file("t2s", _T2S_SOURCES, _T2S_FORMAT)


def _load_t2s_parts() -> dict[str, Any] | None:
    return _cached("t2s", _T2S_SOURCES, _T2S_FORMAT, _t2s_parts)


class _T2S:
    def __init__(self, parts: dict[str, Any] | None) -> None:
        self._cc: Any = None  # the library itself: loaded only for a chunk holding a phrase
        self.table: list[int] = []
        self.exact = False
        if parts is None:
            return  # an unexpected library layout: fall back to the library for everything
        mapping: dict[int, int] = parts["characters"]
        # A list indexed by code point, identity where t2s keeps the character: list
        # indexing with no misses runs ~3x faster in str.translate than a sparse dict.
        self.table = list(range(max(mapping) + 1))
        for code, target in mapping.items():
            self.table[code] = target
        self.phrases: list[str] = parts["phrases"]
        self.longest = len(self.phrases[0])
        self._phrase_re: re.Pattern[str] | None = None
        self.trigger_re = re.compile("[" + "".join(map(re.escape, parts["triggers"])) + "]")
        self.separators = re.compile(parts["separators"])
        self.separator_chars = frozenset(parts["separator_chars"])
        self.exact = True

    @property
    def phrase_re(self) -> re.Pattern[str]:
        """Any phrase key, longest first (compiled when text first holds a trigger)."""
        if self._phrase_re is None:
            self._phrase_re = re.compile("|".join(re.escape(key) for key in self.phrases))
        return self._phrase_re

    @property
    def cc(self) -> Any:
        if self._cc is None:
            from opencc import OpenCC

            self._cc = OpenCC("t2s")
        return self._cc

    def library(self, text: str) -> str:
        return str(self.cc.convert(text))

    def __call__(self, text: str) -> str:
        if not self.exact:
            return self.library(text)
        out: list[str] = []
        position = 0
        for trigger in self.trigger_re.finditer(text):
            at = trigger.start()
            if at < position:
                continue  # inside a chunk already handed to the library
            # A phrase holding this trigger lies within `longest` characters of it.
            if (
                self.phrase_re.search(text, max(position, at - self.longest + 1), at + self.longest)
                is None
            ):
                continue
            start = self._chunk_start(text, at, position)
            end_match = self.separators.search(text, at)
            end = end_match.start() if end_match else len(text)
            if self.phrase_re.search(text, start, end) is None:
                continue
            out.append(text[position:start].translate(self.table))
            out.append(self.cc._convert(text[start:end], self.cc._dict_chain_data))
            position = end
        if not out:
            return text.translate(self.table)
        out.append(text[position:].translate(self.table))
        return "".join(out)

    def _chunk_start(self, text: str, index: int, floor: int) -> int:
        separators = self.separator_chars
        while index > floor:
            char = text[index - 1]
            if char in separators or char.isspace():
                break
            index -= 1
        return index


@lru_cache(maxsize=1)
def _t2s() -> _T2S:
    return _T2S(_load_t2s_parts())


def to_simplified(text: str) -> str:
    """Exactly OpenCC('t2s').convert(text), fast; same length as the input."""
    return _t2s()(text)


def normalize(text: str, ignore_case: bool = False) -> str:
    """The canonical form text and queries are matched in. Keeps the length of `text`."""
    simplified = _t2s()(text)
    return simplified.translate(CASE_FOLD) if ignore_case else simplified


@lru_cache(maxsize=8)
def _converter(config: str) -> Any:
    from opencc import OpenCC

    return OpenCC(config)


def convert_for_display(text: str, script: str) -> str:
    """Convert text for reading in `script` (see DISPLAY_CONVERSIONS); 'original' keeps it."""
    config = DISPLAY_CONVERSIONS[script]
    if config is None or not text:
        return text
    if config == "t2s":
        return to_simplified(text)
    return str(_converter(config).convert(text))


# Fewer script-specific characters than this, and a text is not called Chinese either way.
_MIN_SIGNAL = 5
# A text is one script when at least this share of its script-specific characters is.
_DOMINANT = 0.9


def _dictionary(name: str) -> dict[str, list[str]]:
    """One of OpenCC's one-character dictionaries: key → its alternatives, first preferred."""
    import opencc

    path = Path(opencc.__file__).parent / "dictionary" / name
    table: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").split("\n"):
        key, _, values = line.partition("\t")
        if len(key) == 1 and values.strip():
            table[key] = values.split()
    return table


# What the cached script tables hold, and the files they are made of.
_SCRIPT_FORMAT = 1
_SCRIPT_SOURCES = tuple(
    f"dictionary/{name}"
    for name in ("STCharacters.txt", "TSCharacters.txt", "TWVariants.txt", "HKVariants.txt")
)


def _script_parts() -> dict[str, Any]:
    """The code points only Traditional text uses, and those only Simplified text uses.

    A character counts only when both OpenCC directions agree it differs: t2s changes it,
    it is not one of its own simplified alternatives (乾 is also simplified), and s2t of
    the result can give it back; likewise for Simplified. A character that is itself a
    Traditional form is never 'S': 台 里 后 干 云 (one of their s2t alternatives is
    themselves) and 峰 群 (the Taiwan and Hong Kong standard forms of 峯 羣) are written in
    Traditional Taiwanese text every day."""
    # Read directly: loading OpenCC('s2t') would also read its 49,000 phrases.
    s2t = _dictionary("STCharacters.txt")
    t2s = _dictionary("TSCharacters.txt")
    regional = {
        value
        for name in ("TWVariants.txt", "HKVariants.txt")
        for values in _dictionary(name).values()
        for value in values
    }
    traditional = {
        char
        for char, targets in t2s.items()
        if char not in targets and char in s2t.get(targets[0], [])
    }
    simplified = {
        char
        for char, targets in s2t.items()
        if char not in targets
        and char not in regional
        and char not in t2s
        and char in t2s.get(targets[0], [])
    }
    return {
        "format": _SCRIPT_FORMAT,
        "traditional": sorted(ord(char) for char in traditional - simplified),
        "simplified": sorted(ord(char) for char in simplified - traditional),
    }


@lru_cache(maxsize=1)
def _script_table() -> list[int | None]:
    """Code point → 'T' (only Traditional text uses it), 'S' (only Simplified text does), or
    None (either, or neither): str.translate then keeps just the signal. Built from OpenCC's
    dictionaries once (~0.05 s), then loaded from the cache folder."""
    parts = _cached("script", _SCRIPT_SOURCES, _SCRIPT_FORMAT, _script_parts)
    assert parts is not None  # _script_parts always builds them
    traditional: list[int] = parts["traditional"]
    simplified: list[int] = parts["simplified"]
    table: list[int | None] = [None] * (max(traditional + simplified) + 1)
    for code in traditional:
        table[code] = ord("T")
    for code in simplified:
        table[code] = ord("S")
    return table


def detect_script(text: str) -> str:
    """traditional, simplified, mixed, or other (too little Chinese to tell)."""
    signal = text.translate(_script_table())
    traditional = signal.count("T")
    simplified = signal.count("S")
    total = traditional + simplified
    if total < _MIN_SIGNAL:
        return "other"
    if traditional >= total * _DOMINANT:
        return "traditional"
    if simplified >= total * _DOMINANT:
        return "simplified"
    return "mixed"
