#!/usr/bin/env bash
# Builds driftqctl in release mode and runs the benchmarks (bench/run.py --help for options).
# ./bench/run.sh            full run (about 3 GB of disk, a few minutes)
# ./bench/run.sh --quick    small sizes, for CI
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product driftqctl >&2
exec python3 bench/run.py "$@"
