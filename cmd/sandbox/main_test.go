package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/podcred/podcred/pkg/report"
)

func TestTourStartsWithTheDemoWorld(t *testing.T) {
	worlds, err := tourWorlds("../../examples/worlds")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, w := range worlds {
		names = append(names, filepath.Base(w.Path))
	}
	if len(names) < 3 || names[0] != "demo.yaml" {
		t.Fatalf("tour order %v", names)
	}
}

func TestBadUsageExitsTwo(t *testing.T) {
	for _, args := range [][]string{
		{"up"},
		{"up", "--world", "../../examples/worlds/demo.yaml", "--imds", "open"},
		{"up", "--world", "no-such-world.yaml"},
	} {
		cmd := newRootCmd()
		cmd.SetArgs(args)
		err := cmd.ExecuteContext(context.Background())
		if code := report.CodeOf(err); code != report.ExitUsage {
			t.Errorf("%v: exit %d (%v), want %d", args, code, err, report.ExitUsage)
		}
	}
}
