"""``lockgate.verify``, the documented import path of :mod:`lockgate.env.verify`."""

from .env.verify import SCHEMA, NothingSelectedError, describe_environment, fix_commands, hostname, verify, verify_environment

__all__ = ["SCHEMA", "NothingSelectedError", "describe_environment", "fix_commands", "hostname", "verify", "verify_environment"]
