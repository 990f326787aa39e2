"""Finding ARTICLE as a user types it: a path, a file stem, an id, or a unique prefix of either.

Names are looked up among the files the index saw at its last refresh (no scan, no
refresh): an id or id prefix in the index's id column, a file name among its paths (no path
is hashed); only a name that is not found there (or whose file is gone) costs a scan of the
folder. Many names are resolved with one read of that list and at most one scan.
"""

from __future__ import annotations

import os
import sqlite3
from bisect import bisect_left
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from newscli.corpus import Corpus, SourceFile, load_corpus

if TYPE_CHECKING:
    from newscli.index import Index


class ArticleNotFound(LookupError):
    """ARTICLE names no article, or several: `candidates` lists what it could mean."""

    def __init__(self, message: str, candidates: list[SourceFile] | None = None) -> None:
        super().__init__(message)
        self.candidates = candidates or []


class Names:
    """Every way of naming the files of one corpus, for any number of look-ups.

    A few look-ups scan plain lists (cheapest for `show ID`); from the SCANS-th on, tables
    are built once (a dict per kind of name, and ids and stems sorted for prefixes), so a
    thousand names cost little more than one."""

    SCANS = 4

    def __init__(self, root: Path, files: list[SourceFile], ids: list[str] | None = None) -> None:
        self.root = root
        self.files = files
        self.ids = [source.id for source in files] if ids is None else ids  # ids[n]: files[n]
        self._stems: list[str] | None = None  # made only when a name is not an exact id
        self._looked_up = 0
        self._by_id: dict[str, list[int]] | None = None
        self._by_name: dict[str, list[int]] = {}
        self._keys: list[tuple[str, int]] = []  # ids and stems, sorted: prefixes by bisection

    def find(self, name: str) -> SourceFile:
        if not name.strip():
            raise ArticleNotFound("the article name is empty")
        self._looked_up += 1
        if self._by_id is None and self._looked_up >= self.SCANS:
            self._build_tables()
        for exact_in in (self._exact_ids, self._exact_names):
            exact = exact_in(name)
            if len(exact) == 1:
                return self.files[exact[0]]
            if len(exact) > 1:
                raise ArticleNotFound(
                    f"{name!r} names {len(exact)} articles", [self.files[n] for n in exact]
                )
        prefixed = self._prefixed(name)
        if len(prefixed) == 1:
            return self.files[prefixed[0]]
        if prefixed:
            raise ArticleNotFound(
                f"{name!r} is ambiguous: it begins {len(prefixed)} articles",
                [self.files[n] for n in prefixed],
            )
        raise ArticleNotFound(f"no article {name!r} in {self.root}")

    @property
    def stems(self) -> list[str]:
        if self._stems is None:
            self._stems = [_stem(source.rel) for source in self.files]
        return self._stems

    def _build_tables(self) -> None:
        self._by_id = {}
        keys: list[tuple[str, int]] = []
        for number, (article_id, stem) in enumerate(zip(self.ids, self.stems, strict=True)):
            self._by_id.setdefault(article_id, []).append(number)
            self._by_name.setdefault(stem, []).append(number)
            rel = self.files[number].rel
            if rel != stem:
                self._by_name.setdefault(rel, []).append(number)
            keys.append((article_id, number))
            keys.append((stem, number))
        keys.sort()
        self._keys = keys

    def _exact_ids(self, name: str) -> list[int]:
        if self._by_id is not None:
            return self._by_id.get(name, [])
        return [number for number, article_id in enumerate(self.ids) if article_id == name]

    def _exact_names(self, name: str) -> list[int]:
        if self._by_id is not None:
            return sorted(set(self._by_name.get(name, [])))
        return [
            number
            for number, stem in enumerate(self.stems)
            if stem == name or self.files[number].rel == name
        ]

    def _prefixed(self, name: str) -> list[int]:
        if self._by_id is None:
            return [
                number
                for number, (article_id, stem) in enumerate(zip(self.ids, self.stems, strict=True))
                if article_id.startswith(name) or stem.startswith(name)
            ]
        found: set[int] = set()
        position = bisect_left(self._keys, (name, -1))
        while position < len(self._keys) and self._keys[position][0].startswith(name):
            found.add(self._keys[position][1])
            position += 1
        return sorted(found)  # in the corpus's order


class IndexedNames:
    """The names of the files the index saw at its last refresh, with the answers of Names
    but without hashing every path: an article's id (or a prefix) is looked up in the id
    column, a file name among the paths that hold it (one scan in SQLite), and only the files
    that are not articles (problem files, ignored ones: few) have their ids computed."""

    def __init__(self, root: Path, index: Index) -> None:
        self.root = root
        self.index = index
        self._tables: Names | None = None  # once enough names were not ids
        self._not_ids = 0

    def find(self, name: str) -> SourceFile:
        if not name.strip():
            raise ArticleNotFound("the article name is empty")
        by_id = self.index.ids_beginning(name)
        exact = [source for found_id, source in by_id if found_id == name]
        if len(exact) == 1:
            return exact[0]  # (a file that is not an article sharing its 64-bit id: never)
        self._not_ids += 1
        if self._tables is not None or self._not_ids >= Names.SCANS:
            return self._names().find(name)
        nearby = self.index.files_named_like(name)
        others = [source for source, is_article in nearby if not is_article]
        exact += [source for source in others if source.id == name]
        holding = [source for source, _ in nearby if name in source.rel]
        for exact_in in (exact, [s for s in holding if name in (s.rel, _stem(s.rel))]):
            if len(exact_in) == 1:
                return exact_in[0]
            if exact_in:
                raise ArticleNotFound(f"{name!r} names {len(exact_in)} articles", exact_in)
        prefixed = {source.rel: source for _, source in by_id}
        prefixed.update((s.rel, s) for s in others if s.id.startswith(name))
        prefixed.update((s.rel, s) for s in holding if _stem(s.rel).startswith(name))
        if len(prefixed) == 1:
            return next(iter(prefixed.values()))
        if prefixed:
            in_order = [source for source in self.index.known_files() if source.rel in prefixed]
            raise ArticleNotFound(
                f"{name!r} is ambiguous: it begins {len(prefixed)} articles", in_order
            )
        raise ArticleNotFound(f"no article {name!r} in {self.root}")

    def _names(self) -> Names:
        """Tables for many names: the articles' ids read at once, the rest hashed."""
        if self._tables is None:
            files = self.index.known_files()
            ids = self.index.article_ids()
            self._tables = Names(self.root, files, [ids.get(f.rel) or f.id for f in files])
        return self._tables


def _stem(rel: str) -> str:
    """A file's name without its extension (SourceFile.stem, from the path alone)."""
    name = rel.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] if "." in name else name


def find_source(corpus: Corpus, name: str) -> SourceFile:
    """ARTICLE in a corpus already scanned: a path, a stem, an id, or a unique prefix."""
    by_path = source_for_path(corpus.root, name)
    if by_path is not None:
        return by_path
    return Names(corpus.root, corpus.files).find(name)


def source_for_path(root: Path, name: str) -> SourceFile | None:
    """ARTICLE given as a path to a file: no need to look through the corpus for it."""
    as_path = Path(name).expanduser()
    try:
        if not as_path.is_file():
            return None
        info = as_path.stat()
    except (OSError, ValueError):
        return None
    absolute = os.path.abspath(as_path)
    root_text = str(root)
    if absolute.startswith(root_text.rstrip(os.sep) + os.sep):
        rel = absolute[len(root_text.rstrip(os.sep)) + 1 :].replace(os.sep, "/")
    else:
        rel = as_path.name  # a file outside the corpus folder, read on its own
    return SourceFile(absolute, rel, info.st_size, info.st_mtime_ns)


def locate(root: Path, name: str, *, use_index: bool = True) -> SourceFile:
    """Find one ARTICLE cheaply (see locate_many)."""
    return locate_many(root, [name], use_index=use_index)[0]


def locate_many(root: Path, names: Iterable[str], *, use_index: bool = True) -> list[SourceFile]:
    """Every name's file, in the order given. Paths need no look-up; ids and stems are looked
    up in one read of the index's file list, and whatever that misses in one scan. Raises
    ArticleNotFound for the first name that names no article, or several."""
    wanted = list(names)
    found: list[SourceFile | None] = [source_for_path(root, name) for name in wanted]
    if all(source is not None for source in found):
        return [source for source in found if source is not None]
    if use_index:
        _look_up_indexed(root, wanted, found)
    if any(source is None for source in found):
        scanned = load_corpus(root)
        names_scanned = Names(scanned.root, scanned.files)
        for number, name in enumerate(wanted):
            if found[number] is None:
                found[number] = names_scanned.find(name)
    return [source for source in found if source is not None]


def _look_up_indexed(root: Path, wanted: list[str], found: list[SourceFile | None]) -> None:
    """Fill in `found` (in place) for the names the index knows and whose file is still
    there; the others are left to a scan of the folder."""
    from newscli.index import Index, IndexDamaged, IndexUnavailable

    try:
        index = Index(root)
    except IndexUnavailable:
        return
    try:
        names = IndexedNames(root, index)
        for number, name in enumerate(wanted):
            if found[number] is not None:
                continue
            try:
                source = names.find(name)
            except ArticleNotFound:
                continue  # maybe a file the index has not seen yet: ask the folder itself
            if os.path.isfile(source.path):
                found[number] = source
    except (sqlite3.Error, IndexDamaged):
        return  # a busy or damaged index: the scan answers
    finally:
        index.close()
