#!/usr/bin/env bash
# Sets up .venv and runs the test suite. Extra arguments go to pytest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup-venv.sh"
command -v git >/dev/null || { echo "the tests need git: apt-get install -y git" >&2; exit 2; }
cd "$root"
exec python -m pytest "$@"
