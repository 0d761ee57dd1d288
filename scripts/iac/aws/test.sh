#!/usr/bin/env bash
# Terraform/OpenTofu runner for one configuration against hive-gateway, as a CI job runs it:
#
#   init → plan -out → apply → output -json (kept) → verify with the aws CLI →
#   plan -detailed-exitcode (must be 0) → destroy → verify nothing is left
#
# Usage: scripts/iac/aws/test.sh [CONFIG_DIR]        (default: scripts/iac/aws, the mission)
#
#   TF_CMD            tofu or terraform (default: tofu when installed, else terraform)
#   HIVE_GATEWAY_URL  a running gateway (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY and, for https,
#                     AWS_CA_BUNDLE set); unset: a local `hive-gateway serve --no-tls` with three
#                     zones is started in the run directory and stopped afterwards
#   RUN_DIR           where logs go (default: ./tf-runs/<config>-<time>): one log per phase,
#                     outputs.json, state-ids.txt, gateway.log
#
# The configuration is copied into the run directory and run through `hive-gateway terraform`,
# which points every aws provider block at the gateway. Once apply has started, destroy runs
# whatever happens (trap), so a failed run leaves nothing behind.
#
# Exit status: 0 passed; 2 usage; 3 gateway did not start; or the phase that failed:
#   10 init  11 plan  12 apply  13 output  14 verify  15 replan (not empty)  16 destroy
#   17 verify-destroyed (something left)
set -uo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
CONFIG="${1:-$HERE}"
if [ ! -d "$CONFIG" ] || ! ls "$CONFIG"/*.tf >/dev/null 2>&1; then
  echo "test.sh: $CONFIG is not a Terraform configuration directory" >&2
  exit 2
fi
CONFIG="$(cd "$CONFIG" && pwd)"
NAME="$(basename "$CONFIG")"

TF_CMD="${TF_CMD:-$(command -v tofu || command -v terraform || true)}"
if [ -z "$TF_CMD" ]; then
  echo "test.sh: neither tofu nor terraform is installed (set TF_CMD)" >&2
  exit 2
fi
export TF_CMD TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1 AWS_EC2_METADATA_DISABLED=true
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-ap-southeast-2}"

GATEWAY_BIN="${HIVE_GATEWAY_BIN:-}"
[ -z "$GATEWAY_BIN" ] && [ -x "$ROOT/.venv/bin/hive-gateway" ] && GATEWAY_BIN="$ROOT/.venv/bin/hive-gateway"
[ -z "$GATEWAY_BIN" ] && GATEWAY_BIN="$(command -v hive-gateway || true)"
AWS_BIN="$(command -v aws || true)"
[ -z "$AWS_BIN" ] && [ -x "$ROOT/.venv/bin/aws" ] && AWS_BIN="$ROOT/.venv/bin/aws"
PYTHON="$(command -v python3 || command -v python)"
if [ -z "$GATEWAY_BIN" ] || [ -z "$AWS_BIN" ]; then
  echo "test.sh: needs hive-gateway and the aws CLI (pip install -e '.[test]')" >&2
  exit 2
fi

RUN_DIR="${RUN_DIR:-$PWD/tf-runs/$NAME-$(date +%Y%m%dT%H%M%S)}"
mkdir -p "$RUN_DIR"
RUN_DIR="$(cd "$RUN_DIR" && pwd)"
WORK="$RUN_DIR/config"
rm -rf "$WORK"
mkdir -p "$WORK"
(cd "$CONFIG" && find . -maxdepth 1 -type f -name '*.tf' -exec cp {} "$WORK/" \;)
[ -d "$CONFIG/tests" ] && cp -r "$CONFIG/tests" "$WORK/tests"

log() { echo "test.sh [$NAME]: $*" >&2; }

GATEWAY_PID=""
APPLIED=0
DESTROYED=0

stop_gateway() {
  if [ -n "$GATEWAY_PID" ] && kill -0 "$GATEWAY_PID" 2>/dev/null; then
    kill -TERM "$GATEWAY_PID"
    wait "$GATEWAY_PID" 2>/dev/null || true
  fi
}

tf() {
  (cd "$WORK" && "$GATEWAY_BIN" terraform --endpoint "$HIVE_GATEWAY_URL" "$@")
}

cleanup() {
  local status=$?
  if [ "$APPLIED" = 1 ] && [ "$DESTROYED" = 0 ]; then
    log "destroying after the failure (log: $RUN_DIR/destroy-on-failure.log)"
    tf destroy -auto-approve -no-color >"$RUN_DIR/destroy-on-failure.log" 2>&1 ||
      log "destroy after the failure failed too: resources may be left"
  fi
  stop_gateway
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { # fail CODE PHASE
  log "phase $2 failed (exit $1); logs in $RUN_DIR"
  exit "$1"
}

# phase NUMBER NAME CODE COMMAND…: run COMMAND with its output in NN-NAME.log
phase() {
  local number=$1 name=$2 code=$3
  shift 3
  log "$name"
  if ! "$@" >"$RUN_DIR/$number-$name.log" 2>&1; then
    tail -n 30 "$RUN_DIR/$number-$name.log" >&2
    fail "$code" "$name"
  fi
}

if [ -z "${HIVE_GATEWAY_URL:-}" ]; then
  PORT="$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  HIVE_GATEWAY_ACCESS_KEY="AKIAHIVETESTSH$(date +%s | tail -c 7)"
  export HIVE_GATEWAY_ACCESS_KEY
  HIVE_GATEWAY_SECRET_KEY="$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(30))')"
  export HIVE_GATEWAY_SECRET_KEY
  "$GATEWAY_BIN" serve --no-tls --port "$PORT" --nats-port 0 --data-dir "$RUN_DIR/gateway-data" \
    --az "${AWS_DEFAULT_REGION}a" --az "${AWS_DEFAULT_REGION}b" --az "${AWS_DEFAULT_REGION}c" \
    --nodes 9 --region "$AWS_DEFAULT_REGION" >"$RUN_DIR/gateway.log" 2>&1 &
  GATEWAY_PID=$!
  HIVE_GATEWAY_URL="http://127.0.0.1:$PORT"
  for _ in $(seq 1 300); do
    if "$PYTHON" -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" \
      "$HIVE_GATEWAY_URL/healthz" 2>/dev/null; then
      break
    fi
    kill -0 "$GATEWAY_PID" 2>/dev/null || break
    sleep 0.3
  done
  if ! "$PYTHON" -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" \
    "$HIVE_GATEWAY_URL/healthz" 2>/dev/null; then
    tail -n 30 "$RUN_DIR/gateway.log" >&2
    log "the local gateway did not start"
    exit 3
  fi
  export AWS_ACCESS_KEY_ID="$HIVE_GATEWAY_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$HIVE_GATEWAY_SECRET_KEY"
  log "started a local gateway on $HIVE_GATEWAY_URL (log: $RUN_DIR/gateway.log)"
fi
export HIVE_GATEWAY_URL

# ids_in_state: every resource id of the state, one per line
ids_in_state() {
  tf show -json -no-color | "$PYTHON" -c '
import json, re, sys
ids = set()
def walk(module):
    for resource in module.get("resources", []):
        value = resource.get("values", {}).get("id")
        if resource.get("mode") == "managed" and isinstance(value, str) and re.fullmatch(r"[a-z]+(-[a-z]+)*-[0-9a-f]{8,17}", value):
            ids.add(value)
    for child in module.get("child_modules", []):
        walk(child)
walk(json.load(sys.stdin).get("values", {}).get("root_module", {}))
print("\n".join(sorted(ids)))'
}

# live ID: prints how many live items the aws CLI finds for ID ("skip" for unknown prefixes)
live() {
  local id=$1 command option key
  case "${id%-*}" in
    vpc) command=describe-vpcs option=--vpc-ids key=Vpcs ;;
    subnet) command=describe-subnets option=--subnet-ids key=Subnets ;;
    sg) command=describe-security-groups option=--group-ids key=SecurityGroups ;;
    igw) command=describe-internet-gateways option=--internet-gateway-ids key=InternetGateways ;;
    rtb) command=describe-route-tables option=--route-table-ids key=RouteTables ;;
    acl) command=describe-network-acls option=--network-acl-ids key=NetworkAcls ;;
    i) command=describe-instances option=--instance-ids key=Reservations ;;
    vol) command=describe-volumes option=--volume-ids key=Volumes ;;
    eipalloc) command=describe-addresses option=--allocation-ids key=Addresses ;;
    eni) command=describe-network-interfaces option=--network-interface-ids key=NetworkInterfaces ;;
    key) command=describe-key-pairs option=--key-pair-ids key=KeyPairs ;;
    pg) command=describe-placement-groups option=--group-ids key=PlacementGroups ;;
    nat) command=describe-nat-gateways option=--nat-gateway-ids key=NatGateways ;;
    vpce) command=describe-vpc-endpoints option=--vpc-endpoint-ids key=VpcEndpoints ;;
    lt) command=describe-launch-templates option=--launch-template-ids key=LaunchTemplates ;;
    pcx) command=describe-vpc-peering-connections option=--vpc-peering-connection-ids key=VpcPeeringConnections ;;
    *) echo skip; return 0 ;;
  esac
  local answer
  if ! answer="$("$AWS_BIN" --endpoint-url "$HIVE_GATEWAY_URL" --output json ec2 "$command" "$option" "$id" 2>&1)"; then
    case "$answer" in
      *NotFound*|*"does not exist"*) echo 0; return 0 ;;
      *) echo "aws ec2 $command $id: $answer" >&2; return 1 ;;
    esac
  fi
  printf '%s' "$answer" | "$PYTHON" -c '
import json, sys
key = sys.argv[1]
items = json.load(sys.stdin).get(key, [])
if key == "Reservations":
    items = [i for r in items for i in r["Instances"]]
def state(item):
    value = item.get("State") or item.get("Status") or ""
    return str(value.get("Name", "") if isinstance(value, dict) else value).lower()
print(sum(state(i) not in {"terminated", "shutting-down", "deleted", "deleting", "rejected", "failed", "expired"} for i in items))' "$key"
}

verify_live() {
  ids_in_state >"$RUN_DIR/state-ids.txt" || return 1
  local id count checked=0
  while read -r id; do
    [ -n "$id" ] || continue
    count="$(live "$id")" || return 1
    [ "$count" = skip ] && continue
    if [ "$count" != 1 ]; then
      echo "$id: the aws CLI finds $count live item(s), expected 1"
      return 1
    fi
    echo "$id: live"
    checked=$((checked + 1))
  done <"$RUN_DIR/state-ids.txt"
  echo "$checked resources verified with the aws CLI"
  [ "$checked" -gt 0 ]
}

verify_gone() {
  local id count left=0
  while read -r id; do
    [ -n "$id" ] || continue
    count="$(live "$id")" || return 1
    [ "$count" = skip ] && continue
    if [ "$count" != 0 ]; then
      echo "$id: still there after destroy"
      left=1
    else
      echo "$id: gone"
    fi
  done <"$RUN_DIR/state-ids.txt"
  return "$left"
}

output_json() {
  tf output -json -no-color >"$RUN_DIR/outputs.json" && cat "$RUN_DIR/outputs.json"
}

log "$TF_CMD against $HIVE_GATEWAY_URL; run directory $RUN_DIR"
phase 01 init 10 tf init -no-color
phase 02 plan 11 tf plan -no-color -out=run.tfplan
APPLIED=1
phase 03 apply 12 tf apply -no-color -auto-approve run.tfplan
phase 04 output 13 output_json
phase 05 verify 14 verify_live
phase 06 replan 15 tf plan -no-color -detailed-exitcode
phase 07 destroy 16 tf destroy -no-color -auto-approve
DESTROYED=1
phase 08 verify-destroyed 17 verify_gone
log "passed: apply, verify, empty re-plan, destroy, nothing left (logs in $RUN_DIR)"
