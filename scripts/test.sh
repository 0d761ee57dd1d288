#!/usr/bin/env bash
# Install the project with its test extras into .venv and run the whole test suite.
# Usage: bash scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
.venv/bin/python -m mypy
# Where terraform is installed the real-Terraform tests (tests/terraform, tests/cli) must run:
# a missing provider mirror then fails them instead of skipping.
if command -v terraform >/dev/null 2>&1; then
  export HIVE_REQUIRE_TERRAFORM="${HIVE_REQUIRE_TERRAFORM:-1}"
fi
exec .venv/bin/python -m pytest "$@"
