"""The data model: an Article made of ordered Blocks, and a Problem with one file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone, tzinfo
from enum import Enum
from typing import Any, Protocol, TypeVar

ID_DISPLAY = 10  # ids are shown as their first ten hex digits; any unique prefix finds one


def json_path(path: str) -> dict[str, str | None]:
    """A file name as JSON output gives it: "path" in valid UTF-8 — bytes that are not
    UTF-8 (kept by Python as lone surrogates, which DuckDB and others reject for the whole
    file) shown as U+FFFD — and "path_bytes": the raw name in base64 then, else null (one
    shape for every record)."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        import base64

        try:
            raw = path.encode("utf-8", "surrogateescape")  # as os.fsencode gives the name
        except UnicodeEncodeError:  # a surrogate no file system byte stands for
            raw = path.encode("utf-8", "surrogatepass")
        return {
            "path": raw.decode("utf-8", "replace"),
            "path_bytes": base64.b64encode(raw).decode("ascii"),
        }
    return {"path": path, "path_bytes": None}


def short_id(article_id: str) -> str:
    return article_id[:ID_DISPLAY]


class BlockKind(str, Enum):
    PARAGRAPH = "paragraph"
    HEADING = "heading"
    IMAGE = "image"  # an image, with its caption when the page gives one
    GALLERY = "gallery"  # a gallery item: <b>label</b>：text, usually with an image
    QUOTE = "quote"
    LIST_ITEM = "list_item"
    COPYRIGHT = "copyright"  # closing copyright notice
    SOURCES = "sources"  # closing "（路透社、法新社）" line naming the sources


@dataclass(frozen=True)
class Link:
    text: str
    url: str


@dataclass(frozen=True)
class Block:
    kind: BlockKind
    text: str = ""  # paragraph/heading text, image caption, gallery text
    label: str = ""  # gallery item label
    image_url: str = ""  # image and gallery blocks
    links: tuple[Link, ...] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Block:
        return cls(
            BlockKind(data["kind"]),
            text=data.get("text") or "",
            label=data.get("label") or "",
            image_url=data.get("image_url") or "",
            links=tuple(Link(link["text"], link["url"]) for link in data.get("links") or []),
        )

    def to_dict(self) -> dict[str, Any]:
        """Every block has the same keys (one shape for DuckDB and Spark); null when absent."""
        return {
            "kind": self.kind.value,
            "text": self.text or None,
            "label": self.label or None,
            "image_url": self.image_url or None,
            "links": [asdict(link) for link in self.links],
        }


class DateSource(str, Enum):
    # A full time the article states: the <div><i>…<br>ISO</i></div> line at the top of
    # the body, or RFI's "dd/mm/yyyy - hh:mm" first line (Paris time).
    BODY = "body"
    # The day of a dateline in the body (【大纪元2020年10月20日讯】, （中央社…5日電）) that
    # disagrees with the other dates: midnight of that day in the outlet's zone.
    BODY_DATELINE = "body_dateline"
    FRONT_MATTER = "front_matter"  # the front matter's date, when it is not the crawl time
    ARCHIVED = "archived"  # when the feed was read: the <!--epoch-ms--> time (or equal to it)
    NONE = "none"


class Script(str, Enum):
    """The script an article is written in (see chinese.detect_script)."""

    TRADITIONAL = "traditional"
    SIMPLIFIED = "simplified"
    MIXED = "mixed"
    OTHER = "other"  # too little Chinese to tell


@dataclass
class Article:
    id: str
    path: str  # as found on disk (may contain any character the file system allows)
    title: str
    url: str = ""
    outlet: str = ""
    author: str = ""
    archived_at: datetime | None = None
    published_at: datetime | None = None
    published_source: DateSource = DateSource.NONE
    tags: list[str] = field(default_factory=list)
    lead_image: str = ""
    lead_caption: str = ""
    blocks: list[Block] = field(default_factory=list)
    encoding: str = "utf-8"
    size_bytes: int = 0
    script: str = "other"  # traditional | simplified | mixed | other (see chinese.detect_script)

    @property
    def body_text(self) -> str:
        """The body as plain text: one block per paragraph, blank lines between."""
        # A caption-less image has no text: it adds no empty paragraph.
        return "\n\n".join(text for block in self.blocks if (text := block_plain_text(block)))

    @property
    def text(self) -> str:
        """Title and body: what search looks at, and what snippet offsets point into."""
        return self.title + "\n\n" + self.body_text

    @property
    def char_count(self) -> int:
        """Characters of body text (what `list` shows as size)."""
        return sum(len(block_plain_text(block)) for block in self.blocks)

    def to_dict(self) -> dict[str, Any]:
        """The article as JSON-able data, exactly (the index stores it; from_dict reads it
        back): the vocabulary of newscli/schema.json — the full id, null for what is
        missing, tags an array — except that times keep their fraction of a second, if
        any, so that the order of two articles is the same read from files or from the
        index. What convert prints is export.article_dict: times there are iso_utc."""
        return {
            "id": self.id,
            "path": self.path,
            "title": self.title or None,
            "url": self.url or None,
            "outlet": self.outlet or None,
            "author": self.author or None,
            "archived_at": _exact_iso(self.archived_at),
            "published_at": _exact_iso(self.published_at),
            "published_source": self.published_source.value,
            "tags": list(self.tags),
            "lead_image": self.lead_image or None,
            "lead_caption": self.lead_caption or None,
            "encoding": self.encoding,
            "size_bytes": self.size_bytes,
            "chars": self.char_count,
            "script": self.script,
            "blocks": [block.to_dict() for block in self.blocks],
            "text": self.body_text or None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        """The inverse of to_dict (the index stores articles this way)."""
        return cls(
            id=data["id"],
            path=data["path"],
            title=data.get("title") or "",
            url=data.get("url") or "",
            outlet=data.get("outlet") or "",
            author=data.get("author") or "",
            archived_at=_parse_iso(data.get("archived_at")),
            published_at=_parse_iso(data.get("published_at")),
            published_source=DateSource(data.get("published_source", "none")),
            tags=list(data.get("tags", [])),
            lead_image=data.get("lead_image") or "",
            lead_caption=data.get("lead_caption") or "",
            blocks=[Block.from_dict(block) for block in data.get("blocks", [])],
            encoding=data.get("encoding", "utf-8"),
            size_bytes=data.get("size_bytes", 0),
            script=data.get("script", "other"),
        )


@dataclass(frozen=True)
class Summary:
    """An article without its body: what list, stats, -l and -c need (the index serves
    these without reading any article text). Not an Article with an empty `text`."""

    id: str
    path: str
    title: str
    url: str = ""
    outlet: str = ""
    author: str = ""
    archived_at: datetime | None = None
    published_at: datetime | None = None
    published_source: DateSource = DateSource.NONE
    tags: tuple[str, ...] = ()
    encoding: str = "utf-8"
    size_bytes: int = 0
    script: str = "other"
    char_count: int = 0  # characters of body text

    @classmethod
    def of(cls, article: Article) -> Summary:
        return cls(
            id=article.id,
            path=article.path,
            title=article.title,
            url=article.url,
            outlet=article.outlet,
            author=article.author,
            archived_at=article.archived_at,
            published_at=article.published_at,
            published_source=article.published_source,
            tags=tuple(article.tags),
            encoding=article.encoding,
            size_bytes=article.size_bytes,
            script=article.script,
            char_count=article.char_count,
        )


class Dated(Protocol):
    @property
    def published_at(self) -> datetime | None: ...
    @property
    def path(self) -> str: ...


D = TypeVar("D", bound=Dated)

# "Newest first", the one order of list and search, written once: published newest first,
# ties by path, undated last. NEWEST_FIRST_SQL is the same order for the index's tables
# (published_at is stored as fixed-width ISO text, so text order is time order; NULL sorts
# lowest, so undated rows come last).
NEWEST_FIRST_SQL = "published_at DESC, path"
_EPOCH = datetime.min.replace(tzinfo=timezone.utc)


def newest_first(items: Iterable[D]) -> list[D]:
    """Articles or summaries in list's order (see NEWEST_FIRST_SQL)."""
    by_path = sorted(items, key=lambda item: item.path)
    dated = sorted(
        (item for item in by_path if item.published_at),
        key=lambda item: item.published_at or _EPOCH,
        reverse=True,
    )
    return dated + [item for item in by_path if item.published_at is None]


def block_plain_text(block: Block) -> str:
    if block.kind is BlockKind.GALLERY and block.label:
        return f"{block.label}：{block.text}" if block.text else block.label
    return block.text


@dataclass(frozen=True)
class Problem:
    """Something wrong with one file; collected and reported, never raised."""

    path: str
    reason: str
    kind: str = "unreadable"  # a short key used to group problems in reports

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


Timed = TypeVar("Timed", Article, Summary)


def in_zone(item: Timed, zone: tzinfo) -> Timed:
    """The same article with its times given in `zone` (the reader's --tz), for display:
    every human-readable date then shows that zone's day and hour, while JSON (iso_utc)
    stays in UTC."""
    if zone is timezone.utc:
        return item
    return replace(
        item,
        published_at=item.published_at.astimezone(zone) if item.published_at else None,
        archived_at=item.archived_at.astimezone(zone) if item.archived_at else None,
    )


def _parse_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)


def _exact_iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with Z, microseconds kept when there are any (lossless)."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.replace(tzinfo=None).isoformat() + "Z"


def iso_utc(moment: datetime | None) -> str | None:
    """The one form of a time in every JSON output: `2020-08-05T12:00:00Z` (UTC, whole
    seconds, fixed width, so text order is time order); None when unknown. A naive time
    is taken to be UTC already."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.replace(microsecond=0, tzinfo=None).isoformat() + "Z"
