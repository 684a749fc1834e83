"""``lockgate.generate``, the documented import path of :mod:`lockgate.lock.generate`."""

from .lock.generate import (
    CHECK_SCHEMA,
    FOREIGN_LOCKS,
    GenerateOptions,
    GenerateResult,
    NotCpuOnlyError,
    check,
    default_output,
    full_lock_name,
    generate,
    generate_all,
    output_format,
    regenerate_command,
)

__all__ = [
    "CHECK_SCHEMA", "FOREIGN_LOCKS", "GenerateOptions", "GenerateResult", "NotCpuOnlyError", "check", "default_output",
    "full_lock_name", "generate", "generate_all", "output_format", "regenerate_command",
]  # fmt: skip
