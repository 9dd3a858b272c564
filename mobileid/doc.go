// Package mobileid holds the formats of the mobile employee ID (모바일
// 공무원증) login, modelled on the national mobile-ID verifier interface
// ("mip" SP interface) and W3C VC-JWT: the M200 request a QR carries, the
// M310 signed profile, the M400 verifiable presentation and the M900 error,
// the did:jwk holder keys, and the issuing and presenting of a credential.
// Both sides link it: the gateway verifies with it, the wallet simulator
// (cmd/svpn-wallet) and tests build with it. Everything is JWS (ES256 for
// holders and issuers, EdDSA for the verifier's profile) through
// github.com/go-jose/go-jose/v4.
package mobileid
