"""Checking an installed environment against a lockfile: lock readers, the interpreter and its
inventory, comparison, installed-file integrity, CPU-only assurance and ``verify``."""
