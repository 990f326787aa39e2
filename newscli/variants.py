"""Regional spellings: the written forms a query also stands for (search --variants).

Three sources of groups, each a set of forms that mean the same thing:
- OpenCC's Taiwan phrase table (shipped with opencc-python-reimplemented): vocabulary such
  as 软件/軟體, 网络/網路, 信息/資訊;
- the curated table newscli/data/variants.toml: transliterations news outlets differ on
  (特朗普/川普, 悉尼/雪梨 …), each pair counted in a real corpus;
- the user's own TOML files (`--aliases FILE`, aliases.toml in the config directory).

Forms are compared in normalized (Simplified) text, so a group written in either script
covers both. A query expands into itself plus one literal per other form.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from newscli.chinese import normalize
from newscli.search import ArticleHits, Hit, Matcher

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

ALIASES_FILE = "aliases.toml"
# OpenCC's phrase tables: Taiwan vocabulary, and Hong Kong's variant phrases.
OPENCC_TABLES = ("TWPhrases.txt", "HKVariantsPhrases.txt")
# Shorter keys (one character) would turn a query into unrelated words.
SHORTEST_FORM = 2


class VariantError(ValueError):
    """A variants file that cannot be read or does not describe groups of forms."""


@dataclass(frozen=True)
class VariantTable:
    """Groups of forms (as written), and each form's group by its normalized spelling."""

    groups: tuple[tuple[str, ...], ...] = ()
    by_form: dict[str, list[int]] = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, groups: Iterable[Sequence[str]]) -> VariantTable:
        kept = tuple(tuple(dict.fromkeys(group)) for group in groups)
        by_form: dict[str, list[int]] = {}
        for number, group in enumerate(kept):
            for form in group:
                key = normalize(form)
                if len(key) >= SHORTEST_FORM:
                    by_form.setdefault(key, []).append(number)
        return cls(kept, by_form)

    def __add__(self, other: VariantTable) -> VariantTable:
        return VariantTable.of(self.groups + other.groups)

    def expand(self, query: str) -> tuple[str, ...]:
        """The query and every form it stands for: a form of a group that occurs in the
        query is replaced by each other form of its group (软件安全 → 软体安全)."""
        normalized = normalize(query)
        forms = {normalized: query}
        for key, numbers in self.by_form.items():
            if key not in normalized:
                continue
            for number in numbers:
                for other in self.groups[number]:
                    if normalized == key:
                        variant = other
                    else:
                        variant = normalized.replace(key, normalize(other))
                    forms.setdefault(normalize(variant), variant)
        return tuple(forms.values())


def parse_groups(text: str, source: str) -> VariantTable:
    """Groups from TOML: `[[group]]` tables with `forms = ["…", "…"]` (other keys are notes)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise VariantError(f"{source}: not valid TOML: {error}") from None
    groups = data.get("group", [])
    if not isinstance(groups, list):
        raise VariantError(f"{source}: `group` must be an array of tables ([[group]])")
    found: list[list[str]] = []
    for number, group in enumerate(groups, 1):
        forms = group.get("forms") if isinstance(group, dict) else None
        if (
            not isinstance(forms, list)
            or len(forms) < 2
            or not all(isinstance(form, str) and form.strip() for form in forms)
        ):
            raise VariantError(f"{source}: group {number} needs `forms`, two or more strings")
        found.append([form.strip() for form in forms])
    return VariantTable.of(found)


def parse_opencc(text: str) -> VariantTable:
    """Groups from an OpenCC dictionary: `key<TAB>value value…` per line."""
    groups: list[list[str]] = []
    for line in text.split("\n"):
        key, _, values = line.partition("\t")
        forms = [key.strip(), *values.split()]
        if forms[0] and len(forms) > 1:
            groups.append(forms)
    return VariantTable.of(groups)


@cache
def opencc_table() -> VariantTable:
    folder = resources.files("opencc") / "dictionary"
    table = VariantTable()
    for name in OPENCC_TABLES:
        table = table + parse_opencc((folder / name).read_text(encoding="utf-8"))
    return table


@cache
def curated_table() -> VariantTable:
    text = (resources.files("newscli") / "data" / "variants.toml").read_text(encoding="utf-8")
    return parse_groups(text, "newscli/data/variants.toml")


def user_file() -> Path:
    """Where a user's own groups live by default (aliases.toml in newscli's config folder)."""
    from platformdirs import user_config_dir

    return Path(user_config_dir("newscli")) / ALIASES_FILE


def read_groups(path: Path) -> VariantTable:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise VariantError(f"{path}: cannot read: {error}") from None
    return parse_groups(text, str(path))


def load_table(aliases: Sequence[Path] = (), *, user_default: bool = True) -> VariantTable:
    """OpenCC's phrases + the curated table + the user's default file (when it exists) +
    every file in `aliases`."""
    table = opencc_table() + curated_table()
    default = user_file()
    if user_default and default.is_file():
        table = table + read_groups(default)
    for path in aliases:
        table = table + read_groups(path)
    return table


def written_form(matchers: Sequence[Matcher], text: str, hit: Hit) -> str:
    """Which form found this hit: the pattern whose needle it is, or the text as written."""
    span = text[hit.start : hit.end]
    for matcher in matchers:
        if matcher.regex is None and matcher.needle == normalize(span, matcher.ignore_case):
            return matcher.query
    return span


@dataclass
class FormCount:
    form: str
    articles: int = 0
    hits: int = 0


def count_forms(results: Iterable[ArticleHits], matchers: Sequence[Matcher]) -> list[FormCount]:
    """Per written form: articles where it occurs and its hits; most hits first."""
    counts: dict[str, FormCount] = {matcher.query: FormCount(matcher.query) for matcher in matchers}
    for result in results:
        seen: set[str] = set()
        for hit in result.hits:
            form = written_form(matchers, result.article.text, hit)
            count = counts.setdefault(form, FormCount(form))
            count.hits += 1
            if form not in seen:
                count.articles += 1
                seen.add(form)
    return sorted(counts.values(), key=lambda count: -count.hits)
