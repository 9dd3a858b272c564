package gateway

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// crlSet holds the revoked serials of the configured CRLs, reloaded
// periodically by its owner's goroutine (run). A CRL is only trusted when
// it is signed by a CA of the certificate's verified chain.
type crlSet struct {
	files  []string
	urls   []string
	client *http.Client
	log    *slog.Logger

	mu   sync.RWMutex
	crls []*x509.RevocationList
}

func newCRLSet(files, urls []string, log *slog.Logger) *crlSet {
	return &crlSet{files: files, urls: urls, log: log, client: &http.Client{Timeout: 30 * time.Second}}
}

// reload fetches every CRL; sources that fail keep their previous copy.
func (s *crlSet) reload(ctx context.Context) {
	var crls []*x509.RevocationList
	for _, f := range s.files {
		b, err := os.ReadFile(f)
		if err == nil {
			var l *x509.RevocationList
			if l, err = parseCRL(b); err == nil {
				crls = append(crls, l)
				continue
			}
		}
		s.log.Warn("CRL not loaded", "file", f, "err", err)
	}
	for _, u := range s.urls {
		l, err := s.fetch(ctx, u)
		if err != nil {
			s.log.Warn("CRL not fetched", "url", u, "err", err)
			continue
		}
		crls = append(crls, l)
	}
	s.mu.Lock()
	if len(crls) > 0 || len(s.files)+len(s.urls) == 0 {
		s.crls = crls
	}
	s.mu.Unlock()
}

func (s *crlSet) fetch(ctx context.Context, url string) (*x509.RevocationList, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %s", resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	return parseCRL(b)
}

func parseCRL(b []byte) (*x509.RevocationList, error) {
	if strings.Contains(string(b[:min(len(b), 64)]), "-----BEGIN") {
		block, _ := pem.Decode(b)
		if block == nil {
			return nil, fmt.Errorf("bad PEM")
		}
		b = block.Bytes
	}
	return x509.ParseRevocationList(b)
}

// run reloads every interval until ctx ends.
func (s *crlSet) run(ctx context.Context, interval time.Duration) {
	if len(s.files)+len(s.urls) == 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.reload(ctx)
		}
	}
}

// revoked reports whether a CRL signed by the leaf's issuer lists it.
func (s *crlSet) revoked(chain []*x509.Certificate) bool {
	if len(chain) < 2 {
		return false
	}
	leaf, issuer := chain[0], chain[1]
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, l := range s.crls {
		if l.CheckSignatureFrom(issuer) != nil {
			continue
		}
		for _, e := range l.RevokedCertificateEntries {
			if e.SerialNumber.Cmp(leaf.SerialNumber) == 0 {
				return true
			}
		}
	}
	return false
}

// serialHex is how serials are stored: lower-case hex without leading zeros.
func serialHex(n *big.Int) string { return fmt.Sprintf("%x", n) }
