package agentcli

import (
	"errors"
	"testing"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/pkg/verdict"
)

func TestGateExitMapsRefusalsToExitCodes(t *testing.T) {
	want := map[string]int{verdict.GateFailed: cli.ExitFail, verdict.GateWarned: cli.ExitWarnStrict}
	for _, reason := range []string{
		verdict.GateNotFound, verdict.GateAPIError, verdict.GateNotManaged, verdict.GateUnreadable,
		verdict.GateSchema, verdict.GateKind, verdict.GateSubject, verdict.GateRole, verdict.GateInconsistent,
		verdict.GateStale, verdict.GateExpired, verdict.GateFailed, verdict.GateErrored, verdict.GateWarned,
		verdict.GateImmutable, verdict.GatePending, verdict.GateIncomplete, verdict.GateFuture, verdict.GateForeignPod,
	} {
		code, ok := want[reason]
		if !ok {
			code = cli.ExitUnverified
		}
		ge := &verdict.GateError{Reason: reason, Detail: "d"}
		err := gateExit(ge)
		if got := cli.CodeOf(err); got != code {
			t.Errorf("%s: exit %d, want %d", reason, got, code)
		}
		var back *verdict.GateError
		if !errors.As(err, &back) || err.Error() != ge.Error() {
			t.Errorf("%s: the GateError is not kept: %v", reason, err)
		}
	}
	if got := cli.CodeOf(gateExit(&verdict.OptionsError{Err: errors.New("no namespace")})); got != cli.ExitUsage {
		t.Errorf("bad options: exit %d, want %d", got, cli.ExitUsage)
	}
	if got := cli.CodeOf(gateExit(errors.New("other"))); got != cli.ExitUnverified {
		t.Errorf("another error: exit %d, want %d", got, cli.ExitUnverified)
	}
}
