"""Fixtures: the bundled seeds, and real posts unpacked from the shared corpus."""

from __future__ import annotations

import os
import re
import shutil
import tarfile
from pathlib import Path

import pytest

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
