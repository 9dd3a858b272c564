package gateway

import "crypto/tls"

// aeadSuites are the TLS 1.2 cipher suites the gateway accepts: ECDHE key
// exchange with AES-GCM or ChaCha20-Poly1305 only, no CBC and no RSA key
// exchange. TLS 1.3 suites are all AEAD and not configurable.
var aeadSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// TLSConfig is the TLS configuration of every gateway listener: TLS 1.3,
// and TLS 1.2 with the AEAD suites above. Logins are bound to the TLS
// connection with the RFC 9266 tls-exporter
// (ConnectionState.ExportKeyingMaterial("EXPORTER-Channel-Binding", nil, 32)),
// which TLS 1.2 allows only with the Extended Master Secret (RFC 7627):
// crypto/tls negotiates it whenever the client offers it and has no switch
// to turn it off, and nothing here may add one. Each call returns a new
// config the caller may change.
func TLSConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		CipherSuites: aeadSuites,
	}
}
