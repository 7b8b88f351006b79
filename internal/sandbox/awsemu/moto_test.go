package awsemu

import (
	"os/exec"
	"strings"
	"testing"
)

func TestMissingMotoFailsWithTheInstallHint(t *testing.T) {
	err := CheckMoto("/nonexistent/python3")
	if err == nil || !strings.Contains(err.Error(), MotoInstallHint) {
		t.Fatalf("got %v, want the hint %s", err, MotoInstallHint)
	}
	if _, lookErr := exec.LookPath("python3"); lookErr == nil {
		if err := CheckMoto(""); err != nil {
			t.Fatalf("moto is installed here but: %v", err)
		}
	}
}
