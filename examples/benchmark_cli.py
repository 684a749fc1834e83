"""A small benchmark CLI, shaped like MLPerf Storage's ``mlpstorage``, gated on a lockfile with
lockgate's harness API: ``--verify-lockfile`` on every command that starts a benchmark, and a
``lockfile generate|verify`` command group, in two imports.

    python examples/benchmark_cli.py training run --results-dir out --verify-lockfile requirements.txt
    python examples/benchmark_cli.py checkpointing rerun --results-dir out --verify-lockfile uv.lock --extra full \\
        --verify-record out/run.json --verify-sign-key ~/.ssh/id_ed25519 --verify-sbom
    lockgate attest verify out/run.json --key ~/.ssh/id_ed25519.pub     # a reviewer, from the record alone
    mpiexec -n 4 python examples/benchmark_cli.py training run --results-dir out --verify-lockfile requirements.txt
    python examples/benchmark_cli.py training run --results-dir out --verify-lockfile requirements.txt --verify-hosts node1:8,node2:8
    python examples/benchmark_cli.py lockfile generate -o requirements.txt --extra full
    python examples/benchmark_cli.py lockfile verify -l requirements.txt --strict

It has a ``--skip`` of its own (steps to skip), as benchmark CLIs often do: lockgate's is then
``--lockfile-skip``. Under mpiexec every rank verifies its own environment and no rank starts
when one fails; rank 0 writes the record. The record binds every file of ``--results-dir`` (hashed
when the benchmark ends) to the verified environment: ``enforce_lockfile(args, results=...)``.
"""

import argparse
import os
import sys
from pathlib import Path

from lockgate.harness import LockgateError, add_lockfile_commands, add_verify_lockfile_arguments, enforce_lockfile, run_lockfile_command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="benchmark_cli")
    workloads = parser.add_subparsers(dest="workload", required=True)
    for workload in ("training", "checkpointing"):
        steps = workloads.add_parser(workload).add_subparsers(dest="step", required=True)
        for step in ("run", "rerun"):  # every step that starts the benchmark is gated
            command = steps.add_parser(step)
            command.add_argument("--results-dir", type=Path, required=True)
            command.add_argument("--skip", action="append", default=[], help="benchmark phases to skip (the benchmark's own --skip)")
            command.add_argument("--exit-code", type=int, default=0, help="what the fake benchmark returns")
    add_lockfile_commands(workloads)  # benchmark_cli lockfile generate|verify
    add_verify_lockfile_arguments(parser)  # every benchmark command gets --verify-lockfile and the verify options
    return parser


def main() -> int:
    parser = build_parser()
    args = parser.parse_args()
    if args.workload == "lockfile":
        return run_lockfile_command(args)
    try:
        run = enforce_lockfile(args, results=args.results_dir)  # here, before the code that starts any benchmark
    except LockgateError as error:  # drift (exit 1) or a lock that cannot be read (exit 2)
        print(f"{parser.prog}: {error}", file=sys.stderr)
        return error.exit_code
    if run:
        print(f"{parser.prog}: {run.summary()}", file=sys.stderr)
    rank = os.environ.get("OMPI_COMM_WORLD_RANK", os.environ.get("PMI_RANK", "0"))
    args.results_dir.mkdir(parents=True, exist_ok=True)
    (args.results_dir / f"ran-{rank}.txt").write_text(f"{args.workload} {args.step} skip={args.skip}\n")
    if run:
        run.finish(args.exit_code)  # the record says how the benchmark ended
    return args.exit_code


if __name__ == "__main__":
    sys.exit(main())
