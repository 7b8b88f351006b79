package release

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// Each shipped binary has a CycloneDX SBOM (goreleaser's sboms stanza calling
// cyclonedx-gomod `bin`), naming the binary's main module and the modules
// linked into it.
func TestEveryBinaryHasACycloneDXSBOMOfItsModules(t *testing.T) {
	version := snapshotVersion(t)
	for bin := range binaryMains {
		for _, p := range platforms {
			name := fmt.Sprintf("%s_%s_%s_%s.sbom.json", bin, version, p[0], p[1])
			b, err := readLimited(filepath.Join(distDir, name), 16<<20)
			if err != nil {
				t.Errorf("SBOM: %v", err)
				continue
			}
			var bom cdx.BOM
			if err := cdx.NewBOMDecoder(bytes.NewReader(b), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
				t.Errorf("%s does not parse as CycloneDX JSON: %v", name, err)
				continue
			}
			if bom.BOMFormat != cdx.BOMFormat || bom.SpecVersion == 0 || bom.Metadata == nil || bom.Metadata.Component == nil {
				t.Errorf("%s: format %q spec %v, no metadata component", name, bom.BOMFormat, bom.SpecVersion)
				continue
			}
			if c := bom.Metadata.Component; !strings.Contains(c.PackageURL, "github.com/podcred/podcred") {
				t.Errorf("%s describes %q (%s), not podcred", name, c.Name, c.PackageURL)
			}
			if !hasComponent(bom, "pkg:golang/github.com/aws/aws-sdk-go-v2") || !hasComponent(bom, "pkg:golang/github.com/spf13/cobra@") {
				t.Errorf("%s lacks aws-sdk-go-v2 or cobra among its %d components", name, componentCount(bom))
			}
		}
	}
}

func hasComponent(bom cdx.BOM, purlPrefix string) bool {
	if bom.Components == nil {
		return false
	}
	for _, c := range *bom.Components {
		if strings.HasPrefix(c.PackageURL, purlPrefix) {
			return true
		}
	}
	return false
}

func componentCount(bom cdx.BOM) int {
	if bom.Components == nil {
		return 0
	}
	return len(*bom.Components)
}
