"""Where fetched task sources are kept: platformdirs' user cache folder for ``lockgate``, or
``$LOCKGATE_CACHE_DIR`` when set."""

from __future__ import annotations

import os


def cache_dir(*parts: str) -> str:
    """The cache folder (created), optionally a named subfolder of it."""
    root = os.environ.get("LOCKGATE_CACHE_DIR")
    if not root:
        from platformdirs import user_cache_dir

        root = user_cache_dir("lockgate")
    folder = os.path.join(root, *parts)
    os.makedirs(folder, exist_ok=True)
    return folder


def key(text: str) -> str:
    """A short, stable folder name for a URL."""
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:20]
