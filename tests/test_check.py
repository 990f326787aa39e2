"""`newscli check`: every problem listed (never cut short), the same with or without the index."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SEEDS
from typer.testing import CliRunner

from newscli import cli
from newscli.archive import Archive
from newscli.check import check_corpus
from newscli.corpus import load_corpus
from newscli.index import FileFacts, Index
from newscli.load import load_articles

runner = CliRunner()
SUMMARY = "newscli: warning: {} files have problems; newscli check lists them\n"


def _troubled(folder: Path, problems: int) -> Path:
    for name in SEEDS.iterdir():
        (folder / name.name).write_bytes(name.read_bytes())
    for number in range(problems):
        (folder / f"only-comment-{number:02d}.txt").write_bytes(b"<!--1660528023000-->\n")
    return folder


def test_the_index_does_not_import_check() -> None:
    """check reads the index, not the other way round (no import cycle)."""
    code = "import sys, newscli.index; print('newscli.check' in sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert loaded.stdout.strip() == "False", loaded.stderr


def test_facts_from_the_index_equal_facts_from_the_files(tmp_path: Path) -> None:
    corpus = load_corpus(_troubled(tmp_path, 2))
    index = Index(corpus.root)
    index.refresh(corpus)
    from_files = {FileFacts.of(a) for a in load_articles(corpus).articles}
    assert set(index.facts()) == from_files and len(from_files) == 2
    with_index = check_corpus(corpus, index).to_dict()
    assert with_index == check_corpus(corpus).to_dict()
    assert len(with_index["problems"]["layout"]) == 2
    index.close()


def test_check_lists_every_problem_and_tells_them(tmp_path: Path) -> None:
    corpus = _troubled(tmp_path, 60)
    checked = runner.invoke(cli.app, ["check", "--corpus", str(corpus), "--json"])
    assert checked.exit_code == 1 and checked.stderr == ""
    assert len(json.loads(checked.stdout)["problems"]["layout"]) == 60  # all, not 50
    # check has shown every problem: for other commands they are no news any more.
    listed = runner.invoke(cli.app, ["list", "--corpus", str(corpus)])
    assert listed.exit_code == 0 and listed.stderr == SUMMARY.format(60)
    assert len(listed.stdout.splitlines()) == 1 + 2  # the header row, two articles


def test_check_json_gives_undecodable_file_names_as_valid_utf8(tmp_path: Path) -> None:
    import base64
    import os

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    raw = b"bad-\xff\xfe.md"
    with open(os.path.join(os.fsencode(corpus), raw), "wb") as handle:
        handle.write(b"\x00\x01 not an article")  # binary: a problem with that name
    body = (SEEDS / sorted(p.name for p in SEEDS.iterdir())[0]).read_bytes()
    for copy in (b"copy-\xff1.md", b"copy-\xff2.md"):  # one url in two files: duplicates
        with open(os.path.join(os.fsencode(corpus), copy), "wb") as handle:
            handle.write(body)
    for extra in ([], ["--no-index"]):
        result = runner.invoke(cli.app, ["check", "--json", "--corpus", str(corpus), *extra])
        assert result.exit_code == 1, result.stderr
        result.stdout.encode("utf-8")  # strict: no lone surrogate anywhere
        assert "\\ud" not in result.stdout
        report = json.loads(result.stdout)
        (problem,) = [p for kind in report["problems"].values() for p in kind]
        assert problem["path"].endswith("bad-\ufffd\ufffd.md")
        assert base64.b64decode(problem["path_bytes"]).endswith(raw)
        (paths,) = report["duplicate_urls"].values()
        assert sorted(Path(p).name for p in paths) == ["copy-\ufffd1.md", "copy-\ufffd2.md"]


def test_check_walks_the_folder_once(seeds_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Other commands forget the scan once the index is fresh (flat memory); check lists
    # every file, so it keeps it instead of walking the folder a second time.
    from newscli import corpus as corpus_module

    walks: list[Path] = []
    real_scan = corpus_module.scan

    def counted(root: Path, previous: object = None) -> corpus_module.Scan:
        walks.append(root)
        return real_scan(root, previous)  # type: ignore[arg-type]  # a FolderState

    monkeypatch.setattr(corpus_module, "scan", counted)
    result = runner.invoke(cli.app, ["check", "--corpus", str(seeds_copy)])
    assert result.exit_code == 0, result.output
    assert len(walks) == 1
    with Archive(seeds_copy) as archive:
        archive.open()
        assert not archive.corpus.scanned  # forgotten
