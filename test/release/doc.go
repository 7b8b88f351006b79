// Package release holds the tests of what podcred ships around its binaries
// that need podcred's own packages: the CI templates in deploy/ci (each
// podcred-preflight command line is parsed by the real command tree) and the
// Dockerfile against the image recipe the sandbox node builds
// (internal/sandbox/image). The release archives themselves are tested in
// tools/release, next to the tools that make them.
package release
