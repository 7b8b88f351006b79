// Package release pins podcred's release tools and tests what they make.
//
// go.mod pins, as Go tools, goreleaser (the release recipe is ../../.goreleaser.yaml)
// and cyclonedx-gomod (the SBOMs); `make release-snapshot` builds both into ../../bin
// (hack/build-release-tools.sh) and writes ../../dist. The tests here judge that
// dist/ — archives, checksums, SBOMs, the krew manifest — and the image build
// context (.dockerignore). They live in this module, not the main one, so that
// the release tools' dependencies never reach podcred's go.mod.
package release
