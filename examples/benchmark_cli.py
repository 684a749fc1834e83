"""A small benchmark CLI whose run steps are gated on a lockfile with lockgate's harness API.

    python examples/benchmark_cli.py training run --results-dir out --verify-lockfile requirements.txt
    python examples/benchmark_cli.py checkpointing rerun --results-dir out --verify-lockfile requirements.txt --verify-record out/attestation.json
"""

import argparse
import sys
from pathlib import Path

from lockgate.harness import LockgateError, add_verify_lockfile_arguments, enforce_lockfile, record_exit, verified_summary


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="benchmark_cli")
    workloads = parser.add_subparsers(dest="workload", required=True)
    for workload in ("training", "checkpointing"):
        steps = workloads.add_parser(workload).add_subparsers(dest="step", required=True)
        for step in ("run", "rerun"):  # every step that starts the benchmark is gated
            command = steps.add_parser(step)
            command.add_argument("--results-dir", type=Path, required=True)
            command.add_argument("--exit-code", type=int, default=0, help="what the fake benchmark returns")
    add_verify_lockfile_arguments(parser)  # every subcommand gets --verify-lockfile
    return parser


def main() -> int:
    parser = build_parser()
    args = parser.parse_args()
    try:
        report = enforce_lockfile(args)  # here, before the code that starts any benchmark
    except LockgateError as error:  # drift (exit 1) or a lock that cannot be read (exit 2)
        print(f"{parser.prog}: {error}", file=sys.stderr)
        return error.exit_code
    if report:
        print(f"{parser.prog}: {verified_summary(report)}", file=sys.stderr)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    (args.results_dir / "ran.txt").write_text(f"{args.workload} {args.step}\n")
    record_exit(args, args.exit_code)
    return args.exit_code


if __name__ == "__main__":
    sys.exit(main())
