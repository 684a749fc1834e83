"""Writing pinned lockfiles with uv: ``generate``, the provenance it stamps and the uv settings it
records."""
