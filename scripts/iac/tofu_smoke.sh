#!/usr/bin/env bash
# The mission end to end with the real provider: init → apply → plan (must show no changes) →
# destroy, against hive-gateway.
#
# Usage: bash scripts/iac/tofu_smoke.sh
#   TF_BIN            tofu or terraform (default: tofu if installed, else terraform)
#   HIVE_GATEWAY_URL  an already running gateway (then AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
#                     and, for https, AWS_CA_BUNDLE must be set); unset: start
#                     `hive-gateway serve --no-tls` on a free port with fresh credentials and
#                     stop it afterwards.
# Needs network access for `init` (the hashicorp/aws provider is downloaded).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
TF_BIN="${TF_BIN:-$(command -v tofu || command -v terraform || true)}"
if [ -z "$TF_BIN" ]; then
  echo "tofu_smoke: neither tofu nor terraform is installed" >&2
  exit 2
fi

WORK="$(mktemp -d)"
GATEWAY_PID=""
cleanup() {
  if [ -n "$GATEWAY_PID" ] && kill -0 "$GATEWAY_PID" 2>/dev/null; then
    kill -TERM "$GATEWAY_PID"
    wait "$GATEWAY_PID" || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ -z "${HIVE_GATEWAY_URL:-}" ]; then
  if [ ! -x .venv/bin/hive-gateway ]; then
    python3 -m venv .venv
    .venv/bin/python -m pip install --quiet -e .
  fi
  PORT="$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  export HIVE_GATEWAY_ACCESS_KEY="AKIATOFUSMOKE$(date +%s | tail -c 8)"
  export HIVE_GATEWAY_SECRET_KEY="$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(30))')"
  .venv/bin/hive-gateway serve --no-tls --port "$PORT" --nats-port 0 \
    --data-dir "$WORK/data" >"$WORK/gateway.log" 2>&1 &
  GATEWAY_PID=$!
  HIVE_GATEWAY_URL="http://127.0.0.1:$PORT"
  for _ in $(seq 1 150); do
    if curl -fsS "$HIVE_GATEWAY_URL/healthz" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$GATEWAY_PID" 2>/dev/null; then cat "$WORK/gateway.log" >&2; exit 1; fi
    sleep 0.2
  done
  curl -fsS "$HIVE_GATEWAY_URL/healthz" >/dev/null
  export AWS_ACCESS_KEY_ID="$HIVE_GATEWAY_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$HIVE_GATEWAY_SECRET_KEY"
fi
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-ap-southeast-2}"
export TF_IN_AUTOMATION=1 TF_INPUT=0

cp "$ROOT/scripts/iac/aws/main.tf" "$WORK/main.tf"
cd "$WORK"
"$TF_BIN" init -no-color
"$TF_BIN" apply -no-color -auto-approve -var "endpoint=$HIVE_GATEWAY_URL"
set +e
"$TF_BIN" plan -no-color -detailed-exitcode -var "endpoint=$HIVE_GATEWAY_URL"
PLAN=$?
set -e
"$TF_BIN" destroy -no-color -auto-approve -var "endpoint=$HIVE_GATEWAY_URL"
if [ "$PLAN" -ne 0 ]; then
  echo "tofu_smoke: the plan after apply was not empty (exit $PLAN)" >&2
  exit 1
fi
echo "tofu_smoke: apply, empty plan and destroy succeeded against $HIVE_GATEWAY_URL"
