package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"

	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/gateway"
	"github.com/opensvpn/svpn/gateway/store"
)

// certMoves shows (cert moves) or resets (cert moves-reset) how many PCs
// a certificate went to by 인증서 이동, which a group's
// cert_move.max_devices limits: after a user removed it from old PCs, the
// helpdesk resets the count.
func (c *cli) certMoves(ctx context.Context, fs *flag.FlagSet, sub string, args []string) error {
	path := fs.String("cert", "", "the certificate file (signCert.der, its folder, *_sig.cer)")
	check := func() error {
		if *path == "" {
			return usagef("cert %s: --cert is required", sub)
		}
		return nil
	}
	return c.withStore(ctx, fs, args, check, func(st *store.Store, _ *gateway.Config) error {
		cert, err := certstore.Load(*path)
		if err != nil {
			return err
		}
		h := sha256.Sum256(cert.X509.Raw)
		key := hex.EncodeToString(h[:])
		if sub == "moves-reset" {
			if err := st.ResetCertMoves(ctx, key); err != nil {
				return err
			}
			c.auditAdmin(ctx, st, "certmove_devices_reset", "")
			fmt.Fprintf(c.stdout, "%s: moves forgotten; the certificate counts as on 1 PC\n", certstore.DisplayName(cert.X509))
			return nil
		}
		n, err := st.CertMoves(ctx, key)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "%s: on %d PC(s) (%d completed moves that kept a copy)\n", certstore.DisplayName(cert.X509), 1+n, n)
		return nil
	})
}
