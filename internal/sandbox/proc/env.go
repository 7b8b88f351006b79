package proc

import (
	"os"
	"strings"
)

// ScrubbedEnv is the current environment without AWS variables, so that a
// child (moto, the IMDS mock) never picks up real credentials or endpoints.
func ScrubbedEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "MOTO_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}
