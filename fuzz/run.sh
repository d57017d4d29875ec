#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/targets and runs each for a while on its corpus.
#
#   fuzz/run.sh [--seconds N] [--optimize] [--head] [--keep-corpus] [target...]
#
#   --seconds N     how long each target runs (default 60; 0 builds without running)
#   --optimize      build with -O (slower to build, up to several times more executions a second);
#                   the default -Onone build keeps the short run cheap
#   --head          build from the committed sources (git HEAD) instead of the work tree
#   --keep-corpus   merge inputs that found new coverage into fuzz/corpus/<target>/
#   target          wal json http time core spec (default: all)
#
# Exits non-zero when any target crashed, and prints the file holding the input that did.
# Every compiler run holds /tmp/swift-build.lock (the machine is shared with other builds).
set -euo pipefail

FUZZ_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$FUZZ_DIR/.." && pwd)
ALL_TARGETS=(wal json http time core spec)
SWIFTC=${SWIFTC:-swiftc}
CLANG=${CLANG:-$(dirname "$(command -v "$SWIFTC")")/clang}
LOCK=/tmp/swift-build.lock

seconds=60
optimize=0
head=0
keep=0
targets=()
while (($#)); do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --seconds=*) seconds=${1#*=}; shift ;;
    --optimize) optimize=1; shift ;;
    --head) head=1; shift ;;
    --keep-corpus) keep=1; shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
((${#targets[@]})) || targets=("${ALL_TARGETS[@]}")
for t in "${targets[@]}"; do
  [[ -f "$FUZZ_DIR/targets/$t.swift" ]] || { echo "run.sh: no target '$t' (have: ${ALL_TARGETS[*]})" >&2; exit 2; }
done
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "run.sh: --seconds takes a whole number" >&2; exit 2; }

if ((optimize)); then OPT=(-O); mode=O; else OPT=(-Onone); mode=Onone; fi
BUILD="$FUZZ_DIR/.build"
if ((head)); then
  SRC="$BUILD/head/Sources"
  rm -rf "$BUILD/head" && mkdir -p "$BUILD/head"
  git -C "$REPO" archive HEAD Sources | tar -x -C "$BUILD/head"
  OUT="$BUILD/$mode-head"
else
  SRC="$REPO/Sources"
  OUT="$BUILD/$mode"
fi
mkdir -p "$OUT/bin" "$OUT/mod"

SAN=(-sanitize=fuzzer,address)
COMMON=(-parse-as-library "${OPT[@]}" -gline-tables-only -I "$OUT/mod")

# Runs "$@" only when the inputs (files listed in $inputs, plus the command) changed since the
# last successful run that wrote $stamp.
stamp_of() { { printf '%s\n' "$@"; cat "${inputs[@]}"; } | sha256sum | cut -d' ' -f1; }
build_step() {
  local name=$1; shift
  local stamp="$OUT/$name.stamp" now
  now=$(stamp_of "$@")
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$now" ]]; then return 0; fi
  local started=$SECONDS log="$OUT/logs/$name.log"
  mkdir -p "$OUT/logs"
  if ! flock "$LOCK" "$@" >"$log" 2>&1; then
    grep -v 'warning: Cannot export local symbol' "$log" | tail -40 >&2
    echo "build: $name failed (full output: $log)" >&2
    exit 2
  fi
  echo "$now" >"$stamp"
  echo "build: $name ($((SECONDS - started))s, lock wait included)" >&2
}

swift_files() { find "$@" -name '*.swift' | LC_ALL=C sort; }

build_cdriftq() {
  mkdir -p "$OUT/mod/CDriftQ"
  printf 'module CDriftQ {\n  header "%s"\n  export *\n}\n' "$SRC/CDriftQ/include/cdriftq.h" >"$OUT/mod/CDriftQ/module.modulemap"
  local c
  for c in "$SRC"/CDriftQ/*.c; do
    inputs=("$c" "$SRC/CDriftQ/include/cdriftq.h")
    build_step "cdriftq-$(basename "$c" .c)" "$CLANG" -c -O1 -g -fsanitize=fuzzer-no-link,address \
      -I "$SRC/CDriftQ/include" "$c" -o "$OUT/mod/cdriftq-$(basename "$c" .c).o"
  done
}

# One SwiftPM target as one module: its object and its .swiftmodule.
build_module() {
  local name=$1; shift
  mapfile -t inputs < <(swift_files "$@")
  build_step "module-$name" "$SWIFTC" "${SAN[@]}" "${COMMON[@]}" -I "$OUT/mod/CDriftQ" -enable-testing \
    -whole-module-optimization -module-name "$name" -emit-module -emit-module-path "$OUT/mod/$name.swiftmodule" \
    -c -o "$OUT/mod/$name.o" "${inputs[@]}"
}

built_wal=0 built_engine=0 built_cli=0
need_wal() { ((built_wal)) || { build_cdriftq; build_module WALFormat "$SRC/WALFormat"; built_wal=1; }; }
need_engine() { need_wal; ((built_engine)) || { build_module ReplayEngine "$SRC/ReplayEngine"; built_engine=1; }; }
need_cli() {
  need_engine
  ((built_cli)) && return 0
  # The executable's sources as a library: Entrypoint.swift holds @main, a stub stands in.
  mapfile -t inputs < <(find "$SRC/driftqctl" -name '*.swift' ! -name Entrypoint.swift | LC_ALL=C sort)
  inputs+=("$FUZZ_DIR/support/EntrypointStub.swift")
  build_step module-driftqctl "$SWIFTC" "${SAN[@]}" "${COMMON[@]}" -I "$OUT/mod/CDriftQ" -enable-testing \
    -whole-module-optimization -module-name driftqctl -emit-module -emit-module-path "$OUT/mod/driftqctl.swiftmodule" \
    -c -o "$OUT/mod/driftqctl.o" "${inputs[@]}"
  built_cli=1
}

build_target() {
  local t=$1 objects=()
  case "$t" in
    json)
      # Only the parser, the writer and canonical order: three files, compiled in.
      inputs=("$FUZZ_DIR/targets/json.swift" $(swift_files "$SRC/ReplayEngine/JSON") "$SRC/ReplayEngine/Runs/CanonicalJSON.swift")
      ;;
    wal)
      need_wal
      inputs=("$FUZZ_DIR/targets/wal.swift" "$OUT/mod/WALFormat.o")
      objects=("$OUT/mod/WALFormat.o" "$OUT"/mod/cdriftq-*.o)
      ;;
    *)
      need_cli
      inputs=("$FUZZ_DIR/targets/$t.swift" "$OUT/mod/driftqctl.o" "$OUT/mod/ReplayEngine.o" "$OUT/mod/WALFormat.o")
      objects=("$OUT/mod/driftqctl.o" "$OUT/mod/ReplayEngine.o" "$OUT/mod/WALFormat.o" "$OUT"/mod/cdriftq-*.o)
      ;;
  esac
  local sources=()
  local f
  for f in "${inputs[@]}"; do [[ "$f" == *.swift ]] && sources+=("$f"); done
  build_step "target-$t" "$SWIFTC" "${SAN[@]}" "${COMMON[@]}" -I "$OUT/mod/CDriftQ" -module-name "Fuzz_$t" \
    "${sources[@]}" "${objects[@]}" -o "$OUT/bin/$t"
}

total_started=$SECONDS
for t in "${targets[@]}"; do build_target "$t"; done
echo "build: done in $((SECONDS - total_started))s ($mode)" >&2
((seconds > 0)) || exit 0

crashed=0
summary=()
for t in "${targets[@]}"; do
  seeds="$FUZZ_DIR/corpus/$t"
  scratch="$BUILD/corpus/$t"
  artifacts="$BUILD/artifacts/$t"
  log="$BUILD/logs/$t.log"
  mkdir -p "$seeds" "$scratch" "$artifacts" "$(dirname "$log")"
  echo "fuzz: $t for ${seconds}s (log: ${log#"$REPO"/})" >&2
  # New inputs go to the scratch directory (the first one named); the seeds are only read.
  extra=()
  [[ -f "$FUZZ_DIR/dict/$t.dict" ]] && extra+=(-dict="$FUZZ_DIR/dict/$t.dict")
  status=0
  # Swift's own crash backtracer would race ASan's report; libFuzzer and ASan tell the story.
  SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} \
    "$OUT/bin/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "${extra[@]}" "$scratch" "$seeds" >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  [[ -n "$runs" ]] || runs=$(grep -o '#[0-9]*' "$log" | tail -1 | tr -d '#')
  [[ -n "$runs" ]] || runs=0
  artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
  if ((status != 0)) || [[ -n "$artifact" ]]; then
    crashed=1
    reason=$(grep -m1 -E '^==[0-9]+==ERROR|^SUMMARY|Fatal error|ERROR: libFuzzer' "$log" || true)
    summary+=("$(printf '%-5s %8s execs  CRASH  %s' "$t" "$runs" "${artifact:-(no input written, exit $status)}")")
    [[ -z "$reason" ]] || summary+=("      $reason")
    summary+=("      reproduce: $OUT/bin/$t ${artifact:-<input>}   (log: $log)")
  else
    summary+=("$(printf '%-5s %8s execs  ok' "$t" "$runs")")
  fi
  if ((keep)); then
    "$OUT/bin/$t" -merge=1 -timeout=10 -rss_limit_mb=2048 "$seeds" "$scratch" >>"$log" 2>&1 || true
  fi
done

echo
printf '%s\n' "${summary[@]}"
exit "$crashed"
