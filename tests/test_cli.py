"""Every subcommand through Typer's CliRunner: output, exit codes, errors."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ESC_TITLE
from typer.testing import CliRunner

from newscli import cli

SEEDS = Path(__file__).resolve().parents[1] / "seeds"

runner = CliRunner()


def run(*args: str, terminal: bool = False, monkeypatch: pytest.MonkeyPatch | None = None):  # type: ignore[no-untyped-def]
    if terminal:
        assert monkeypatch is not None
        monkeypatch.setattr(cli, "_stdout_is_terminal", lambda: True)
    return runner.invoke(cli.app, list(args))


def test_list_piped_is_tsv_newest_first() -> None:
    result = run("list")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "id\tpublished\toutlet\ttitle\tchars",
        "dc6d1d42a40981a9\t2024-06-19\t德国之声\t普京会金正恩 朝俄签订防卫互助协定\t1068",
        "38cea08e8c8c52de\t2022-08-15\t德国之声\t朝鮮官媒：普京致函金正恩 稱將擴大雙邊關係\t1786",
    ]


def test_list_limit_and_table(monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("list", "--limit", "1", "--no-headers").stdout.count("\n") == 1
    result = run("list", terminal=True, monkeypatch=monkeypatch)
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["id", "published", "outlet", "title", "chars"]
    assert lines[1].startswith(
        "dc6d1d42a4  2024-06-19  德国之声  普京会金正恩 朝俄签订防卫互助协定"
    )
    assert lines[1].endswith("1,068")


def test_corpus_option_and_environment(seeds_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (seeds_copy / "nested" / "deeper").mkdir(parents=True)
    (seeds_copy / "000_a72835dd61d86983.txt").rename(
        seeds_copy / "nested" / "deeper" / "a b「c」.txt"
    )
    result = run("list", "--corpus", str(seeds_copy))
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 1 + 2  # header, rows
    monkeypatch.setenv("NEWSCLI_CORPUS", str(seeds_copy / "nested"))
    assert len(run("list", "--no-headers").stdout.splitlines()) == 1


def test_missing_corpus_is_a_clear_error() -> None:
    result = run("list", "--corpus", "/no/such/folder")
    assert result.exit_code == 2
    assert result.stderr.strip() == "newscli: /no/such/folder: no such file or folder"


def test_show_piped_is_clean_text() -> None:
    result = run("show", "000")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "朝鮮官媒：普京致函金正恩 稱將擴大雙邊關係"
    assert lines[1].startswith("德国之声 | 2022-08-15 01:22 UTC | https://www.dw.com/zh/")
    assert "[图片: 北韩领导人金正恩是普京拉拢的重点对象？]" in lines
    assert "<" not in result.stdout.replace("<U+", "")


def test_show_terminal_wraps_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    result = run("show", "002", "--no-pager", terminal=True, monkeypatch=monkeypatch)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "普京会金正恩 朝俄签订防卫互助协定"
    assert lines[1] == "德国之声  published 2024-06-19 12:42 UTC  simplified script"
    from rich.cells import cell_len

    # Every line fits, but the url's: it stays whole (and clickable) on a line of its own.
    assert [line for line in lines if cell_len(line) > 100] == [
        next(line for line in lines if line.startswith("https://www.dw.com/zh/"))
    ]
    # No line starts with closing punctuation.
    assert not [line for line in lines if line and line[0] in "，。、；：？！）」』》"]


def test_show_script_conversion() -> None:
    result = run("show", "000", "--script", "simplified")
    assert result.stdout.splitlines()[0] == "朝鲜官媒：普京致函金正恩 称将扩大双边关系"
    result = run("show", "dc6d", "-s", "traditional")
    assert result.stdout.splitlines()[0] == "普京會金正恩 朝俄簽訂防衛互助協定"


@pytest.mark.parametrize(
    "name", ["000", "000_a72835dd61d86983", "38cea08e8c", "38ce", "seeds/000_a72835dd61d86983.txt"]
)
def test_article_names(name: str) -> None:
    result = run("show", name)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("朝鮮官媒")


def test_unknown_and_ambiguous_articles() -> None:
    result = run("show", "zzz")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0].startswith("newscli: no article 'zzz' in ")
    result = run("show", "00")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == "newscli: '00' is ambiguous: it begins 2 articles"
    assert {line.split()[1] for line in lines[1:]} == {
        "000_a72835dd61d86983.txt",
        "002_7f245f662d01c087.txt",
    }


def test_search_output_and_exit_codes() -> None:
    result = run("search", "雙邊關係")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "38cea08e8c\t2022-08-15\t朝鮮官媒：普京致函金正恩 稱將擴大雙邊關係"
    assert len(lines) == 4  # header + title hit + two body hits
    assert "…正恩的信中說，俄羅斯與朝鮮要「以共同的努力擴大全面和建設性的雙邊關係」。" in lines[2]
    assert run("search", "不存在的词").exit_code == 1
    bad = run("search", "(", "--regex")
    assert bad.exit_code == 2 and "invalid regular expression" in bad.stderr


def test_search_count_and_ids() -> None:
    assert run("search", "金正恩", "-l").stdout.splitlines() == ["dc6d1d42a4", "38cea08e8c"]
    counts = [line.split("\t")[:2] for line in run("search", "金正恩", "-c").stdout.splitlines()]
    assert counts == [["id", "hits"], ["dc6d1d42a40981a9", "11"], ["38cea08e8c8c52de", "22"]]
    assert run("search", "kcna", "-i", "-l").stdout.split() == ["38cea08e8c"]
    assert run("search", "防[衛卫]互助", "--regex", "-l").stdout.split() == ["dc6d1d42a4"]


def test_search_terminal_highlights_original_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    result = run("search", "双边关系", terminal=True, monkeypatch=monkeypatch)
    import re

    # The hit, in the text as written (Traditional), is what carries the reverse video.
    assert re.search("\x1b\\[[0-9;]*7[0-9;]*m雙邊關係\x1b\\[0m", result.stdout)
    assert not re.search("\x1b\\[[0-9;]*7[0-9;]*m[^\x1b]*俄羅斯與朝鮮", result.stdout)


def test_convert_formats(tmp_path: Path) -> None:
    txt = run("convert", "000").stdout
    assert txt.startswith(
        "朝鮮官媒：普京致函金正恩 稱將擴大雙邊關係\n德国之声 | 2022-08-15 01:22 UTC"
    )
    assert "\n\n相关图集：朝鲜当权者金正恩去过哪？见过谁？\n\n" in txt
    md = run("convert", "002", "--to", "md").stdout
    assert md.startswith("# 普京会金正恩 朝俄签订防卫互助协定\n")
    assert "## 金正恩：全面支持俄罗斯" in md
    assert "金正恩亲自到机场迎接[^1]" in md
    assert "[^1]: <https://api.dw.com/api/detail/article/69399723>" in md
    data = json.loads(run("convert", "000", "--to", "json").stdout)
    assert data["title"] == "朝鮮官媒：普京致函金正恩 稱將擴大雙邊關係"
    assert data["published_at"] == "2022-08-15T01:22:34Z"
    assert len(data["blocks"]) == 24


def test_convert_output_file_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "a.txt"
    assert run("convert", "000", "-o", str(target)).exit_code == 0
    first = target.read_text(encoding="utf-8")
    target.write_text("mine", encoding="utf-8")
    result = run("convert", "002", "-o", str(target))
    assert result.exit_code == 2 and "already exists (use --force" in result.stderr
    assert target.read_text(encoding="utf-8") == "mine"
    assert run("convert", "000", "-o", str(target), "--force").exit_code == 0
    assert target.read_text(encoding="utf-8") == first
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["a.txt"]  # no temporary files left


def test_bad_flag_and_version() -> None:
    result = run("list", "--nope")
    assert result.exit_code == 2
    assert result.stderr == "newscli: no such option: --nope (see 'newscli list --help')\n"
    assert run("--version").stdout.startswith("newscli ")


# --- grep's conventions (issue 8) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["list", "-n", "0"], "newscli: --limit: 0 is not in the range x>=1"),
        (["list", "--limit", "many"], "newscli: --limit: 'many' is not a whole number"),
        (
            ["search", "x", "--in", "titel"],
            "newscli: --in: 'titel' is not one of 'all', 'title', 'body'",
        ),
        (["list", "--format", "xml"], "newscli: --format: 'xml' is not one of"),
        (["show"], "newscli: missing argument ARTICLE"),
        (["search", "x", "--color", "sometimes"], "newscli: --color: 'sometimes' is not one of"),
    ],
)
def test_bad_option_values_are_one_line(args: list[str], line: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(line)
    assert "╭" not in result.stderr and "Error" not in result.stderr


def test_commands_are_built_only_when_asked_for() -> None:
    import typer.main

    group = typer.main.get_command(cli.app)
    assert isinstance(group, typer.core.TyperGroup) and not group.commands
    with group.make_context("newscli", ["search", "x"]) as ctx:
        assert group.list_commands(ctx) == [
            "list",
            "show",
            "search",
            "index",
            "convert",
            "stats",
            "check",
        ]
        assert group.get_command(ctx, "search") is not None
        assert list(group.commands) == ["search"]
    typo = run("serch", "x")
    assert typo.exit_code == 2
    assert typo.stderr.startswith("newscli: no such command 'serch'. Did you mean 'search'?")
    listed = run("--help").stdout
    assert all(f"  {name} " in listed for name in ("list", "show", "search", "check"))


def test_help_placeholders_and_examples_on_their_own_lines() -> None:
    for command in ("list", "show", "search", "convert", "stats", "check", "index"):
        text = run(command, "--help").stdout
        assert "<" not in text and "int range" not in text and "list[" not in text, command
        examples = [line for line in text.splitlines() if "Example:" in line]
        assert examples and all(line.strip().startswith("Example: newscli") for line in examples)
    text = run("search", "--help").stdout
    for placeholder in ("--since DAY", "--outlet NAME", "--max-results N", "-e, --regexp PATTERN"):
        assert placeholder in text
    assert "--format FORMAT" in run("list", "--help").stdout
    assert "Usage: newscli search [OPTIONS] [QUERY]" in text
    assert "--corpus DIR" in text and "--color WHEN" in text


def _python(*args: str, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, *args], capture_output=True, check=False, **kwargs)  # type: ignore[call-overload, no-any-return]


@pytest.mark.parametrize(
    "args",
    [
        ["search", "-l", "金正恩"],
        ["search", "-c", "金正恩"],
        ["list"],
    ],
)
def test_hot_paths_import_only_what_they_need(args: list[str]) -> None:
    # Typer >= 0.29 imports pydantic at start-up (~0.07 s per command); rich, selectolax
    # and charset-normalizer are not needed to print ids or rows into a pipe either.
    assert _python("-m", "newscli", "index").returncode == 0  # hot means: the index is warm
    done = _python("-X", "importtime", "-m", "newscli", *args)
    assert done.returncode == 0, done.stderr
    imported = {
        line.rsplit("|", 1)[-1].strip().split(".")[0]
        for line in done.stderr.decode().splitlines()
        if line.startswith("import time:")
    }
    heavy = {"pydantic", "rich", "selectolax", "charset_normalizer", "click"}
    assert not imported & heavy


def _many_hits_corpus(folder: Path, copies: int = 80) -> Path:
    """The seeds plus `copies` variants of one: a search whose output outgrows a pipe buffer."""
    shutil.copytree(SEEDS, folder)
    source = (folder / "002_7f245f662d01c087.txt").read_text(encoding="utf-8")
    for number in range(copies):
        variant = source.replace("普京会金正恩", f"普京会金正恩{number}")
        (folder / f"copy{number:03d}.txt").write_text(variant, encoding="utf-8")
    return folder


def test_a_closed_pipe_is_success_and_silent(tmp_path: Path) -> None:
    corpus = _many_hits_corpus(tmp_path / "many")
    command = [str(Path(sys.executable).parent / "newscli"), "search", "金正恩", "-C", "300"]
    command += ["--corpus"]
    # more than a pipe holds (64 KiB) plus what the reader takes at once
    assert len(subprocess.run([*command, str(corpus)], capture_output=True).stdout) > 150_000
    reader = subprocess.Popen(
        [*command, str(corpus)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert reader.stdout is not None and reader.stderr is not None
    first = reader.stdout.readline()  # `| head -1`: one line, then the reader goes away
    reader.stdout.close()
    assert reader.wait(timeout=60) == 0
    assert first.startswith(b"dc6d1d42a4\t") and reader.stderr.read() == b""


def test_color_always_wins_when_piped_and_over_no_color() -> None:
    # conftest sets NO_COLOR=1, and CliRunner's stdout is no terminal
    for args in (
        ["search", "雙邊關係", "--color", "always"],
        ["--color", "always", "search", "雙邊關係"],
    ):
        result = run(*args)
        assert result.exit_code == 0
        assert re.search("\x1b\\[[0-9;]*7[0-9;]*m雙邊關係\x1b\\[0m", result.stdout), args
    assert "\x1b" not in run("search", "雙邊關係").stdout
    assert "\x1b" not in run("search", "雙邊關係", "--color", "never").stdout


def test_less_gets_minus_r_even_when_less_is_set_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "bin" / "less"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/argv\ncat > {tmp_path}/seen\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:{os.environ['PATH']}")
    monkeypatch.delenv("PAGER", raising=False)
    monkeypatch.setenv("LESS", "-X")
    monkeypatch.setenv("LINES", "10")
    result = run("show", "002", "--color", "always", terminal=True, monkeypatch=monkeypatch)
    assert result.exit_code == 0, result.stderr
    assert "-R" in (tmp_path / "argv").read_text().split()
    seen = (tmp_path / "seen").read_text(encoding="utf-8")
    assert "普京会金正恩" in seen and "\x1b[" in seen


def test_search_quiet_prints_nothing_and_tells_by_exit_status() -> None:
    found = run("search", "金正恩", "-q")
    assert (found.exit_code, found.stdout) == (0, "")
    missing = run("search", "不存在的词", "--quiet")
    assert (missing.exit_code, missing.stdout) == (1, "")


def test_search_files_without_match() -> None:
    result = run("search", "防卫互助", "-L")
    assert (result.exit_code, result.stdout) == (0, "38cea08e8c\n")
    everywhere = run("search", "金正恩", "--files-without-match")
    assert (everywhere.exit_code, everywhere.stdout) == (1, "")
    assert run("search", "不存在的词", "-L").stdout.split() == ["dc6d1d42a4", "38cea08e8c"]


def test_search_only_matching_prints_the_text_as_written() -> None:
    assert run("search", "kcna", "-i", "-o").stdout == "38cea08e8c\tKCNA\n"
    lines = run("search", "双边关系", "-o").stdout.splitlines()
    # title and body, in the script as written
    assert lines == ["38cea08e8c\t雙邊關係"] * 2 + ["38cea08e8c\t双边关系"]


def test_search_word_regexp_is_for_latin_words() -> None:
    assert run("search", "KCN", "-i", "-l").stdout == "38cea08e8c\n"
    assert run("search", "KCN", "-i", "-w", "-l").exit_code == 1  # KCNA continues the word
    assert run("search", "KCNA", "-i", "-w", "-o").stdout == "38cea08e8c\tKCNA\n"
    # CJK has no word boundaries: -w changes nothing for Chinese text.
    assert run("search", "金正恩", "-w", "-c").stdout == run("search", "金正恩", "-c").stdout


def test_corpus_must_be_a_folder_and_makes_no_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = SEEDS / "000_a72835dd61d86983.txt"
    for args in (["list", "--corpus", str(file)], ["search", "x", "--corpus", str(file)]):
        result = run(*args)
        assert result.exit_code == 2
        assert result.stderr.startswith(f"newscli: --corpus: {file} is a file, not a folder")
        assert len(result.stderr.splitlines()) == 1
    monkeypatch.setenv("NEWSCLI_CORPUS", str(file))
    assert run("stats").exit_code == 2
    assert not (tmp_path / "cache").exists()


def test_filters_that_select_nothing_say_so() -> None:
    message = "newscli: no article matches the filters\n"
    for args in (["list", "--outlet", "BBC"], ["stats", "--since", "2030"]):
        result = run(*args)
        assert result.stderr == message, args
    result = run("search", "金正恩", "--since", "2030")
    assert (result.exit_code, result.stderr) == (1, message)
    assert run("search", "不存在的词").stderr == ""  # the filters are not why nothing matched


def test_completion_of_ids_and_outlets(tmp_path: Path) -> None:
    from newscli.completion import article_ids, outlet_names

    assert list(article_ids(SEEDS)) == []  # no index yet: offer nothing, build nothing
    assert not (tmp_path / "cache").exists()
    assert run("index").exit_code == 0
    assert [ident for ident, _ in article_ids(SEEDS, "38")] == ["38cea08e8c"]
    assert [ident for ident, _ in article_ids(SEEDS)] == ["dc6d1d42a4", "38cea08e8c"]
    assert list(outlet_names(SEEDS, "德")) == ["德国之声"]
    script = str(Path(sys.executable).parent / "newscli")
    for words, expected in (
        ("newscli show 38", "38cea08e8c"),
        ("newscli convert --to md dc", "dc6d1d42a4"),
        ("newscli list --outlet 德", "德国之声"),
    ):
        done = subprocess.run(
            [script],
            capture_output=True,
            env={
                **os.environ,
                "_NEWSCLI_COMPLETE": "complete_bash",
                "COMP_WORDS": words,
                "COMP_CWORD": str(len(words.split()) - 1),
            },
        )
        assert done.stdout.decode().split() == [expected], words


def test_index_reports_the_time_the_user_waited(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    import newscli.corpus

    real_load = newscli.corpus.load_corpus

    def slow_walk(*args: object, **kwargs: object) -> object:
        time.sleep(1.0)  # the folder walk is part of what the user waits for
        return real_load(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(newscli.corpus, "load_corpus", slow_walk)
    result = run("index")
    assert result.exit_code == 0, result.stderr
    seconds = float(re.search(r"; ([0-9.]+) s; index in ", result.stdout).group(1))  # type: ignore[union-attr]
    assert seconds >= 1.0


# --- command bodies on the Archive: show several, stdin, convert --query, filters ----------


def test_show_several_articles_and_names_from_stdin() -> None:
    ids = run("search", "-l", "普京").stdout  # both seeds, newest first
    assert ids.count("\n") == 2
    piped = runner.invoke(cli.app, ["show", "-"], input=ids)
    assert piped.exit_code == 0, piped.output
    first, second = piped.stdout.split(cli.ARTICLE_SEPARATOR)
    assert first.startswith("普京会金正恩 朝俄签订防卫互助协定\n")
    assert second.startswith("朝鮮官媒：普京致函金正恩 稱將擴大雙邊關係\n")
    named = run("show", *ids.split())
    assert named.stdout == piped.stdout


def test_show_with_an_empty_stdin_or_a_bad_name_says_so() -> None:
    empty = runner.invoke(cli.app, ["show", "-"], input="\n")
    assert empty.exit_code == 2 and "stdin was empty" in empty.stderr
    bad = runner.invoke(cli.app, ["show", "dc6d1d42a4", "no-such-article"])
    assert bad.exit_code == 2 and bad.stdout == ""  # nothing printed before the error
    assert "no article 'no-such-article'" in bad.stderr


def test_convert_a_query_straight_to_jsonl() -> None:
    result = run("convert", "--query", "雙邊關係", "--to", "jsonl")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.split("\n") if line]
    assert [line["title"] for line in lines] == ["朝鮮官媒：普京致函金正恩 稱將擴大雙邊關係"]
    both = run("convert", "--query", "普京", "--to", "jsonl", "--since", "2024")
    assert [json.loads(line)["title"] for line in both.stdout.split("\n") if line] == [
        "普京会金正恩 朝俄签订防卫互助协定"
    ]
    several = run("convert", "--query", "普京")
    assert several.exit_code == 2 and "several articles" in several.stderr
    assert several.stdout == ""
    assert run("convert", "--query", "x", "--all").exit_code == 2


def test_convert_names_from_stdin_into_a_folder(tmp_path: Path) -> None:
    ids = run("search", "-l", "普京").stdout
    result = runner.invoke(
        cli.app, ["convert", "-", "--to", "md", "--out-dir", str(tmp_path / "out")], input=ids
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("2 written to ")
    assert len(list((tmp_path / "out").iterdir())) == 2


def test_since_after_until_is_one_line_and_exit_2() -> None:
    for command in (["list"], ["search", "x"], ["stats"], ["convert", "--all"]):
        result = run(*command, "--since", "2021", "--until", "2020")
        assert result.exit_code == 2, command
        assert result.stderr.splitlines() == [
            "newscli: --since 2021-01-01 is after --until 2020-12-31: no article can match"
        ]


def test_search_max_results_makes_snippets_only_for_what_it_prints(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from newscli import printer

    shown: list[str] = []
    real = printer.search_result_block

    def counting(result, context):  # type: ignore[no-untyped-def]
        shown.append(result.article.id)
        return real(result, context)

    monkeypatch.setattr(printer, "search_result_block", counting)
    result = run("search", "普京", "--max-results", "1")
    assert result.exit_code == 0 and len(shown) == 1
    assert result.stdout.startswith("dc6d1d42a4\t")
    by_hits = run("search", "-c", "的", "--sort", "hits")
    assert by_hits.stdout.split("\n")[1].startswith("38cea08e8c8c52de\t42\t")


def test_show_several_articles_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    result = run("show", "dc6d", "38ce", "--no-pager", terminal=True, monkeypatch=monkeypatch)
    assert result.exit_code == 0, result.output
    newer = result.stdout.index("普京会金正恩 朝俄签订防卫互助协定")
    older = result.stdout.index("朝鮮官媒：普京致函金正恩")
    rule = result.stdout.index("─" * 20, newer)
    assert newer < rule < older


def test_stats_on_the_seeds(monkeypatch: pytest.MonkeyPatch) -> None:
    data = json.loads(run("stats", "--json").stdout)
    assert data["articles"] == 2 and data["characters"] == 1068 + 1786
    assert data["outlets"] == {"德国之声": 2}
    assert data["scripts"] == {"traditional": 0, "simplified": 1, "mixed": 1, "other": 0}
    assert data["first_published_at"] == "2022-08-15T01:22:34Z"
    assert data["last_published_at"] == "2024-06-19T12:42:32Z"
    assert (
        len(data["months"]) == 23
        and data["months"]["2022-08"] == 1
        and data["months"]["2023-01"] == 0
    )
    assert data["largest"][0]["id"] == "38cea08e8c8c52de"
    assert data["smallest"][0]["id"] == "dc6d1d42a40981a9"
    monkeypatch.setattr(cli, "_stdout_is_terminal", lambda: True)
    view = run("stats").stdout
    assert view.startswith("2 articles, 2,854 characters, published 2022-08-15 … 2024-06-19")
    assert "2022-09 … 2024-05" in view  # empty months folded into one line
    assert "德国之声  2 █" in view


@pytest.mark.parametrize(
    "command", ["list", "show", "search", "convert", "stats", "check", "index"]
)
def test_every_help_has_an_example(command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0 and "Example: newscli" in result.stdout


def test_color_option(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "_stdout_is_terminal", lambda: True)
    monkeypatch.delenv("NO_COLOR")
    coloured = run("--color", "always", "search", "雙邊關係").stdout
    assert "\x1b[" in coloured
    plain = run("--color", "never", "search", "雙邊關係").stdout
    assert "\x1b[" not in plain and "雙邊關係" in plain
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in run("search", "雙邊關係").stdout


def test_end_to_end_on_the_hostile_folder(hostile: tuple[Path, dict[str, str]]) -> None:
    root, expected = hostile
    listing = runner.invoke(cli.app, ["list", "--no-headers", "--corpus", str(root)])
    assert listing.exit_code == 0
    rows = listing.stdout.splitlines()
    articles = [rel for rel, outcome in expected.items() if outcome.startswith(("article", "warn"))]
    assert len(rows) == len(articles)
    for rel, outcome in expected.items():
        if outcome.startswith(("warn", "problem")):
            mentions = [
                line for line in listing.stderr.splitlines() if rel.replace("\n", "\\n") in line
            ]
            assert len(mentions) == 1, (rel, listing.stderr)
    # No raw escape byte or bidi override reaches the terminal, and markup stays literal.
    for output in (listing.stdout, listing.stderr):
        assert "\x1b" not in output and "\u202e" not in output and "\x9b" not in output
    assert "[bold red]markup[/]" in listing.stdout

    search = runner.invoke(cli.app, ["search", "防卫互助协定", "--corpus", str(root), "-l"])
    assert search.exit_code == 0
    assert len(search.stdout.split()) >= 5  # seed 002 and its re-encoded, re-lined copies
    hostile_search = runner.invoke(cli.app, ["search", "正文", "--corpus", str(root)])
    assert "\x1b" not in hostile_search.stdout and "␛[2J" in hostile_search.stdout

    shown = runner.invoke(cli.app, ["show", str(root / "enc" / "big5.txt"), "--corpus", str(root)])
    assert shown.exit_code == 0 and shown.stdout.startswith("臺灣選舉結果揭曉")
    escaped = runner.invoke(
        cli.app, ["show", str(root / "text" / "escapes.txt"), "--corpus", str(root)]
    )
    assert "\x1b" not in escaped.stdout and "␛]0;owned␇" in escaped.stdout
    as_json = runner.invoke(
        cli.app,
        ["convert", str(root / "text" / "escapes.txt"), "--to", "json", "--corpus", str(root)],
    )
    assert json.loads(as_json.stdout)["title"] == ESC_TITLE
    for form in ("txt", "md"):
        exported = runner.invoke(
            cli.app,
            ["convert", str(root / "text" / "escapes.txt"), "--to", form, "--corpus", str(root)],
        )
        assert "\x1b" not in exported.stdout and "\u202e" not in exported.stdout

    checked = runner.invoke(cli.app, ["check", "--corpus", str(root), "--json"])
    assert checked.exit_code == 1
    report = json.loads(checked.stdout)
    reported = [item["path"] for items in report["problems"].values() for item in items]
    bad = [rel for rel, outcome in expected.items() if outcome.startswith(("warn", "problem"))]
    assert sorted(os.path.relpath(p, root) for p in reported) == sorted(bad)
    assert report["encodings"]["gb18030"] == 1 and report["encodings"]["big5hkscs"] == 1
    # The symlink is the same article as the healthy seed: one url, two files.
    assert any(len(paths) == 2 for paths in report["duplicate_urls"].values())
    assert os.path.relpath(report["no_body_text"][0], root) == "shape/header-no-body.txt"
    text_report = runner.invoke(cli.app, ["check", "--corpus", str(root)])
    assert text_report.exit_code == 1 and "problems: " in text_report.stdout


def test_same_answers_without_the_index(hostile: tuple[Path, dict[str, str]]) -> None:
    root, _ = hostile
    runner.invoke(cli.app, ["list", "--corpus", str(root)])  # tells each problem, once
    for command in (["list"], ["search", "-c", "金正恩"], ["check", "--json"]):
        with_index = runner.invoke(cli.app, [*command, "--corpus", str(root)])
        without = runner.invoke(cli.app, [*command, "--corpus", str(root), "--no-index"])
        assert with_index.stdout == without.stdout, command
        # Once told, the index says what --no-index says: at most one summary line.
        assert with_index.stderr == without.stderr, command


def test_nothing_in_the_corpus_changes(
    hostile: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    root, _ = hostile

    def snapshot() -> dict[str, tuple[int, int]]:
        state = {}
        for folder, _, names in os.walk(root):
            for name in names:
                path = os.path.join(folder, name)
                if os.path.islink(path) or not os.path.exists(path):
                    continue
                info = os.stat(path)
                state[path] = (info.st_size, info.st_mtime_ns)
        return state

    before = snapshot()
    for command in (
        ["list"],
        ["search", "x"],
        ["check"],
        ["convert", "000", "-o", str(tmp_path / "out.txt")],
    ):
        runner.invoke(cli.app, [*command, "--corpus", str(root)])
    assert snapshot() == before


def test_empty_and_missing_folders(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(cli.app, ["list", "--corpus", str(empty)])
    assert result.exit_code == 0 and result.stdout == "id\tpublished\toutlet\ttitle\tchars\n"
    assert result.stderr.strip() == f"newscli: no articles in {empty}"
    missing = runner.invoke(cli.app, ["search", "x", "--corpus", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "no such file or folder" in missing.stderr


def test_file_names_with_newlines_work_end_to_end(corpus_slice: Path) -> None:
    odd = [p for p in corpus_slice.rglob("*") if p.is_file() and "\n" in p.name]
    assert odd, "the slice should hold the posts whose names contain a newline"
    runner = CliRunner()
    listing = runner.invoke(cli.app, ["list", "--corpus", str(corpus_slice)])
    assert listing.exit_code == 0
    rows = listing.stdout.splitlines()
    assert all(len(row.split("\t")) == 5 for row in rows)  # no row broken by a newline
    shown = runner.invoke(cli.app, ["show", str(odd[0]), "--corpus", str(corpus_slice)])
    assert shown.exit_code == 0, shown.stderr


@pytest.mark.parametrize("pattern", [r"(a+)+$", r"(\w+\s?)+$", r"(a|aa)+$"])
@pytest.mark.parametrize("index", [[], ["--no-index"]])
def test_catastrophic_regex_ends_with_one_line_not_a_hang(
    tmp_path: Path, pattern: str, index: list[str]
) -> None:
    for seed in SEEDS.iterdir():
        (tmp_path / seed.name).write_bytes(seed.read_bytes())
    body = "<p>" + "a" * 40 + "b</p><p>" + "ab " * 3_000 + "!</p><p>" + "a" * 60 + "b</p>"
    (tmp_path / "hostile.md").write_text(
        "<!--1660528023000-->\n[aaa](https://www.voachinese.com/a/x.html)\n------\n" + body,
        encoding="utf-8",
    )
    done = _python(
        "-m", "newscli", "search", "--regex", pattern, "--corpus", str(tmp_path), *index,
        timeout=30,
    )  # fmt: skip
    stderr = done.stderr.decode()
    if done.returncode == 1:  # the engine needed no backtracking: an honest "no match"
        assert stderr == ""
        return
    assert done.returncode == 2
    assert stderr.startswith("newscli: regular expression") and stderr.count("\n") == 1
    assert "took more than 1 s on one article" in stderr


def _one_line_failure(done: subprocess.CompletedProcess[bytes]) -> str:
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2, stderr
    assert stderr.startswith("newscli: ") and stderr.count("\n") == 1, stderr
    assert "internal error" not in stderr and "Traceback" not in stderr
    return stderr


@pytest.mark.parametrize("args", [["list"], ["show", "000"], ["search", "金正恩"]])
def test_a_full_disk_on_stdout_is_one_line(args: list[str]) -> None:
    with open("/dev/full", "wb") as full:
        done = subprocess.run(
            [sys.executable, "-m", "newscli", *args],
            stdout=full,
            stderr=subprocess.PIPE,
            check=False,
            timeout=60,
        )
    assert "cannot write to standard output: no space left on device" in _one_line_failure(done)


@pytest.mark.parametrize("args", [["list"], ["search", "金正恩"], ["list", "-f", "jsonl"]])
def test_a_closed_stdout_is_one_line(args: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "newscli", *args],
        stderr=subprocess.PIPE,
        preexec_fn=lambda: os.close(1),
        check=False,
        timeout=60,
    )
    assert "standard output is closed" in _one_line_failure(done)


@pytest.mark.parametrize("args", [["list"], ["show", "000"], ["list", "-f", "json"]])
def test_an_ascii_stdout_is_one_line(args: list[str]) -> None:
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    done = _python("-m", "newscli", *args, env=env, timeout=60)
    assert "PYTHONIOENCODING=utf-8" in _one_line_failure(done)


def test_convert_all_writes_articles_before_reading_every_summary(
    corpus_slice: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """convert --all streams: the first batch of articles is out (on stdout, or in the
    folder) before the summaries after it are read from the index."""
    import newscli.index as index_module

    assert run("index", "--corpus", str(corpus_slice)).exit_code == 0
    written_before: list[int] = []  # articles written when each summary row was read
    read_row = index_module._summary
    folder = tmp_path / "out"

    def spying(row: tuple[object, ...]):  # type: ignore[no-untyped-def]
        sys.stdout.flush()
        if folder.exists():
            written_before.append(len(os.listdir(folder)))
        else:
            written_before.append(sys.stdout.buffer.getvalue().count(b"\n"))  # type: ignore[attr-defined]
        return read_row(row)

    monkeypatch.setattr(index_module, "_summary", spying)
    first = index_module.FIRST_BATCH
    result = run("convert", "--all", "--to", "jsonl", "--corpus", str(corpus_slice))
    assert result.exit_code == 0
    assert len(written_before) == result.stdout.count("\n") > 10 * first
    assert written_before[first - 1] == 0 and written_before[first] == first
    written_before.clear()
    folder.mkdir()
    result = run("convert", "--all", "--to", "md", "-d", str(folder), "--corpus", str(corpus_slice))
    assert result.exit_code == 0
    assert written_before[first - 1] == 0 and written_before[first] == first
    assert len(os.listdir(folder)) == len(written_before)


def _lines_out_when_each_summary_is_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The lines on stdout when each summary row was read from the index, as they come."""
    import newscli.index as index_module

    printed_before: list[int] = []
    read_row = index_module._summary

    def spying(row: tuple[object, ...]):  # type: ignore[no-untyped-def]
        sys.stdout.flush()
        printed_before.append(sys.stdout.buffer.getvalue().count(b"\n"))  # type: ignore[attr-defined]
        return read_row(row)

    monkeypatch.setattr(index_module, "_summary", spying)
    return printed_before


def test_search_counts_print_rows_as_the_index_finds_them(
    corpus_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """search -c prints no total: its rows come batch by batch, not after every match is
    counted and every summary read (the same rows as without the index)."""
    assert run("index", "--corpus", str(corpus_slice)).exit_code == 0
    printed_before = _lines_out_when_each_summary_is_read(monkeypatch)
    result = run("search", "-c", "的", "--corpus", str(corpus_slice))
    assert result.exit_code == 0 and len(printed_before) > 10
    assert printed_before[-1] > 1  # rows were out before the last summary was read
    without = run("search", "-c", "的", "--corpus", str(corpus_slice), "--no-index")
    assert result.stdout == without.stdout


def test_list_prints_each_row_as_it_is_read(
    corpus_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    assert run("index", "--corpus", str(corpus_slice)).exit_code == 0
    printed_before = _lines_out_when_each_summary_is_read(monkeypatch)
    for form in ("ids", "tsv", "jsonl", "json"):
        printed_before.clear()
        result = run("list", "--corpus", str(corpus_slice), "-f", form, "--no-headers")
        assert result.exit_code == 0
        rows = len(printed_before)
        assert rows > 10
        assert printed_before[-1] == rows - 1, form  # every other row was out already
    printed_before.clear()
    result = run("list", "--corpus", str(corpus_slice), "-f", "ids", "--limit", "3")
    assert len(result.stdout.splitlines()) == 3
    assert len(printed_before) == 3  # --limit ends the read: no other row decoded
    printed_before.clear()
    outlet = ["--outlet", "德国之声"]
    result = run("list", "--corpus", str(corpus_slice), "-f", "ids", "--limit", "1", *outlet)
    assert len(result.stdout.splitlines()) == 1
    assert len(printed_before) < rows  # filtered: read until the first match only


# What the hot paths must not import: each costs start-up time on every run.
_HEAVY = ("rich", "selectolax", "charset_normalizer", "regex", "tomli", "tomllib", "opencc")
_LEAN_PATHS = {
    ("search", "-l", "雙邊關係"): (*_HEAVY, "zoneinfo", "newscli.parse", "newscli.render"),
    ("search", "-c", "雙邊關係"): (*_HEAVY, "zoneinfo", "newscli.parse", "newscli.render"),
    ("list", "--limit", "1"): (*_HEAVY, "newscli.parse", "newscli.render"),
}


def test_the_hot_paths_import_only_what_they_need(tmp_path: Path) -> None:
    """search -l / -c and list on the seeds, in a fresh interpreter (the second run: the
    index and the t2s tables are then in the cache, as on every run but the first)."""
    probe = (
        "import sys\n"
        "from newscli.cli import main\n"
        "sys.argv = ['newscli', *sys.argv[1:]]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('IMPORTED', *sorted(sys.modules), file=sys.stderr)\n"
    )
    env = {**os.environ, "NEWSCLI_CACHE_DIR": str(tmp_path), "NEWSCLI_CORPUS": str(SEEDS)}
    for args, banned in _LEAN_PATHS.items():
        for _ in range(2):
            done = subprocess.run(
                [sys.executable, "-c", probe, *args], env=env, capture_output=True, text=True
            )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip()  # it did its work: ids, counts, rows
        imported = set(done.stderr.split("IMPORTED", 1)[1].split())
        assert "newscli.archive" in imported
        assert sorted(imported & set(banned)) == [], args


def test_the_group_help_builds_no_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """`newscli --help` lists the seven commands from their help alone; its text is the
    one the built commands give."""
    import typer.main

    built: list[str] = []
    build = typer.main.get_command_from_info

    def counting(info, **options):  # type: ignore[no-untyped-def]
        built.append(info.name or info.callback.__name__)
        return build(info, **options)

    monkeypatch.setattr(typer.main, "get_command_from_info", counting)
    fresh = typer.main.get_command(cli.app)  # a new group: no command built yet
    assert isinstance(fresh, cli._Conventions)
    ctx = fresh.make_context("newscli", ["--help"], resilient_parsing=True)
    listed = fresh.get_help(ctx)
    assert built == []
    for name in cli._UNBUILT:
        assert fresh.get_command(ctx, name) is not None  # now built, one by one
    assert len(built) == len(cli._UNBUILT)
    assert fresh.get_help(ctx) == listed
    assert "check    Read every file and report" in run("--help").stdout


def test_list_on_a_terminal_prints_its_table_in_bounded_batches(
    corpus_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import newscli.printer as printer

    ids = run("list", "--corpus", str(corpus_slice), "-f", "ids").stdout.split()
    assert len(ids) > 25
    batches: list[int] = []
    write_list = printer.write_list

    def spying(out, items, *args, **options):  # type: ignore[no-untyped-def]
        batches.append(len(items))
        return write_list(out, items, *args, **options)

    monkeypatch.setattr(printer, "write_list", spying)
    monkeypatch.setattr(cli, "TABLE_BATCH", 10)
    monkeypatch.setenv("COLUMNS", "200")
    table = run("list", "--corpus", str(corpus_slice), terminal=True, monkeypatch=monkeypatch)
    assert table.exit_code == 0
    assert batches == [10] * (len(ids) // 10) + ([len(ids) % 10] if len(ids) % 10 else [])
    headers = [
        line for line in table.stdout.splitlines() if line.split()[:2] == ["id", "published"]
    ]
    assert len(headers) == len(batches)  # one table per batch, each with its header
    assert [line.split()[0] for line in table.stdout.splitlines() if line[:10] in ids] == ids
