"""Date rules: one hand-written parser for every date form the archive writes, and the
outlets' datelines in the body. Pure; identical on Python 3.10-3.13 (no
``datetime.fromisoformat`` on input text: what it accepts changed in 3.11).

Every regex here is linear-time: digit runs have fixed or bounded lengths, so an input of
thousands of digits is a non-match, never a slow match nor a huge ``int()``.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

UTC = timezone.utc
BEIJING = timezone(timedelta(hours=8), "UTC+08:00")  # no daylight saving since 1991
TAIPEI = timezone(timedelta(hours=8), "UTC+08:00")

# 2016-05-29 14:31:00 +0800, 2020-08-05T11:55:03.000Z, 2020-08-05T11:55:03.12Z,
# 20201102T144703Z, 2020-08-05, 2020-08-05T12:00+08:00, 2020-08-05 12:00:00 UTC
_ISO = re.compile(
    r"(?P<y>\d{4})(?P<sep>-?)(?P<mo>\d{2})(?P=sep)(?P<d>\d{2})"
    r"(?:[Tt ](?P<h>\d{2}):?(?P<mi>\d{2})(?::?(?P<s>\d{2})(?:[.,](?P<frac>\d{1,9}))?)?)?"
    r"\s*(?P<zone>[Zz]|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?"
)
_MONTHS = {
    name: number
    for number, name in enumerate(
        "jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1
    )
}
# RFC 2822 (feeds): "Wed, 05 Aug 2020 11:55:03 +0000", "5 Aug 2020 11:55 GMT"
_RFC2822 = re.compile(
    r"(?:[A-Za-z]{3},?\s+)?(?P<d>\d{1,2})\s+(?P<mon>[A-Za-z]{3})[a-z]*\s+(?P<y>\d{4})"
    r"\s+(?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?"
    r"\s*(?P<zone>[Zz]|UTC|GMT|[+-]\d{4})?"
)


def parse_date(value: str, default_zone: tzinfo = UTC) -> datetime | None:
    """An ISO 8601 / Jekyll / RFC 2822 date → aware UTC datetime, or None.

    A time without a zone is in `default_zone` (UTC unless the outlet says otherwise).
    """
    value = value.strip()
    if not value or len(value) > 64:
        return None
    match = _ISO.fullmatch(value)
    month: int | None
    if match is not None:
        month = int(match["mo"])
    else:
        match = _RFC2822.fullmatch(value)
        if match is None:
            return None
        month = _MONTHS.get(match["mon"].lower())
        if month is None:
            return None
    frac = (match.groupdict().get("frac") or "").ljust(6, "0")[:6]
    try:
        moment = datetime(
            int(match["y"]),
            month,
            int(match["d"]),
            int(match["h"] or 0),
            int(match["mi"] or 0),
            int(match["s"] or 0),
            int(frac),
            tzinfo=_zone(match["zone"], default_zone),
        )
    except ValueError:  # 2020-02-30, 25:00 …
        return None
    if not 1900 <= moment.year <= 2200:
        return None
    return moment.astimezone(UTC)


def _zone(text: str | None, default_zone: tzinfo) -> tzinfo:
    if not text:
        return default_zone
    if text in ("Z", "z", "UTC", "GMT"):
        return UTC
    digits = text[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
    return timezone(-offset if text[0] == "-" else offset)


# --- datelines in the body ----------------------------------------------------------------

# RFI's first paragraph: "05/08/2020 - 12:02", Paris local time.
RFI_DATELINE = re.compile(r"(?P<d>\d{2})/(?P<mo>\d{2})/(?P<y>\d{4}) - (?P<h>\d{2}):(?P<mi>\d{2})")
# Epoch Times: "【大纪元2020年10月20日讯】" (a day, no time).
EPOCH_DATELINE = re.compile(r"【大[纪紀]元(?P<y>\d{4})年(?P<mo>\d{1,2})月(?P<d>\d{1,2})日[讯訊]】")
# CNA: "（中央社記者江今葉華盛頓4日專電）" (a day of the month only).
CNA_DATELINE = re.compile(r"（中央社[^（）\d]{0,40}?(?P<d>\d{1,2})日[^（）\d]{0,8}?電）")


def paris_zone() -> tzinfo:
    """Europe/Paris (CET/CEST) from the system's zone data, or the tzdata package."""
    return ZoneInfo("Europe/Paris")


def rfi_dateline(text: str) -> datetime | None:
    """RFI's "dd/mm/yyyy - hh:mm" line (Paris local time) → UTC."""
    match = RFI_DATELINE.fullmatch(text.strip())
    if match is None:
        return None
    try:
        local = datetime(
            int(match["y"]),
            int(match["mo"]),
            int(match["d"]),
            int(match["h"]),
            int(match["mi"]),
            tzinfo=paris_zone(),
        )
    except ValueError:
        return None
    return local.astimezone(UTC)


def epoch_dateline_day(text: str) -> date | None:
    """The day of "【大纪元2020年10月20日讯】" at the start of an Epoch Times article."""
    match = EPOCH_DATELINE.search(text[:200])
    if match is None:
        return None
    try:
        return date(int(match["y"]), int(match["mo"]), int(match["d"]))
    except ValueError:
        return None


def cna_dateline_day(text: str, near: datetime) -> date | None:
    """The day of CNA's "（中央社…5日電）": the latest such day on or before `near` (Taipei)."""
    match = CNA_DATELINE.search(text[:300])
    if match is None:
        return None
    day_of_month = int(match["d"])
    if not 1 <= day_of_month <= 31:
        return None
    candidate = near.astimezone(TAIPEI).date()
    for back in range(0, 32):
        day = candidate - timedelta(days=back)
        if day.day == day_of_month:
            return day
    return None


def start_of_day(day: date, zone: tzinfo) -> datetime:
    """Midnight of `day` in `zone`, as UTC (a dateline gives the day, not the time)."""
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def same_day(moment: datetime, day: date, zone: tzinfo) -> bool:
    return moment.astimezone(zone).date() == day


# --- the reader's zone (--tz) -------------------------------------------------------------

_OFFSET = re.compile(r"(?:UTC|GMT)?\s*(?P<sign>[+-])(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?")


def parse_zone(name: str) -> tzinfo:
    """What `--tz` takes: `UTC`, `local` (this machine's zone), an IANA name
    (`Asia/Taipei`, `Europe/Paris`) or a fixed offset (`+08:00`, `UTC+8`)."""
    text = name.strip()
    if text.upper() in ("UTC", "Z", "GMT"):
        return UTC
    if text.lower() == "local":
        local = datetime.now().astimezone().tzinfo
        return local if local is not None else UTC
    offset = _OFFSET.fullmatch(text)
    if offset:
        hours, minutes = int(offset["h"]), int(offset["m"] or 0)
        if hours <= 14 and minutes < 60:
            sign = -1 if offset["sign"] == "-" else 1
            delta = sign * timedelta(hours=hours, minutes=minutes)
            return timezone(delta, _offset_label(delta))
    try:
        return ZoneInfo(text)
    except (KeyError, ValueError, OSError):  # not found (a KeyError), or not a key at all
        pass
    raise ValueError(
        f"{name!r} is not a time zone (use UTC, local, an IANA name such as Asia/Taipei,"
        " or an offset such as +08:00)"
    )


def _offset_label(delta: timedelta | None) -> str:
    if not delta:
        return "UTC"
    minutes = int(delta.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def format_moment(moment: datetime | None) -> str:
    """A time as people read it, in the zone it carries: `2020-08-05 19:55 UTC+08:00`
    (`… UTC` for UTC): the offset, never an ambiguous abbreviation such as CST."""
    if moment is None:
        return ""
    return f"{moment:%Y-%m-%d %H:%M} {_offset_label(moment.utcoffset())}"


def format_day(moment: datetime | None) -> str:
    """The day of a time, in the zone it carries."""
    if moment is None:
        return ""
    if moment.year >= 1000:  # the same text as %Y-%m-%d, without strftime (5x slower)
        return moment.date().isoformat()
    return f"{moment:%Y-%m-%d}"
