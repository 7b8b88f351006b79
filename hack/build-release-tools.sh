#!/usr/bin/env bash
# build-release-tools.sh builds the release tools pinned as Go tools in tools/release/go.mod into
# bin/ (or $PODCRED_BIN_DIR):
#   goreleaser       github.com/goreleaser/goreleaser/v2 (the recipe is .goreleaser.yaml)
#   cyclonedx-gomod  github.com/CycloneDX/cyclonedx-gomod (the SBOMs; goreleaser runs it from PATH)
# It does nothing when both exist and bin/.release-tools-stamp matches the hash of
# tools/release/go.{mod,sum} and this script. Called by `make release-snapshot`.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${PODCRED_BIN_DIR:-$root/bin}"
mod="$root/tools/release"
stamp="$bin/.release-tools-stamp"

say() { printf '==> %s\n' "$*" >&2; }

want="$(cat "$mod/go.mod" "$mod/go.sum" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)"
if [[ -x "$bin/goreleaser" && -x "$bin/cyclonedx-gomod" && "$want" == "$(cat "$stamp" 2>/dev/null || true)" ]]; then
	say "release tools are up to date in $bin"
	exit 0
fi
command -v go >/dev/null || { echo "build-release-tools: go is not installed" >&2; exit 1; }
mkdir -p "$bin"
rm -f "$stamp"
start=$SECONDS
say "building goreleaser and cyclonedx-gomod (pinned in tools/release/go.mod)..."
(
	cd "$mod"
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$bin/goreleaser" github.com/goreleaser/goreleaser/v2
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$bin/cyclonedx-gomod" github.com/CycloneDX/cyclonedx-gomod/cmd/cyclonedx-gomod
)
echo "$want" >"$stamp"
say "release tools built in $((SECONDS - start))s into $bin"
