"""The benchmark behind bench/RESULTS.md. Run by hand, never in CI:

    apt-get install -y ripgrep      # rg runs side by side with every figure
    .venv/bin/python bench/run.py   # ~25 minutes on 2 cores; writes bench/RESULTS.md

It unpacks ../shared/corpus/waimei-2020.tar.xz into bench/data/34k and three copies of
it into bench/data/100k (distinct paths), then times every figure as the median of
RUNS runs with the page cache warm, and measures peak RSS with /usr/bin/time.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
TAR = (
    Path(os.environ.get("NEWSCLI_SHARED", ROOT.parent / "shared")) / "corpus" / "waimei-2020.tar.xz"
)
NEWSCLI = [sys.executable, "-m", "newscli"]
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
QUERIES = [  # (label, newscli arguments, rg arguments)
    ("1 char 中", ["中"], ["-F", "-e", "中"]),
    ("2 chars 美国", ["美国"], ["-F", "-e", "美国", "-e", "美國"]),
    ("4 chars 双边关系", ["双边关系"], ["-F", "-e", "双边关系", "-e", "雙邊關係"]),
    ("Latin word Trump", ["Trump"], ["-F", "-e", "Trump"]),
    ("regex 习近平|習近平", ["--regex", "习近平|習近平"], ["-e", "习近平|習近平"]),
]


def unpack() -> tuple[Path, Path]:
    small, large = DATA / "34k", DATA / "100k"
    if not small.exists():
        small.mkdir(parents=True)
        with tarfile.open(TAR) as archive:
            archive.extractall(small, filter="data")
    if not large.exists():
        for copy in range(3):
            shutil.copytree(small, large / f"copy{copy}")
    return small, large


def run(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Seconds and peak RSS (KiB) of one run."""
    with tempfile.NamedTemporaryFile("r") as report:
        started = time.perf_counter()
        subprocess.run(
            ["/usr/bin/time", "-o", report.name, "-f", "%M", *command],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            check=False,
        )
        elapsed = time.perf_counter() - started
        return elapsed, int(report.read().strip().splitlines()[-1])


def median(command: list[str], env: dict[str, str], runs: int = RUNS) -> tuple[float, int]:
    run(command, env)  # warm the page cache
    results = [run(command, env) for _ in range(runs)]
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


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


def main() -> None:
    small, large = unpack()
    rows: list[str] = []
    peak: dict[str, int] = {}

    def add(name: str, seconds: float, target: str, rg: float | None = None) -> None:
        ratio = f"{seconds / rg:.2f}×" if rg else ""
        rg_text = f"{rg:.3f}" if rg else ""
        rows.append(f"| {name} | {seconds:.3f} | {rg_text} | {ratio} | {target} |")
        print(rows[-1], flush=True)

    for label, corpus in (("34k", small), ("100k", large)):
        cache = Path(tempfile.mkdtemp(prefix="newscli-bench-"))
        env = {**os.environ, "NEWSCLI_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT)}
        files = sum(1 for _ in corpus.rglob("*.md"))
        rows.append(f"| **{label}: {files:,} files** | | | | |")
        # First index: a fresh cache each run.
        builds = []
        for _ in range(RUNS if label == "34k" else 3):
            shutil.rmtree(cache, ignore_errors=True)
            seconds, rss = run([*NEWSCLI, "index", "--corpus", str(corpus)], env)
            builds.append(seconds)
            peak[f"index {label}"] = max(peak.get(f"index {label}", 0), rss)
        add(
            f"first `index` ({label})",
            statistics.median(builds),
            "≤ 30 s" if label == "34k" else "≤ 90 s",
        )
        for name, args, rg_args in QUERIES:
            ours, rss = median([*NEWSCLI, "search", "-l", *args, "--corpus", str(corpus)], env)
            peak[f"search -l {name} {label}"] = rss
            theirs, _ = median(["rg", "-l", *rg_args, str(corpus)], env)
            add(f"`search -l` {name}", ours, "≤ 1.0× rg", theirs)
        ours, rss = median([*NEWSCLI, "search", "双边关系", "--corpus", str(corpus)], env)
        peak[f"search snippets {label}"] = rss
        theirs, _ = median(["rg", "-F", "-e", "双边关系", "-e", "雙邊關係", str(corpus)], env)
        add("`search` 双边关系 with snippets", ours, "", theirs)
        victim = next(iter(sorted(corpus.rglob("*.md"))))
        original = victim.read_bytes()
        refreshes = []
        for attempt in range(RUNS):
            victim.write_bytes(original + f"<p>edit {attempt}</p>".encode())
            refreshes.append(run([*NEWSCLI, "index", "--corpus", str(corpus)], env)[0])
        victim.write_bytes(original)
        run([*NEWSCLI, "index", "--corpus", str(corpus)], env)
        add("refresh after editing one file", statistics.median(refreshes), "≤ 1 s")
        seconds, rss = median([*NEWSCLI, "list", "--limit", "50", "--corpus", str(corpus)], env)
        peak[f"list {label}"] = rss
        add("`list --limit 50`", seconds, "≤ 0.4 s")
        seconds, rss = median([*NEWSCLI, "show", str(victim), "--corpus", str(corpus)], env)
        peak[f"show {label}"] = rss
        add("`show` one article", seconds, "≤ 0.3 s")
        shutil.rmtree(cache, ignore_errors=True)
    seconds, _ = median([*NEWSCLI, "--help"], dict(os.environ))
    add("`newscli --help`", seconds, "≤ 0.2 s")
    worst = max((v, k) for k, v in peak.items() if "100k" in k)
    characters, seconds, identical = normalization(small)
    result = f"{characters / seconds / 1e6:.1f} M chars/s over {characters:,} characters; identical to OpenCC t2s: {identical}"
    text = "\n".join(
        [
            "# Benchmark results",
            "",
            f"Machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}.",
            f"Each figure is the median of {RUNS} runs (3 for the 100k build) with the page cache warm;",
            "seconds are wall-clock for the whole command, interpreter start-up included.",
            "",
            "| figure | newscli s | rg s | ratio | target |",
            "|---|---|---|---|---|",
            *rows,
            "",
            f"Peak RSS at 100k: {worst[0] / 1024:.0f} MB ({worst[1]}); target ≤ 300 MB.",
            "All peaks (MB): " + ", ".join(f"{k} {v / 1024:.0f}" for k, v in sorted(peak.items())),
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
