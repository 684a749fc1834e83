"""The verify flag table and reading it back into VerifyOptions, without running a check."""

from __future__ import annotations

import argparse

from lockgate.gate.arguments import FLAG_NAMES, add_verify_flags, verify_options


def test_every_flag_reads_back_into_the_options():
    parser = argparse.ArgumentParser()
    add_verify_flags(parser)
    args = parser.parse_args(["--python", "/venv", "--skip", "a", "--skip", "b", "--strict", "--extra", "x", "--group", "g", "--cpu-only",
                              "--integrity", "--jobs", "3"])  # fmt: skip
    options = verify_options(args, "lock.txt")
    assert (options.lockfile, options.python, options.skip, options.jobs) == ("lock.txt", "/venv", ("a", "b"), 3)
    assert options.strict and options.cpu_only and options.integrity and not options.allow_missing and not options.integrity_all
    assert options.selection.uv_flags() == ["--extra=x", "--group=g"]


def test_flags_left_out_or_prefixed_take_their_defaults():
    parser = argparse.ArgumentParser()
    add_verify_flags(parser, flags={"skip": "--lockfile-skip"}, dest_prefix="lockgate_", leave_out=("python", "group", "jobs"))
    options = verify_options(parser.parse_args(["--lockfile-skip", "numpy"]), None, dest_prefix="lockgate_")
    assert (options.python, options.skip, options.jobs, options.strict) == (None, ("numpy",), None, False)
    assert options.selection.uv_flags() == []
    assert FLAG_NAMES[0] == "python" and "no-cache" in FLAG_NAMES
