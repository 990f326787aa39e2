"""Finding ARTICLE as a user types it: a path, a file stem, an id, or a unique prefix of either.

Names are looked up among the files the index saw at its last refresh (no scan, no
refresh): an id or id prefix in the index's id column, a file name among its paths (no path
is hashed); only a name that is not found there (or whose file is gone) costs a scan of the
folder. Many names are resolved with one read of that list and at most one scan.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from bisect import bisect_left
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from newscli.cache import path_key, path_of
from newscli.corpus import RACY_NS, Corpus, SourceFile, load_corpus

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
    but without making every file's SourceFile or hashing every path: an article's id (or a
    prefix) is looked up in the id column, file names among the paths (one scan in SQLite per
    name for a few names; for many, one pass over the files for all of them), and only the
    files that are not articles (problem files, ignored ones: few) have their ids computed."""

    def __init__(self, root: Path, index: Index) -> None:
        self.root = root
        self.index = index

    def find(self, name: str) -> SourceFile:
        answer = self.find_all([name])[0]
        if isinstance(answer, ArticleNotFound):
            raise answer
        return answer

    def find_all(
        self, names: list[str], ordered: bool = True
    ) -> list[SourceFile | ArticleNotFound]:
        """Every name's file, or why it has none (ArticleNotFound, with its candidates: in
        the corpus's order, or with `ordered=False` in the index's, which saves reading
        every file name for a caller that only needs to know that a name failed)."""
        answers: list[SourceFile | ArticleNotFound] = []
        by_id: dict[int, list[tuple[str, SourceFile]]] = {}  # names with no unique exact id
        for number, name in enumerate(names):
            if not name.strip():
                answers.append(ArticleNotFound("the article name is empty"))
                continue
            found = self.index.ids_beginning(name)
            exact = [source for found_id, source in found if found_id == name]
            if len(exact) == 1:
                answers.append(exact[0])  # (a non-article sharing its 64-bit id: never)
                continue
            answers.append(ArticleNotFound(""))  # decided below
            by_id[number] = found
        if by_id:
            files = _FileNames({names[number] for number in by_id})
            if len(by_id) < Names.SCANS:  # a few names: SQLite scans the paths for each
                for name in files.wanted:
                    files.add_all(self.index.files_named_like(name), name)
            else:  # many: one pass over every file's name for all of them
                files.add_all(self.index.files_at(files.candidates(self.index.iter_file_keys())))
            for number, found in by_id.items():
                answers[number] = self._answer(names[number], found, files, ordered)
        return answers

    def _answer(
        self, name: str, by_id: list[tuple[str, SourceFile]], files: _FileNames, ordered: bool
    ) -> SourceFile | ArticleNotFound:
        """Names.find's rule: an exact id, then an exact path or stem, then a unique prefix
        of an id or a stem."""
        exact = [source for found_id, source in by_id if found_id == name]
        exact += files.exact_ids.get(name, [])
        for exact_in in (exact, list(files.named.get(name, {}).values())):
            if len(exact_in) == 1:
                return exact_in[0]
            if exact_in:
                return ArticleNotFound(
                    f"{name!r} names {len(exact_in)} articles",
                    self._in_order(exact_in) if ordered else exact_in,
                )
        prefixed = {source.rel: source for _, source in by_id}
        prefixed.update(files.prefixed.get(name, {}))
        if len(prefixed) == 1:
            return next(iter(prefixed.values()))
        if prefixed:
            return ArticleNotFound(
                f"{name!r} is ambiguous: it begins {len(prefixed)} articles",
                self._in_order(list(prefixed.values())) if ordered else list(prefixed.values()),
            )
        return ArticleNotFound(f"no article {name!r} in {self.root}")

    def _in_order(self, candidates: list[SourceFile]) -> list[SourceFile]:
        """Candidates in the corpus's order (only for an error: it reads every file name)."""
        wanted = {source.rel for source in candidates}
        return [source for source in self.index.known_files() if source.rel in wanted]


class _FileNames:
    """What the files met say about a set of wanted names: the non-articles whose id is one
    (their ids are hashed: they are few), and the files a name is the path or stem of, or
    begins the stem or the non-article's id of (rel → file, in the order met)."""

    def __init__(self, wanted: set[str]) -> None:
        self.wanted = wanted
        self.lengths = sorted({len(name) for name in wanted})
        self.exact_ids: dict[str, list[SourceFile]] = {}
        self.named: dict[str, dict[str, SourceFile]] = {}
        self.prefixed: dict[str, dict[str, SourceFile]] = {}

    def add_all(self, files: Iterable[tuple[SourceFile, bool]], only: str | None = None) -> None:
        """Take in every file (with whether it is an article); with `only`, for that name
        only (the files SQLite found for it)."""
        wanted = self.wanted if only is None else {only}
        lengths = self.lengths if only is None else [len(only)]
        named, prefixed = self.named, self.prefixed
        for source, is_article in files:
            rel = source.rel
            stem = _stem(rel)
            if rel in wanted:
                named.setdefault(rel, {})[rel] = source
            if stem in wanted:
                named.setdefault(stem, {})[rel] = source
            for length in lengths:
                if length <= len(stem) and stem[:length] in wanted:
                    prefixed.setdefault(stem[:length], {})[rel] = source
            if not is_article:
                article_id = source.id
                if article_id in wanted:
                    self.exact_ids.setdefault(article_id, []).append(source)
                for length in lengths:
                    if article_id[:length] in wanted:
                        prefixed.setdefault(article_id[:length], {})[rel] = source

    def candidates(self, keys: Iterable[tuple[bytes, bool]]) -> list[str]:
        """The paths among `keys` (stored paths, with whether each is an article) that may
        answer a wanted name, compared as UTF-8 bytes (no path decoded: the lean loop of a
        thousand names): every file a name may be the path or stem of, or begin the stem
        of, and every non-article. add_all then decides on the decoded paths."""
        wanted = {path_key(name) for name in self.wanted}
        lengths = sorted({len(name) for name in wanted})
        found: list[str] = []
        for key, is_article in keys:
            name = key.rpartition(b"/")[2]
            stem = name.rpartition(b".")[0] if b"." in name else name
            if (
                not is_article
                or key in wanted
                or stem in wanted
                or any(stem[:length] in wanted for length in lengths)
            ):
                found.append(path_of(key))
        return found


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


# Fewer files than this that the index vouches for are parsed all the same: cheaper than
# reading the folder state that says whether each is still the file the index read.
STORED_FROM = 32


class Located(NamedTuple):
    """A named file as found now, and whether the index vouches for it: the file is
    unchanged since the index read it (same size and mtime_ns, not changed too recently to
    tell, the same inode as its last scan saw: the freshness scan's rule), so the article
    it stores is the file's."""

    source: SourceFile
    indexed: bool = False


def locate(root: Path, name: str, *, use_index: bool = True) -> SourceFile:
    """Find one ARTICLE cheaply (see locate_many)."""
    return locate_many(root, [name], use_index=use_index)[0]


def locate_many(root: Path, names: Iterable[str], *, use_index: bool = True) -> list[SourceFile]:
    """Every name's file, in the order given (see locate_all)."""
    return [found.source for found in locate_all(root, names, use_index=use_index)]


def locate_all(root: Path, names: Iterable[str], *, use_index: bool = True) -> list[Located]:
    """Every name's file, in the order given, with whether the index vouches for it. Paths
    need no look-up; ids and stems are looked up in one read of the index (an id column
    range per name, and for many names one pass over the file names), and whatever that
    misses in one scan. Raises ArticleNotFound for the first name that names no article,
    or several."""
    wanted = list(names)
    found: list[Located | None] = []
    for name in wanted:
        by_path = source_for_path(root, name)
        found.append(None if by_path is None else Located(by_path))
    if all(located is not None for located in found):
        return [located for located in found if located is not None]
    if use_index:
        _look_up_indexed(root, wanted, found)
    if any(located is None for located in found):
        scanned = load_corpus(root)
        names_scanned = Names(scanned.root, scanned.files)
        for number, name in enumerate(wanted):
            if found[number] is None:
                found[number] = Located(names_scanned.find(name))
    return [located for located in found if located is not None]


def vouched_for(source: SourceFile, info: os.stat_result, now_ns: int) -> bool:
    """Whether the index's record of a file (`source`: its size and mtime_ns as the index
    saw them) still holds for the file as stat-ed now: the freshness scan's rule. A file
    changed within RACY_NS of now may change again in the same timestamp tick without its
    signature showing it; the index records one it met so with size -1 (never equal)."""
    mtime_ns = info.st_mtime_ns
    return (
        stat.S_ISREG(info.st_mode)
        and (info.st_size, mtime_ns) == (source.size, source.mtime_ns)
        and not now_ns - RACY_NS <= mtime_ns < now_ns + RACY_NS
    )


def _look_up_indexed(root: Path, wanted: list[str], found: list[Located | None]) -> None:
    """Fill in `found` (in place) for the names the index knows and whose file is still
    there; the others are left to a scan of the folder."""
    from newscli.index import Index, IndexDamaged, IndexUnavailable

    try:
        index = Index(root)
    except IndexUnavailable:
        return
    try:
        todo = [number for number, located in enumerate(found) if located is None]
        names = [wanted[number] for number in todo]
        # A name that fails is asked of the folder itself, which says why in its own order.
        answers = IndexedNames(root, index).find_all(names, ordered=False)
        current = index.cache.current  # else its articles are another parser's
        now_ns = time.time_ns()
        met: list[tuple[int, SourceFile, os.stat_result, bool]] = []
        for number, answer in zip(todo, answers, strict=True):
            if isinstance(answer, ArticleNotFound):
                continue  # maybe a file the index has not seen yet: ask the folder itself
            try:
                info = os.stat(answer.path)
            except (OSError, ValueError):
                continue  # gone since: the folder says what is there now
            if stat.S_ISREG(info.st_mode):
                met.append((number, answer, info, current and vouched_for(answer, info, now_ns)))
        vouched = sum(1 for *_, fresh in met if fresh)
        last_scan = _LastScan(index) if vouched >= STORED_FROM else None
        for number, answer, info, fresh in met:
            now = answer._replace(size=info.st_size, mtime_ns=info.st_mtime_ns)
            indexed = fresh and last_scan is not None and last_scan.same_file(answer.rel, info)
            found[number] = Located(now, indexed)
    except (sqlite3.Error, IndexDamaged):
        return  # a busy or damaged index: the scan answers
    finally:
        index.close()


class _LastScan:
    """The inode of each file as the index's last scan saw it (its saved folder state): a
    file replaced since by a rename keeps its size and mtime (`cp -p` elsewhere, then `mv`
    over it) but not its inode, and the freshness scan parses it again."""

    def __init__(self, index: Index) -> None:
        from newscli.corpus import FolderState

        self.state = FolderState.loads(index.cache.folder_state()) or FolderState()
        self.inodes: dict[str, dict[str, int]] = {}  # folder → file name → inode

    def same_file(self, rel: str, info: os.stat_result) -> bool:
        cut = rel.rfind("/") + 1
        folder, name = rel[:cut], rel[cut:]
        inodes = self.inodes.get(folder)
        if inodes is None:
            inodes = self.inodes[folder] = self.state.inodes(folder)
        return info.st_ino != 0 and inodes.get(name) == info.st_ino
