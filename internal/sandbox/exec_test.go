package sandbox

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"time"
)

var execLookPath = exec.LookPath

// runCmd runs a command with exactly env, bounded to a minute.
func runCmd(path string, args, env []string) (string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// cliV2 tells whether the AWS CLI is version 2 (which has --no-cli-pager).
func cliV2(path string) bool {
	out, err := exec.Command(path, "--version").CombinedOutput()
	return err == nil && strings.HasPrefix(string(out), "aws-cli/2")
}
