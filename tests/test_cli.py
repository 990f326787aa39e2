"""Every subcommand through Typer's CliRunner: output, exit codes, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newscli import cli

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
        "dc6d1d42a4\t2024-06-19\t德国之声\t普京会金正恩 朝俄签订防卫互助协定\t1068",
        "38cea08e8c\t2022-08-15\t德国之声\t朝鮮官媒：普京致函金正恩 稱將擴大雙邊關係\t1786",
    ]


def test_list_limit_and_table(monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("list", "--limit", "1").stdout.count("\n") == 1
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
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 2
    monkeypatch.setenv("NEWSCLI_CORPUS", str(seeds_copy / "nested"))
    assert len(run("list").stdout.splitlines()) == 1


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

    assert max(cell_len(line) for line in lines) <= 100
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
    assert counts == [["dc6d1d42a4", "11"], ["38cea08e8c", "22"]]  # as `grep -o` counts
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
    assert data["published_at"] == "2022-08-15T01:22:34.484000Z"
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
    assert "No such option" in result.stderr
    assert run("--version").stdout.startswith("newscli ")


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
    from newscli import render

    shown: list[str] = []
    real = render.search_result_lines

    def counting(result, context):  # type: ignore[no-untyped-def]
        shown.append(result.article.id)
        return real(result, context)

    monkeypatch.setattr(render, "search_result_lines", counting)
    result = run("search", "普京", "--max-results", "1")
    assert result.exit_code == 0 and len(shown) == 1
    assert result.stdout.startswith("dc6d1d42a4\t")
    by_hits = run("search", "-c", "的", "--sort", "hits")
    assert by_hits.stdout.split("\n")[0].startswith("38cea08e8c\t42\t")


def test_show_several_articles_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    result = run("show", "dc6d", "38ce", "--no-pager", terminal=True, monkeypatch=monkeypatch)
    assert result.exit_code == 0, result.output
    newer = result.stdout.index("普京会金正恩 朝俄签订防卫互助协定")
    older = result.stdout.index("朝鮮官媒：普京致函金正恩")
    rule = result.stdout.index("─" * 20, newer)
    assert newer < rule < older
