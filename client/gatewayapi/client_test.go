package gatewayapi

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
)

func tlsServer(t testing.TB, h http.HandlerFunc) (*httptest.Server, *x509.CertPool) {
	t.Helper()
	ts := httptest.NewTLSServer(h)
	t.Cleanup(ts.Close)
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	return ts, pool
}

func info(v int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(api.Info{APIVersion: v, GatewayID: "gw"})
	}
}

// TestFailures: every way a gateway can fail a client has its own code,
// and none hangs.
func TestFailures(t *testing.T) {
	ctx := context.Background()
	release := make(chan struct{})
	slow, slowPool := tlsServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		// Never answer: returning normally would send an empty 200 that a
		// client still reading (a retried request, under -race load) takes
		// for a garbage answer.
		panic(http.ErrAbortHandler)
	})
	defer close(release)
	garbage, garbagePool := tlsServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html>captive portal</html>"))
	})
	newer, newerPool := tlsServer(t, info(api.APIVersion+1))
	good, goodPool := tlsServer(t, info(api.APIVersion))
	sum := sha256.Sum256(good.Certificate().RawSubjectPublicKeyInfo)
	pin := base64.StdEncoding.EncodeToString(sum[:])

	for _, tc := range []struct {
		name string
		url  string
		o    Options
		code api.Code
	}{
		{"slow gateway", slow.URL, Options{RootCAs: slowPool, Timeout: 300 * time.Millisecond}, CodeUnreachable},
		{"untrusted certificate", good.URL, Options{}, CodeTLS},
		{"garbage answer", garbage.URL, Options{RootCAs: garbagePool}, CodeBadResponse},
		{"newer API version", newer.URL, Options{RootCAs: newerPool}, CodeVersion},
		{"pin mismatch", good.URL, Options{RootCAs: goodPool, Pin: base64.StdEncoding.EncodeToString(make([]byte, 32))}, CodeTLS},
		{"nothing listening", "https://127.0.0.1:1", Options{Timeout: time.Second}, CodeUnreachable},
		{"pin match", good.URL, Options{RootCAs: goodPool, Pin: pin}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(tc.url, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, err = c.Info(ctx)
			if got := api.CodeOf(err); got != tc.code {
				t.Fatalf("code %q (%v), want %q", got, err, tc.code)
			}
			if time.Since(start) > 5*time.Second {
				t.Fatalf("took %s", time.Since(start))
			}
		})
	}
	if _, err := New("http://plain.example", Options{}); err == nil {
		t.Fatal("a plain-HTTP gateway URL must be refused")
	}
}
