package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore/token"
)

// tokenPolicy is which PKCS#11 modules this run may load: the system's
// registry, the installed profile's pkcs11_modules (asked of svpnd, which
// holds the profile; without svpnd there are none) and --pkcs11-module.
func (c *cli) tokenPolicy(extra []string) token.Policy {
	p := token.Policy{Registry: token.RegistryModules(), Extra: extra}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	d := c.daemon()
	defer d.Close()
	if info, err := d.Profile(ctx); err == nil {
		p.Profile = info.Profile.PKCS11Modules
	}
	return p
}

// tokenCerts lists the certificates on the tokens present. A build
// without cgo has none and says so (E-250), so that an empty list is not
// taken for "no token plugged in".
func (c *cli) tokenCerts(extra []string) ([]*token.Cert, []error) {
	if !token.Supported() {
		return nil, token.NewManager(token.Policy{Extra: extra}, 0).List(context.Background()).Errors
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r := token.NewManager(c.tokenPolicy(extra), 0).List(ctx)
	return r.Certificates, r.Errors
}

// tokenHint prints what the token's PIN flags say after a refused PIN.
func (c *cli) tokenHint(err error, lang api.Lang) {
	var pe *token.PINError
	if !errors.As(err, &pe) {
		return
	}
	var ko, en string
	switch pe.State {
	case token.PINCountLow:
		ko, en = "PIN을 틀린 적이 있습니다. 남은 시도 횟수가 적을 수 있으니 확인 후 입력하세요.", "A wrong PIN was entered: few tries may be left; check it before typing it again."
	case token.PINFinalTry:
		ko, en = "마지막 시도입니다. 한 번 더 틀리면 보안토큰이 잠깁니다.", "Final try: one more wrong PIN locks the token."
	case token.PINLocked:
		ko, en = "보안토큰이 잠겼습니다.", "The token is locked."
	default:
		return
	}
	if lang == api.Korean {
		fmt.Fprintf(c.stderr, "  %s\n", ko)
	} else {
		fmt.Fprintf(c.stderr, "  %s\n", en)
	}
}
