"""Where fetched task sources are kept: platformdirs' user cache folder for ``lockgate``, or
``$LOCKGATE_CACHE_DIR`` when set."""

from __future__ import annotations

from ..cache import cache_dir

__all__ = ["cache_dir", "key"]


def key(text: str) -> str:
    """A short, stable folder name for a URL."""
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:20]
