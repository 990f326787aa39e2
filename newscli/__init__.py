"""newscli: list, read, search and export archives of Chinese-language news."""

__version__ = "0.1.0"
# Bump these when parsing or normalization changes what they produce: every index
# built by an older version is then rebuilt by itself.
PARSER_VERSION = 3
NORMALIZER_VERSION = 1

__all__ = ["NORMALIZER_VERSION", "PARSER_VERSION", "__version__", "load_corpus"]


def __getattr__(name: str) -> object:
    # Lazy, so that `import newscli` (and `newscli --help`) stays cheap.
    if name == "load_corpus":
        from newscli.corpus import load_corpus

        return load_corpus
    raise AttributeError(name)
