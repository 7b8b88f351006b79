// Command pause is the sandbox node's pod sandbox ("pause") image: a static
// program that holds a pod's namespaces open and exits 0 on SIGTERM or SIGINT.
// It replaces registry.k8s.io/pause, which cannot be pulled offline.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
}
