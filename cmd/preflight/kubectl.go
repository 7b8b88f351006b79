package main

import (
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
)

// kubectl plugin names. kubectl finds a plugin as an executable named
// kubectl-<name> on PATH and runs it with the words after `kubectl <name>`
// (kubernetes/kubectl pkg/cmd/plugin/plugin.go: ValidPluginFilenamePrefixes,
// DefaultPluginHandler.Lookup), so the binary only has to know its own name.
const (
	// pluginBinary is the name krew installs and `kubectl plugin list` shows.
	pluginBinary = "kubectl-podcred"
	// pluginCommand is how a user types it.
	pluginCommand = "kubectl podcred"
	// programName is the stand-alone name that help texts and examples use.
	programName = "podcred-preflight"
)

// invokedAsPlugin tells whether argv0 is the plugin's name (kubectl runs
// the file it found on PATH; krew links it there under that name).
func invokedAsPlugin(argv0 string) bool {
	name := strings.TrimSuffix(filepath.Base(argv0), ".exe")
	return name == pluginBinary
}

// asKubectlPlugin makes every help text, usage line and example of the
// command tree read as `kubectl podcred ...`: the root's display name (cobra's
// CommandDisplayNameAnnotation, meant for kubectl plugins) and the
// program's name in Long and Example, for subcommands added later too.
func asKubectlPlugin(root *cobra.Command) {
	if root.Annotations == nil {
		root.Annotations = map[string]string{}
	}
	root.Annotations[cobra.CommandDisplayNameAnnotation] = pluginCommand
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		c.Long = strings.ReplaceAll(c.Long, programName, pluginCommand)
		c.Example = strings.ReplaceAll(c.Example, programName, pluginCommand)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
