#!/usr/bin/env bash
# make bench: side-by-side benchmarks on the sandbox, results in bench/results.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export AWS_EC2_METADATA_DISABLED=true
mkdir -p bench
out=bench/results.md
{
  echo "# podcred benchmarks"
  echo
  echo "Written by \`make bench\` ($(git describe --always --dirty 2>/dev/null || echo unknown)) on $(uname -srm), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ)."
  echo
  bin/podcred-sandbox bench --runs "${RUNS:-30}" --bin-dir bin 2>/dev/null
  echo
  echo "## Hot pure functions (go test -bench)"
  echo
  echo '```'
  go test -run '^$' -bench . -benchmem ./pkg/credcheck/ | grep -E '^(Benchmark|goos|cpu)'
  echo '```'
} > "$out.tmp"
mv "$out.tmp" "$out"
cat "$out"
