#!/usr/bin/env bash
# Static checks: ruff (lint and import order) and mypy (type hints), as configured in pyproject.toml.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup-venv.sh"
cd "$root"
ruff check src tests benchmarks examples
mypy
