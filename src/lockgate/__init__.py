"""lockgate: check that every host runs exactly the packages a lockfile names, before a run.

The library API (imported on first use, so ``import lockgate`` stays cheap):

- :func:`lockgate.verify.verify` -> :class:`lockgate.report.Report`
- :func:`lockgate.readers.read_lockfile` -> :class:`lockgate.env.model.Lockfile`
- :func:`lockgate.env.interpreter.find_interpreter`, :func:`lockgate.env.inventory.scan_inventory`
- :func:`lockgate.env.integrity.check_integrity` (installed files against RECORD)
- :func:`lockgate.generate.generate`, :func:`lockgate.generate.check` (uv-backed lockfiles)
- :mod:`lockgate.tasks` (task locks: lock, verify, status, tree)
"""

__version__ = "0.1.0"

_LAZY = {
    "verify": ("lockgate.env.verify", "verify"),
    "read_lockfile": ("lockgate.env.readers", "read_lockfile"),
    "Report": ("lockgate.report", "Report"),
    "Finding": ("lockgate.report", "Finding"),
    "LockgateError": ("lockgate.errors", "LockgateError"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'lockgate' has no attribute {name!r}")
