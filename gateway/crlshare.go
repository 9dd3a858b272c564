package gateway

import (
	"context"
	"crypto/x509"
	"time"

	"github.com/opensvpn/svpn/gateway/store"
)

// runCRLRefresh reloads the CRLs every interval until ctx ends. In a
// cluster one node at a time fetches them (store.JobCRLRefresh) and stores
// what it got; a node that finds the job taken loads the stored copies, so
// a CA's CRL server sees one fetch per interval, not one per node.
func (s *Server) runCRLRefresh(ctx context.Context, interval time.Duration) {
	if len(s.crls.sources) == 0 {
		return
	}
	every(ctx, interval, func() { s.refreshCRLs(ctx) })
}

// refreshCRLs is one round of runCRLRefresh.
func (s *Server) refreshCRLs(ctx context.Context) {
	ran, err := s.st.RunExclusive(ctx, store.JobCRLRefresh, func(ctx context.Context) error {
		if s.st.Backend() != store.Postgres {
			s.crls.reload(ctx)
			return nil
		}
		// A copy another node fetched within half an interval is as good
		// as a fetch: the CA's server sees about one per interval.
		fresh := s.now().Add(-time.Duration(s.cfg.CRLRefresh) / 2)
		s.crls.reloadWith(ctx, func(ctx context.Context, src *crlSource) (*x509.RevocationList, error) {
			if der, at, err := s.st.CRL(ctx, src.name); err == nil && at.After(fresh) {
				return parseCRL(der)
			}
			return s.crls.load(ctx, src)
		})
		for _, src := range s.crls.sources {
			s.crls.mu.RLock()
			l, failures := src.list, src.failures
			s.crls.mu.RUnlock()
			if l == nil || failures > 0 {
				continue
			}
			if err := s.st.PutCRL(ctx, src.name, l.Raw, s.now()); err != nil {
				s.log.Warn("sharing a CRL with the other nodes", "source", src.name, "err", err)
			}
		}
		return nil
	})
	if err != nil {
		s.log.Warn("CRL refresh", "err", err)
	}
	if ran || err != nil {
		return
	}
	// Another node is fetching: take the copies it stored last.
	s.crls.reloadWith(ctx, func(ctx context.Context, src *crlSource) (*x509.RevocationList, error) {
		der, _, err := s.st.CRL(ctx, src.name)
		if err != nil {
			return nil, err
		}
		return parseCRL(der)
	})
}
