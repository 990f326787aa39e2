"""Races against the index, run by hand (results in README's "Reliability" section):

    .venv/bin/python bench/race.py CORPUS [COLD_RUNS=20] [REBUILDS=50] [COMPACTIONS=50]

1. COLD_RUNS times: a cold build (`list` on an empty cache) with a second `list` started
   during it; the second must print exactly what `list --no-index` prints, or fail with
   one line (never an empty or partial answer with exit 0).
2. REBUILDS times `index --rebuild`, with `search -c 美国` run again and again while it
   works; every answer must equal `search -c 美国 --no-index`, or fail with one line.
3. COMPACTIONS times, on a copy of CORPUS: every file changed (a newline appended or
   taken away: the same articles), so the refresh that follows (`index`) rewrites the
   whole text file and compacts it; `search -c 美国` run again and again meanwhile,
   judged as in 2.
Copy a few hundred real posts into CORPUS first (a slice of ../shared/corpus).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _env(cache: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "NEWSCLI_CACHE_DIR": cache}


def run(args: list[str], corpus: str, cache: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "newscli", *args, "--corpus", corpus]
    return subprocess.run(command, env=_env(cache), capture_output=True, text=True, check=False)


def start(args: list[str], corpus: str, cache: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "newscli", *args, "--corpus", corpus]
    return subprocess.Popen(
        command, env=_env(cache), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def judge(result: subprocess.CompletedProcess[str], clean: str) -> str:
    if result.returncode == 0:
        return "right" if result.stdout == clean else "WRONG"
    one_line = len(result.stderr.strip().splitlines()) == 1
    return "failed in one line" if one_line and "internal error" not in result.stderr else "BAD"


def main() -> None:
    corpus = sys.argv[1]
    cold_runs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    rebuilds = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    base = tempfile.mkdtemp(prefix="newscli-race-")
    clean_list = run(["list", "--no-index"], corpus, base + "/none").stdout
    clean_count = run(["search", "-c", "美国", "--no-index"], corpus, base + "/none").stdout
    cold: Counter[str] = Counter()
    for attempt in range(cold_runs):
        cache = f"{base}/cold{attempt}"
        builder = start(["list"], corpus, cache)
        time.sleep(0.2 * (attempt % 4))
        cold[judge(run(["list"], corpus, cache), clean_list)] += 1
        builder.communicate()
    print(f"cold build + a concurrent list, {cold_runs} runs: {dict(cold)}")
    cache = base + "/race"
    run(["list"], corpus, cache)
    reads: Counter[str] = Counter()
    for _ in range(rebuilds):
        builder = start(["index", "--rebuild"], corpus, cache)
        while builder.poll() is None:
            reads[judge(run(["search", "-c", "美国"], corpus, cache), clean_count)] += 1
        builder.communicate()
    print(f"{rebuilds} × index --rebuild racing search -c: {dict(reads)}")
    compactions = int(sys.argv[4]) if len(sys.argv) > 4 else 50
    copy = base + "/corpus"
    shutil.copytree(corpus, copy)
    cache = base + "/compact"
    run(["list"], copy, cache)
    posts = sorted(Path(copy).rglob("*.md"))
    reads = Counter()
    for attempt in range(compactions):
        for post in posts:  # every file changes, no article does
            data = post.read_bytes()
            post.write_bytes(data[:-1] if attempt % 2 else data + b"\n")
        builder = start(["index"], copy, cache)  # prints little: nothing fills its pipe
        while builder.poll() is None:
            reads[judge(run(["search", "-c", "美国"], copy, cache), clean_count)] += 1
        builder.communicate()
        print(f"  compaction {attempt + 1}: {dict(reads)}", file=sys.stderr, flush=True)
    compacted = sorted(p.name for p in Path(cache).rglob("text-*.bin"))
    print(f"{compactions} × compaction racing search -c: {dict(reads)}; now {compacted}")


if __name__ == "__main__":
    main()
