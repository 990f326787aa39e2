"""newscli: list, read, search and export archives of Chinese-language news."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from newscli.corpus import load_corpus

__all__ = ["__version__", "load_corpus"]


def __getattr__(name: str) -> Any:
    # Lazy, so `import newscli` (and `newscli --help`) stays cheap.
    if name == "load_corpus":
        from newscli.corpus import load_corpus

        return load_corpus
    raise AttributeError(name)
