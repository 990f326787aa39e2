"""The command line: options, help text and exit codes. The work is done by the library."""

from __future__ import annotations

import errno
import io
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import timezone, tzinfo
from enum import Enum
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, Optional, TextIO

import typer
from typer.core import TyperGroup

from newscli import __version__
from newscli.archive import HitSort, ListSort
from newscli.article import Script as ScriptName
from newscli.article import in_zone
from newscli.search import Scope

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed import ReadableBuffer
    from typer._click.core import Command as ClickCommand  # typer >= 0.26 vendors click
    from typer._click.core import Context as ClickContext
    from typer._click.formatting import HelpFormatter
    from typer.models import CommandInfo

    from newscli.archive import Archive
    from newscli.article import Article, Problem
    from newscli.filters import Filters
    from newscli.printer import Listable
    from newscli.search import Expression, Found, Hit, Matcher, Query, TextHits
    from newscli.variants import VariantTable

EXIT_OK, EXIT_NO_MATCH, EXIT_ERROR = 0, 1, 2


class _Conventions(TyperGroup):
    """Typer's command group, held to grep's conventions: a bad option value is one line
    `newscli: what: why` (exit 2), and a reader that goes away (`| head -1`) is success."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            outcome = super().main(
                args, prog_name, complete_var, False, windows_expand_args, **extra
            )
        except typer.TyperException as error:  # typer >= 0.26: click's errors derive from it
            code = _usage_error(error)
        except typer.Abort:
            code = EXIT_ERROR
        else:
            code = outcome if isinstance(outcome, int) else EXIT_OK
        if not standalone_mode:
            return code
        sys.exit(code)

    listing = False  # while the group's help lists its commands (see format_commands)

    def format_commands(self, ctx: ClickContext, formatter: HelpFormatter) -> None:
        """The list of commands in `newscli --help`, as click writes it, from a stand-in per
        command that holds only its help: none of the seven is built for its one line."""
        self.listing = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            self.listing = False

    def get_command(self, ctx: ClickContext, cmd_name: str) -> ClickCommand | None:
        """Build a command from its function when it is first needed: Typer would inspect
        every command's signature (~0.01 s) before parsing a single argument."""
        known = super().get_command(ctx, cmd_name)
        if known is None and cmd_name in _UNBUILT and self.listing:
            return _help_only(_UNBUILT[cmd_name])
        if known is None and cmd_name in _UNBUILT:
            from typer.main import get_command_from_info

            known = get_command_from_info(
                _UNBUILT[cmd_name], pretty_exceptions_short=True, rich_markup_mode=None
            )
            self.add_command(known, cmd_name)
        return known

    def list_commands(self, ctx: ClickContext) -> list[str]:
        built = super().list_commands(ctx)
        return built + [name for name in _UNBUILT if name not in built]

    def resolve_command(
        self, ctx: ClickContext, args: list[str]
    ) -> tuple[str | None, ClickCommand | None, list[str]]:
        from typer._click.exceptions import UsageError

        try:
            return super().resolve_command(ctx, args)
        except UsageError as error:  # Typer suggests from the built commands only
            from difflib import get_close_matches

            close = get_close_matches(args[0], self.list_commands(ctx)) if args else []
            if close and "Did you mean" not in error.message:
                names = ", ".join(repr(name) for name in close)
                error.message = f"{error.message.rstrip('.')}. Did you mean {names}?"
            raise

    def invoke(self, ctx: ClickContext) -> object:
        try:
            try:
                return super().invoke(ctx)
            finally:
                sys.stdout.flush()  # a closed pipe shows here, while we can still handle it
        except BrokenPipeError:
            _silence_stdout()
            raise typer.Exit(EXIT_OK) from None


def _help_only(info: CommandInfo) -> ClickCommand:
    """A command with the help Typer would give it (get_command_from_info) and nothing
    else: what its line in the group's help is made of."""
    import inspect

    from typer.core import TyperCommand

    assert info.callback is not None
    text = inspect.getdoc(info.callback) if info.help is None else inspect.cleandoc(info.help)
    return TyperCommand(
        name=info.name,
        help=text,
        short_help=info.short_help,
        hidden=info.hidden,
        deprecated=info.deprecated,
    )


def _usage_error(error: typer.TyperException) -> int:
    """Print a usage error as one line on stderr; its exit code (2 for bad usage)."""
    from typer._click.exceptions import MissingParameter, NoArgsIsHelpError, UsageError

    if isinstance(error, NoArgsIsHelpError):  # bare `newscli`: the help, as click does
        error.show()
        return error.exit_code
    message = " ".join(error.message.split()).rstrip(".")
    for wording in ("is not a valid int range", "is not a valid integer"):
        message = message.replace(wording, "is not a whole number")
    where = ""
    if isinstance(error, UsageError) and error.ctx is not None:
        where = f" (see '{error.ctx.command_path} --help')"
    if isinstance(error, MissingParameter):
        message = error.format_message().rstrip(".").replace("'", "")
        message = message[:1].lower() + message[1:]
    elif isinstance(error, typer.BadParameter) and error.param is not None:
        names = sorted(error.param.opts, key=len, reverse=True) or [error.param.name or "?"]
        what = names[0] if names[0].startswith("-") else names[0].upper()
        message = f"{what}: {message}"
    else:
        message = message[:1].lower() + message[1:]
    _err(message + where)
    return error.exit_code


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass  # not a real file (a test runner's buffer): nothing left to flush into a pipe


app = typer.Typer(
    cls=_Conventions,
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


def _corpus_folder(value: str | None) -> str | None:
    """--corpus names a folder: a file is refused before anything (an index) is made for it."""
    if value and Path(value).expanduser().is_file():
        raise typer.BadParameter(f"{value} is a file, not a folder of articles")
    return value


def _completion_root(ctx: typer.Context) -> Path | None:
    from newscli.corpus import CorpusError, resolve_root

    try:
        return resolve_root(ctx.params.get("corpus"))
    except CorpusError:
        return None


def _complete_article(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """TAB on an ARTICLE: ids from the index as last refreshed (never refreshed from a TAB)."""
    from newscli.completion import article_ids

    root = _completion_root(ctx)
    return list(article_ids(root, incomplete)) if root else []


def _complete_outlet(ctx: typer.Context, incomplete: str) -> list[str]:
    from newscli.completion import outlet_names

    root = _completion_root(ctx)
    return list(outlet_names(root, incomplete)) if root else []


CorpusOption = Annotated[
    Optional[str],  # noqa: UP045 - typer reads the annotation at run time
    typer.Option(
        "--corpus",
        envvar="NEWSCLI_CORPUS",
        metavar="DIR",
        callback=_corpus_folder,
        help="Folder of articles (searched recursively). Default: the bundled seeds."
        " Before answering, the index checks every file for changes; with"
        " NEWSCLI_FRESHNESS=folders (opt-in; default: files) it checks only folders whose"
        " times changed, and misses an edit in place (>>, cp over a file, touch) until that"
        " folder changes or `newscli index` runs (index and check always check every file).",
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


class ColorMode(str, Enum):
    auto = "auto"
    always = "always"
    never = "never"


_COLOR = {"mode": "auto"}  # set once per run by --color (before or after the command name)
_COLOR_HELP = "Colour: auto (on a terminal), always (even piped), never. Wins over $NO_COLOR."


def _set_color(value: ColorMode | None) -> None:
    if value is not None:
        _COLOR["mode"] = value.value


# Every command takes --color too (`newscli search X --color always`); the callback sets
# the run's mode, so no command body has to pass it on.
ColorOption = Annotated[
    Optional[ColorMode],  # noqa: UP045
    typer.Option(
        "--color", metavar="WHEN", callback=_set_color, expose_value=False, help=_COLOR_HELP
    ),
]


def _console(stderr: bool = False):  # type: ignore[no-untyped-def]
    from newscli.render import make_console

    return make_console(stderr=stderr, color=_COLOR["mode"])


def _stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def _err(message: str) -> None:
    from newscli.textsafe import safe_line

    print(f"newscli: {safe_line(message)}", file=sys.stderr)


def _warn_each(problems: Sequence[Problem]) -> None:
    for problem in problems:
        _err(f"warning: {problem}")


def _tell_problems(archive: Archive, filters: Filters | None) -> None:
    """A problem is news once: new ones one line each, then at most one summary line."""
    news = archive.problem_news(filters)
    _warn_each(news.new)
    if news.summary:
        _err(f"warning: {news.summary}")
    archive.mark_told(news)


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


QuietOption = Annotated[
    bool,
    typer.Option(
        "--quiet", "-q", help="No warnings (search: no output either, only the exit status)."
    ),
]


def _open_archive(corpus: str | None, no_index: bool, exact: bool = False) -> Archive:
    """The archive, not yet scanned: enough for finding articles by name. Its freshness
    rule is $NEWSCLI_FRESHNESS's, unless `exact` (check: every file stat-ed always)."""
    from newscli.archive import Archive
    from newscli.corpus import FRESHNESS_FILES, CorpusError, freshness_mode

    try:
        freshness = FRESHNESS_FILES if exact else freshness_mode(None)
        return Archive(corpus, use_index=not no_index, freshness=freshness)
    except CorpusError as error:
        _fail(str(error))


@contextmanager
def _archive(
    corpus: str | None, no_index: bool, filters: Filters | None = None, quiet: bool = False
) -> Iterator[Archive]:
    """The articles of the corpus (through the index unless told not to); before any
    result, the warnings: what is wrong with the index, and the problems that are news
    among the files that `filters` keep."""
    from newscli.corpus import CorpusError

    archive = _open_archive(corpus, no_index)
    with _progress() as progress:
        archive.progress = progress
        try:
            archive.open()
        except CorpusError as error:
            _fail(str(error))
        archive.progress = None
    try:
        if not quiet:
            for warning in archive.warnings:
                _err(f"warning: {warning}")
            _tell_problems(archive, filters)
        yield archive
    finally:
        archive.close()


@contextmanager
def _progress() -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr for long index builds, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    from newscli.render import index_progress

    with index_progress() as callback:
        yield callback


def _articles_by_name(archive: Archive, names: list[str], quiet: bool = False) -> Iterator[Article]:
    """The named articles, one at a time; a name that finds nothing ends the command."""
    from newscli.archive import NotAnArticle
    from newscli.article import short_id
    from newscli.locate import ArticleNotFound
    from newscli.textsafe import display_path

    try:
        found = archive.get_many(names)
    except ArticleNotFound as error:
        lines = [str(error)]
        for candidate in error.candidates[:10]:
            lines.append(f"  {short_id(candidate.id)}  {display_path(candidate.rel)}")
        if len(error.candidates) > 10:
            lines.append(f"  … {len(error.candidates) - 10} more")
        if not error.candidates:
            lines.append("  (run 'newscli list' to see the articles and their ids)")
        _fail("\n".join(lines))
    try:
        for article in found:
            if not quiet:
                _warn_each(archive.problems)
            archive.problems.clear()
            yield article
    except NotAnArticle as error:
        if not quiet:
            _warn_each(archive.problems)
        _fail(f"{display_path(error.path)}: {'; '.join(p.reason for p in error.problems)}")


class RowFormat(str, Enum):
    table = "table"
    tsv = "tsv"
    csv = "csv"
    json = "json"
    jsonl = "jsonl"
    ids = "ids"


NoHeadersOption = Annotated[
    bool, typer.Option("--no-headers", help="TSV and CSV without their header row.")
]
SinceOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--since", metavar="DAY", help="Published on or after this day (YYYY-MM-DD, YYYY-MM, YYYY)."
    ),
]
UntilOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--until",
        metavar="DAY",
        help="Published on or before this day (YYYY-MM-DD, YYYY-MM, YYYY).",
    ),
]
UniqueOption = Annotated[
    bool,
    typer.Option(
        "--unique",
        help="One article per url: the newest archived copy (says on stderr how many it folded).",
    ),
]
OutletOption = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option(
        "--outlet",
        metavar="NAME",
        autocompletion=_complete_outlet,
        help="Only outlets whose name holds NAME (repeatable; 德國之聲 matches 德国之声); "
        "=NAME: exactly that outlet (--outlet =BBC).",
    ),
]
TagOption = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option(
        "--tag", metavar="TAG", help="Only articles with this front-matter tag (repeatable)."
    ),
]
ScriptFilterOption = Annotated[
    Optional[list[ScriptName]],  # noqa: UP045
    typer.Option(
        "--script",
        metavar="SCRIPT",
        help="Only articles written in this script: traditional, simplified, mixed or other "
        "(repeatable).",
    ),
]


TzOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--tz",
        metavar="ZONE",
        envvar="NEWSCLI_TZ",
        help="The time zone of the dates shown and of --since/--until days: UTC (default), "
        "local, a name such as Asia/Taipei, or an offset such as +08:00. JSON stays in UTC.",
        show_default=False,
    ),
]


def _zone(tz: str | None) -> tzinfo:
    if tz is None:
        return timezone.utc  # newscli.dates.UTC, without importing dates (and zoneinfo)
    from newscli.dates import parse_zone

    try:
        return parse_zone(tz)
    except ValueError as error:
        _fail(f"--tz: {error}")


def _filters(
    since: str | None,
    until: str | None,
    outlet: list[str] | None,
    script: list[ScriptName] | None,
    tag: list[str] | None,
    zone: tzinfo,
) -> Filters:
    from newscli.filters import FilterError, Filters

    try:
        return Filters.parse(since, until, outlet or (), script or (), tag or (), zone)
    except FilterError as error:
        _fail(str(error))


@app.command("list")
def list_command(
    corpus: CorpusOption = None,
    limit: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--limit", "-n", min=1, metavar="N", help="Show at most N articles."),
    ] = None,
    sort: Annotated[
        ListSort,
        typer.Option(
            "--sort",
            metavar="FIELD",
            help="Order by published, archived, title, outlet or size.",
        ),
    ] = ListSort.PUBLISHED,
    reverse: Annotated[bool, typer.Option("--reverse", help="Reverse the order.")] = False,
    columns: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--columns",
            metavar="NAMES",
            help="Comma-separated: id, published, archived, outlet, title, chars, author, "
            "script, tags, url, path, full_id, published_at, archived_at.",
        ),
    ] = None,
    row_format: Annotated[
        Optional[RowFormat],  # noqa: UP045
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="table, tsv, csv, json, jsonl or ids. Default: table on a terminal, tsv when "
            "piped.",
        ),
    ] = None,
    no_headers: NoHeadersOption = False,
    since: SinceOption = None,
    until: UntilOption = None,
    outlet: OutletOption = None,
    script: ScriptFilterOption = None,
    tag: TagOption = None,
    tz: TzOption = None,
    no_index: NoIndexOption = False,
    color: ColorOption = None,
    quiet: QuietOption = False,
    unique: UniqueOption = False,
) -> None:
    """List articles, newest first: id, published date, outlet, title, characters.

    On a terminal this is a table; piped, one tab-separated line per article.
    Dates sort newest first and sizes largest first; title and outlet sort A to Z.

    \b
    Example: newscli list --corpus ~/waimei --outlet 德國之聲 --since 2020-08 --limit 20
    Example: newscli list --unique --outlet =BBC
    Example: newscli list --tz Asia/Taipei --since 2020-08-05 --until 2020-08-05
    """
    from newscli.printer import parse_columns

    try:
        chosen = parse_columns(columns)
    except ValueError as error:
        _fail(str(error))
    zone = _zone(tz)
    filters = _filters(since, until, outlet, script, tag, zone)
    with _archive(corpus, no_index, filters, quiet) as archive:
        filters = _unique(archive, filters, unique, quiet)
        rows = archive.list(filters, sort, reverse, limit)  # printed as they are read
        shown = _print_rows((in_zone(a, zone) for a in rows), chosen, row_format, not no_headers)
        if not shown and not archive.problems and not filters.active:
            _err(f"no articles in {archive.root}")
        elif not shown and filters.active:
            _err("no article matches the filters")


# Between articles when show writes several to a pipe.
ARTICLE_SEPARATOR = "\n" + "=" * 72 + "\n\n"


def _names(given: list[str]) -> list[str]:
    """ARTICLE arguments, with - replaced by the names on stdin (one per line)."""
    names: list[str] = []
    for name in given:
        if name == "-":
            names.extend(line.strip() for line in sys.stdin.read().split("\n") if line.strip())
        else:
            names.append(name)
    if not names:
        _fail("no ARTICLE given (stdin was empty)")
    return names


def _print_rows(
    articles: Iterable[Listable],
    columns: tuple[str, ...],
    row_format: RowFormat | None,
    headers: bool = True,
) -> int:
    """Print the rows as they come; how many were printed. A table sizes its columns to
    its rows, so it is printed TABLE_BATCH rows at a time (each batch its own table)."""
    from newscli.printer import write_list

    form = row_format.value if row_format else ("table" if _stdout_is_terminal() else "tsv")
    if form != "table":
        return write_list(sys.stdout, articles, columns, form, headers=headers)
    console = _console()
    rows = iter(articles)
    shown = 0
    while True:
        batch = list(islice(rows, TABLE_BATCH))
        if batch or not shown:
            shown += write_list(sys.stdout, batch, columns, form, console=console)
        if len(batch) < TABLE_BATCH:
            return shown


TABLE_BATCH = 1000  # rows per table of `list` on a terminal: memory stays flat


@app.command()
def show(
    articles: Annotated[
        list[str],
        typer.Argument(
            metavar="ARTICLE...",
            help="Paths, file name stems, ids, or unique prefixes; - reads them from stdin, "
            "one per line.",
            show_default=False,
            autocompletion=_complete_article,
        ),
    ],
    corpus: CorpusOption = None,
    script: Annotated[
        Script,
        typer.Option(
            "--script",
            "-s",
            metavar="SCRIPT",
            help="Convert the text for reading: original, simplified, traditional, taiwan or "
            "hongkong.",
        ),
    ] = Script.original,
    pager: Annotated[
        bool, typer.Option("--pager/--no-pager", help="Page long articles on a terminal.")
    ] = True,
    tz: TzOption = None,
    color: ColorOption = None,
    quiet: QuietOption = False,
) -> None:
    """Read articles: title, outlet, dates, url, then the body.

    Piped, several articles are separated by a line of '=' characters.

    \b
    Example: newscli show 000 --script simplified
    Example: newscli search -l 雙邊關係 | newscli show -
    """
    from newscli.export import to_txt

    archive = _open_archive(corpus, no_index=False)
    zone = _zone(tz)
    found = (in_zone(a, zone) for a in _articles_by_name(archive, _names(articles), quiet))
    if not _stdout_is_terminal():
        for number, article in enumerate(found):
            if number:
                sys.stdout.write(ARTICLE_SEPARATOR)
            sys.stdout.write(to_txt(article, script.value))
        return
    console = _console()
    from rich.console import Group, RenderableType
    from rich.rule import Rule

    from newscli.render import article_view  # rich: only for a terminal

    views: list[RenderableType] = []
    for article in found:
        if views:
            views.append(Rule())
        views.append(article_view(article, script.value))
    view = Group(*views)
    if pager and len(console.render_lines(view, pad=False)) > console.height:
        from newscli.render import CommandPager

        with console.pager(CommandPager(), styles=True):
            console.print(view, crop=False)  # a url longer than a line stays whole
    else:
        console.print(view, crop=False)


@app.command()
def search(
    query: Annotated[
        Optional[str],  # noqa: UP045
        typer.Argument(
            metavar="QUERY", help="Text to find, in either script. Optional when -e is given."
        ),
    ] = None,
    corpus: CorpusOption = None,
    patterns: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--regexp",
            "-e",
            metavar="PATTERN",
            help="A pattern to find (repeatable: any of them matches).",
        ),
    ] = None,
    all_terms: Annotated[
        bool, typer.Option("--all-terms", help="Every pattern must occur in the article.")
    ] = False,
    exclude: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--not", metavar="PATTERN", help="Leave out articles where this occurs (repeatable)."
        ),
    ] = None,
    ignore_case: Annotated[
        bool, typer.Option("--ignore-case", "-i", help="Ignore Latin letter case.")
    ] = False,
    regex: Annotated[
        bool, typer.Option("--regex", "-r", help="Patterns are Python regular expressions.")
    ] = False,
    scope: Annotated[
        Scope,
        typer.Option("--in", metavar="PART", help="Search the title, the body, or all."),
    ] = Scope.ALL,
    expr: Annotated[
        bool,
        typer.Option(
            "--expr",
            help='QUERY is an expression: AND (or a space), OR, NOT, ( ), "quoted phrases", '
            "as in (川普 OR 特朗普) AND 台灣 NOT 股市.",
        ),
    ] = False,
    variants: Annotated[
        bool,
        typer.Option(
            "--variants",
            help="Also find regional spellings: 特朗普 finds 川普, 软件 finds 軟體 (OpenCC's "
            "Taiwan phrases, newscli's table of transliterations, your aliases).",
        ),
    ] = False,
    aliases: Annotated[
        Optional[list[Path]],  # noqa: UP045
        typer.Option(
            "--aliases",
            metavar="FILE",
            help="With --variants: a TOML file of more [[group]] forms = [...] (repeatable; "
            "aliases.toml in the config folder is read too).",
        ),
    ] = None,
    forms: Annotated[
        bool,
        typer.Option(
            "--forms", help="Print how often each written form matched (form, articles, hits)."
        ),
    ] = False,
    by: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--by",
            metavar="BUCKETS",
            help="A timeline: matching articles and hits per year, month, week, day or outlet "
            "(combine: --by month,outlet; with --forms, per written form too).",
        ),
    ] = None,
    out_format: Annotated[
        Optional[SearchFormat],  # noqa: UP045
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="--by: table, tsv, csv, json or jsonl (table on a terminal, tsv piped). "
            "kwic, kwic-csv, kwic-jsonl: a concordance, left | hit | right, id, date, outlet.",
        ),
    ] = None,
    count: Annotated[bool, typer.Option("--count", "-c", help="Print hits per article.")] = False,
    files_with_matches: Annotated[
        bool, typer.Option("--files-with-matches", "-l", help="Print only article ids.")
    ] = False,
    files_without_match: Annotated[
        bool,
        typer.Option(
            "--files-without-match",
            "-L",
            help="Print only the ids of articles (that the filters keep) without a match.",
        ),
    ] = False,
    only_matching: Annotated[
        bool,
        typer.Option(
            "--only-matching",
            "-o",
            help="Print only the matched text, one hit per line, after the article id.",
        ),
    ] = False,
    word: Annotated[
        bool,
        typer.Option(
            "--word-regexp",
            "-w",
            help="Whole words: a hit may not continue a Latin word or number (UN does not "
            "match UNESCO). Chinese has no word boundaries: CJK text matches as without -w.",
        ),
    ] = False,
    quiet: QuietOption = False,
    context: Annotated[
        int,
        typer.Option(
            "--context", "-C", min=0, metavar="N", help="Characters of context either side."
        ),
    ] = 30,
    max_count: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--max-count", "-m", min=1, metavar="N", help="At most N hits per article."),
    ] = None,
    sort: Annotated[
        HitSort,
        typer.Option(
            "--sort", metavar="ORDER", help="published (newest first) or hits (most first)."
        ),
    ] = HitSort.PUBLISHED,
    max_results: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--max-results", min=1, metavar="N", help="At most N articles."),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="JSON Lines events as rg --json prints them: begin, match, end, summary."
        ),
    ] = False,
    no_headers: NoHeadersOption = False,
    since: SinceOption = None,
    until: UntilOption = None,
    outlet: OutletOption = None,
    script: ScriptFilterOption = None,
    tag: TagOption = None,
    tz: TzOption = None,
    no_index: NoIndexOption = False,
    color: ColorOption = None,
    unique: UniqueOption = False,
) -> None:
    """Search titles and bodies; a query in either script finds both (双边 finds 雙邊).

    Exit status as grep: 0 when something matched, 1 when nothing did, 2 on error.

    \b
    Example: newscli search 双边关系 --corpus ~/waimei --since 2020-08 -c
    Example: newscli search -e 普京 -e 普丁 --all-terms --not 乌克兰 --in title
    Example: newscli search --variants 特朗普 --forms
    Example: newscli search 疫苗 --by month,outlet --format csv
    Example: newscli search --variants 川普 --by outlet --forms
    Example: newscli search 双边关系 --format kwic -C 20 > concordance.tsv
    Example: newscli search --expr '(川普 OR 特朗普) AND 台灣 NOT "股市"'
    """
    import time

    from newscli.article import short_id
    from newscli.search import Matcher, Query, QueryError

    started = time.perf_counter()
    texts = ([query] if query is not None else []) + list(patterns or [])
    if not texts:
        _fail("give a QUERY or at least one -e PATTERN")
    excluded = list(exclude or [])
    table = None
    if variants:
        table = _variant_table(aliases or [], regex, all_terms)
        texts, excluded = _expanded(table, texts), _expanded(table, excluded)
    zone = _zone(tz)
    filters = _filters(since, until, outlet, script, tag, zone)
    try:
        expression = None
        if expr:
            if query is None or patterns or all_terms:
                _fail("--expr takes the QUERY argument alone (no -e, no --all-terms)")
            expression, matchers = _parse_expression(query, table, regex, ignore_case)
        else:
            matchers = tuple(Matcher(t, regex=regex, ignore_case=ignore_case) for t in texts)
        built = Query(
            matchers,
            all_terms=all_terms,
            exclude=tuple(Matcher(t, regex=regex, ignore_case=ignore_case) for t in excluded),
            scope=scope,
            max_hits=max_count,
            word=word,
            expression=expression,
        )
    except QueryError as error:
        _fail(str(error))
    with _archive(corpus, no_index, filters, quiet) as archive:
        filters = _unique(archive, filters, unique, quiet)
        if quiet and not files_without_match:  # only the exit status: the first match will do
            found = any(True for _ in archive.search_ids(built, filters, limit=1))
        elif files_without_match:
            matched = {article_id for article_id, _ in archive.search_ids(built, filters)}
            found = bool(matched)
            if not quiet:
                kept = archive.list(filters)
                unmatched = [s.id for s in kept if s.id not in matched][:max_results]
                for article_id in unmatched:
                    print(short_id(article_id))
                found = bool(unmatched)  # as grep -L: success when an article is listed
        elif out_format is not None and out_format.value.startswith("kwic"):
            from newscli.printer import write_kwic

            results = (
                replace(result, article=in_zone(result.article, zone))
                for result in archive.search_texts(built, filters, sort, max_results)
            )
            found = (
                write_kwic(sys.stdout, results, context, out_format.value, headers=not no_headers)
                > 0
            )
        elif by is not None:
            found = _print_timeline(
                archive,
                built,
                filters,
                sort,
                max_results,
                by,
                forms,
                out_format,
                zone,
                not no_headers,
            )
        elif forms and not as_json:
            from newscli.printer import write_forms
            from newscli.variants import count_forms

            counts = count_forms(archive.search(built, filters, sort, max_results), built.patterns)
            write_forms(sys.stdout, counts, headers=not no_headers)
            found = any(count.hits for count in counts)
        elif files_with_matches and not as_json:
            found = False
            for article_id, _ in archive.search_ids(built, filters, sort, max_results):
                print(short_id(article_id))
                found = True
        elif count and not as_json:
            from newscli.printer import write_counts

            # Row by row as the index finds them (-c prints no total).
            counted = (
                (in_zone(item, zone), hits)
                for item, hits in archive.search_counts(built, filters, sort, max_results)
            )
            found = write_counts(sys.stdout, counted, headers=not no_headers) > 0
        elif as_json:
            from newscli.printer import write_search_events

            totals = write_search_events(
                sys.stdout,
                archive.search_texts(built, filters, sort, max_results),
                context=context,
                searched=lambda: archive.count(filters),
                started=started,
                form_of=_form_of(built) if variants or forms else None,
            )
            found = totals.searches_with_match > 0
        else:
            printed = 0

            def counting(results: Iterable[TextHits]) -> Iterator[TextHits]:
                nonlocal printed
                for result in results:
                    printed += 1
                    yield result

            # One article at a time: snippets are made only for what is printed, from the
            # text the index stores (no article's blocks decoded, no text converted again).
            streamed = counting(
                replace(result, article=in_zone(result.article, zone))
                for result in archive.search_texts(built, filters, sort, max_results)
            )
            if only_matching:
                _print_only_matching(streamed)
            else:
                _print_hits(streamed, context)
            found = printed > 0
        if not found:
            _say_if_filtered_out(archive, filters)
    if not found:
        raise typer.Exit(EXIT_NO_MATCH)


def _unique(archive: Archive, filters: Filters, unique: bool, quiet: bool) -> Filters:
    """With --unique, the filters also leave out older copies of a url (told on stderr)."""
    if not unique:
        return filters
    from newscli.filters import older_copies

    folded = older_copies(archive.list(filters))
    if not quiet:
        _err(f"--unique: folded {len(folded)} older copies of the same urls")
    return replace(filters, skip=folded)


def _say_if_filtered_out(archive: Archive, filters: Filters) -> None:
    """Nothing found because the filters keep no article at all: say so (stderr)."""
    if filters.active and next(archive.list(filters, limit=1), None) is None:
        _err("no article matches the filters")


def _print_only_matching(results: Iterable[Found]) -> None:
    """grep -o: each hit's text as written, one per line, after its article's id."""
    from newscli.article import short_id
    from newscli.textsafe import safe_line

    for result in results:
        ident, text = short_id(result.article.id), result.text
        for hit in result.hits:
            print(f"{ident}\t{safe_line(text[hit.start : hit.end])}")


class SearchFormat(str, Enum):
    table = "table"
    tsv = "tsv"
    csv = "csv"
    json = "json"
    jsonl = "jsonl"
    kwic = "kwic"
    kwic_csv = "kwic-csv"
    kwic_jsonl = "kwic-jsonl"


def _print_timeline(
    archive: Archive,
    query: Query,
    filters: Filters,
    sort: HitSort,
    limit: int | None,
    by: str,
    forms: bool,
    out_format: SearchFormat | None,
    zone: tzinfo,
    headers: bool,
) -> bool:
    """search --by: articles and hits per bucket (and written form); True if any matched."""
    from newscli.stats import BucketError, form_timeline, parse_by, timeline

    try:
        kinds = parse_by(by)
    except BucketError as error:
        _fail(str(error))
    if forms:
        from newscli.variants import written_form

        buckets = form_timeline(
            (
                (r.article, [written_form(query.patterns, r.article.text, h) for h in r.hits])
                for r in archive.search(query, filters, sort, limit)
            ),
            kinds,
            zone,
        )
        names = (*kinds, "form")
    else:
        buckets = timeline(archive.search_counts(query, filters, sort, limit), kinds, zone)
        names = kinds
    form = out_format.value if out_format else ("table" if _stdout_is_terminal() else "tsv")
    if form.startswith("kwic"):
        _fail("--by prints a table, tsv, csv, json or jsonl, not a concordance")
    if form == "table":
        from newscli.printer import buckets_table

        console = _console()
        console.print(buckets_table(buckets, names, console.width))
    else:
        from newscli.printer import write_buckets

        write_buckets(sys.stdout, buckets, names, form, headers=headers)
    return bool(buckets)


def _variant_table(aliases: list[Path], regex: bool, all_terms: bool) -> VariantTable:
    from newscli.variants import VariantError, load_table

    if regex:
        _fail("--variants works on literal patterns, not with --regex")
    if all_terms:
        _fail("--variants cannot be combined with --all-terms yet")
    try:
        return load_table(aliases)
    except VariantError as error:
        _fail(str(error))


def _expanded(table: VariantTable, patterns: list[str]) -> list[str]:
    """The patterns, each followed by its regional variants."""
    return list(dict.fromkeys(form for text in patterns for form in table.expand(text)))


def _parse_expression(
    text: str, table: VariantTable | None, regex: bool, ignore_case: bool
) -> tuple[Expression, tuple[Matcher, ...]]:
    from newscli.search import AnyOf, Matcher, Term, parse_expression

    def make(term: str) -> Expression:
        forms = table.expand(term) if table is not None else (term,)
        terms = tuple(Term(Matcher(form, regex=regex, ignore_case=ignore_case)) for form in forms)
        return terms[0] if len(terms) == 1 else AnyOf(terms)

    return parse_expression(text, make)


def _form_of(query: Query) -> Callable[[str, Hit], str]:
    from newscli.variants import written_form

    return lambda text, hit: written_form(query.patterns, text, hit)


def _print_hits(results: Iterable[Found], context: int) -> None:
    if _stdout_is_terminal() or _COLOR["mode"] == "always":  # `| less -R` shows highlights
        from newscli.render import search_result_view

        console = _console()
        for result in results:
            console.print(search_result_view(result, context))
    else:
        from newscli.printer import write_search_lines

        write_search_lines(sys.stdout, results, context)


@app.command("index")
def index_command(
    corpus: CorpusOption = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Start the index afresh.")] = False,
    color: ColorOption = None,
    quiet: QuietOption = False,
) -> None:
    """Build or refresh the corpus's index (every command also refreshes it by itself).

    The index lives in the user's cache directory ($NEWSCLI_CACHE_DIR overrides), never
    in the corpus folder.

    \b
    Example: newscli index --corpus ~/waimei
    """
    import time

    from newscli.index import Index, IndexUnavailable

    started = time.perf_counter()  # the time the user waited: the folder walk included
    opened = _open_corpus(corpus)
    try:
        index = Index(opened.root)
    except IndexUnavailable as error:
        _fail(str(error))
    import sqlite3

    try:
        if rebuild:
            index.rebuild()
        with _progress() as progress:
            stats = index.refresh(opened, progress)
        problems = index.problems()
        if not quiet:
            for warning in index.warnings:
                _err(f"warning: {warning}")
            news = index.problem_news()
            _warn_each(news.new)  # the count is in the summary below
            index.mark_told(news)
    except (OSError, sqlite3.Error) as error:
        _fail(f"cannot update the index in {index.folder}: {error}")
    finally:
        index.close()
    print(
        f"{stats.parsed + stats.unchanged} files: {stats.added} added, {stats.changed} changed, "
        f"{stats.deleted} deleted, {stats.unchanged} unchanged"
        f"{' (rebuilt)' if stats.rebuilt or rebuild else ''}; {len(problems)} with problems; "
        f"{time.perf_counter() - started:.1f} s; index in {index.folder}"
    )


class ExportFormat(str, Enum):
    txt = "txt"
    md = "md"
    json = "json"
    jsonl = "jsonl"


@app.command()
def convert(
    articles: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Argument(
            metavar="[ARTICLE]...",
            help="Paths, file name stems, ids, or unique prefixes; - reads them from stdin.",
            autocompletion=_complete_article,
        ),
    ] = None,
    queries: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--query",
            metavar="TEXT",
            help="Every article where this text occurs, in either script (repeatable: any).",
        ),
    ] = None,
    to: Annotated[
        ExportFormat,
        typer.Option("--to", "-t", metavar="FORMAT", help="txt, md, json or jsonl."),
    ] = ExportFormat.txt,
    output: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--output", "-o", metavar="FILE", help="Write to this file instead of stdout."
        ),
    ] = None,
    out_dir: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--out-dir", "-d", metavar="DIR", help="Write one file per article into this folder."
        ),
    ] = None,
    export_all: Annotated[
        bool, typer.Option("--all", help="Every article (that the filters keep).")
    ] = False,
    force: Annotated[bool, typer.Option("--force", "-f", help="Overwrite existing files.")] = False,
    script: Annotated[
        Script,
        typer.Option(
            "--script",
            "-s",
            metavar="SCRIPT",
            help="Convert the exported text with OpenCC: original, simplified, traditional, "
            "taiwan or hongkong.",
        ),
    ] = Script.original,
    since: SinceOption = None,
    until: UntilOption = None,
    outlet: OutletOption = None,
    source_script: Annotated[
        Optional[list[ScriptName]],  # noqa: UP045
        typer.Option(
            "--source-script",
            metavar="SCRIPT",
            help="Only articles written in this script: traditional, simplified, mixed or "
            "other (repeatable; --script here converts).",
        ),
    ] = None,
    tag: TagOption = None,
    tz: TzOption = None,
    corpus: CorpusOption = None,
    no_index: NoIndexOption = False,
    color: ColorOption = None,
    quiet: QuietOption = False,
    unique: UniqueOption = False,
) -> None:
    """Export articles as clean text (txt), Markdown (md), the full model (json), or
    JSON Lines (jsonl, one article per line: the hand-off to DuckDB, Spark, pandas).

    One article goes to stdout or -o FILE. Several (or --all) go to --out-dir DIR as one
    file each, or with --to jsonl to stdout or -o. Existing files are never overwritten
    without --force.

    \b
    Example: newscli convert 000 --to md -o article.md
    Example: newscli convert --all --outlet 德国之声 --to jsonl -o dw.jsonl --corpus ~/waimei
    """
    from newscli.archive import ExportError
    from newscli.index import IndexChanged
    from newscli.output import OutputError

    names = list(articles or [])
    if sum((export_all, bool(names), bool(queries))) != 1:
        _fail("give ARTICLEs, --query TEXT or --all (one of them)")
    zone = _zone(tz)
    filters = _filters(since, until, outlet, source_script, tag, zone)
    with _archive_for_export(corpus, no_index, names, filters, quiet) as archive:
        if not names:
            filters = _unique(archive, filters, unique, quiet)
        if export_all:
            selected = archive.articles(filters)
        elif queries:
            selected = (found.article for found in archive.search(_query(queries), filters))
        else:
            selected = filters.select(_articles_by_name(archive, _names(names), quiet))
        selected = (in_zone(article, zone) for article in selected)
        try:
            report = archive.export(
                selected, to.value, script.value, output, folder=out_dir, force=force
            )
        except (ExportError, OutputError, IndexChanged) as error:
            _fail(str(error))
    if not report.written and export_all and filters.active:
        _err("no article matches the filters")
    if out_dir is None:
        return
    for line in report.skipped:
        _err(f"warning: {line}")
    skipped = len(report.skipped)
    print(
        f"{report.written} written to {os.path.expanduser(out_dir)}"
        + (f", {skipped} skipped" if skipped else "")
    )
    if skipped:
        raise typer.Exit(EXIT_NO_MATCH)


@contextmanager
def _archive_for_export(
    corpus: str | None, no_index: bool, names: list[str], filters: Filters, quiet: bool
) -> Iterator[Archive]:
    """Articles by name need no scan or refresh; --all and --query do."""
    if not names:
        with _archive(corpus, no_index, filters, quiet) as archive:
            yield archive
        return
    archive = _open_archive(corpus, no_index)
    try:
        yield archive
    finally:
        archive.close()


def _query(texts: list[str]) -> Query:
    from newscli.search import Matcher, Query, QueryError

    try:
        return Query(tuple(Matcher(text) for text in texts))
    except QueryError as error:
        _fail(str(error))


@app.command()
def stats(
    corpus: CorpusOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object, for machines.")] = False,
    since: SinceOption = None,
    until: UntilOption = None,
    outlet: OutletOption = None,
    script: ScriptFilterOption = None,
    tag: TagOption = None,
    tz: TzOption = None,
    no_index: NoIndexOption = False,
    color: ColorOption = None,
    quiet: QuietOption = False,
    outlets: Annotated[
        bool,
        typer.Option(
            "--outlets",
            help="Only the outlets with their articles, most first (TSV; --json: an object).",
        ),
    ] = False,
    no_headers: NoHeadersOption = False,
    unique: UniqueOption = False,
) -> None:
    """Articles per outlet, a monthly timeline, the share of each script, the date range,
    total characters, and the largest and smallest articles.

    \b
    Example: newscli stats --corpus ~/waimei --since 2020-08 --outlet BBC
    Example: newscli stats --outlets
    """
    from newscli.stats import compute

    zone = _zone(tz)
    filters = _filters(since, until, outlet, script, tag, zone)
    with _archive(corpus, no_index, filters, quiet) as archive:
        filters = _unique(archive, filters, unique, quiet)
        computed = compute(in_zone(summary, zone) for summary in archive.list(filters))
    if filters.active and not computed.articles:
        _err("no article matches the filters")
    if outlets:
        from newscli.printer import write_json, write_outlets

        if as_json:
            write_json(sys.stdout, dict(computed.outlets.most_common()))
        else:
            write_outlets(sys.stdout, computed.outlets.most_common(), headers=not no_headers)
        return
    if as_json:
        from newscli.printer import write_json

        write_json(sys.stdout, computed.to_dict())
        return
    from newscli.render import stats_view

    console = _console()
    console.print(stats_view(computed, console.width))


@app.command()
def check(
    corpus: CorpusOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object, for machines.")] = False,
    no_index: NoIndexOption = False,
    color: ColorOption = None,
) -> None:
    """Read every file and report: articles, problems by kind, encodings, undated
    articles, articles without body text, and urls found in several files.

    Exit status 0 when no file has a problem, 1 when some do.

    \b
    Example: newscli check --corpus ~/waimei --json
    """
    from newscli.check import check_corpus
    from newscli.printer import check_lines, write_json, write_lines

    if no_index:
        report = check_corpus(_open_corpus(corpus))
    else:
        archive = _open_archive(corpus, no_index=False, exact=True)
        with _progress() as progress:
            archive.progress = progress
            archive.open(keep_scan=True)  # check lists every file: no second scan
        for warning in archive.warnings:
            _err(f"warning: {warning}")
        report = check_corpus(archive.corpus, archive.index)
        if archive.index is not None:
            archive.index.mark_all_told()  # every problem is listed below
        archive.close()
    if as_json:
        write_json(sys.stdout, report.to_dict())
    else:
        write_lines(sys.stdout, check_lines(report))
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
    color: Annotated[ColorMode, typer.Option("--color", metavar="WHEN", help=_COLOR_HELP)] = (
        ColorMode.auto
    ),
) -> None:
    """List, read, search and export archives of Chinese-language news.

    Without --corpus (or $NEWSCLI_CORPUS) the two bundled seed articles are used.

    \b
    Example: newscli --color never search 雙邊關係 --corpus ~/waimei
    """
    _COLOR["mode"] = color.value


# Typer builds every registered command before parsing; _Conventions builds the one asked for.
_UNBUILT = {
    info.name or typer.main.get_command_name(info.callback.__name__): info
    for info in app.registered_commands
    if info.callback is not None
}
app.registered_commands.clear()


def main() -> None:
    """Console entry point: errors become one line on stderr, never a traceback."""
    if sys.stdout is None:  # started with stdout closed (`newscli list >&-`)
        sys.stdout = _closed_stdout()
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
        message = _expected_failure(error)
        if message is not None:
            _err(message)
            _mute_stdout()  # the interpreter's last flush must not fail a second time
            sys.exit(EXIT_ERROR)
        if os.environ.get("NEWSCLI_DEBUG"):
            raise
        _err(f"internal error: {type(error).__name__}: {error} (set NEWSCLI_DEBUG=1 for details)")
        sys.exit(EXIT_ERROR)


def _expected_failure(error: Exception) -> str | None:
    """The one line for an error that is the environment's or the query's, not a bug:
    a search that cannot go on (--regex past its limit), standard output that cannot be
    written (a full disk, closed) or cannot encode the text (PYTHONIOENCODING=ascii)."""
    from newscli.search import QueryError

    if isinstance(error, QueryError):
        return str(error)
    if isinstance(error, UnicodeEncodeError):
        encoding = getattr(sys.stdout, "encoding", None) or ""
        if _codec(error.encoding) == _codec(encoding) != _codec("utf-8"):
            return (
                f"standard output cannot show this text in its encoding ({encoding}); "
                "set PYTHONIOENCODING=utf-8 or a UTF-8 locale"
            )
        return None
    if isinstance(error, OSError):
        reason = (error.strerror or str(error)).lower()
        if error.filename is not None:
            return f"{error.filename}: {reason}"
        if error.errno in _WRITE_ERRNOS or _stdout_fails():
            # Files newscli writes itself fail as OutputError, naming them: this is stdout.
            return f"cannot write to standard output: {reason}"
    return None


# What a write to a full, closed or vanished output fails with.
_WRITE_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EBADF, errno.EPIPE}
)


def _codec(name: str) -> str:
    import codecs

    try:
        return codecs.lookup(name).name
    except LookupError:
        return name


def _stdout_fails() -> bool:
    """True when standard output cannot take what is still buffered for it."""
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        return True
    return False


class _ClosedOutput(io.RawIOBase):
    """What stdout writes into when the process started without one: a write fails as
    one to a closed descriptor does (EBADF), so a command ends with one line, never a
    silent exit 0 with nothing written; muted once that line is out."""

    muted = False

    def writable(self) -> bool:
        return True

    def write(self, data: ReadableBuffer, /) -> int:
        if self.muted:
            return memoryview(data).nbytes
        raise OSError(errno.EBADF, "standard output is closed")


def _closed_stdout() -> TextIO:
    return io.TextIOWrapper(io.BufferedWriter(_ClosedOutput()), encoding="utf-8")


def _mute_stdout() -> None:
    """After the one line: whatever stdout still holds goes nowhere, without a second error."""
    _silence_stdout()
    raw = getattr(getattr(sys.stdout, "buffer", None), "raw", None)
    if isinstance(raw, _ClosedOutput):
        raw.muted = True
