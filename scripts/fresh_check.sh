#!/usr/bin/env bash
# Clone this repository into a temporary folder and run the README's test command there,
# from nothing: a new .venv, a new install, every test. This is what CI does.
#   bash scripts/fresh_check.sh            (or: make fresh-check)
# Set KEEP=1 to keep the clone for inspection.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
workdir="$(mktemp -d)"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$workdir"' EXIT
echo "fresh clone of $repo in $workdir"
git clone --quiet "$repo" "$workdir/course"
cd "$workdir/course"
start=$(date +%s)
make test
echo "fresh-clone check passed in $(( $(date +%s) - start )) s (setup + all tests)"
