#!/usr/bin/env bash
# DriftQ's cost table, measured: an ai-news run, then ten report-prompt changes replayed with
# --auto, against ten full reruns (live replays). Prints both totals.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product driftqctl >&2
bin=.build/release/driftqctl
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
dq() { "$bin" --wal-dir "$dir" "$@"; }
run_id() { sed -n '1s/^run_id=\([^ ]*\).*/\1/p'; }

auto=$(dq runs demo --workflow ai-news 2>/dev/null | run_id)
for i in $(seq 1 10); do dq runs demo --workflow ai-news --run-id "$auto" --report-prompt "report prompt v$i" >/dev/null; done
full=$(dq runs demo --workflow ai-news 2>/dev/null | run_id)
for i in $(seq 1 10); do dq runs replay --run-id "$full" --mode live >/dev/null; done

cost() { dq runs status --run-id "$1" | sed -n '2s/.* dollars=\([^ ]*\) saved_dollars=\([^ ]*\).*/\1 \2/p'; }
read -r auto_cost auto_saved < <(cost "$auto")
read -r full_cost _ < <(cost "$full")
echo "one run:                              \$0.13825 (simulated model, DriftQ's example prices)"
echo "10 prompt changes, replay --auto:     \$$auto_cost (saved \$$auto_saved by reuse; DriftQ's figure: \$0.52325)"
echo "10 prompt changes, full reruns:       \$$full_cost (DriftQ's figure: \$1.52075)"
calls=$(dq runs events --run-id "$auto" -o ndjson | grep '"type":"node_finished"' | grep '"node_id":"summarize_' | grep -vc used_cached_output || true)
echo "simulated model calls for the five summaries, all eleven runs: $calls (0 in the ten replays)"
