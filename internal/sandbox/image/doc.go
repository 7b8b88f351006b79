// Package image builds the sandbox node's container images offline, as OCI
// image-layout archives that containerd imports: the agent image (the
// Dockerfile's default target, reproduced file for file: the podcred binaries
// at the same paths, a CA bundle, user 65532, no shell) and the pause image.
//
// It writes the OCI layout itself (oci-layout, index.json, a manifest, a
// config and one uncompressed layer): three small JSON documents and a tar,
// so no registry client is needed and the main module takes no new
// dependency. Timestamps are fixed, so the same inputs give the same digest.
package image
