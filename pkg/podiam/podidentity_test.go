package podiam

import "testing"

// Both mechanisms on one pod: every SDK chain takes web identity (IRSA)
// before container credentials (Pod Identity).
func TestSDKResolvesIRSABeforePodIdentity(t *testing.T) {
	for _, tc := range []struct {
		irsa, podIdentity bool
		want              Mechanism
	}{
		{true, true, MechanismIRSA},
		{true, false, MechanismIRSA},
		{false, true, MechanismPodIdentity},
		{false, false, MechanismNone},
	} {
		if got := SDKResolves(tc.irsa, tc.podIdentity); got != tc.want {
			t.Errorf("SDKResolves(irsa=%v, podIdentity=%v) = %s, want %s", tc.irsa, tc.podIdentity, got, tc.want)
		}
	}
}
