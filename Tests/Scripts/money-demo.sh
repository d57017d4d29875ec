#!/usr/bin/env bash
# DriftQ's money demo with shell commands only: a charge fails, retries with backoff,
# dead-letters after 3 attempts; after the fix, `dlq redrive` sends it again and it succeeds.
# Usage: money-demo.sh DRIFTQCTL DIR
set -euo pipefail
bin=$1
dir=$2
dq() { "$bin" --wal-dir "$dir" "$@"; }
fail() { echo "money-demo: $*" >&2; exit 1; }

dq topics create --name payments --partitions 2 >/dev/null
dq publish --topic payments --key order-42 --value '{"order":42,"amount_cents":1999}' \
  --idempotency-key charge-42 --retry-max-attempts 3 --retry-backoff-ms 100 >/dev/null

# The worker: every charge fails while the card processor is down.
processor_down=1
worker() {
  while IFS= read -r item; do
    if [ "$processor_down" = 1 ]; then
      printf '%s\n' "$item" | sed 's/}$/,"reason":"card processor timeout"}/'
    else
      printf '%s\n' "$item"
    fi
  done
}

for attempt in 1 2 3; do
  item=$(dq consume --topic payments --group charge --owner worker-1 --follow --max 1 --wait 20s)
  case "$item" in *"\"attempts\":$attempt"*) ;; *) fail "attempt $attempt: got $item" ;; esac
  printf '%s\n' "$item" | worker | dq nack --batch --topic payments --group charge --owner worker-1 >/dev/null 2>&1
done

dq dlq list --topic payments | grep -q max_attempts_reached || fail "not dead-lettered"
dq dlq list --topic payments -o json | grep -q '"last_error":"card processor timeout | card processor timeout | card processor timeout"' \
  || fail "DLQ metadata lost the error chain: $(dq dlq list --topic payments -o json)"
[ -z "$(dq consume --topic payments --group charge --owner worker-1)" ] || fail "a dead letter was delivered again"

# The fix is deployed: redrive, and the charge goes through.
processor_down=0
summary=$(dq dlq redrive --topic payments)
[ "$summary" = "redriven=1 skipped=0 remaining=0" ] || fail "redrive said: $summary"
item=$(dq consume --topic payments --group charge --owner worker-1 --follow --max 1 --wait 20s)
case "$item" in *'"attempts":1'*'"redriven_from"'*) ;; *) fail "redriven delivery: $item" ;; esac
acked=$(printf '%s\n' "$item" | worker | dq ack --batch --topic payments --group charge --owner worker-1)
[ "$acked" = "acked=1 failed=0" ] || fail "ack said: $acked"
dq topics lag --group charge --topic payments | awk -F'\t' 'NR > 1 && $6 != 0 { exit 1 }' || fail "lag left"

# Cron runs the redrive again: nothing is sent twice.
again=$(dq dlq redrive --topic payments)
[ "$again" = "redriven=0 skipped=1 remaining=0" ] || fail "second redrive said: $again"
echo "money demo: ok"
