"""The package's metadata says what is true: its license, its Pythons, its Typer range."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_license_file_matches_the_declared_license() -> None:
    assert re.search(r'^license = "MIT"$', PYPROJECT, re.M)
    assert re.search(r'^license-files = \["LICENSE"\]$', PYPROJECT, re.M)
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n\nCopyright (c) 2026 newscli developers\n")
    assert 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND' in text


def test_classifiers_agree_with_requires_python() -> None:
    lowest = re.search(r'^requires-python = ">=3\.(\d+)"$', PYPROJECT, re.M)
    assert lowest is not None
    minors = sorted(
        int(m) for m in re.findall(r'"Programming Language :: Python :: 3\.(\d+)"', PYPROJECT)
    )
    assert minors and minors[0] == int(lowest.group(1))
    assert "License ::" not in PYPROJECT  # the license expression says it (PEP 639)
    assert (ROOT / "newscli" / "py.typed").exists()  # "Typing :: Typed" is true
    assert "example.com" not in PYPROJECT and "[project.urls]" not in PYPROJECT


def test_typer_range_has_no_pydantic_and_runs_on_the_oldest_python() -> None:
    # typer 0.29 imports pydantic at start-up and 0.29.2 needs Python 3.11; below 0.26
    # click is a separate dependency with other wording (the errors tests pin ours).
    assert re.search(r'^    "typer>=0\.26,<0\.29",$', PYPROJECT, re.M)
    import typer

    major, minor = (int(part) for part in typer.__version__.split(".")[:2])
    assert (major, minor) >= (0, 26) and (major, minor) < (0, 29)


def test_readme_module_table_matches_the_package() -> None:
    """The README's module list names every module of the package, and nothing else."""

    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Modules") :]
    section = section[: section.index("\n## ")]
    listed = re.findall(r"^\| `(\w+)` \| \S", section, re.M)
    files = sorted(p.stem for p in (root / "newscli").glob("*.py") if not p.stem.startswith("_"))
    assert sorted(listed) == files
