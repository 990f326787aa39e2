"""The command line: options, help text and exit codes. The work is done by the library."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from typing import TYPE_CHECKING, Annotated, NoReturn, Optional

import typer

from newscli import __version__

if TYPE_CHECKING:
    from newscli.search import ArticleHits
    from newscli.store import Store

EXIT_OK, EXIT_NO_MATCH, EXIT_ERROR = 0, 1, 2
MAX_PROBLEM_LINES = 50

app = typer.Typer(
    name="newscli",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Script(str, Enum):
    original = "original"
    simplified = "simplified"
    traditional = "traditional"
    taiwan = "taiwan"
    hongkong = "hongkong"


class Format(str, Enum):
    txt = "txt"
    md = "md"
    json = "json"


CorpusOption = Annotated[
    Optional[str],  # noqa: UP045 - typer reads the annotation at run time
    typer.Option(
        "--corpus",
        envvar="NEWSCLI_CORPUS",
        help="Folder of articles (searched recursively). Default: the bundled seeds.",
        show_default=False,
    ),
]


def _fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    """End the command: its message on stderr (one line per fact), and an exit code."""
    from newscli.textsafe import safe_line

    for line in message.splitlines():
        line = safe_line(line)
        print(line if line.startswith("  ") else f"newscli: {line}", file=sys.stderr)
    raise typer.Exit(code)


def _stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def _err(message: str) -> None:
    from newscli.textsafe import safe_line

    print(f"newscli: {safe_line(message)}", file=sys.stderr)


def _report_problems(problems: list[object]) -> None:
    for problem in problems[:MAX_PROBLEM_LINES]:
        _err(f"warning: {problem}")
    if len(problems) > MAX_PROBLEM_LINES:
        _err(
            f"warning: … and {len(problems) - MAX_PROBLEM_LINES} more problems"
            " (newscli check lists them all)"
        )


def _open_corpus(corpus: str | None):  # type: ignore[no-untyped-def]
    from newscli.corpus import CorpusError, load_corpus

    try:
        return load_corpus(corpus)
    except CorpusError as error:
        _fail(str(error))


NoIndexOption = Annotated[
    bool,
    typer.Option(
        "--no-index", help="Read every file instead of using the cache (slow on big folders)."
    ),
]


@contextmanager
def _store(corpus: str | None, no_index: bool) -> Iterator[Store]:
    """The articles of the corpus (through the index unless told not to); reports problems."""
    from newscli.store import open_store

    opened = _open_corpus(corpus)
    with _progress() as progress:
        store = open_store(opened, use_index=not no_index, progress=progress)
    for warning in store.warnings:
        _err(f"warning: {warning}")
    try:
        yield store
    finally:
        _report_problems(store.problems)
        store.close()


@contextmanager
def _progress() -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr for long index builds, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    from newscli.render import index_progress

    with index_progress() as callback:
        yield callback


def _find_article(corpus: str | None, name: str):  # type: ignore[no-untyped-def]
    from newscli.article import short_id
    from newscli.corpus import ArticleNotFound, CorpusError, load, resolve_root
    from newscli.store import locate
    from newscli.textsafe import display_path

    try:
        root = resolve_root(corpus)
        source, _ = locate(root, name)
    except CorpusError as error:
        _fail(str(error))
    except ArticleNotFound as error:
        lines = [str(error)]
        for candidate in error.candidates[:10]:
            lines.append(f"  {short_id(candidate.id)}  {display_path(candidate.rel)}")
        if len(error.candidates) > 10:
            lines.append(f"  … {len(error.candidates) - 10} more")
        if not error.candidates:
            lines.append("  (run 'newscli list' to see the articles and their ids)")
        _fail("\n".join(lines))
    result = load(source)
    _report_problems(result.problems)
    if result.article is None:
        reason = "; ".join(p.reason for p in result.problems) or "not an article"
        _fail(f"{display_path(source.path)}: {reason}")
    return result.article


@app.command("list")
def list_command(
    corpus: CorpusOption = None,
    limit: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--limit", "-n", min=1, help="Show at most N articles."),
    ] = None,
    no_index: NoIndexOption = False,
) -> None:
    """List articles, newest first: id, published date, outlet, title, characters.

    On a terminal this is a table; piped, one tab-separated line per article.

    Example: newscli list --corpus ~/waimei --limit 20
    """
    from newscli.render import articles_table, list_tsv, make_console

    with _store(corpus, no_index) as store:
        articles = store.summaries(limit)
        if not articles and not store.problems:
            _err(f"no articles in {store.corpus.root}")
    if _stdout_is_terminal():
        console = make_console()
        console.print(articles_table(articles, console.width))
    else:
        for line in list_tsv(articles):
            print(line)


@app.command()
def show(
    article: Annotated[str, typer.Argument(help="Path, file name stem, id, or a unique prefix.")],
    corpus: CorpusOption = None,
    script: Annotated[
        Script, typer.Option("--script", "-s", help="Convert the text for reading.")
    ] = Script.original,
    pager: Annotated[
        bool, typer.Option("--pager/--no-pager", help="Page long articles on a terminal.")
    ] = True,
) -> None:
    """Read one article: title, outlet, dates, url, then the body.

    Example: newscli show 000 --script simplified
    """
    from newscli.export import to_txt
    from newscli.render import article_view, make_console

    found = _find_article(corpus, article)
    if not _stdout_is_terminal():
        sys.stdout.write(to_txt(found, script.value))
        return
    console = make_console()
    view = article_view(found, script.value)
    if pager and len(console.render_lines(view, pad=False)) > console.height:
        os.environ.setdefault("LESS", "-FRX")
        with console.pager(styles=True):
            console.print(view)
    else:
        console.print(view)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Text to find; Traditional or Simplified.")],
    corpus: CorpusOption = None,
    ignore_case: Annotated[
        bool, typer.Option("--ignore-case", "-i", help="Ignore Latin letter case.")
    ] = False,
    count: Annotated[bool, typer.Option("--count", "-c", help="Print hits per article.")] = False,
    files_with_matches: Annotated[
        bool, typer.Option("--files-with-matches", "-l", help="Print only article ids.")
    ] = False,
    regex: Annotated[
        bool, typer.Option("--regex", "-r", help="QUERY is a Python regular expression.")
    ] = False,
    no_index: NoIndexOption = False,
) -> None:
    """Search titles and bodies; a query in either script finds both (双边 finds 雙邊).

    Exit status as grep: 0 when something matched, 1 when nothing did, 2 on error.

    Example: newscli search 双边关系 --corpus ~/waimei -c
    """
    from newscli.article import short_id
    from newscli.render import tsv_line
    from newscli.search import Matcher, QueryError

    try:
        matcher = Matcher(query, regex=regex, ignore_case=ignore_case)
    except QueryError as error:
        _fail(str(error))
    with _store(corpus, no_index) as store:
        if count or files_with_matches:
            counts = store.search_counts(matcher)
            for article, hits in counts:
                if files_with_matches:
                    print(short_id(article.id))
                else:
                    print(tsv_line([short_id(article.id), str(hits), article.title]))
            found = bool(counts)
        else:
            results = store.search(matcher)
            _print_hits(results)
            found = bool(results)
    if not found:
        raise typer.Exit(EXIT_NO_MATCH)


def _print_hits(results: list[ArticleHits]) -> None:
    from newscli.render import make_console, search_result_lines, search_result_view
    from newscli.search import DEFAULT_CONTEXT

    if _stdout_is_terminal():
        console = make_console()
        for result in results:
            console.print(search_result_view(result, DEFAULT_CONTEXT))
    else:
        for result in results:
            for line in search_result_lines(result, DEFAULT_CONTEXT):
                print(line)


@app.command("index")
def index_command(
    corpus: CorpusOption = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Start the index afresh.")] = False,
) -> None:
    """Build or refresh the corpus's index (every command also refreshes it by itself).

    The index lives in the user's cache directory ($NEWSCLI_CACHE_DIR overrides), never
    in the corpus folder. Example: newscli index --corpus ~/waimei
    """
    from newscli.index import Index, IndexUnavailable

    opened = _open_corpus(corpus)
    try:
        index = Index(opened.root)
    except IndexUnavailable as error:
        _fail(str(error))
    for warning in index.warnings:
        _err(f"warning: {warning}")
    import sqlite3

    try:
        if rebuild:
            index.rebuild()
        with _progress() as progress:
            stats = index.refresh(opened, progress)
        problems = index.problems()
    except (OSError, sqlite3.Error) as error:
        _fail(f"cannot update the index in {index.folder}: {error}")
    finally:
        index.close()
    print(
        f"{len(opened.files)} files: {stats.added} added, {stats.changed} changed, "
        f"{stats.deleted} deleted, {stats.unchanged} unchanged"
        f"{' (rebuilt)' if stats.rebuilt or rebuild else ''}; {len(problems)} with problems; "
        f"{stats.seconds:.1f} s; index in {index.folder}"
    )


@app.command()
def convert(
    article: Annotated[str, typer.Argument(help="Path, file name stem, id, or a unique prefix.")],
    to: Annotated[Format, typer.Option("--to", "-t", help="Output format.")] = Format.txt,
    output: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--output", "-o", help="Write to this file instead of stdout."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", "-f", help="Overwrite an existing file.")
    ] = False,
    corpus: CorpusOption = None,
) -> None:
    """Export one article as clean text (txt), Markdown (md) or the full model (json).

    Example: newscli convert 000 --to md -o article.md
    """
    from newscli.export import RENDERERS
    from newscli.output import OutputError, write_text

    found = _find_article(corpus, article)
    text = RENDERERS[to.value](found, "original")
    if output is None or output == "-":
        sys.stdout.write(text)
        return
    try:
        write_text(output, text, force=force)
    except OutputError as error:
        _fail(str(error))


@app.command()
def check(
    corpus: CorpusOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object, for machines.")] = False,
    no_index: NoIndexOption = False,
) -> None:
    """Read every file and report: articles, problems by kind, encodings, undated
    articles, articles without body text, and urls found in several files.

    Exit status 0 when no file has a problem, 1 when some do.

    Example: newscli check --corpus ~/waimei --json
    """
    from newscli.check import check_corpus
    from newscli.export import dumps
    from newscli.render import check_lines

    opened = _open_corpus(corpus)
    if no_index:
        report = check_corpus(opened)
    else:
        from newscli.store import open_store

        with _progress() as progress:
            store = open_store(opened, progress=progress)
        for warning in store.warnings:
            _err(f"warning: {warning}")
        report = check_corpus(opened, store.index)
        store.close()
    if as_json:
        print(dumps(report.to_dict(), indent=2))
    else:
        for line in check_lines(report):
            print(line)
    if not report.clean:
        raise typer.Exit(EXIT_NO_MATCH)


def _version_callback(value: bool) -> None:
    if value:
        print(f"newscli {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version_callback, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """List, read, search and export archives of Chinese-language news.

    Without --corpus (or $NEWSCLI_CORPUS) the two bundled seed articles are used.
    """


def main() -> None:
    """Console entry point: errors become one line on stderr, never a traceback."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        # The reader went away (`newscli list | head`): not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
    except Exception as error:  # a bug: still one line, with a way to see more
        if os.environ.get("NEWSCLI_DEBUG"):
            raise
        _err(f"internal error: {type(error).__name__}: {error} (set NEWSCLI_DEBUG=1 for details)")
        sys.exit(EXIT_ERROR)
