package main

import (
	"fmt"
	"io"

	"github.com/opensvpn/svpn/gateway"
)

// printDemoUsers lists the demo's account for each kind of certificate,
// with the svpnctl command that logs in with it.
func printDemoUsers(w io.Writer, d *gateway.Demo, sock string) {
	fmt.Fprintln(w, "Accounts, one per kind of certificate (initial password, changed at first login; demo.json \"users\"):")
	for _, u := range d.Users {
		fmt.Fprintf(w, "  %-7s %-7s %-9s %s (password/PIN %s)\n", u.UserID, u.Kind, u.Location, u.CertPath, u.CertPassword)
		if u.Kind == "token" {
			fmt.Fprintf(w, "          SOFTHSM2_CONF=%s svpnctl --socket %s login --user %s --cert '%s' --pkcs11-module %s --password-stdin\n",
				u.SoftHSM2Conf, sock, u.UserID, u.CertPath, u.PKCS11Module)
		}
	}
	for _, n := range d.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	fmt.Fprintln(w)
}
