#!/bin/sh
# Creates the namespace (if missing) and registers the project's search attributes on it (if missing).
# Idempotent, and retried while a fresh cluster's frontends catch up.
# Run by docker-compose.yml (temporalio/admin-tools image) and by scripts/temporal-cluster.sh, with the
# attributes as arguments: Name=Type … (the list lives in common/search-attributes.ts; scripts/temporal.sh
# search-attributes prints it, and a test checks docker-compose.yml passes the same).
#
# Environment: TEMPORAL_BIN (default `temporal`), TEMPORAL_ADDRESS (default temporal:7233),
# TEMPORAL_NAMESPACE (default default), NAMESPACE_RETENTION (default 72h).
set -eu

TEMPORAL_BIN="${TEMPORAL_BIN:-temporal}"
ADDRESS="${TEMPORAL_ADDRESS:-temporal:7233}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
RETENTION="${NAMESPACE_RETENTION:-72h}"

t() { "$TEMPORAL_BIN" "$@" --address "$ADDRESS"; }

tries=0
until t operator cluster health >/dev/null 2>&1; do
  tries=$((tries + 1))
  [ "$tries" -ge 120 ] && { echo "Temporal at $ADDRESS is not healthy after 120 tries" >&2; exit 1; }
  sleep 1
done

tries=0
until t operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1; do
  t operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION" >/dev/null 2>&1 || true
  tries=$((tries + 1))
  [ "$tries" -ge 60 ] && { echo "could not create namespace $NAMESPACE" >&2; exit 1; }
  sleep 1
done

for sa in "$@"; do
  name="${sa%%=*}"
  type="${sa#*=}"
  tries=0
  # A new namespace takes a moment to reach every frontend's cache: retry until the attribute is listed.
  until t operator search-attribute list --namespace "$NAMESPACE" 2>/dev/null | grep -qw "$name"; do
    t operator search-attribute create --namespace "$NAMESPACE" --name "$name" --type "$type" >/dev/null 2>&1 || true
    tries=$((tries + 1))
    [ "$tries" -ge 60 ] && { echo "could not register search attribute $name" >&2; exit 1; }
    sleep 1
  done
done
echo "namespace $NAMESPACE ready with search attributes: $*"
