// Command nfpmdeb builds a .deb from an nfpm configuration file with nfpm's
// library (github.com/goreleaser/nfpm/v2): the same configuration format
// as the nfpm CLI, which cannot be installed here (its rpm and msix
// packagers depend on modules the Go proxy does not serve). It is a module
// of its own so that nfpm's dependencies stay out of SVPN's go.mod.
//
//	nfpmdeb --config nfpm.yaml --target OUT.deb
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/deb"
)

func main() {
	config := flag.String("config", "", "nfpm configuration `file`")
	target := flag.String("target", "", "the .deb to write")
	flag.Parse()
	if *config == "" || *target == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: nfpmdeb --config nfpm.yaml --target OUT.deb")
		os.Exit(2)
	}
	if err := build(*config, *target); err != nil {
		fmt.Fprintf(os.Stderr, "nfpmdeb: %v\n", err)
		os.Exit(1)
	}
}

func build(config, target string) error {
	cfg, err := nfpm.ParseFile(config)
	if err != nil {
		return err
	}
	info, err := cfg.Get("deb")
	if err != nil {
		return err
	}
	info = nfpm.WithDefaults(info)
	if err := nfpm.Validate(info); err != nil {
		return err
	}
	f, err := os.Create(target)
	if err != nil {
		return err
	}
	if err := deb.Default.Package(info, f); err != nil {
		f.Close()
		os.Remove(target)
		return err
	}
	return f.Close()
}
