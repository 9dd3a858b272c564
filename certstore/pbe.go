package certstore

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"hash"
	"io"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore/aria"
	"github.com/opensvpn/svpn/certstore/seed"
)

// MaxIterations caps the key-derivation work a key file may demand. Real
// NPKI and OpenSSL files use 2048; the cap keeps a crafted file from pinning
// a CPU for minutes.
const MaxIterations = 1_000_000

// iterationLimit is the cap checkIterations applies: MaxIterations, lowered
// only by the fuzz harnesses (fuzz_test.go) so that the fuzzer spends its
// time on the parsers rather than in key derivation.
var iterationLimit = MaxIterations

// maxPasswordLen bounds the password; PBKDF1 hashes it once, but there is no
// reason to accept megabytes.
const maxPasswordLen = 1024

// maxKeyFileLen bounds what is read from a key or certificate file: an RSA
// 4096 key is under 3 KiB, a PKCS#12 with a chain under 20 KiB.
const maxKeyFileLen = 1 << 20

type encryptedPrivateKeyInfo struct {
	Algo          pkix.AlgorithmIdentifier
	EncryptedData []byte
}

// legacyParams are the parameters of the KISA PBES1-style schemes.
type legacyParams struct {
	Salt       []byte
	Iterations int
}

type pbes2Params struct {
	KDF    pkix.AlgorithmIdentifier
	Scheme pkix.AlgorithmIdentifier
}

type pbkdf2Params struct {
	Salt       []byte
	Iterations int
	KeyLength  int                      `asn1:"optional"`
	PRF        pkix.AlgorithmIdentifier `asn1:"optional"`
}

// unmarshalStrict parses DER and refuses trailing bytes.
func unmarshalStrict(der []byte, v any) error {
	rest, err := asn1.Unmarshal(der, v)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return fmt.Errorf("%d trailing bytes", len(rest))
	}
	return nil
}

// decryptPKCS8 decrypts an EncryptedPrivateKeyInfo to the PKCS#8 bytes it
// holds. It checks the padding but not the key; callers parse the result and
// compare it with the certificate.
func decryptPKCS8(der, password []byte) ([]byte, error) {
	if len(password) > maxPasswordLen {
		return nil, errPasswordTooLong
	}
	var epki encryptedPrivateKeyInfo
	if err := unmarshalStrict(der, &epki); err != nil {
		return nil, api.Errorf(api.CodeCertCorrupt, "not an encrypted private key: %w", err)
	}
	block, iv, err := keyCipher(epki.Algo, password)
	if err != nil {
		return nil, err
	}
	data := epki.EncryptedData
	bs := block.BlockSize()
	if len(data) == 0 || len(data)%bs != 0 {
		return nil, api.Errorf(api.CodeCertCorrupt, "encrypted key is %d bytes, not a multiple of the %d-byte block", len(data), bs)
	}
	plain := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, data)
	out, ok := unpad(plain, bs)
	if !ok {
		return nil, api.Errorf(api.CodeCertPasswordWrong, "the certificate password is wrong")
	}
	return out, nil
}

// unpad removes PKCS#7 padding, looking at every padding byte.
func unpad(b []byte, bs int) ([]byte, bool) {
	n := int(b[len(b)-1])
	if n == 0 || n > bs || n > len(b) {
		return nil, false
	}
	pad := b[len(b)-n:]
	want := bytes.Repeat([]byte{byte(n)}, n)
	if subtle.ConstantTimeCompare(pad, want) != 1 {
		return nil, false
	}
	return b[:len(b)-n], true
}

func pad(b []byte, bs int) []byte {
	n := bs - len(b)%bs
	out := make([]byte, len(b), len(b)+n)
	copy(out, b)
	return append(out, bytes.Repeat([]byte{byte(n)}, n)...)
}

// keyCipher derives the block cipher and IV for an encryption algorithm.
func keyCipher(alg pkix.AlgorithmIdentifier, password []byte) (cipher.Block, []byte, error) {
	switch {
	case alg.Algorithm.Equal(oidSEEDCBCWithSHA1), alg.Algorithm.Equal(oidSEEDCBC):
		var p legacyParams
		if err := unmarshalStrict(alg.Parameters.FullBytes, &p); err != nil {
			return nil, nil, api.Errorf(api.CodeCertCorrupt, "bad parameters for %v: %w", alg.Algorithm, err)
		}
		if err := checkIterations(p.Iterations); err != nil {
			return nil, nil, err
		}
		if len(p.Salt) == 0 || len(p.Salt) > 64 {
			return nil, nil, api.Errorf(api.CodeCertCorrupt, "salt of %d bytes", len(p.Salt))
		}
		dk := pbkdf1SHA1(password, p.Salt, p.Iterations)
		var iv []byte
		if alg.Algorithm.Equal(oidSEEDCBCWithSHA1) {
			h := sha1.Sum(dk[16:20])
			iv = h[:16]
		} else {
			iv = []byte("0123456789012345")
		}
		block, err := seed.NewCipher(dk[:16])
		return block, iv, err
	case alg.Algorithm.Equal(oidPBES2):
		return pbes2Cipher(alg, password)
	}
	return nil, nil, api.Errorf(api.CodeCertUnsupported, "key encryption algorithm %v", alg.Algorithm)
}

// pbkdf1SHA1 is PBKDF1 (RFC 8018 section 5.1) with SHA-1 and a 20-byte
// output: T1 = SHA1(P || S), Ti = SHA1(Ti-1). Not in the standard library,
// and KISA's legacy scheme needs all 20 bytes.
func pbkdf1SHA1(password, salt []byte, iterations int) []byte {
	h := sha1.New()
	h.Write(password)
	h.Write(salt)
	var t [sha1.Size]byte
	h.Sum(t[:0])
	for i := 1; i < iterations; i++ {
		t = sha1.Sum(t[:])
	}
	return t[:]
}

func checkIterations(n int) error {
	if n < 1 || n > iterationLimit {
		return api.Errorf(api.CodeCertParamsRejected, "iteration count %d outside 1..%d", n, iterationLimit)
	}
	return nil
}

// cbcCipher describes a CBC encryption scheme usable inside PBES2.
type cbcCipher struct {
	oid    asn1.ObjectIdentifier
	keyLen int
	ivLen  int
	newFn  func(key []byte) (cipher.Block, error)
}

var pbes2Ciphers = []cbcCipher{
	{oidSEEDCBC, 16, 16, seed.NewCipher},
	{oidARIA128CBC, 16, 16, aria.NewCipher},
	{oidARIA192CBC, 24, 16, aria.NewCipher},
	{oidARIA256CBC, 32, 16, aria.NewCipher},
	{oidAES128CBC, 16, 16, aes.NewCipher},
	{oidAES192CBC, 24, 16, aes.NewCipher},
	{oidAES256CBC, 32, 16, aes.NewCipher},
	{oidDESEDE3CBC, 24, 8, des.NewTripleDESCipher},
}

func pbes2CipherByOID(oid asn1.ObjectIdentifier) (cbcCipher, bool) {
	for _, c := range pbes2Ciphers {
		if c.oid.Equal(oid) {
			return c, true
		}
	}
	return cbcCipher{}, false
}

var prfs = []struct {
	oid asn1.ObjectIdentifier
	h   func() hash.Hash
}{
	{oidHMACWithSHA1, sha1.New},
	{oidHMACWithSHA224, sha256.New224},
	{oidHMACWithSHA256, sha256.New},
	{oidHMACWithSHA384, sha512.New384},
	{oidHMACWithSHA512, sha512.New},
}

func pbes2Cipher(alg pkix.AlgorithmIdentifier, password []byte) (cipher.Block, []byte, error) {
	var p pbes2Params
	if err := unmarshalStrict(alg.Parameters.FullBytes, &p); err != nil {
		return nil, nil, api.Errorf(api.CodeCertCorrupt, "bad PBES2 parameters: %w", err)
	}
	if !p.KDF.Algorithm.Equal(oidPBKDF2) {
		return nil, nil, api.Errorf(api.CodeCertUnsupported, "PBES2 key derivation %v", p.KDF.Algorithm)
	}
	var kp pbkdf2Params
	if err := unmarshalStrict(p.KDF.Parameters.FullBytes, &kp); err != nil {
		return nil, nil, api.Errorf(api.CodeCertCorrupt, "bad PBKDF2 parameters: %w", err)
	}
	if err := checkIterations(kp.Iterations); err != nil {
		return nil, nil, err
	}
	if len(kp.Salt) == 0 || len(kp.Salt) > 64 {
		return nil, nil, api.Errorf(api.CodeCertCorrupt, "salt of %d bytes", len(kp.Salt))
	}
	prf := sha1.New // RFC 8018: hmacWithSHA1 when the field is absent
	if len(kp.PRF.Algorithm) > 0 {
		prf = nil
		for _, c := range prfs {
			if c.oid.Equal(kp.PRF.Algorithm) {
				prf = c.h
			}
		}
		if prf == nil {
			return nil, nil, api.Errorf(api.CodeCertUnsupported, "PBKDF2 PRF %v", kp.PRF.Algorithm)
		}
	}
	c, ok := pbes2CipherByOID(p.Scheme.Algorithm)
	if !ok {
		return nil, nil, api.Errorf(api.CodeCertUnsupported, "PBES2 cipher %v", p.Scheme.Algorithm)
	}
	if kp.KeyLength != 0 && kp.KeyLength != c.keyLen {
		return nil, nil, api.Errorf(api.CodeCertCorrupt, "PBKDF2 key length %d for a %d-byte cipher key", kp.KeyLength, c.keyLen)
	}
	var iv []byte
	if err := unmarshalStrict(p.Scheme.Parameters.FullBytes, &iv); err != nil {
		return nil, nil, api.Errorf(api.CodeCertCorrupt, "bad IV: %w", err)
	}
	if len(iv) != c.ivLen {
		return nil, nil, api.Errorf(api.CodeCertCorrupt, "IV of %d bytes, want %d", len(iv), c.ivLen)
	}
	key, err := pbkdf2.Key(prf, string(password), kp.Salt, kp.Iterations, c.keyLen)
	if err != nil {
		return nil, nil, api.Errorf(api.CodeCertParamsRejected, "PBKDF2: %w", err)
	}
	block, err := c.newFn(key)
	if err != nil {
		return nil, nil, api.Errorf(api.CodeCertCorrupt, "cipher key: %w", err)
	}
	return block, iv, nil
}

// Scheme selects how EncryptPrivateKey protects a key.
type Scheme int

const (
	// SchemeSEEDLegacy is KISA's seedCBCWithSHA1 (1.2.410.200004.1.15), the
	// form every NPKI product reads (test fixtures use it; ImportPKCS12
	// writes SchemePBES2SEED).
	SchemeSEEDLegacy Scheme = iota
	// SchemePBES2SEED is PBES2 with PBKDF2-HMAC-SHA256 and SEED-CBC, the
	// form of keys renewed since about 2019.
	SchemePBES2SEED
	// SchemePBES2ARIA128 is PBES2 with PBKDF2-HMAC-SHA256 and ARIA-128-CBC.
	SchemePBES2ARIA128
	// SchemePBES2AES256 is PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC.
	SchemePBES2AES256
	// SchemePBES2SEEDSHA1 is PBES2 with PBKDF2-HMAC-SHA1 (PRF field absent)
	// and SEED-CBC, as OpenSSL writes with -v2prf hmacWithSHA1.
	SchemePBES2SEEDSHA1
)

// DefaultIterations is what NPKI products and OpenSSL use.
const DefaultIterations = 2048

// EncryptPrivateKey encrypts PKCS#8 bytes into an EncryptedPrivateKeyInfo in
// the given scheme, with a fresh salt (and IV) from rand.
func EncryptPrivateKey(rand io.Reader, pkcs8, password []byte, scheme Scheme, iterations int) ([]byte, error) {
	if iterations == 0 {
		iterations = DefaultIterations
	}
	if err := checkIterations(iterations); err != nil {
		return nil, err
	}
	if len(password) > maxPasswordLen {
		return nil, errPasswordTooLong
	}
	salt := make([]byte, 8)
	if _, err := io.ReadFull(rand, salt); err != nil {
		return nil, err
	}
	var (
		alg   pkix.AlgorithmIdentifier
		block cipher.Block
		iv    []byte
		err   error
	)
	if scheme == SchemeSEEDLegacy {
		params, err := asn1.Marshal(legacyParams{Salt: salt, Iterations: iterations})
		if err != nil {
			return nil, err
		}
		alg = pkix.AlgorithmIdentifier{Algorithm: oidSEEDCBCWithSHA1, Parameters: asn1.RawValue{FullBytes: params}}
		block, iv, err = keyCipher(alg, password)
		if err != nil {
			return nil, err
		}
	} else {
		alg, err = pbes2Algorithm(rand, scheme, salt, iterations)
		if err != nil {
			return nil, err
		}
		block, iv, err = pbes2Cipher(alg, password)
		if err != nil {
			return nil, err
		}
	}
	data := pad(pkcs8, block.BlockSize())
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(data, data)
	return asn1.Marshal(encryptedPrivateKeyInfo{Algo: alg, EncryptedData: data})
}

func pbes2Algorithm(rand io.Reader, scheme Scheme, salt []byte, iterations int) (pkix.AlgorithmIdentifier, error) {
	var cipherOID asn1.ObjectIdentifier
	prf := pkix.AlgorithmIdentifier{Algorithm: oidHMACWithSHA256, Parameters: asn1.NullRawValue}
	switch scheme {
	case SchemePBES2SEED:
		cipherOID = oidSEEDCBC
	case SchemePBES2SEEDSHA1:
		cipherOID = oidSEEDCBC
		prf = pkix.AlgorithmIdentifier{}
	case SchemePBES2ARIA128:
		cipherOID = oidARIA128CBC
	case SchemePBES2AES256:
		cipherOID = oidAES256CBC
	default:
		return pkix.AlgorithmIdentifier{}, fmt.Errorf("certstore: unknown scheme %d", scheme)
	}
	c, _ := pbes2CipherByOID(cipherOID)
	iv := make([]byte, c.ivLen)
	if _, err := io.ReadFull(rand, iv); err != nil {
		return pkix.AlgorithmIdentifier{}, err
	}
	kdfParams, err := asn1.Marshal(pbkdf2Params{Salt: salt, Iterations: iterations, PRF: prf})
	if err != nil {
		return pkix.AlgorithmIdentifier{}, err
	}
	ivDER, err := asn1.Marshal(iv)
	if err != nil {
		return pkix.AlgorithmIdentifier{}, err
	}
	params, err := asn1.Marshal(pbes2Params{
		KDF:    pkix.AlgorithmIdentifier{Algorithm: oidPBKDF2, Parameters: asn1.RawValue{FullBytes: kdfParams}},
		Scheme: pkix.AlgorithmIdentifier{Algorithm: cipherOID, Parameters: asn1.RawValue{FullBytes: ivDER}},
	})
	if err != nil {
		return pkix.AlgorithmIdentifier{}, err
	}
	return pkix.AlgorithmIdentifier{Algorithm: oidPBES2, Parameters: asn1.RawValue{FullBytes: params}}, nil
}
