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
  cat <<'NOTES'

## How to read these numbers

- **Latency.** Most of the agent's wall time is the sandbox, not the agent: every AssumeRoleWithWebIdentity goes
  through the validating STS front, which looks up the role in moto (a single Python process; OIDC providers are
  cached until IAM changes, as STS caches them) and verifies the token before forwarding: ~10–15 ms a call here,
  GetCallerIdentity ~4 ms.
  The agent runs its explicit AssumeRoleWithWebIdentity → GetCallerIdentity and the SDK chain's own pair
  concurrently (plus the IMDS probes), so the run costs one pair plus ~10 ms of process start, config load and
  rendering. The median moves a few ms with the machine's load; before the front cached provider lookups it sat
  at 47–54 ms, around the 50 ms target. The AWS
  CLI makes the same two calls against the same front, so the ratio compares like with like; its cost is Python's
  start-up, twice.
- **Binary size.** The agent talks to the apiserver through a REST client that knows only the core/v1 types
  (`report.NewCoreClient`): client-go's typed clients register every built-in API group through
  `k8s.io/client-go/kubernetes/scheme`, which took the binary from ~17 MB to 30 MB. Preflight, which needs
  the full clientset and the dynamic client, lives in `pkg/preflight` so the agent links none of it.
- **Audit.** The call table is the proof that AWS calls grow with roles, not ServiceAccounts: one GetRole and one
  policy listing per role, one provider lookup, one managed policy fetched once, for 1,000 ServiceAccounts.
NOTES
} > "$out.tmp"
mv "$out.tmp" "$out"
cat "$out"
