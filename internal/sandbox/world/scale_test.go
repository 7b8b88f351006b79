package world

import "testing"

func TestScaleWorldSharesRolesAcrossServiceAccounts(t *testing.T) {
	w, err := ScaleWorld(200, 20, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Roles) != 20 || len(w.Namespaces) != 7 {
		t.Fatalf("%d roles, %d namespaces", len(w.Roles), len(w.Namespaces))
	}
	sas, uses := 0, map[string]int{}
	for _, ns := range w.Namespaces {
		for _, sa := range ns.ServiceAccounts {
			sas++
			uses[sa.Role]++
		}
	}
	if sas != 200 || len(uses) != 20 {
		t.Errorf("%d SAs over %d roles, want 200 over 20", sas, len(uses))
	}
	if _, err := ScaleWorld(0, 1, 1); err == nil {
		t.Error("an empty scale world must be refused")
	}
}
