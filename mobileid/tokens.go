package mobileid

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Credential is the employee ID credential (VC-JWT): the issuer signs that
// the holder DID (sub) is the employee whose claims are in VC.Subject.
// Claims.ID is the credential's serial (hex), which revocation names.
type Credential struct {
	jwt.Claims
	VC CredentialBody `json:"vc"`
}

// CredentialBody is the W3C VC data model part.
type CredentialBody struct {
	Context []string          `json:"@context"`
	Type    []string          `json:"type"`
	Subject map[string]string `json:"credentialSubject"`
}

// CredentialType names the employee ID among a wallet's credentials.
const CredentialType = "GovernmentEmployeeID"

// Presentation is the holder's answer (VP-JWT): signed by the holder's
// key, for the verifier (aud), over the profile's nonce, with the short
// code the holder confirmed matched the PC's.
type Presentation struct {
	jwt.Claims
	Nonce     string           `json:"nonce"`
	ShortCode string           `json:"short_code"`
	VP        PresentationBody `json:"vp"`
}

// PresentationBody is the W3C VP data model part.
type PresentationBody struct {
	Context     []string `json:"@context"`
	Type        []string `json:"type"`
	Credentials []string `json:"verifiableCredential"`
}

// Profile is the verifier's M310 profile: who asks (iss, name), the nonce
// the holder signs, what it asks for, where to answer, and the PC's short
// code. It is signed by the verifier's key, which its header carries.
type Profile struct {
	jwt.Claims
	VerifierName string   `json:"verifier_name"`
	TrxCode      string   `json:"trxcode"`
	Nonce        string   `json:"nonce"`
	ShortCode    string   `json:"short_code"`
	Requested    []string `json:"requested"` // credential subject claims asked for
	Callback     string   `json:"callback"`  // where M400 and M900 go (an https URL of the same origin)
	Decline      string   `json:"decline"`
}

var vcContext = []string{"https://www.w3.org/2018/credentials/v1"}

func sign(key crypto.Signer, alg jose.SignatureAlgorithm, kid string, embed bool, claims any) (string, error) {
	opts := (&jose.SignerOptions{EmbedJWK: embed}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		return "", err
	}
	return jwt.Signed(s).Claims(claims).Serialize()
}

// NewSerial returns a random credential serial.
func NewSerial() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// IssueOptions describe a credential to issue.
type IssueOptions struct {
	IssuerDID string
	HolderDID string
	Serial    string            // hex; NewSerial when empty
	Subject   map[string]string // e.g. employee_id, name, organization
	NotBefore time.Time
	NotAfter  time.Time
}

// Issue signs a credential with the issuer's P-256 key.
func Issue(issuer *ecdsa.PrivateKey, o IssueOptions) (string, error) {
	if o.Serial == "" {
		o.Serial = NewSerial()
	}
	subject := map[string]string{"id": o.HolderDID}
	for k, v := range o.Subject {
		subject[k] = v
	}
	c := Credential{
		Claims: jwt.Claims{Issuer: o.IssuerDID, Subject: o.HolderDID, ID: o.Serial,
			NotBefore: jwt.NewNumericDate(o.NotBefore), Expiry: jwt.NewNumericDate(o.NotAfter), IssuedAt: jwt.NewNumericDate(o.NotBefore)},
		VC: CredentialBody{Context: vcContext, Type: []string{"VerifiableCredential", CredentialType}, Subject: subject},
	}
	return sign(issuer, jose.ES256, o.IssuerDID+"#key-1", false, c)
}

// presentationLifetime bounds how long a presentation is good: it answers
// one transaction, now.
const presentationLifetime = 2 * time.Minute

// Present signs a presentation of credential for the verifier's profile
// with the holder's key.
func Present(holder *ecdsa.PrivateKey, credential string, p *Profile, now time.Time) (string, error) {
	did, err := HolderDID(&holder.PublicKey)
	if err != nil {
		return "", err
	}
	jti := make([]byte, 16)
	rand.Read(jti)
	vp := Presentation{
		Claims: jwt.Claims{Issuer: did, Audience: jwt.Audience{p.Issuer}, ID: hex.EncodeToString(jti),
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(presentationLifetime))},
		Nonce: p.Nonce, ShortCode: p.ShortCode,
		VP: PresentationBody{Context: vcContext, Type: []string{"VerifiablePresentation"}, Credentials: []string{credential}},
	}
	return sign(holder, jose.ES256, did, false, vp)
}

// SignProfile signs a profile with the verifier's Ed25519 key, embedding
// the public key (the service's key the phone is shown).
func SignProfile(key ed25519.PrivateKey, p *Profile) (string, error) {
	return sign(key, jose.EdDSA, "", true, p)
}

// maxTokenLen bounds any JWS read from a message.
const maxTokenLen = 16 << 10

// ParseProfile verifies a profile's signature with the key it embeds and
// returns it with that key. Whether the key is the verifier's is the
// caller's question (the phone reached it over TLS at the QR's host).
func ParseProfile(raw string) (*Profile, ed25519.PublicKey, error) {
	if len(raw) > maxTokenLen {
		return nil, nil, errors.New("mobileid: profile too long")
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		return nil, nil, fmt.Errorf("mobileid: profile: %w", err)
	}
	if len(tok.Headers) != 1 || tok.Headers[0].JSONWebKey == nil {
		return nil, nil, errors.New("mobileid: profile carries no key")
	}
	pub, ok := tok.Headers[0].JSONWebKey.Key.(ed25519.PublicKey)
	if !ok {
		return nil, nil, errors.New("mobileid: profile key is not Ed25519")
	}
	var p Profile
	if err := tok.Claims(pub, &p); err != nil {
		return nil, nil, fmt.Errorf("mobileid: profile signature: %w", err)
	}
	return &p, pub, nil
}

// ErrHolderSignature: a presentation's signature is not by the key its
// holder DID names.
var ErrHolderSignature = errors.New("mobileid: the presentation is not signed by its holder's key")

// ParsePresentation verifies the holder's signature: with the key of the
// did:jwk in iss, which the header's kid must also name. The claims'
// times, audience and nonce are the caller's to check.
func ParsePresentation(raw string) (*Presentation, error) {
	if len(raw) > maxTokenLen {
		return nil, errors.New("mobileid: presentation too long")
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return nil, fmt.Errorf("mobileid: presentation: %w", err)
	}
	var unverified Presentation
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil {
		return nil, fmt.Errorf("mobileid: presentation: %w", err)
	}
	key, err := HolderKey(unverified.Issuer)
	if err != nil {
		return nil, err
	}
	var p Presentation
	if err := tok.Claims(key, &p); err != nil {
		return nil, ErrHolderSignature
	}
	return &p, nil
}

// ErrIssuerUntrusted: the credential's issuer is not trusted, or its
// signature does not verify with the trusted key.
var ErrIssuerUntrusted = errors.New("mobileid: the credential's issuer is not trusted")

// ParseCredential verifies a credential's signature with the key trusted
// for its issuer (keyOf returns nil for an untrusted issuer). Times and
// status are the caller's to check.
func ParseCredential(raw string, keyOf func(issuer string) *ecdsa.PublicKey) (*Credential, error) {
	if len(raw) > maxTokenLen {
		return nil, errors.New("mobileid: credential too long")
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return nil, fmt.Errorf("mobileid: credential: %w", err)
	}
	var unverified Credential
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil {
		return nil, fmt.Errorf("mobileid: credential: %w", err)
	}
	key := keyOf(unverified.Issuer)
	if key == nil {
		return nil, ErrIssuerUntrusted
	}
	var c Credential
	if err := tok.Claims(key, &c); err != nil {
		return nil, ErrIssuerUntrusted
	}
	return &c, nil
}

// PeekCredential reads a credential without verifying it: for showing
// the holder what their wallet holds, never for deciding.
func PeekCredential(raw string) (*Credential, error) {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return nil, err
	}
	var c Credential
	if err := tok.UnsafeClaimsWithoutVerification(&c); err != nil {
		return nil, err
	}
	return &c, nil
}
