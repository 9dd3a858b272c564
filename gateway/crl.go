package gateway

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
)

// DefaultCRLGrace is how long a CRL stays usable after its NextUpdate when
// crl_grace is not configured.
const DefaultCRLGrace = 24 * time.Hour

// crlSet holds the configured CRLs, reloaded periodically by its owner's
// goroutine (run). It fails closed:
//
//   - every source (file or URL) keeps its last good CRL when a refresh
//     fails, so an unreachable CRL server cannot make a revoked certificate
//     valid again;
//   - a CRL is usable until its NextUpdate plus the grace (crl_grace); past
//     that, and for a source that never loaded, certificates of the CA it
//     covers are refused with certificate_revocation_unknown (see status);
//   - a CRL is only believed when it names the certificate's issuer and is
//     signed by it (the issuer of the verified chain).
//
// A CA for which no CRL source is configured is not checked.
type crlSet struct {
	sources []*crlSource
	grace   time.Duration
	client  *http.Client
	log     *slog.Logger

	mu sync.RWMutex // guards the mutable fields of every source
}

// crlSource is one configured CRL file or URL.
type crlSource struct {
	name  string // file path or URL, as configured
	isURL bool

	list     *x509.RevocationList // last good copy; nil until one loads
	loadedAt time.Time            // when list was loaded
	failures int                  // consecutive failed refreshes
	lastErr  error                // of the last failed refresh
}

func newCRLSet(files, urls []string, log *slog.Logger) *crlSet {
	s := &crlSet{grace: DefaultCRLGrace, log: log, client: &http.Client{Timeout: 30 * time.Second}}
	for _, f := range files {
		s.sources = append(s.sources, &crlSource{name: f})
	}
	for _, u := range urls {
		s.sources = append(s.sources, &crlSource{name: u, isURL: true})
	}
	return s
}

// newCRLSetFromConfig is newCRLSet with the configuration's sources and
// grace (crl_grace).
func newCRLSetFromConfig(cfg *Config, log *slog.Logger) *crlSet {
	s := newCRLSet(cfg.CRLFiles, cfg.CRLURLs, log)
	if cfg.CRLGrace > 0 {
		s.grace = time.Duration(cfg.CRLGrace)
	}
	return s
}

// reload fetches every CRL. A source that fails, or that serves a CRL older
// than the one it served before (a replay), keeps its previous copy.
func (s *crlSet) reload(ctx context.Context) { s.reloadWith(ctx, s.load) }

// reloadWith is reload with the CRLs from load (a cluster's stored copies).
func (s *crlSet) reloadWith(ctx context.Context, load func(context.Context, *crlSource) (*x509.RevocationList, error)) {
	now := time.Now()
	for _, src := range s.sources {
		l, err := load(ctx, src)
		s.mu.Lock()
		if err == nil && src.list != nil && bytes.Equal(src.list.RawIssuer, l.RawIssuer) && older(l, src.list) {
			err = fmt.Errorf("CRL number %v of %s is older than the one held (number %v of %s): kept the held one",
				l.Number, l.ThisUpdate.UTC().Format(time.RFC3339), src.list.Number, src.list.ThisUpdate.UTC().Format(time.RFC3339))
		}
		if err != nil {
			src.failures++
			src.lastErr = err
		} else {
			src.list, src.loadedAt, src.failures, src.lastErr = l, now, 0, nil
		}
		held := src.list
		s.mu.Unlock()
		switch {
		case err != nil && held == nil:
			s.log.Error("CRL source never loaded: certificates of its CA are refused until it does", "source", src.name, "err", err)
		case err != nil:
			s.log.Warn("CRL not refreshed; keeping the last good copy", "source", src.name, "err", err,
				"issuer", held.Issuer.String(),
				"next_update", held.NextUpdate, "usable_until", s.usableUntil(held))
		}
		if held != nil && now.After(s.usableUntil(held)) {
			s.log.Error("CRL out of date: certificates of its CA are refused", "source", src.name,
				"issuer", held.Issuer.String(), "next_update", held.NextUpdate, "grace", s.grace)
		}
	}
}

// older reports whether a was issued before b: a lower CRL number, or an
// earlier thisUpdate.
func older(a, b *x509.RevocationList) bool {
	if a.Number != nil && b.Number != nil && a.Number.Cmp(b.Number) != 0 {
		return a.Number.Cmp(b.Number) < 0
	}
	return a.ThisUpdate.Before(b.ThisUpdate)
}

func (s *crlSet) load(ctx context.Context, src *crlSource) (*x509.RevocationList, error) {
	if src.isURL {
		return s.fetch(ctx, src.name)
	}
	b, err := os.ReadFile(src.name)
	if err != nil {
		return nil, err
	}
	return parseCRL(b)
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

// usableUntil is when l stops being trusted: its NextUpdate plus the grace
// (its ThisUpdate plus the grace when it has no NextUpdate).
func (s *crlSet) usableUntil(l *x509.RevocationList) time.Time {
	if l.NextUpdate.IsZero() {
		return l.ThisUpdate.Add(s.grace)
	}
	return l.NextUpdate.Add(s.grace)
}

// covers reports whether l is a CRL of issuer: it names it and is signed
// by it. A CRL signed by another CA under the same name is not.
func covers(l *x509.RevocationList, issuer *x509.Certificate) bool {
	return bytes.Equal(l.RawIssuer, issuer.RawSubject) && l.CheckSignatureFrom(issuer) == nil
}

func lists(l *x509.RevocationList, serial *big.Int) bool {
	for _, e := range l.RevokedCertificateEntries {
		if e.SerialNumber.Cmp(serial) == 0 {
			return true
		}
	}
	return false
}

// status is the revocation status of the leaf of a verified chain (leaf,
// issuer, …) at now: nil when it may be used, a certificate_revoked error
// when a CRL of its issuer lists it (stale or not: a revocation does not
// expire), or a certificate_revocation_unknown error when its status cannot
// be established:
//
//   - the leaf's CRL distribution points name configured URLs, and none of
//     them holds a usable CRL of the issuer;
//   - otherwise, sources hold CRLs of the issuer, and none of them is
//     usable any more (past NextUpdate + grace);
//   - otherwise (no loaded CRL covers the issuer), some configured source
//     has never loaded, so its CA is unknown and may be this one.
//
// With no CRL source configured, or none that covers the issuer once every
// source has loaded, the certificate is not checked.
func (s *crlSet) status(chain []*x509.Certificate, now time.Time) error {
	if len(chain) < 2 || len(s.sources) == 0 {
		return nil
	}
	leaf, issuer := chain[0], chain[1]
	s.mu.RLock()
	defer s.mu.RUnlock()
	var (
		usable, usableNamed bool
		stale, pending      []*crlSource // stale CRLs of the issuer; sources never loaded
		named               []*crlSource // sources the leaf names as its CRL
	)
	for _, src := range s.sources {
		isNamed := src.isURL && slices.Contains(leaf.CRLDistributionPoints, src.name)
		if isNamed {
			named = append(named, src)
		}
		l := src.list
		if l == nil {
			pending = append(pending, src)
			continue
		}
		if !covers(l, issuer) {
			continue
		}
		if lists(l, leaf.SerialNumber) {
			return api.Errorf(api.CodeCertificateRevoked, "the certificate has been revoked; have it reissued")
		}
		if now.After(s.usableUntil(l)) {
			stale = append(stale, src)
			continue
		}
		usable = true
		usableNamed = usableNamed || isNamed
	}
	issuerName := certstore.SubjectString(issuer)
	switch {
	case len(named) > 0 && !usableNamed:
		return s.unknown(named, issuerName, now)
	case usable:
		return nil
	case len(stale) > 0:
		return s.unknown(stale, issuerName, now)
	case len(pending) > 0:
		return s.unknown(pending, issuerName, now)
	}
	return nil
}

// unknown is the certificate_revocation_unknown refusal, logged with the
// sources at fault. The user is told which CA's CRL is out of date and
// since when, not the gateway's file names.
func (s *crlSet) unknown(srcs []*crlSource, issuer string, now time.Time) error {
	var since time.Time
	names := make([]string, len(srcs))
	for i, src := range srcs {
		names[i] = src.name
		if src.list != nil {
			if u := s.usableUntil(src.list); since.IsZero() || u.After(since) {
				since = u
			}
		}
	}
	attrs := []any{"sources", names, "issuer", issuer}
	for _, src := range srcs {
		if src.lastErr != nil {
			attrs = append(attrs, "last_error", src.lastErr.Error())
			break
		}
	}
	s.log.Warn("revocation status unknown: CRL out of date or not loaded", attrs...)
	if since.IsZero() {
		return api.Errorf(api.CodeCertificateRevocationUnknown,
			"revocation status cannot be checked: the gateway has not loaded the CRL of %s; try again later or call the helpdesk", issuer)
	}
	return api.Errorf(api.CodeCertificateRevocationUnknown,
		"revocation status cannot be checked: the gateway's CRL of %s is out of date since %s; try again later or call the helpdesk",
		issuer, since.UTC().Format(time.RFC3339))
}

// revoked reports whether a CRL signed by the leaf's issuer lists it. It
// does not fail closed; status does, and supersedes it.
func (s *crlSet) revoked(chain []*x509.Certificate) bool {
	if len(chain) < 2 {
		return false
	}
	leaf, issuer := chain[0], chain[1]
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, src := range s.sources {
		if l := src.list; l != nil && covers(l, issuer) && lists(l, leaf.SerialNumber) {
			return true
		}
	}
	return false
}

// collector exposes the state of every CRL source to Prometheus, computed
// at scrape time against now.
func (s *crlSet) collector(now func() time.Time) prometheus.Collector {
	return &crlCollector{s: s, now: now}
}

var (
	descCRLStale = prometheus.NewDesc("svpn_gateway_crl_stale",
		"1 when the CRL source is not usable (never loaded, or past next update + crl_grace): certificates of its CA are refused with certificate_revocation_unknown.",
		[]string{"source"}, nil)
	descCRLNextUpdate = prometheus.NewDesc("svpn_gateway_crl_next_update_timestamp_seconds",
		"NextUpdate of the CRL held for the source (absent until one loads).", []string{"source", "issuer"}, nil)
	descCRLLoaded = prometheus.NewDesc("svpn_gateway_crl_last_success_timestamp_seconds",
		"When the CRL held for the source was loaded (absent until one loads).", []string{"source"}, nil)
	descCRLFailures = prometheus.NewDesc("svpn_gateway_crl_consecutive_failures",
		"Failed refreshes of the source since its last success.", []string{"source"}, nil)
)

type crlCollector struct {
	s   *crlSet
	now func() time.Time
}

func (c *crlCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descCRLStale
	ch <- descCRLNextUpdate
	ch <- descCRLLoaded
	ch <- descCRLFailures
}

func (c *crlCollector) Collect(ch chan<- prometheus.Metric) {
	now := c.now()
	c.s.mu.RLock()
	defer c.s.mu.RUnlock()
	for _, src := range c.s.sources {
		stale := 1.0
		if l := src.list; l != nil {
			if !now.After(c.s.usableUntil(l)) {
				stale = 0
			}
			ch <- prometheus.MustNewConstMetric(descCRLNextUpdate, prometheus.GaugeValue, float64(l.NextUpdate.Unix()), src.name, l.Issuer.String())
			ch <- prometheus.MustNewConstMetric(descCRLLoaded, prometheus.GaugeValue, float64(src.loadedAt.Unix()), src.name)
		}
		ch <- prometheus.MustNewConstMetric(descCRLStale, prometheus.GaugeValue, stale, src.name)
		ch <- prometheus.MustNewConstMetric(descCRLFailures, prometheus.GaugeValue, float64(src.failures), src.name)
	}
}

// serialHex is how serials are stored: lower-case hex without leading zeros.
func serialHex(n *big.Int) string { return fmt.Sprintf("%x", n) }
