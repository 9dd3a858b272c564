// Command profilecheck validates an SVPN client profile before it is
// packaged or installed, and computes the ca_pin of a gateway certificate.
//
//	profilecheck [--files] PROFILE...   exit 0 if every profile is valid
//	profilecheck pin CERT.pem           print the base64 SHA-256 SPKI pin
//
// Without --files it checks what api.LoadProfile checks (the fields svpnd
// needs, known fields only) plus the form of ca_pin. With --files it also
// reads ca_file as svpnd will: use it on the target machine, or where the
// file is already at the path the profile names. The installers run it
// (the .deb build and the Windows installer before writing the profile).
package main

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/opensvpn/svpn/api"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

const usage = `usage: profilecheck [--files] PROFILE...
       profilecheck pin CERT.pem
`

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "pin" {
		if len(args) != 2 {
			fmt.Fprint(stderr, usage)
			return 2
		}
		pin, err := pinOf(args[1])
		if err != nil {
			fmt.Fprintf(stderr, "profilecheck: %v\n", err)
			return 1
		}
		fmt.Fprintln(stdout, pin)
		return 0
	}
	fs := flag.NewFlagSet("profilecheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	files := fs.Bool("files", false, "also read ca_file at the path the profile names")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	code := 0
	for _, path := range fs.Args() {
		p, err := check(path, *files)
		if err != nil {
			fmt.Fprintf(stderr, "%s: INVALID\n%v\n", path, err)
			code = 1
			continue
		}
		fmt.Fprintf(stdout, "%s: ok (%s, %s)\n", path, p.Name, p.GatewayURL)
	}
	return code
}

// check validates one profile file.
func check(path string, files bool) (*api.Profile, error) {
	p, err := api.LoadProfile(path)
	if err != nil {
		return nil, err
	}
	var errs []error
	if p.CAPin != "" {
		if b, err := base64.StdEncoding.DecodeString(p.CAPin); err != nil || len(b) != sha256.Size {
			errs = append(errs, fmt.Errorf("ca_pin: the base64 SHA-256 of the gateway certificate's public key (44 characters; `profilecheck pin CERT.pem` prints it), got %q", p.CAPin))
		}
	}
	if files && p.CAFile != "" {
		if _, err := readCerts(p.CAFile, false); err != nil {
			errs = append(errs, fmt.Errorf("ca_file: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, api.Errorf(api.CodeProfileInvalid, "profile %s: %w", path, err)
	}
	return p, nil
}

// readCerts reads every certificate of a PEM file (or DER, when allowed:
// svpnd reads PEM only).
func readCerts(path string, allowDER bool) ([]*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var certs []*x509.Certificate
	for rest := b; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 && !allowDER {
		return nil, fmt.Errorf("%s: no PEM certificate (svpnd reads PEM only)", path)
	}
	if len(certs) == 0 {
		c, err := x509.ParseCertificate(b)
		if err != nil {
			return nil, fmt.Errorf("%s: no PEM or DER certificate", path)
		}
		certs = append(certs, c)
	}
	return certs, nil
}

// pinOf is the ca_pin of the first certificate of a file.
func pinOf(path string) (string, error) {
	certs, err := readCerts(path, true)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(certs[0].RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:]), nil
}
