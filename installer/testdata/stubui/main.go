// Command stubui stands in for the desktop app (cmd/svpn) in packaging
// tests while the app does not build: `SVPN_UI=stub installer/dist.sh`
// packages it as svpn / svpn.exe so that the .desktop entry, the autostart
// entry, the shortcuts and the Windows resource step can be tested. It is
// never shipped: its outputs are named STUB-UI.
package main

import (
	"fmt"
	"os"
)

var version = "dev"

func main() {
	fmt.Printf("svpn %s: packaging-test stand-in for the desktop app (args %q)\n", version, os.Args[1:])
}
