package gateway

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"
)

// testServerCerts are an RSA and an ECDSA server certificate for
// 127.0.0.1 under the shared test root, and a pool trusting it.
func testServerCerts(t *testing.T) (rsaCert, ecCert tls.Certificate, roots *x509.CertPool) {
	t.Helper()
	p := sharedPKI(t)
	roots = x509.NewCertPool()
	roots.AddCert(p.Root.Cert)
	ec, ecKey, err := p.Root.IssueServer([]string{"127.0.0.1"}, 48*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}, p.Root.Cert, p.Root.Key.Public(), p.Root.Key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: p.Root.Key},
		tls.Certificate{Certificate: [][]byte{ec.Raw}, PrivateKey: ecKey}, roots
}

const channelBindingLabel = "EXPORTER-Channel-Binding" // RFC 9266

// tlsResult is what one side of a handshake saw.
type tlsResult struct {
	state   tls.ConnectionState
	binding []byte
	err     error
}

func handshake(c *tls.Conn) tlsResult {
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if err := c.Handshake(); err != nil {
		return tlsResult{err: err}
	}
	st := c.ConnectionState()
	b, err := st.ExportKeyingMaterial(channelBindingLabel, nil, 32)
	return tlsResult{state: st, binding: b, err: err}
}

// dialGateway handshakes with a listener configured by TLSConfig(cert)
// using client, and returns both sides' results.
func dialGateway(t *testing.T, cert tls.Certificate, client *tls.Config) (server, cl tlsResult) {
	t.Helper()
	ln := tls.NewListener(listenLoopback(t), TLSConfig(cert))
	defer ln.Close()
	done := make(chan tlsResult, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- tlsResult{err: err}
			return
		}
		defer c.Close()
		done <- handshake(c.(*tls.Conn))
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := tls.Client(raw, client)
	cl = handshake(c)
	c.Close()
	return <-done, cl
}

// TestTLSConfigAEADOnly: the gateway's TLS accepts TLS 1.3 and TLS 1.2
// with ECDHE and an AEAD suite, and refuses CBC suites and RSA key exchange.
func TestTLSConfigAEADOnly(t *testing.T) {
	rsaCert, ecCert, roots := testServerCerts(t)
	for _, tc := range []struct {
		name  string
		cert  tls.Certificate
		max   uint16
		suite uint16 // 0: TLS 1.3
		ok    bool
	}{
		{"TLS 1.3 RSA", rsaCert, tls.VersionTLS13, 0, true},
		{"TLS 1.3 ECDSA", ecCert, tls.VersionTLS13, 0, true},
		{"ECDHE-RSA-AES128-GCM", rsaCert, tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, true},
		{"ECDHE-RSA-AES256-GCM", rsaCert, tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, true},
		{"ECDHE-RSA-CHACHA20", rsaCert, tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, true},
		{"ECDHE-ECDSA-AES128-GCM", ecCert, tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, true},
		{"ECDHE-ECDSA-CHACHA20", ecCert, tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, true},
		{"ECDHE-RSA-AES128-CBC-SHA", rsaCert, tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, false},
		{"ECDHE-RSA-AES256-CBC-SHA", rsaCert, tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, false},
		{"ECDHE-ECDSA-AES128-CBC-SHA", ecCert, tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, false},
		{"RSA-AES128-GCM (RSA key exchange)", rsaCert, tls.VersionTLS12, tls.TLS_RSA_WITH_AES_128_GCM_SHA256, false},
		{"TLS 1.1", rsaCert, tls.VersionTLS11, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client := &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS10, MaxVersion: tc.max}
			if tc.suite != 0 {
				client.CipherSuites = []uint16{tc.suite}
			}
			srv, cl := dialGateway(t, tc.cert, client)
			if !tc.ok {
				if cl.err == nil || srv.err == nil {
					t.Fatalf("handshake succeeded with %s", tls.CipherSuiteName(cl.state.CipherSuite))
				}
				// Refused for the offer, not for some other fault.
				if msg := srv.err.Error(); !strings.Contains(msg, "no cipher suite supported") && !strings.Contains(msg, "unsupported versions") {
					t.Fatalf("refused for another reason: server: %v; client: %v", srv.err, cl.err)
				}
				return
			}
			if cl.err != nil || srv.err != nil {
				t.Fatalf("client: %v; server: %v", cl.err, srv.err)
			}
			if cl.state.Version != tc.max || (tc.suite != 0 && cl.state.CipherSuite != tc.suite) {
				t.Fatalf("negotiated %s %s", tls.VersionName(cl.state.Version), tls.CipherSuiteName(cl.state.CipherSuite))
			}
		})
	}
}

// TestTLSConfigChannelBinding: the RFC 9266 tls-exporter channel binding
// works over TLS 1.2 (which needs the Extended Master Secret) and TLS 1.3
// to the gateway's configuration, and both ends get the same 32 bytes.
func TestTLSConfigChannelBinding(t *testing.T) {
	rsaCert, _, roots := testServerCerts(t)
	var seen [][]byte
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		srv, cl := dialGateway(t, rsaCert, &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", MaxVersion: v})
		if cl.err != nil || srv.err != nil {
			t.Fatalf("%s: client: %v; server: %v", tls.VersionName(v), cl.err, srv.err)
		}
		if cl.state.Version != v {
			t.Fatalf("negotiated %s, want %s", tls.VersionName(cl.state.Version), tls.VersionName(v))
		}
		if len(cl.binding) != 32 || !bytes.Equal(cl.binding, srv.binding) {
			t.Fatalf("%s: client binding %x, server binding %x", tls.VersionName(v), cl.binding, srv.binding)
		}
		for _, b := range seen {
			if bytes.Equal(b, cl.binding) {
				t.Fatal("two connections share a channel binding")
			}
		}
		seen = append(seen, cl.binding)
	}
}
