"""The data model: an Article made of ordered Blocks, and a Problem with one file."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any


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

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind.value, "text": self.text}
        if self.label:
            data["label"] = self.label
        if self.image_url:
            data["image_url"] = self.image_url
        if self.links:
            data["links"] = [asdict(link) for link in self.links]
        return data


class DateSource(str, Enum):
    BODY = "body"  # the <div><i>…<br>ISO</i></div> line at the top of the body
    FRONT_MATTER = "front_matter"
    ARCHIVED = "archived"  # only the <!--epoch-ms--> archive time was known
    NONE = "none"


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

    @property
    def body_text(self) -> str:
        """The body as plain text: one block per paragraph, blank lines between."""
        return "\n\n".join(block_plain_text(block) for block in self.blocks)

    @property
    def text(self) -> str:
        """Title and body: what search looks at, and what snippet offsets point into."""
        return self.title + "\n\n" + self.body_text

    @property
    def char_count(self) -> int:
        return sum(len(block_plain_text(block)) for block in self.blocks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": self.path,
            "title": self.title,
            "url": self.url,
            "outlet": self.outlet,
            "author": self.author,
            "archived_at": _iso(self.archived_at),
            "published_at": _iso(self.published_at),
            "published_source": self.published_source.value,
            "tags": list(self.tags),
            "lead_image": self.lead_image,
            "lead_caption": self.lead_caption,
            "encoding": self.encoding,
            "size_bytes": self.size_bytes,
            "chars": self.char_count,
            "blocks": [block.to_dict() for block in self.blocks],
            "text": self.body_text,
        }


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


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None
