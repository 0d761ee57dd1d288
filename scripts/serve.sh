#!/usr/bin/env bash
# Install the gateway into .venv and start it on the embedded default
# (embedded nats-server, data in ./hive-data, TLS with a generated local CA).
# Usage: bash scripts/serve.sh [hive-gateway serve options...]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
exec .venv/bin/hive-gateway serve "$@"
