// Command etcd is a thin wrapper around etcd's own main so that the sandbox can
// build an etcd server from the same pinned module graph as kube-apiserver.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
