"""The benchmark behind bench/RESULTS.md. Run by hand, never in CI:

    apt-get install -y ripgrep      # rg runs side by side with the search figures
    .venv/bin/python bench/run.py   # ~35 minutes on 2 cores; writes bench/RESULTS.md

It unpacks ../shared/corpus/waimei-2020.tar.xz into bench/data/34k and hard-links it
(`cp -al`: distinct paths, shared file contents, no extra disk) twice into bench/data/64k
and six times into bench/data/200k, the sizes of issue 11. Every figure is the median of
RUNS runs with the page cache warm, wall-clock for the whole command (interpreter start-up
included); peak RSS comes from /usr/bin/time, the first byte from a pipe read by this script.
BENCH_SIZES=34k,64k picks sizes.
"""

from __future__ import annotations

import multiprocessing
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
TAR = (
    Path(os.environ.get("NEWSCLI_SHARED", ROOT.parent / "shared")) / "corpus" / "waimei-2020.tar.xz"
)
NEWSCLI = [sys.executable, "-m", "newscli"]
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
COPIES = {"34k": 0, "64k": 2, "200k": 6}  # 0: the unpacked corpus itself
SIZES = os.environ.get("BENCH_SIZES", ",".join(COPIES)).split(",")
QUERIES = [  # (label, newscli arguments, rg arguments): rg gets both scripts
    ("1 char 中", ["中"], ["-F", "-e", "中"]),
    ("2 chars 美国", ["美国"], ["-F", "-e", "美国", "-e", "美國"]),
    ("4 chars 双边关系", ["双边关系"], ["-F", "-e", "双边关系", "-e", "雙邊關係"]),
    ("Latin word Trump", ["Trump"], ["-F", "-e", "Trump"]),
    ("regex 习近平|習近平", ["--regex", "习近平|習近平"], ["-e", "习近平|習近平"]),
]
OUTLET = "=中国数字时代"  # 1,023 articles per copy: the `convert --all` side of the id test


def corpus_of(size: str) -> Path:
    small = DATA / "34k"
    if not small.exists():
        small.mkdir(parents=True)
        with tarfile.open(TAR) as archive:
            archive.extractall(small, filter="data")
    if not COPIES[size]:
        return small
    target = DATA / size
    for copy in range(COPIES[size]):
        if not (target / f"copy{copy}").exists():
            target.mkdir(parents=True, exist_ok=True)
            subprocess.run(["cp", "-al", str(small), str(target / f"copy{copy}")], check=True)
    return target


@dataclass
class Run:
    seconds: float
    first_byte: float | None  # seconds until the first byte of stdout (None: no output)
    rss_kib: int


def run(command: list[str], env: dict[str, str]) -> Run:
    """One run: wall time, time to the first byte of stdout, peak RSS."""
    with tempfile.NamedTemporaryFile("r") as report:
        started = time.perf_counter()
        process = subprocess.Popen(
            ["/usr/bin/time", "-o", report.name, "-f", "%M", *command],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        assert process.stdout is not None
        first = process.stdout.read(1)
        first_byte = time.perf_counter() - started if first else None
        while process.stdout.read(1 << 20):
            pass
        process.wait()
        seconds = time.perf_counter() - started
        return Run(seconds, first_byte, int(report.read().strip().split("\n")[-1]))


def median(command: list[str], env: dict[str, str], runs: int = RUNS) -> Run:
    run(command, env)  # warm the page cache
    results = [run(command, env) for _ in range(runs)]
    firsts = [r.first_byte for r in results if r.first_byte is not None]
    return Run(
        statistics.median(r.seconds for r in results),
        statistics.median(firsts) if firsts else None,
        max(r.rss_kib for r in results),
    )


def normalization(corpus: Path) -> tuple[int, float, bool]:
    """Characters, seconds of newscli's t2s over the whole corpus, and identity with OpenCC."""
    from newscli.chinese import to_simplified

    texts = [p.read_text(encoding="utf-8") for p in sorted(corpus.rglob("*.md"))]
    to_simplified("預熱")
    started = time.perf_counter()
    ours = [to_simplified(text) for text in texts]
    seconds = time.perf_counter() - started
    with multiprocessing.Pool() as pool:
        theirs = pool.map(_library_t2s, texts, chunksize=200)
    return sum(map(len, texts)), seconds, ours == theirs


def _library_t2s(text: str) -> str:
    from opencc import OpenCC

    global _CC
    try:
        converter = _CC
    except NameError:
        converter = _CC = OpenCC("t2s")
    return str(converter.convert(text))


def output_of(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(command, capture_output=True, env=env, check=True)
    return done.stdout.decode("utf-8")


def main() -> None:
    rows: list[str] = []
    peaks: list[tuple[int, str]] = []

    # What a command spends before it may print: start-up plus the freshness check, measured
    # as `index` on an index that is already fresh. "after fresh" = first byte minus that.
    baseline: dict[str, float | None] = {"now": None}

    def add(name: str, result: Run | float, target: str = "", rg: float | None = None) -> None:
        seconds = result if isinstance(result, float) else result.seconds
        first = "" if isinstance(result, float) or result.first_byte is None else result.first_byte
        before = baseline["now"]
        after = f"{max(first - before, 0.0):.3f}" if isinstance(first, float) and before else ""
        rss = "" if isinstance(result, float) else f"{result.rss_kib / 1024:.0f}"
        if not isinstance(result, float):
            peaks.append((result.rss_kib, f"{name} ({size})"))
        ratio = f"{seconds / rg:.2f}×" if rg else ""
        rg_text = f"{rg:.3f}" if rg else ""
        first_text = f"{first:.3f}" if isinstance(first, float) else ""
        rows.append(
            f"| {name} | {seconds:.3f} | {first_text} | {after} | {rss} | {rg_text} | {ratio} | {target} |"
        )
        print(rows[-1], flush=True)

    for size in SIZES:
        corpus = corpus_of(size)
        cache = Path(tempfile.mkdtemp(prefix="newscli-bench-"))
        env = {**os.environ, "NEWSCLI_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT)}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: byte code compiled once
        files = sum(1 for _ in corpus.rglob("*.md"))
        rows.append(f"| **{size}: {files:,} files** | | | | | | | |")

        def newscli(*args: str, corpus: Path = corpus) -> list[str]:
            return [*NEWSCLI, *args, "--corpus", str(corpus)]

        baseline["now"] = None  # until this size's start-up-and-freshness row
        builds = []
        for _ in range(3 if size == "34k" else 1):
            shutil.rmtree(cache, ignore_errors=True)
            builds.append(run(newscli("index"), env))
        add(
            "first `index`",
            Run(statistics.median(b.seconds for b in builds), None, max(b.rss_kib for b in builds)),
        )

        def against_rg(
            label: str, mode: dict[str, str], corpus: Path = corpus, env: dict[str, str] = env
        ) -> None:
            for name, args, rg_args in QUERIES:
                ours = median(newscli("search", "-l", *args), mode)
                theirs = median(["rg", "-l", *rg_args, str(corpus)], env)
                add(f"{label}`search -l` {name}", ours, "≤ 0.5× rg", theirs.seconds)

        fresh = median(newscli("index"), env)
        add("start-up and freshness: `index` when fresh", fresh)
        baseline["now"] = fresh.seconds
        against_rg("", env)
        add(
            "`search 台灣` (snippets)",
            median(newscli("search", "台灣", "--color", "never"), env),
            "≤ 1 s at 64k",
        )
        add(
            "`search 的 --max-results 3`",
            median(newscli("search", "的", "--max-results", "3"), env),
            "≤ 1 s",
        )
        add("`search -c 台灣`", median(newscli("search", "-c", "台灣"), env))
        # The opt-in freshness mode (README: NEWSCLI_FRESHNESS=folders): unchanged folders
        # are trusted without a stat per file.
        trusting = {**env, "NEWSCLI_FRESHNESS": "folders"}
        baseline["now"] = None
        fresh_folders = median(newscli("search", "-c", "zzzqqqxxyy"), trusting)
        add("folders mode: start-up and freshness (`search -c` of an absent word)", fresh_folders)
        baseline["now"] = fresh_folders.seconds
        against_rg("folders mode: ", trusting)
        add(
            "folders mode: `search 的 --max-results 3`",
            median(newscli("search", "的", "--max-results", "3"), trusting),
            "≤ 1 s",
        )
        add("folders mode: `list --limit 50`", median(newscli("list", "--limit", "50"), trusting))
        baseline["now"] = fresh.seconds
        add(
            "`convert --all --to jsonl`",
            median(newscli("convert", "--all", "--to", "jsonl"), env, runs=min(RUNS, 3)),
            "first byte ≤ 1 s, ≤ 300 MB",
        )
        ids = output_of(newscli("list", "-f", "ids", "--outlet", OUTLET), env).split("\n")
        ids = [line for line in ids if line][:1000]
        per_id = median(newscli("convert", "--to", "jsonl", *ids), env, runs=3)
        everything = median(
            newscli("convert", "--all", "--outlet", OUTLET, "--to", "jsonl"), env, runs=3
        )
        count = (
            len(output_of(newscli("list", "-f", "ids", "--outlet", OUTLET), env).split("\n")) - 1
        )
        add(f"`convert` of {len(ids):,} ids", per_id, "≤ 2× `--all` per article")
        add(f"`convert --all` of {count:,} ({OUTLET[1:]})", everything)
        ratio = (per_id.seconds / len(ids)) / (everything.seconds / count)
        rows.append(f"| per article: ids / `--all` | {ratio:.2f}× | | | | | | ≤ 2× |")
        add("`list --limit 50`", median(newscli("list", "--limit", "50"), env), "")
        add(
            "`list -f jsonl` (all)", median(newscli("list", "-f", "jsonl"), env, runs=3), "≤ 300 MB"
        )
        some_id = ids[len(ids) // 2]
        add(
            "`show ID`", median(newscli("show", some_id, "--color", "never"), env), "≤ 0.2 s at 64k"
        )
        victim = next(iter(sorted(corpus.rglob("*.md"))))
        original = victim.read_bytes()
        refreshes = []
        for attempt in range(RUNS):
            fresh = victim.with_name(victim.name + ".new")
            fresh.write_bytes(original + f"<p>edit {attempt}</p>".encode())
            os.replace(fresh, victim)  # a new inode: the hard-linked copies keep theirs
            refreshes.append(run(newscli("index"), env))
        fresh = victim.with_name(victim.name + ".new")
        fresh.write_bytes(original)
        os.replace(fresh, victim)
        run(newscli("index"), env)
        add(
            "refresh after editing one file",
            Run(
                statistics.median(r.seconds for r in refreshes),
                None,
                max(r.rss_kib for r in refreshes),
            ),
            "≤ 1 s",
        )
        # A larger change: 5 % more files (hard links of whole folders), then gone again.
        added = corpus / "bench-added"
        shutil.rmtree(added, ignore_errors=True)
        added.mkdir()
        more = 0
        for number, folder in enumerate(sorted({p.parent for p in corpus.rglob("*.md")})):
            if folder.is_relative_to(added):
                continue
            subprocess.run(["cp", "-al", str(folder), str(added / str(number))], check=True)
            more += sum(1 for _ in folder.glob("*.md"))
            if more * 20 >= files:
                break
        grown = run(newscli("index"), env)
        shutil.rmtree(added)
        run(newscli("index"), env)
        add(f"refresh after adding {more:,} files (5 %)", grown, "≤ 300 MB")
        add(
            "`stats --json`", median(newscli("stats", "--json"), env, runs=min(RUNS, 3)), "≤ 300 MB"
        )
        shutil.rmtree(cache, ignore_errors=True)
    size = "-"
    baseline["now"] = None
    quiet = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    add("`newscli --help`", median([*NEWSCLI, "--help"], quiet), "≤ 0.2 s")
    characters, seconds, identical = normalization(corpus_of("34k"))
    result = f"{characters / seconds / 1e6:.1f} M chars/s over {characters:,} characters; identical to OpenCC t2s: {identical}"
    worst = max(peaks)
    text = "\n".join(
        [
            "# Benchmark results",
            "",
            f"Machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}.",
            f"Each figure is the median of {RUNS} runs (3 for exports, 1 for the 64k/200k builds) with",
            "the page cache warm; seconds are wall-clock for the whole command, interpreter start-up",
            "included; first byte is when the first byte of stdout arrived; after fresh is the first",
            "byte minus the size's start-up-and-freshness row; MB is the peak RSS.",
            "",
            "| figure | newscli s | first byte s | after fresh s | MB | rg s | ratio | target |",
            "|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            f"Highest peak RSS: {worst[0] / 1024:.0f} MB ({worst[1]}); target ≤ 300 MB for every command.",
            "",
            f"Normalization: {result}; target ≥ 20 M chars/s.",
            "",
        ]
    )
    results = ROOT / "bench" / "RESULTS.md"
    # The hand-written analysis below the marker survives a new run.
    marker = "<!-- analysis -->"
    previous = results.read_text(encoding="utf-8") if results.exists() else ""
    if marker in previous:
        text += "\n" + previous[previous.index(marker) :]
    results.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
