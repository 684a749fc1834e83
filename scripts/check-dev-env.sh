#!/usr/bin/env bash
# lockgate checks its own development environment: requirements-dev.txt is fresh against
# pyproject.toml, and .venv is exactly what it locks (lockgate itself, editable, is the one extra).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup-venv.sh"
cd "$root"
lockgate generate --check -o requirements-dev.txt
lockgate verify -q -l requirements-dev.txt --python .venv
echo "check-dev-env: requirements-dev.txt is fresh and .venv matches it"
