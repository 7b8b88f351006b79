// Package version holds the build's version, stamped by the linker:
// -X github.com/podcred/podcred/internal/version.Version=v1.2.3
package version

// Version is podcred's version; "dev" for unstamped builds.
var Version = "dev"
