package certstore

// A certificate on a security token (보안토큰): its key never leaves the
// token and signs there through PKCS#11. certstore/token finds and uses
// them; Path is then the certificate's pkcs11: URI (RFC 7512).
const (
	LocationToken Location = "token"  // 보안토큰
	KindToken     Kind     = "pkcs11" // a certificate and key object on a PKCS#11 token
)
