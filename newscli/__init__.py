"""newscli: list, read, search and export archives of Chinese-language news.

from newscli import Archive, Filters, Matcher, Query

with Archive("~/waimei") as archive:
    for found in archive.search(Query((Matcher("双边关系"),)), limit=3):
        print(found.article.title)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"
# Bump these when parsing or normalization changes what they produce: every index
# built by an older version is then rebuilt by itself.
PARSER_VERSION = 4
NORMALIZER_VERSION = 1

if TYPE_CHECKING:
    from newscli.archive import Archive, HitSort, ListSort, NotAnArticle
    from newscli.article import Article, Script, Summary
    from newscli.corpus import load_corpus
    from newscli.filters import Filters
    from newscli.locate import ArticleNotFound
    from newscli.search import Matcher, Query, Scope

# Where each public name lives; imported on first use, so that `import newscli` (and
# `newscli --help`) stays cheap.
_PUBLIC = {
    "Archive": "newscli.archive",
    "ArticleNotFound": "newscli.locate",
    "HitSort": "newscli.archive",
    "ListSort": "newscli.archive",
    "NotAnArticle": "newscli.archive",
    "Article": "newscli.article",
    "Script": "newscli.article",
    "Summary": "newscli.article",
    "load_corpus": "newscli.corpus",
    "Filters": "newscli.filters",
    "Matcher": "newscli.search",
    "Query": "newscli.search",
    "Scope": "newscli.search",
}

__all__ = [
    "NORMALIZER_VERSION",
    "PARSER_VERSION",
    "Archive",
    "Article",
    "ArticleNotFound",
    "Filters",
    "HitSort",
    "ListSort",
    "Matcher",
    "NotAnArticle",
    "Query",
    "Scope",
    "Script",
    "Summary",
    "__version__",
    "load_corpus",
]


def __getattr__(name: str) -> object:
    if name in _PUBLIC:
        import importlib

        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(name)
