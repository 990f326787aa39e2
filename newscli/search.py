"""Matching a query against articles in normalized (Simplified, optionally case-folded) text.

Normalization keeps every string's length, so a span found in the normalized text is the
same span in the original: hits and snippets are reported in the text as written.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import cached_property, partial
from typing import TYPE_CHECKING, NamedTuple, Protocol, Union

from newscli.article import Article, Summary
from newscli.chinese import CASE_FOLD, normalize

if TYPE_CHECKING:
    import regex as regex_engine

DEFAULT_CONTEXT = 30
# --regex runs on the `regex` engine for its timeout: Python's `re` cannot be stopped, and
# a pattern like (a+)+$ or (\w+\s?)+$ backtracks for ages on one article.
REGEX_TIMEOUT_S = 1.0


class QueryError(ValueError):
    """The query itself is unusable (empty, or a regular expression that does not compile)."""


class RegexTooSlow(QueryError):
    """A regular expression took longer than its limit on one article."""


class Hit(NamedTuple):
    """A match: offsets into Article.text (title + blank line + body). A tuple, as search
    makes one per hit and a frozen dataclass costs several times more to make."""

    start: int
    end: int


_make_hit: Callable[[tuple[int, int]], Hit] = partial(tuple.__new__, Hit)


@dataclass(frozen=True)
class Snippet:
    text: str  # a window of the original text, newlines shown as spaces
    highlight: tuple[int, int]  # the hit's span inside `text`
    cut_before: bool
    cut_after: bool


@dataclass
class ArticleHits:
    article: Article
    hits: list[Hit]

    @property
    def text(self) -> str:
        return self.article.text


@dataclass
class TextHits:
    """A matching article as search prints it: its summary, its text as written (title,
    blank line, body: what hits point into) and its hits; no blocks are decoded for it."""

    article: Summary
    text: str
    hits: list[Hit]


class Found(Protocol):
    """What the printers take: ArticleHits or TextHits."""

    @property
    def article(self) -> Article | Summary: ...

    @property
    def text(self) -> str: ...

    @property
    def hits(self) -> list[Hit]: ...


class Matcher:
    """A literal query (default) or a Python regular expression, in normalized text."""

    def __init__(
        self,
        query: str,
        *,
        regex: bool = False,
        ignore_case: bool = False,
        timeout: float = REGEX_TIMEOUT_S,
    ) -> None:
        if not query:
            raise QueryError("the query is empty")
        self.query = query
        self.ignore_case = ignore_case
        self.timeout = timeout  # seconds a regular expression may take on one article
        self.regex: regex_engine.Pattern[str] | None = None
        if regex:
            import regex as regex_engine

            flags = regex_engine.IGNORECASE if ignore_case else 0
            try:
                self.regex = regex_engine.compile(normalize(query), flags)
            except regex_engine.error as error:
                raise QueryError(f"invalid regular expression {query!r}: {error}") from None
        self.needle = normalize(query, ignore_case)

    @property
    def folds_case(self) -> bool:
        # With --regex, case is the regex engine's job (so [A-Z] keeps its meaning).
        return self.ignore_case and self.regex is None

    def normalize(self, text: str) -> str:
        return normalize(text, self.folds_case)

    def fold(self, normalized: str) -> str:
        """What normalize(text) gives, from normalize(text) without case folding (the form
        the index stores): only the case is folded, nothing converted again."""
        return normalized.translate(CASE_FOLD) if self.folds_case else normalized

    def find(self, normalized: str) -> list[Hit]:
        if self.regex is not None:
            return [Hit(start, end) for start, end in self._regex_spans(normalized)]
        needle, size = self.needle, len(self.needle)
        starts: list[int] = []
        position = normalized.find(needle)
        while position != -1:
            starts.append(position)
            position = normalized.find(needle, position + size)
        # The Hits made in C (tuple.__new__ over pairs): half the cost of a Hit each.
        ends = [start + size for start in starts]
        return list(map(_make_hit, zip(starts, ends, strict=True)))

    def _regex_spans(self, normalized: str) -> Iterator[tuple[int, int]]:
        assert self.regex is not None
        try:
            # One timeout for the whole article: it runs over every match finditer makes.
            for match in self.regex.finditer(normalized, timeout=self.timeout):
                if match.end() > match.start():  # an empty match (x*, a lookahead) is no hit
                    yield match.start(), match.end()
        except TimeoutError:
            raise RegexTooSlow(
                f"regular expression {self.query!r} took more than {self.timeout:g} s on one "
                "article (nested repetition like (a+)+ backtracks without end); simplify it"
            ) from None

    # --- the same matching over the index's text file (UTF-8 bytes of normalized text) ---

    @cached_property
    def byte_pattern(self) -> re.Pattern[bytes] | None:
        """The literal needle as a bytes pattern matching every spelling that
        normalize(…, ignore_case=True) folds to it (None: no folding, bytes.find does)."""
        if self.regex is not None or not self.ignore_case:
            return None
        spellings: dict[str, list[str]] = {}
        for upper, lower in CASE_FOLD.items():
            spellings.setdefault(chr(lower), [chr(lower)]).append(chr(upper))
        parts: list[bytes] = []
        for char in self.needle:
            variants = [v.encode("utf-8", "surrogatepass") for v in spellings.get(char, [char])]
            escaped = [re.escape(variant) for variant in variants]
            parts.append(escaped[0] if len(escaped) == 1 else b"(?:" + b"|".join(escaped) + b")")
        return re.compile(b"".join(parts))

    def count_in_chunk(
        self, chunk: bytes, starts: Sequence[int], ends: Sequence[int]
    ) -> list[tuple[int, int]]:
        """(i, hits) for every article i whose normalized text, chunk[starts[i]:ends[i]]
        (UTF-8, sorted, not overlapping), matches: the hits find() would report."""
        if self.regex is not None:
            out: list[tuple[int, int]] = []
            for index, (start, end) in enumerate(zip(starts, ends, strict=True)):
                text = chunk[start:end].decode("utf-8", "surrogatepass")
                hits = sum(1 for _ in self._regex_spans(text))
                if hits:
                    out.append((index, hits))
            return out
        return self._count_literal(chunk, starts, ends)

    def _count_literal(
        self, chunk: bytes, starts: Sequence[int], ends: Sequence[int]
    ) -> list[tuple[int, int]]:
        # One pass over the chunk: most articles hold no hit, so look for the needle and
        # only then ask whose text it is in (the chunk may hold dead regions between them).
        needle = self.needle.encode("utf-8", "surrogatepass")
        folded = self.byte_pattern
        out: list[tuple[int, int]] = []
        position = 0
        size = len(chunk)
        while position < size:
            if folded is None:
                found = chunk.find(needle, position)
            else:
                match = folded.search(chunk, position)
                found = match.start() if match else -1
            if found == -1:
                break
            index = bisect.bisect_right(starts, found) - 1
            if index < 0 or found + len(needle) > ends[index]:  # not inside a live article
                # (a dead region, or a trailer: the text as written) go on from the next
                # live article's start: nothing before it can be a hit
                if index + 1 >= len(starts):
                    break
                position = max(starts[index + 1], found + 1)
                continue
            start, end = starts[index], ends[index]
            if folded is None:
                hits = chunk.count(needle, start, end)
            else:
                hits = sum(1 for _ in folded.finditer(chunk, start, end))
            out.append((index, hits))
            position = end + 1
        return out


def search(articles: Iterable[Article], matcher: Matcher) -> Iterator[ArticleHits]:
    """The simple case of run_query: one pattern, anywhere in the text."""
    return run_query(articles, Query((matcher,)))


def snippet(text: str, hit: Hit, context: int = DEFAULT_CONTEXT) -> Snippet:
    """About `context` characters either side of the hit, cut at paragraph ends."""
    start = max(0, hit.start - context)
    end = min(len(text), hit.end + context)
    # Stay inside the hit's paragraph: a snippet should read as one piece of text.
    paragraph_start = text.rfind("\n\n", start, hit.start)
    if paragraph_start != -1:
        start = paragraph_start + 2
    paragraph_end = text.find("\n\n", hit.end, end)
    if paragraph_end != -1:
        end = paragraph_end
    window = text[start:end].replace("\n", " ")
    return Snippet(
        window,
        (hit.start - start, hit.end - start),
        cut_before=start > 0 and paragraph_start == -1,
        cut_after=end < len(text) and paragraph_end == -1,
    )


# --- query expressions: (川普 OR 特朗普) AND 台灣 NOT 股市 -----------------------------------


@dataclass(frozen=True, eq=False)
class Term:
    matcher: Matcher

    def holds(self, occurs: Callable[[Matcher], bool]) -> bool:
        return occurs(self.matcher)


@dataclass(frozen=True, eq=False)
class AllOf:
    parts: tuple[Expression, ...]

    def holds(self, occurs: Callable[[Matcher], bool]) -> bool:
        return all(part.holds(occurs) for part in self.parts)


@dataclass(frozen=True, eq=False)
class AnyOf:
    parts: tuple[Expression, ...]

    def holds(self, occurs: Callable[[Matcher], bool]) -> bool:
        return any(part.holds(occurs) for part in self.parts)


@dataclass(frozen=True, eq=False)
class Without:
    part: Expression

    def holds(self, occurs: Callable[[Matcher], bool]) -> bool:
        return not self.part.holds(occurs)


Expression = Union[Term, AllOf, AnyOf, Without]  # noqa: UP007 - a runtime alias on 3.10
OPERATORS = ("AND", "OR", "NOT")


def _tokens(text: str) -> list[tuple[str, str]]:
    """("word"|"phrase"|"op"|"("|")", text): quoted phrases keep their spaces."""
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char.isspace():
            position += 1
        elif char in "()":
            tokens.append((char, char))
            position += 1
        elif char == '"':
            end = text.find('"', position + 1)
            if end == -1:
                raise QueryError(f"unclosed quote in {text!r}")
            tokens.append(("phrase", text[position + 1 : end]))
            position = end + 1
        else:
            end = position
            while end < len(text) and not text[end].isspace() and text[end] not in '()"':
                end += 1
            word = text[position:end]
            tokens.append(("op" if word in OPERATORS else "word", word))
            position = end
    return tokens


def parse_expression(
    text: str, make: Callable[[str], Expression]
) -> tuple[Expression, tuple[Matcher, ...]]:
    """Parse `A OR B`, `A AND B` (or just `A B`), `NOT A`, parentheses and "quoted phrases"
    (AND binds tighter than OR; NOT tightest). `make` turns a term's text into its
    expression (a Term, or AnyOf Terms for its variants). Returns the expression and the
    matchers outside NOT: the ones whose hits are reported."""
    tokens = _tokens(text)
    position = 0
    positive: list[Matcher] = []

    def peek() -> tuple[str, str] | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> tuple[str, str]:
        nonlocal position
        token = peek()
        if token is None:
            raise QueryError(f"the expression {text!r} ends too early")
        position += 1
        return token

    def either(negated: bool) -> Expression:
        parts = [both(negated)]
        while peek() == ("op", "OR"):
            take()
            parts.append(both(negated))
        return parts[0] if len(parts) == 1 else AnyOf(tuple(parts))

    def both(negated: bool) -> Expression:
        parts = [unary(negated)]
        while (token := peek()) is not None and token[0] != ")" and token != ("op", "OR"):
            if token == ("op", "AND"):
                take()
            parts.append(unary(negated))
        return parts[0] if len(parts) == 1 else AllOf(tuple(parts))

    def unary(negated: bool) -> Expression:
        kind, value = take()
        if (kind, value) == ("op", "NOT"):
            return Without(unary(True))
        if kind == "(":
            inner = either(negated)
            if take()[0] != ")":
                raise QueryError(f"a parenthesis is not closed in {text!r}")
            return inner
        if kind in ("word", "phrase"):
            made = make(value)
            if not negated:
                positive.extend(_matchers(made))
            return made
        raise QueryError(f"unexpected {value!r} in {text!r}")

    expression = either(False)
    leftover = peek()
    if leftover is not None:
        raise QueryError(f"unexpected {leftover[1]!r} in {text!r}")
    if not positive:
        raise QueryError(f"the expression {text!r} needs a term outside NOT")
    return expression, tuple(dict.fromkeys(positive))


def _matchers(expression: Expression) -> Iterator[Matcher]:
    if isinstance(expression, Term):
        yield expression.matcher
    elif isinstance(expression, Without):
        yield from _matchers(expression.part)
    else:
        for part in expression.parts:
            yield from _matchers(part)


class Scope(str, Enum):
    """Where search looks: the whole text, the title only, or the body only."""

    ALL = "all"
    TITLE = "title"
    BODY = "body"


@dataclass(frozen=True)
class Query:
    """What `search` looks for: any (or, with all_terms, every) pattern, none of `exclude`,
    within the title, the body or both, keeping at most `max_hits` hits per article.
    With `word`, a hit may not continue a Latin word or number on either side (grep -w);
    CJK text has no word boundaries, so a hit that begins or ends in it is not limited."""

    patterns: tuple[Matcher, ...]
    all_terms: bool = False
    exclude: tuple[Matcher, ...] = ()
    scope: Scope = Scope.ALL
    max_hits: int | None = None
    word: bool = False
    # A boolean expression over Terms (parse_expression): when given, an article matches
    # when it holds and some pattern (the terms outside NOT) has a hit.
    expression: Expression | None = None

    def __post_init__(self) -> None:
        # A misspelt scope ("titel") must not silently search everything: a valid name is
        # taken as its Enum, anything else raises.
        try:
            object.__setattr__(self, "scope", Scope(self.scope))
        except ValueError:
            choices = ", ".join(scope.value for scope in Scope)
            raise ValueError(f"unknown scope {self.scope!r}; choose from {choices}") from None
        if not self.patterns:
            raise QueryError("give at least one pattern")

    @property
    def any_of(self) -> bool:
        """Any of several patterns over the whole text with nothing else (`-e A -e B`,
        `--variants`): the articles are the union of what the index counts per pattern."""
        return (
            not self.all_terms
            and not self.exclude
            and self.scope is Scope.ALL
            and self.max_hits is None
            and not self.word
            and self.expression is None
        )

    @property
    def one_pattern(self) -> bool:
        """One pattern over the whole text, nothing excluded, no -w (a --max-count may cut
        its hits): an article's hits are that pattern's."""
        return (
            len(self.patterns) == 1
            and not self.exclude
            and self.scope is Scope.ALL
            and not self.word
            and self.expression is None
        )

    @property
    def simple(self) -> bool:
        """One pattern over the whole text with nothing else: what the index counts alone."""
        return len(self.patterns) == 1 and self.any_of


def _region(text: str, title_length: int, scope: Scope) -> tuple[int, int]:
    if scope is Scope.TITLE:
        return 0, title_length
    if scope is Scope.BODY:
        return title_length + 2, len(text)
    return 0, len(text)


def _latin_word_char(char: str) -> bool:
    """A letter or digit of a script that separates words with spaces (not CJK, kana, hangul)."""
    return char.isalnum() and (char.isascii() or "\u00c0" <= char <= "\u024f")


def whole_word(text: str, hit: Hit) -> bool:
    """The hit neither continues nor is continued by a Latin word (for `-w`)."""
    starts_word = hit.start == 0 or not (
        _latin_word_char(text[hit.start - 1]) and _latin_word_char(text[hit.start])
    )
    ends_word = hit.end == len(text) or not (
        _latin_word_char(text[hit.end]) and _latin_word_char(text[hit.end - 1])
    )
    return starts_word and ends_word


def run_query(articles: Iterable[Article], query: Query) -> Iterator[ArticleHits]:
    for article in articles:
        hits = article_hits(article, query)
        if hits:
            yield ArticleHits(article, hits)


def article_hits(article: Article, query: Query) -> list[Hit]:
    return text_hits(article.text, len(article.title), query)


def text_hits(
    text: str, title_length: int, query: Query, normalized: str | None = None
) -> list[Hit]:
    """The query's hits in an article's text as written (title, blank line, body), the
    title `title_length` characters long. `normalized` is normalize(text) when it is known
    already (the index stores it): then the text is not converted again."""
    if normalized is not None and len(normalized) != len(text):
        normalized = None  # not this text's form: offsets would not point into the text
    if query.one_pattern:
        # The common case, without the general case's bookkeeping: one pattern's hits
        # anywhere in the text come in order, each once.
        matcher = query.patterns[0]
        form = matcher.normalize(text) if normalized is None else matcher.fold(normalized)
        spans = matcher.find(form)
        return spans[: query.max_hits] if query.max_hits else spans
    start, end = _region(text, title_length, query.scope)
    forms: dict[bool, str] = {}

    def find(matcher: Matcher) -> list[Hit]:
        key = matcher.folds_case
        if key not in forms:
            forms[key] = matcher.normalize(text) if normalized is None else matcher.fold(normalized)
        return [
            hit
            for hit in matcher.find(forms[key])
            if start <= hit.start and hit.end <= end and (not query.word or whole_word(text, hit))
        ]

    found = [find(matcher) for matcher in query.patterns]
    if query.all_terms and not all(found):
        return []
    if query.expression is not None and not any(found):
        return []
    if query.expression is not None and not query.expression.holds(lambda m: bool(find(m))):
        return []
    if len(found) == 1:
        hits = found[0]  # one pattern's hits come in order, each once
    else:
        hits = sorted({hit for hits in found for hit in hits}, key=lambda h: (h.start, h.end))
    if not hits or any(find(matcher) for matcher in query.exclude):
        return []
    return hits[: query.max_hits] if query.max_hits else hits
