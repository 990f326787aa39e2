"""search --variants: a query also finds its regional spellings, per mechanism (OpenCC's
Taiwan phrases, the curated transliterations, the user's aliases file), on real posts."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest
from conftest import CORPUS_TAR
from typer.testing import CliRunner

from newscli import cli
from newscli.search import Hit, Matcher
from newscli.variants import (
    VariantError,
    count_forms,
    curated_table,
    load_table,
    opencc_table,
    parse_groups,
    written_form,
)

runner = CliRunner()
# Posts taken per word: each mechanism's pair occurs in the slice, some posts with one form only.
WORDS = ("特朗普", "川普", "悉尼", "雪梨", "软件", "軟體", "武汉肺炎", "新冠肺炎")
PER_WORD = 6


@pytest.fixture(scope="module")
def variant_slice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not CORPUS_TAR.exists():
        pytest.skip(f"the shared corpus is not at {CORPUS_TAR}")
    target = tmp_path_factory.mktemp("variants")
    taken = dict.fromkeys(WORDS, 0)
    with tarfile.open(CORPUS_TAR, "r:xz") as archive:
        for member in archive:
            if not member.isfile() or not member.name.endswith(".md") or "\n" in member.name:
                continue
            handle = archive.extractfile(member)
            if handle is None:
                continue
            data = handle.read()
            text = data.decode("utf-8", "replace")
            wanted = [word for word in WORDS if word in text and taken[word] < PER_WORD]
            if not wanted:
                continue
            for word in wanted:
                taken[word] += 1
            path = target / member.name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            if all(count >= PER_WORD for count in taken.values()):
                break
    return target


def ids(*args: str) -> set[str]:
    result = runner.invoke(cli.app, ["search", *args, "-l"])
    assert result.exit_code in (0, 1), result.output
    return set(result.stdout.split("\n")) - {""}


def test_tables_know_each_mechanism() -> None:
    assert "軟體" in opencc_table().expand("软件")
    assert "網絡" in opencc_table().expand("網路")  # 網絡 normalizes to 网络
    assert "川普" in curated_table().expand("特朗普")
    assert "特朗普" in curated_table().expand("川普")
    assert curated_table().expand("双边关系") == ("双边关系",)
    # A form inside a longer query is replaced where it stands.
    assert "软体安全" in opencc_table().expand("软件安全")


@pytest.mark.parametrize(("query", "other"), [("特朗普", "川普"), ("悉尼", "雪梨")])
def test_curated_variants_are_the_union(variant_slice: Path, query: str, other: str) -> None:
    corpus = ("--corpus", str(variant_slice))
    alone, variant = ids(*corpus, query), ids(*corpus, other)
    assert alone and variant and alone != variant  # some posts use only one of the forms
    assert ids(*corpus, "--variants", query) == alone | variant
    assert ids(*corpus, "--variants", other) == alone | variant
    assert ids(*corpus, "--variants", "--no-index", query) == alone | variant


def test_opencc_variants_are_the_union(variant_slice: Path) -> None:
    corpus = ("--corpus", str(variant_slice))
    simplified, taiwan = ids(*corpus, "软件"), ids(*corpus, "软体")
    assert simplified and taiwan and simplified != taiwan
    assert ids(*corpus, "--variants", "软件") == simplified | taiwan


def test_user_aliases_file_and_default(
    variant_slice: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = ("--corpus", str(variant_slice))
    wuhan, covid = ids(*corpus, "武汉肺炎"), ids(*corpus, "新冠肺炎")
    assert wuhan and covid and wuhan != covid
    # Without the user's group, --variants knows no other form.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "empty"))
    assert ids(*corpus, "--variants", "武汉肺炎") == wuhan
    aliases = tmp_path / "mine.toml"
    aliases.write_text('[[group]]\nforms = ["武漢肺炎", "新冠肺炎"]\n', encoding="utf-8")
    assert ids(*corpus, "--variants", "--aliases", str(aliases), "武汉肺炎") == wuhan | covid
    # The default file in the config folder is read without --aliases.
    config = tmp_path / "config"
    (config / "newscli").mkdir(parents=True)
    (config / "newscli" / "aliases.toml").write_text(aliases.read_text("utf-8"), "utf-8")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    assert ids(*corpus, "--variants", "武汉肺炎") == wuhan | covid


def test_forms_summary_counts_each_form(variant_slice: Path) -> None:
    corpus = ("--corpus", str(variant_slice))
    result = runner.invoke(cli.app, ["search", *corpus, "--variants", "特朗普", "--forms"])
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in result.stdout.split("\n") if line]
    assert rows[0] == ["form", "articles", "hits"]
    found = {form: (int(articles), int(hits)) for form, articles, hits in rows[1:]}
    for form in ("特朗普", "川普"):
        counted = runner.invoke(cli.app, ["search", *corpus, form, "-c", "--no-headers"])
        per_article = [int(line.split("\t")[1]) for line in counted.stdout.split("\n") if line]
        assert found[form] == (len(per_article), sum(per_article))


def test_json_match_events_name_the_form(variant_slice: Path) -> None:
    corpus = ("--corpus", str(variant_slice))
    result = runner.invoke(cli.app, ["search", *corpus, "--variants", "川普", "--json"])
    assert result.exit_code == 0, result.output
    forms = {}
    for line in result.stdout.split("\n"):
        if not line:
            continue
        event = json.loads(line)
        if event["type"] == "match":
            for submatch in event["data"]["submatches"]:
                forms[submatch["form"]] = submatch["match"]["text"]
    # Highlights stay on the text as written; the form says which spelling found it.
    assert set(forms) == {"川普", "特朗普"}
    assert forms["特朗普"] == "特朗普" and forms["川普"] == "川普"
    plain = runner.invoke(cli.app, ["search", *corpus, "川普", "--json"])
    assert '"form"' not in plain.stdout


def test_written_form_in_either_script() -> None:
    matchers = [Matcher("软件"), Matcher("軟體")]
    text = "這款軟體與那个软件"
    assert written_form(matchers, text, Hit(2, 4)) == "軟體"
    assert written_form(matchers, text, Hit(7, 9)) == "软件"


def test_count_forms_without_hits_lists_the_forms() -> None:
    counts = count_forms([], [Matcher("川普"), Matcher("特朗普")])
    assert [(c.form, c.articles, c.hits) for c in counts] == [("川普", 0, 0), ("特朗普", 0, 0)]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[[group]\n", "not valid TOML"),
        ('[[group]]\nforms = ["川普"]\n', "two or more strings"),
        ("group = 3\n", "array of tables"),
    ],
)
def test_bad_aliases_file_is_one_line(text: str, reason: str, tmp_path: Path) -> None:
    with pytest.raises(VariantError, match=reason):
        parse_groups(text, "mine.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    result = runner.invoke(cli.app, ["search", "--variants", "--aliases", str(bad), "川普"])
    assert result.exit_code == 2
    assert result.stderr.startswith("newscli: ") and reason in result.stderr
    assert "Traceback" not in result.output


def test_variants_refuses_regex_and_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(cli.app, ["search", "--variants", "-r", "川.普"])
    assert result.exit_code == 2 and "--regex" in result.stderr
    missing = tmp_path / "nope.toml"
    with pytest.raises(VariantError, match="cannot read"):
        load_table([missing])


def test_expressions_on_the_command_line(variant_slice: Path) -> None:
    corpus = ("--corpus", str(variant_slice))
    trump = ids(*corpus, "--variants", "特朗普")
    assert ids(*corpus, "--expr", "特朗普 OR 川普") == trump
    only_chuan = ids(*corpus, "川普") - ids(*corpus, "特朗普")
    assert only_chuan and ids(*corpus, "--expr", "川普 NOT 特朗普") == only_chuan
    # With --variants, each term of the expression stands for all its forms.
    assert ids(*corpus, "--expr", "--variants", "(川普) NOT 股市") == trump - ids(*corpus, "股市")
    result = runner.invoke(cli.app, ["search", *corpus, "--expr", "川普", "-e", "x"])
    assert result.exit_code == 2 and result.stderr.startswith("newscli: --expr")
    result = runner.invoke(cli.app, ["search", *corpus, "--expr", "(川普"])
    assert result.exit_code == 2 and "ends too early" in result.stderr


def test_stats_outlets_and_exact_outlet(variant_slice: Path) -> None:
    corpus = ("--corpus", str(variant_slice))
    result = runner.invoke(cli.app, ["stats", *corpus, "--outlets"])
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in result.stdout.split("\n") if line]
    assert rows[0] == ["outlet", "articles"]
    counts = {outlet: int(articles) for outlet, articles in rows[1:]}
    listed = runner.invoke(cli.app, ["list", *corpus, "--no-headers"]).stdout
    assert sum(counts.values()) == len([line for line in listed.split("\n") if line])
    assert [int(n) for n in counts.values()] == sorted(counts.values(), reverse=True)
    outlet = next(iter(counts))
    as_json = runner.invoke(cli.app, ["stats", *corpus, "--outlets", "--json"])
    assert json.loads(as_json.stdout) == counts
    exact = runner.invoke(cli.app, ["stats", *corpus, "--outlets", f"--outlet=={outlet}"])
    assert exact.stdout == f"outlet\tarticles\n{outlet}\t{counts[outlet]}\n"


def test_unique_folds_older_copies_of_a_url(seeds_copy: Path, tmp_path: Path) -> None:
    seed = next(seeds_copy.glob("000_*.txt"))
    text = seed.read_text(encoding="utf-8")
    stamp = text.split("-->", 1)[0] + "-->"
    # An older archive of the same url, with an earlier headline: --unique keeps the seed.
    older = text.replace(stamp, "<!--1660000000000-->", 1).replace("朝鮮官媒", "舊標題", 1)
    (seeds_copy / "001_0123456789abcdef.txt").write_text(older, encoding="utf-8")
    corpus = ("--corpus", str(seeds_copy))

    def lines(*args: str) -> tuple[list[str], str]:
        result = runner.invoke(cli.app, [*args, *corpus])
        assert result.exit_code == 0, result.output
        return [line for line in result.stdout.split("\n") if line], result.stderr

    every, _ = lines("list", "--no-headers", "--columns", "title")
    assert len(every) == 3 and any("舊標題" in title for title in every)
    unique, told = lines("list", "--no-headers", "--columns", "title", "--unique")
    assert len(unique) == 2 and not any("舊標題" in title for title in unique)
    assert "--unique: folded 1 older copies" in told
    assert len(lines("search", "-l", "金正恩")[0]) == 3  # both seeds and the older copy
    assert len(lines("search", "-l", "金正恩", "--unique")[0]) == 2
    stats = json.loads("\n".join(lines("stats", "--json", "--unique")[0]))
    assert stats["articles"] == 2
    exported = lines("convert", "--all", "--to", "jsonl", "--unique")[0]
    assert len(exported) == 2


def _table(result_stdout: str) -> list[list[str]]:
    return [line.split("\t") for line in result_stdout.split("\n") if line]


@pytest.mark.parametrize("by", ["month", "week", "year", "outlet", "month,outlet", "day"])
def test_timeline_buckets_sum_to_the_total(variant_slice: Path, by: str) -> None:
    corpus = ("--corpus", str(variant_slice))
    counted = _table(
        runner.invoke(cli.app, ["search", *corpus, "特朗普", "-c", "--no-headers"]).stdout
    )
    total_articles, total_hits = len(counted), sum(int(row[1]) for row in counted)
    result = runner.invoke(cli.app, ["search", *corpus, "特朗普", "--by", by])
    assert result.exit_code == 0, result.output
    rows = _table(result.stdout)
    assert rows[0] == [*by.split(","), "articles", "hits"]
    assert sum(int(row[-2]) for row in rows[1:]) == total_articles
    assert sum(int(row[-1]) for row in rows[1:]) == total_hits
    keys = [tuple(row[:-2]) for row in rows[1:]]
    assert len(set(keys)) == len(keys) and keys == sorted(keys)


def test_timeline_formats_and_terminal_bars(
    variant_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = ("--corpus", str(variant_slice))
    as_csv = runner.invoke(cli.app, ["search", *corpus, "川普", "--by", "year", "-f", "csv"])
    as_json = runner.invoke(cli.app, ["search", *corpus, "川普", "--by", "year", "-f", "json"])
    (row,) = json.loads(as_json.stdout)
    assert as_csv.stdout == f"year,articles,hits\n{row['year']},{row['articles']},{row['hits']}\n"
    monkeypatch.setattr(cli, "_stdout_is_terminal", lambda: True)
    table = runner.invoke(cli.app, ["search", *corpus, "川普", "--by", "year"])
    assert "█" * 30 in table.stdout and "articles" in table.stdout
    bad = runner.invoke(cli.app, ["search", *corpus, "川普", "--by", "decade"])
    assert bad.exit_code == 2 and "unknown bucket 'decade'" in bad.stderr


def test_forms_per_outlet(variant_slice: Path) -> None:
    corpus = ("--corpus", str(variant_slice))
    args = ["search", *corpus, "--variants", "川普", "--by", "outlet", "--forms"]
    rows = _table(runner.invoke(cli.app, args).stdout)
    assert rows[0] == ["outlet", "form", "articles", "hits"]
    per_form: dict[str, int] = {}
    for _, form, _, hits in rows[1:]:
        per_form[form] = per_form.get(form, 0) + int(hits)
    overall = _table(
        runner.invoke(cli.app, ["search", *corpus, "--variants", "川普", "--forms"]).stdout
    )
    assert per_form == {form: int(hits) for form, _, hits in overall[1:] if int(hits)}
    outlets = {row[0] for row in rows[1:] if row[1] == "川普"}
    for outlet in outlets:  # each outlet's 川普 count is what a search of that outlet finds
        one = _table(
            runner.invoke(
                cli.app, ["search", *corpus, "川普", "--outlet", f"={outlet}", "-c", "--no-headers"]
            ).stdout
        )
        (row,) = [r for r in rows[1:] if r[0] == outlet and r[1] == "川普"]
        assert int(row[3]) == sum(int(r[1]) for r in one)
