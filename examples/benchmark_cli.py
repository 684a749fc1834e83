"""A small benchmark CLI whose run steps are gated on a lockfile with lockgate's harness API.

    python examples/benchmark_cli.py training run --results-dir out --verify-lockfile requirements.txt
    python examples/benchmark_cli.py checkpointing run --results-dir out --exit-code 3
"""

import argparse
import sys
from pathlib import Path

from lockgate.errors import LockgateError
from lockgate.harness import LockfileVerificationError, add_verify_lockfile_arguments, enforce_lockfile


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="benchmark_cli")
    workloads = parser.add_subparsers(dest="workload", required=True)
    for workload in ("training", "checkpointing"):
        steps = workloads.add_parser(workload).add_subparsers(dest="step", required=True)
        run = steps.add_parser("run")
        run.add_argument("--results-dir", type=Path, required=True)
        run.add_argument("--exit-code", type=int, default=0, help="what the fake benchmark returns")
    add_verify_lockfile_arguments(parser)  # every subcommand gets --verify-lockfile
    return parser


def main() -> int:
    args = build_parser().parse_args()
    try:
        enforce_lockfile(args)
    except LockfileVerificationError as error:
        print(error.message, file=sys.stderr)
        return 1
    except LockgateError as error:
        print(f"benchmark_cli: {error}", file=sys.stderr)
        return 2
    args.results_dir.mkdir(parents=True, exist_ok=True)
    (args.results_dir / "ran.txt").write_text(f"{args.workload} {args.step}\n")
    return args.exit_code


if __name__ == "__main__":
    sys.exit(main())
