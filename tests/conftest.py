"""Fixtures: the bundled seeds, real posts unpacked from the shared corpus, a hostile folder."""

from __future__ import annotations

import os
import re
import shutil
import tarfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newscli import cli
from newscli import corpus as corpus_module
from newscli.article import short_id
from newscli.printer import _day
from newscli.search import Found, Hit, snippet
from newscli.textsafe import safe_line

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SHARED = Path(os.environ.get("NEWSCLI_SHARED", ROOT.parent / "shared"))
CORPUS_TAR = SHARED / "corpus" / "waimei-2020.tar.xz"
PER_OUTLET = 3


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A user's own settings and cache must not leak into what the tests see.
    monkeypatch.delenv("NEWSCLI_CORPUS", raising=False)
    monkeypatch.setenv("NEWSCLI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    return target


def _outlet(text: str) -> str | None:
    match = re.search(r"^author: (.*)$", text[:2000], re.M)
    return match.group(1).strip() if match else None


@pytest.fixture(scope="session")
def corpus_slice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Up to three real posts per outlet, plus every post whose file name holds a newline."""
    if not CORPUS_TAR.exists():
        pytest.skip(f"the shared corpus is not at {CORPUS_TAR} (only CI and dev machines have it)")
    target = tmp_path_factory.mktemp("waimei")
    taken: dict[str | None, int] = {}
    with tarfile.open(CORPUS_TAR, "r:xz") as archive:
        for member in archive:
            if not member.isfile():
                continue
            handle = archive.extractfile(member)
            if handle is None:
                continue
            data = handle.read()
            outlet = _outlet(data.decode("utf-8", "replace"))
            odd_name = "\n" in member.name
            if taken.get(outlet, 0) >= PER_OUTLET and not odd_name:
                continue
            taken[outlet] = taken.get(outlet, 0) + 1
            path = target / member.name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    return target


# --- a hostile folder: broken files, hostile text and odd names (test_load, test_cli) ---

SEED_000 = (SEEDS / "000_a72835dd61d86983.txt").read_bytes()
SEED_002 = (SEEDS / "002_7f245f662d01c087.txt").read_bytes()
SEED_002_TEXT = SEED_002.decode("utf-8")
ESC_TITLE = "危險\x1b[2J\x1b]0;owned\x07標題 [bold red]markup[/] \u202eevil\x9b"
TRADITIONAL = (
    "<!--1660528023000-->\n[臺灣選舉結果揭曉　執政黨獲勝](https://www.cna.com.tw/news/1.aspx)\n------\n"
    "<p>中央社記者今天報導，臺灣地方選舉結果於晚間揭曉，執政黨在多數縣市獲得勝利。"
    "選民投票率較上次選舉略有增加，各黨候選人紛紛發表感言，感謝支持者的熱情參與。</p>"
    "<p>學者指出，這次選舉反映了民眾對經濟發展與社會福利政策的關注，也顯示兩岸關係議題的影響。</p>"
)


def _article(title: str, body: str, stamp: str = "1660528023000") -> str:
    return f"<!--{stamp}-->\n[{title}](https://example.org/{abs(hash(title))})\n------\n{body}"


# name → (bytes, expected): "article" (no problem), "warn:<reason>" (article + problem),
# "problem:<reason>" (no article), "ignored".
def hostile_cases() -> dict[str, tuple[bytes, str]]:
    cases: dict[str, tuple[bytes, str]] = {
        "healthy/000.txt": (SEED_000, "article"),
        "healthy/002 copy「二」.txt": (SEED_002, "article"),
        "enc/utf8-bom.txt": (b"\xef\xbb\xbf" + SEED_002, "article"),
        "enc/gbk.txt": (
            SEED_002_TEXT.replace("防卫互助协定", "防衛互助協定").encode("gb18030"),
            "article",
        ),
        "enc/big5.txt": (TRADITIONAL.encode("big5"), "article"),
        "enc/utf16.txt": (SEED_002_TEXT.encode("utf-16"), "article"),
        "enc/broken-utf8.txt": (
            SEED_002[:600] + b"\xff\xfe\xfa" + SEED_002[600:],
            "warn:undecodable bytes replaced",
        ),
        "lines/crlf.txt": (SEED_002.replace(b"\n", b"\r\n"), "article"),
        "lines/cr.txt": (SEED_002.replace(b"\n", b"\r"), "article"),
        "lines/mixed.txt": (
            SEED_002.replace(b"\n", b"\r\n", 2).replace(b"</p>", b"</p>\r", 3),
            "article",
        ),
        "shape/empty.txt": (b"", "problem:empty file"),
        "shape/only-comment.txt": (b"<!--1660528023000-->\n", "problem:no title and no body"),
        "shape/header-no-body.txt": (
            _article("只有标题", "").encode(),
            "article",
        ),
        "shape/no-separator.txt": (
            b"<!--1660528023000-->\n[no separator](https://x.org/1)\n<p>body</p>",
            "warn:no '------' line",
        ),
        "shape/no-timestamp.txt": (
            b"[no timestamp](https://x.org/2)\n------\n<p>body</p>",
            "warn:no <!--epoch-ms--> archive timestamp",
        ),
        "shape/bad-timestamp.txt": (
            _article("bad timestamp", "<p>x</p>", "yesterday").encode(),
            "warn:archive timestamp is not a number",
        ),
        "shape/far-timestamp.txt": (
            _article("far timestamp", "<p>x</p>", "99999999999999999").encode(),
            "warn:archive timestamp out of range",
        ),
        "shape/title-not-link.txt": (
            b"<!--1660528023000-->\njust a title\n------\n<p>x</p>",
            "warn:title line is not a [title](url) link",
        ),
        "shape/title-brackets.txt": (
            _article("a ] b ) c [d]", "<p>x</p>").encode(),
            "article",
        ),
        "shape/fm-unterminated.md": (
            b'---\ntitle: "unterminated"\nauthor: X\n<!--1660528023000-->\n[t](https://x.org/3)\n------\n<p>x</p>',
            "warn:front matter has no closing '---' line",
        ),
        "shape/fm-garbage.md": (
            b'---\n!!! ???\n: : :\ntitle: "garbage"\n---\n<!--1660528023000-->\n[t](https://x.org/4)\n------\n<p>x</p>',
            "warn:front matter has 2 line(s) that are not 'key: value'",
        ),
        "shape/cut-tag.txt": (
            _article("cut tag", '<p>完整的段落</p><p class="a').encode(),
            "article",
        ),
        "shape/cut-attribute.txt": (
            _article("cut attribute", '<p>段落</p><img src="https://x.org/i.jpg').encode(),
            "article",
        ),
        "shape/deep.txt": (
            _article("deep", "<div>" * 10_000 + "很深的文字" + "</div>" * 10_000).encode(),
            "article",
        ),
        "shape/unbalanced.txt": (
            _article(
                "unbalanced", "</p></div><p><b><i>不平衡</b></i></div></span><p>第二段"
            ).encode(),
            "article",
        ),
        "shape/large.txt": (
            _article(
                "large", "<p>" + "很长的段落。" * 200 + "</p>" * 1 + "<p>尾</p>" * 3000
            ).encode(),
            "article",
        ),
        "shape/nul.txt": (SEED_002[:300] + b"\x00\x00" + SEED_002[300:], "problem:binary file"),
        "shape/script-style.txt": (
            _article(
                "script style",
                "<!-- 注释不要显示 --><script>alert('x')</script><style>p{color:red}</style><p>可见</p>",
            ).encode(),
            "article",
        ),
        "text/escapes.txt": (
            _article(
                ESC_TITLE, f"<p>{ESC_TITLE} 正文 [link=https://e.vil]点我[/link]</p>"
            ).encode(),
            "article",
        ),
        "names/a b「c」？.txt": (_article("全角文件名", "<p>x</p>").encode(), "article"),
        "names/line\nbreak.txt": (_article("换行文件名", "<p>x</p>").encode(), "article"),
        "other/photo.jpg": (b"\xff\xd8\xff\xe0 not really a jpeg", "ignored"),
        "other/data.json": (b'{"a": 1}', "ignored"),
        "other/README.md": (b"# My archive\n\nNotes about these files.\n", "ignored"),
        ".git/config": (b"[core]\n", "ignored"),
        ".hidden.txt": (_article("hidden", "<p>x</p>").encode(), "ignored"),
    }
    return cases


def build(root: Path) -> dict[str, str]:
    """Write every case under root; return rel → expectation."""
    expected: dict[str, str] = {}
    for rel, (data, outcome) in hostile_cases().items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        expected[rel] = outcome
    bad_name = os.fsencode(root / "names") + b"/bad\xffname.txt"
    with open(bad_name, "wb") as handle:
        handle.write(_article("非UTF-8文件名", "<p>x</p>").encode())
    expected[os.fsdecode(b"names/bad\xffname.txt")] = "article"
    (root / "links").mkdir()
    os.symlink(root / "healthy" / "000.txt", root / "links" / "to-000.txt")
    expected["links/to-000.txt"] = "article"
    os.symlink(root, root / "links" / "loop")
    os.symlink(root / "nowhere.txt", root / "links" / "broken.txt")
    expected["links/broken.txt"] = "problem:broken symbolic link"
    (root / "empty-folder").mkdir()
    locked = root / "shape" / "locked.txt"
    locked.write_bytes(SEED_002)
    locked.chmod(0)
    expected["shape/locked.txt"] = "problem:permission denied"
    return expected


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[str, str]]:
    root = tmp_path / "hostile"
    root.mkdir()
    expected = build(root)
    if os.geteuid() == 0:  # root reads mode-000 files: refuse that one file as the OS would
        real_open = open

        def refusing_open(file, *args, **kwargs):  # type: ignore[no-untyped-def]
            if str(file).endswith("locked.txt"):
                raise PermissionError(13, "Permission denied", str(file))
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr(corpus_module, "open", refusing_open, raising=False)
    yield root, expected
    (root / "shape" / "locked.txt").chmod(0o644)


# --- the CLI in one call (test_cli_*) ---

runner = CliRunner()


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(cli.app, list(args))


def lines(*args: str) -> list[str]:
    result = run(*args)
    assert result.exit_code in (0, 1), result.stderr
    return result.stdout.splitlines()


def cpu_seconds(work: Callable[[], object], repeat: int = 3) -> float:
    """The least CPU time (this process only, so other load on the machine does not count)
    of `repeat` runs of `work`."""
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best


def assert_linear(
    make: Callable[[int], Callable[[], object]], small: int, factor: int = 10
) -> None:
    """Work on an input `factor` times larger costs about `factor` times more, not
    `factor`² (a quadratic pass is what made one hostile file stall every command).

    A complexity check, not a speed target (those live in bench/): it compares the CPU
    time of one input with that of a larger one on the same machine, in the same process,
    so a slow or loaded machine scales both sides alike. A quadratic pass would cost
    `factor`² = 100 times more; the bound allows 3 × `factor` plus 20 ms of noise."""
    small_work, large_work = make(small), make(small * factor)
    small_work()  # warm caches and lazy tables
    base = cpu_seconds(small_work)
    grown = cpu_seconds(large_work, repeat=2)
    assert grown < 3 * factor * base + 0.02, f"{grown:.3f} s at ×{factor} against {base:.3f} s"


def backdate(paths: Iterable[Path], seconds: int = 60) -> None:
    """Make files look last changed `seconds` ago (older than the racy window), then let
    the folders settle: a scan trusts what did not change since."""
    for path in paths:
        info = path.stat()
        os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns - seconds * 10**9))
    time.sleep(0.2)


def rewrite_same_size(path: Path, mark: str) -> None:
    """Truncate and write: the same size, new bytes (the first 的 becomes `mark`, which must
    take as many bytes)."""
    data = path.read_bytes()
    assert len(mark.encode()) == len("的".encode())
    with open(path, "r+b") as handle:
        handle.truncate(0)
        handle.write(data.replace("的".encode(), mark.encode(), 1))


def count_parses(monkeypatch: pytest.MonkeyPatch, counter: Path) -> None:
    """Count every file parse in `counter`, from now on (a byte each: forked workers
    count too)."""
    from newscli import load as load_module
    from newscli import refresh as refresh_module
    from newscli.corpus import SourceFile
    from newscli.load import LoadResult

    original = load_module.load

    def counted(source: SourceFile) -> LoadResult:
        handle = os.open(counter, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        os.write(handle, b"x")
        os.close(handle)
        return original(source)

    counter.write_bytes(b"")
    monkeypatch.setattr("newscli.postings.WORKER_START", "fork")  # workers keep the patch
    monkeypatch.setattr(load_module, "load", counted)
    monkeypatch.setattr(refresh_module, "load", counted)


# --- the plain search lines as search.snippet states them (what printer's one-pass blocks
# must equal) -------------------------------------------------------------------------------


def snippet_line(text: str, hit: Hit, context: int) -> str:
    """One hit with `context` characters either side, on one line, … where text was cut."""
    piece = snippet(text, hit, context)
    line = ("…" if piece.cut_before else "") + piece.text + ("…" if piece.cut_after else "")
    return safe_line(line)


def search_result_lines(result: Found, context: int) -> Iterator[str]:
    """An article's hits for a pipe: a header (id prefix, date, title), then one
    tab-indented line per hit."""
    article = result.article
    header = (short_id(article.id), _day(article.published_at) or "-", article.title)
    yield "\t".join(safe_line(value) for value in header)
    for hit in result.hits:
        yield "\t" + snippet_line(result.text, hit, context)
