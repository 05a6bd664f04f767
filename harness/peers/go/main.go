// Command netipc-go-peer is the peer CLI of docs/peer-cli.md for the Go
// library in ./netipc (the Windows Named Pipe baseline transport, written
// from the contract): the kit (harness/kits/go) does the CLI, adapter.go
// maps the kit's calls to the library.
package main

import kit "netipc-kit"

func main() { kit.Main("netipc-go-peer", adapter{}) }
