#!/usr/bin/env bash
# HTTP load benchmark: installs wrk if missing, builds the release binary,
# and runs bench/load.py against the given database (the demo when none).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
cargo build --release -q -p vink
exec python3 bench/load.py "$@"
