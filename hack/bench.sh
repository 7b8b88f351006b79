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

- **This machine.** The 2026-12-04 runs are on a slower VM than the 2026-11-26 one: the AWS CLI's same two calls take
  1.8–1.9 s instead of 0.9 s, and the agent's median moved from 25 ms to ~70 ms with it; the ratio stays ~25x. On it
  the agent misses DESIGN's 50 ms median and 15 ms CPU targets: process start-up alone (`podcred-agent --help`) costs
  ~20 ms of CPU, most of it the kernel mapping a 20 MB static binary and package initialisation (~19 ms,
  `GODEBUG=inittrace=1`). Run-to-run noise on this VM is ~±10 % (the CLI moves with it). Adding EKS Pod Identity
  and the checks-as-data registry (four more checks, skipped on an IRSA pod, no extra call) did not move the agent:
  the session-start agent (1d9f990) and this one, benched back to back twice with the same sandbox, measured
  84.2/84.9 ms and 74.5/70.4 ms median, 55.7/55.1 and 48.8/46.8 ms CPU, 18.9/19.3 and 18.7/18.8 MiB (old/new).
  Next: move the go-v1 chain out of the agent's start-up path (`aws/endpoints` init, ~5–7 ms).
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
- **Peak RSS** is measured with GNU time (`/usr/bin/time -f %M`): the rusage Go reads after wait4 starts at the
  parent's RSS, as the child shares the parent's address space until exec.
- **Binary size.** The go-v1 chain (`--experiment-sdk go-v1`, aws-sdk-go v1.38.59, litmus-go's SDK) added 3.0 MB:
  17.3 MB before it, 20.3 MB with it, and its package initialisation (`aws/endpoints` builds its tables) costs
  about 5 ms of every agent start, go-v2 runs included (`GODEBUG=inittrace=1`; all package inits together ~17 ms
  here). The agent talks to the apiserver through a REST client that knows only the core/v1 types
  (`verdict.NewCoreClient`): client-go's typed clients register every built-in API group through
  `k8s.io/client-go/kubernetes/scheme`, which took the binary from ~17 MB to 30 MB. Preflight, which needs
  the full clientset and the dynamic client, lives in `pkg/preflight` so the agent links none of it.
- **Audit.** The call table is the proof that AWS calls grow with roles, not ServiceAccounts: one GetRole and one
  policy listing per role, one provider lookup, one managed policy fetched once, for 1,000 ServiceAccounts.
NOTES
} > "$out.tmp"
mv "$out.tmp" "$out"
cat "$out"
