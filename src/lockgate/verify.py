"""``lockgate.verify``, the documented import path of :mod:`lockgate.env.verify`."""

from .env.fix import FixPlan, FixTarget, fix_commands, plan_fix
from .env.options import VerifyOptions
from .env.verify import SCHEMA, NothingSelectedError, Verified, describe_environment, hostname, verify, verify_environment

__all__ = ["SCHEMA", "FixPlan", "FixTarget", "NothingSelectedError", "Verified", "VerifyOptions", "describe_environment", "fix_commands",
           "hostname", "plan_fix", "verify", "verify_environment"]
