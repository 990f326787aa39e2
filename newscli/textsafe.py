"""Making untrusted text (titles, bodies, file names) safe to print on a terminal.

Article text comes from the open web. Escape sequences, other control characters and
bidirectional overrides in it must be shown, never obeyed: each is replaced by a visible
stand-in. Rich markup needs no escaping here because output code builds rich `Text`
objects (which never parse markup), never markup strings.
"""

from __future__ import annotations

import json
import re
from typing import Any

# C0 controls but tab and newline, DEL, C1 controls, bidi embeddings/overrides/isolates,
# and lone surrogates (undecodable bytes in file names, kept by surrogateescape).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # Control Pictures: ESC → ␛
    if code == 0x7F:
        return "\u2421"  # ␡
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"  # a raw byte from a file name
    return f"<U+{code:04X}>"


def safe(text: str) -> str:
    """Text with every character that could change the terminal's state made visible."""
    return _UNSAFE.sub(_visible, text)


def safe_line(text: str) -> str:
    """safe(), on one line: tabs and newlines shown as \\t and \\n (for TSV and tables)."""
    return safe(text).replace("\t", "\\t").replace("\r", "\\r").replace("\n", "\\n")


def display_path(path: str) -> str:
    return safe_line(path)


def escape_json_text(serialized: str) -> str:
    """JSON already escapes C0 controls; escape C1, bidi controls and surrogates too."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", serialized)


def dumps(data: Any, indent: int | None = None) -> str:
    """JSON that stays valid and inert whatever the text holds (C1, bidi, lone surrogates)."""
    return escape_json_text(json.dumps(data, ensure_ascii=False, indent=indent))
