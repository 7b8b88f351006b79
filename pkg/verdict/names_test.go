package verdict

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"
)

func TestConfigMapNameAndLabelValue(t *testing.T) {
	long := strings.Repeat("a", 120) + "." + strings.Repeat("b", 132) // 253: the longest SA name
	tests := []struct {
		name      string
		sa        string
		wantName  string // "" means: shortened
		wantLabel string
	}{
		{"a short name is used as is", "litmus-admin", "podcred-litmus-admin", "litmus-admin"},
		{"a 63-character name still fits a label", strings.Repeat("x", 63), "podcred-" + strings.Repeat("x", 63), strings.Repeat("x", 63)},
		{"a 253-character name is shortened in both", long, "", ""},
		{"a name cut just before a dot loses the dot", strings.Repeat("c", 51) + "." + strings.Repeat("d", 20), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, label := ConfigMapName(tt.sa), LabelValue(tt.sa)
			if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
				t.Errorf("ConfigMapName = %q: invalid: %v", name, errs)
			}
			if errs := validation.IsValidLabelValue(label); len(errs) > 0 {
				t.Errorf("LabelValue = %q: invalid: %v", label, errs)
			}
			if tt.wantName != "" && name != tt.wantName {
				t.Errorf("ConfigMapName = %q, want %q", name, tt.wantName)
			}
			if tt.wantLabel != "" && label != tt.wantLabel {
				t.Errorf("LabelValue = %q, want %q", label, tt.wantLabel)
			}
		})
	}
	t.Run("two long names that share a prefix stay distinct", func(t *testing.T) {
		a, b := long, long[:252]+"c"
		if LabelValue(a) == LabelValue(b) || ConfigMapName(a) == ConfigMapName(b) {
			t.Errorf("collision: %q / %q", LabelValue(a), ConfigMapName(a))
		}
	})
}
