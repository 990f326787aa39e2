"""Where newscli keeps its own files: one cache folder ($NEWSCLI_CACHE_DIR, else the
user's cache directory), never the corpus. It holds the indexes (newscli.cache) and the
tables built once from OpenCC's dictionaries (newscli.chinese)."""

from __future__ import annotations

import os
from pathlib import Path

ENV_CACHE_DIR = "NEWSCLI_CACHE_DIR"


def cache_root() -> Path:
    """$NEWSCLI_CACHE_DIR, else the platform's cache folder for newscli."""
    configured = os.environ.get(ENV_CACHE_DIR)
    if configured:
        return Path(configured).expanduser()
    from platformdirs import user_cache_dir  # only when no folder is configured

    return Path(user_cache_dir("newscli"))
