package certstore

// Fuzz targets for every parser of file contents. Seeds come from the
// fixtures in internal/testfixtures and from files built here, so `go test` runs them all;
// `go test -run '^$' -fuzz '^FuzzX$' ./certstore` explores further.
//
// Properties: no panic; every error is an *api.Error with a real code;
// bounded time (MaxIterations caps the key derivation a file can ask for);
// what parses is usable.

import (
	"bytes"
	"crypto"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"math/big"
	mrand "math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/internal/testfixtures"
)

// fzPassword is the password every fuzzed key file is tried with; the
// OpenSSL fixtures and the keys built below use it.
const fzPassword = "test1234"

// fzMaxIterations caps the key derivation a fuzzed file may ask for while
// fuzzing. The seeds that decrypt, made here with 1 or 16 iterations, stay
// under it, so every scheme's success path stays reachable; the real
// files' 1024 and 2048 are refused as counts above MaxIterations are, which
// fuzzes that path too (realfixture_test.go decrypts the real files). Under the production cap a mutated count
// near MaxIterations cost up to seconds per input, most in the PKCS#12 KDF.
// TestBadKeyFiles and TestBadPKCS12Iterations test the production cap.
const fzMaxIterations = 64

// fzCapIterations lowers the cap for one fuzz target (seed run included).
func fzCapIterations(f *testing.F) {
	old := iterationLimit
	iterationLimit = fzMaxIterations
	f.Cleanup(func() { iterationLimit = old })
}

// fzMaxTime bounds one call. MaxIterations of the slowest KDF here takes
// well under a second; an uncapped count (2^31) would take minutes.
const fzMaxTime = 10 * time.Second

func fzCheckErr(t *testing.T, what string, err error) {
	t.Helper()
	var ae *api.Error
	if !errors.As(err, &ae) {
		t.Fatalf("%s: error %T %q is not an *api.Error", what, err, err)
	}
	if c := api.CodeOf(err); c == api.CodeInternal || c == "" {
		t.Fatalf("%s: error %q has code %q", what, err, c)
	}
}

func fzCheckTime(t *testing.T, what string, start time.Time) {
	t.Helper()
	if el := time.Since(start); el > fzMaxTime {
		t.Fatalf("%s took %v", what, el)
	}
}

// fzRand is a deterministic source, so the seed corpus is the same on
// every run.
func fzRand() *mrand.ChaCha8 {
	return mrand.NewChaCha8([32]byte{'s', 'v', 'p', 'n', '-', 'f', 'u', 'z', 'z'})
}

// fzKeys returns small deterministic keys of every type a key file may
// hold, and the real yessign RSA key.
func fzKeys(tb testing.TB) []crypto.Signer {
	tb.Helper()
	edKey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	scalar := bytes.Repeat([]byte{0x11}, 32)
	ecKey, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), scalar)
	if err != nil {
		tb.Fatal(err)
	}
	real, err := ParsePKCS8(testfixtures.Read(tb, "npki-real", "signPri.plain.der"))
	if err != nil {
		tb.Fatal(err)
	}
	return []crypto.Signer{edKey, ecKey, real.Signer}
}

// fzMutations returns a few mutations of b: truncated, a flipped byte in
// the middle, a flipped last byte, doubled.
func fzMutations(b []byte) [][]byte {
	if len(b) == 0 {
		return nil
	}
	flip := func(i int) []byte {
		c := bytes.Clone(b)
		c[i] ^= 0x41
		return c
	}
	return [][]byte{b[:len(b)/2], b[:len(b)-1], flip(len(b) / 2), flip(len(b) - 1), append(bytes.Clone(b), b...)}
}

// fzWithIterations re-encodes a seedCBCWithSHA1 or PBES2 key file with
// another iteration count.
func fzWithIterations(tb testing.TB, der []byte, n int) []byte {
	tb.Helper()
	var epki encryptedPrivateKeyInfo
	if err := unmarshalStrict(der, &epki); err != nil {
		tb.Fatal(err)
	}
	marshal := func(v any) []byte {
		b, err := asn1.Marshal(v)
		if err != nil {
			tb.Fatal(err)
		}
		return b
	}
	if epki.Algo.Algorithm.Equal(oidPBES2) {
		var p pbes2Params
		var kp pbkdf2Params
		if err := unmarshalStrict(epki.Algo.Parameters.FullBytes, &p); err != nil {
			tb.Fatal(err)
		}
		if err := unmarshalStrict(p.KDF.Parameters.FullBytes, &kp); err != nil {
			tb.Fatal(err)
		}
		kp.Iterations = n
		p.KDF.Parameters = asn1.RawValue{FullBytes: marshal(kp)}
		epki.Algo.Parameters = asn1.RawValue{FullBytes: marshal(p)}
	} else {
		var p legacyParams
		if err := unmarshalStrict(epki.Algo.Parameters.FullBytes, &p); err != nil {
			tb.Fatal(err)
		}
		p.Iterations = n
		epki.Algo.Parameters = asn1.RawValue{FullBytes: marshal(p)}
	}
	return marshal(epki)
}

// fzOldSEEDKey builds a key in the oldest KISA form: algorithm seedCBC
// itself with PBKDF1 parameters and the fixed IV.
func fzOldSEEDKey(tb testing.TB, plain []byte, iterations int) []byte {
	tb.Helper()
	params, err := asn1.Marshal(legacyParams{Salt: []byte("saltsalt"), Iterations: iterations})
	if err != nil {
		tb.Fatal(err)
	}
	alg := pkix.AlgorithmIdentifier{Algorithm: oidSEEDCBC, Parameters: asn1.RawValue{FullBytes: params}}
	block, iv, err := keyCipher(alg, []byte(fzPassword))
	if err != nil {
		tb.Fatal(err)
	}
	data := pad(plain, block.BlockSize())
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(data, data)
	der, err := asn1.Marshal(encryptedPrivateKeyInfo{Algo: alg, EncryptedData: data})
	if err != nil {
		tb.Fatal(err)
	}
	return der
}

func FuzzDecryptPrivateKey(f *testing.F) {
	fzCapIterations(f)
	real := testfixtures.Read(f, "npki-real", "signPri.key")
	seeds := [][]byte{real}
	for _, name := range []string{"seed-cbc-hmacsha1.key", "seed-cbc-hmacsha256.key", "aria128-cbc-hmacsha256.key"} {
		k := testfixtures.Read(f, "pbes2-openssl", name)
		seeds = append(seeds, k, fzWithIterations(f, k, 1))
		seeds = append(seeds, fzMutations(k)...)
	}
	seeds = append(seeds, fzWithIterations(f, real, 1), fzWithIterations(f, real, MaxIterations+1))
	seeds = append(seeds, fzMutations(real)...)
	// Small keys that decrypt with fzPassword in every scheme, with one
	// iteration so the fuzzer spends its time on parsing.
	r := fzRand()
	for _, key := range fzKeys(f)[:2] {
		plain, err := MarshalPKCS8(key, bytes.Repeat([]byte{0xAB}, 20))
		if err != nil {
			f.Fatal(err)
		}
		for _, s := range []Scheme{SchemeSEEDLegacy, SchemePBES2SEED, SchemePBES2ARIA128, SchemePBES2AES256, SchemePBES2SEEDSHA1} {
			enc, err := EncryptPrivateKey(r, plain, []byte(fzPassword), s, 1)
			if err != nil {
				f.Fatal(err)
			}
			seeds = append(seeds, enc)
		}
		seeds = append(seeds, fzOldSEEDKey(f, plain, 1))
	}
	for _, s := range seeds {
		f.Add(s)
	}

	f.Fuzz(func(t *testing.T, der []byte) {
		start := time.Now()
		k, err := DecryptPrivateKey(der, []byte(fzPassword))
		fzCheckTime(t, "DecryptPrivateKey", start)
		if err != nil {
			fzCheckErr(t, "DecryptPrivateKey", err)
			if k != nil {
				t.Fatal("a key returned with an error")
			}
			return
		}
		if k == nil || k.Signer == nil || len(k.PKCS8) == 0 {
			t.Fatalf("no error but key %+v", k)
		}
		if !KeyMatches(k.Signer, k.Signer.Public()) {
			t.Fatalf("a %T key does not match its own public key", k.Signer)
		}
	})
}

func FuzzParsePKCS8(f *testing.F) {
	f.Add(testfixtures.Read(f, "npki-real", "signPri.plain.der"))
	f.Add(testfixtures.Read(f, "pbes2-openssl", "plain-pkcs8.der")) // PKCS#1 in fact
	for i, key := range fzKeys(f) {
		for _, random := range [][]byte{nil, bytes.Repeat([]byte{byte(i + 1)}, 20)} {
			der, err := MarshalPKCS8(key, random)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(der)
			for _, m := range fzMutations(der) {
				f.Add(m)
			}
		}
	}

	f.Fuzz(func(t *testing.T, der []byte) {
		start := time.Now()
		k, err := ParsePKCS8(der)
		fzCheckTime(t, "ParsePKCS8", start)
		if err != nil {
			fzCheckErr(t, "ParsePKCS8", err)
			return
		}
		if k.Signer == nil || !bytes.Equal(k.PKCS8, der) {
			t.Fatal("parsed key lacks its signer or its encoding")
		}
		if !KeyMatches(k.Signer, k.Signer.Public()) {
			t.Fatalf("a %T key does not match its own public key", k.Signer)
		}
		// What parses can be written back (as Import does) and reads the same.
		again, err := MarshalPKCS8(k.Signer, k.Random)
		if err != nil {
			t.Fatalf("MarshalPKCS8 of a parsed %T key: %v", k.Signer, err)
		}
		k2, err := ParsePKCS8(again)
		if err != nil {
			t.Fatalf("re-encoded key does not parse: %v", err)
		}
		if !bytes.Equal(k2.Random, k.Random) || !KeyMatches(k2.Signer, k.Signer.Public()) {
			t.Fatal("re-encoded key differs")
		}
	})
}

// fzCertificates builds certificates exercising the describing code: a
// KISA identity extension, Korean names, a GPKI-style CN, an odd issuer O,
// an empty RDN.
func fzCertificates(tb testing.TB) [][]byte {
	tb.Helper()
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize))
	san, err := MarshalIdentifyData("홍길동", "800101-1234567", bytes.Repeat([]byte{1}, 20), crypto.SHA256)
	if err != nil {
		tb.Fatal(err)
	}
	emptyRDN, err := asn1.Marshal([]asn1.RawValue{{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true}})
	if err != nil {
		tb.Fatal(err)
	}
	notBefore := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	templates := []*x509.Certificate{
		{
			Subject:         pkix.Name{CommonName: "홍길동()0012345678901234", OrganizationalUnit: []string{"personal4IB", "INITECH"}, Organization: []string{"yessign"}, Country: []string{"kr"}},
			Issuer:          pkix.Name{CommonName: "yessignCA Class 2", Organization: []string{"yessign"}, Country: []string{"kr"}},
			Policies:        []x509.OID{mustOID(tb, "1.2.410.200005.1.1.1")},
			ExtraExtensions: []pkix.Extension{{Id: oidSubjectAltName, Value: san}},
		},
		{
			Subject:  pkix.Name{CommonName: "(주)한국상사()0012345678901234", Organization: []string{"SignKorea"}},
			Issuer:   pkix.Name{Organization: []string{"SignKorea"}},
			Policies: []x509.OID{mustOID(tb, "1.2.410.200004.5.1.1.7")},
		},
		{
			Subject: pkix.Name{CommonName: "홍길동001", OrganizationalUnit: []string{"행정안전부"}, Organization: []string{"Government of Korea"}},
			Issuer:  pkix.Name{CommonName: "CA134100031", Organization: []string{"Government of Korea"}},
		},
		{
			Subject: pkix.Name{CommonName: " ", Organization: []string{". "}},
			Issuer:  pkix.Name{Organization: []string{"..."}},
		},
		{RawSubject: emptyRDN, Issuer: pkix.Name{CommonName: "/\\:*?\"<>|"}},
	}
	var out [][]byte
	for i, tmpl := range templates {
		tmpl.SerialNumber = big.NewInt(int64(0x459c75 + i))
		tmpl.NotBefore = notBefore
		tmpl.NotAfter = notBefore.AddDate(1, 0, 0)
		der, err := x509.CreateCertificate(fzRand(), tmpl, tmpl, key.Public(), key)
		if err != nil {
			tb.Fatalf("template %d: %v", i, err)
		}
		out = append(out, der)
	}
	return out
}

func mustOID(tb testing.TB, s string) x509.OID {
	tb.Helper()
	o, err := x509.ParseOID(s)
	if err != nil {
		tb.Fatal(err)
	}
	return o
}

// fzSafeName fails unless name can be one path element of a folder.
func fzSafeName(t *testing.T, what, name string) {
	t.Helper()
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") || filepath.Base(name) != name {
		t.Fatalf("%s %q is not a usable folder name", what, name)
	}
}

func FuzzParseCertificate(f *testing.F) {
	real := testfixtures.Read(f, "npki-real", "signCert.der")
	f.Add(real)
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: real}))
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: real}))
	for _, m := range fzMutations(real) {
		f.Add(m)
	}
	for _, c := range fzCertificates(f) {
		f.Add(c)
	}

	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := ParseCertificate(data)
		if err != nil {
			fzCheckErr(t, "ParseCertificate", err)
			return
		}
		c := &Certificate{X509: x, Kind: KindNPKI, Location: LocationFile, Path: "signCert.der", KeyPath: "signPri.key"}
		in := c.Info(now)
		if in.Serial == "" || in.NotAfter.IsZero() {
			t.Fatalf("info %+v", in)
		}
		_ = DisplayName(x)
		_ = SubjectString(x)
		fzSafeName(t, "NPKIFolderName", NPKIFolderName(x))
		fzSafeName(t, "CA folder", npkiCAFolder(x))
		id, err := ParseIdentifyData(x)
		if err != nil {
			fzCheckErr(t, "ParseIdentifyData", err)
		} else if id == nil {
			t.Fatal("ParseIdentifyData: nil without an error")
		}
		if err := VerifyVID(x, bytes.Repeat([]byte{1}, 20), "8001011234567"); err != nil {
			fzCheckErr(t, "VerifyVID", err)
		}
	})
}

// fzPKCS12Seeds returns PKCS#12 files of the real certificate and key, in
// every form go-pkcs12 writes, all with the real password.
func fzPKCS12Seeds(tb testing.TB) [][]byte {
	tb.Helper()
	pfx := testfixtures.Read(tb, "npki-real", "cert.pfx")
	x, err := ParseCertificate(testfixtures.Read(tb, "npki-real", "signCert.der"))
	if err != nil {
		tb.Fatal(err)
	}
	key := fzKeys(tb)[2].(*rsa.PrivateKey)
	seeds := [][]byte{pfx}
	seeds = append(seeds, fzMutations(pfx)...)
	for _, enc := range []*pkcs12.Encoder{pkcs12.Passwordless, pkcs12.LegacyRC2, pkcs12.LegacyDES, pkcs12.Modern2023, pkcs12.Modern2026} {
		pw := realPassword
		if enc == pkcs12.Passwordless {
			pw = ""
		}
		b, err := enc.WithRand(fzRand()).WithIterations(16).Encode(key, x, nil, pw)
		if err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	ts, err := pkcs12.Modern2023.WithRand(fzRand()).EncodeTrustStore([]*x509.Certificate{x}, realPassword)
	if err != nil {
		tb.Fatal(err)
	}
	// Crafted to demand 2^31 iterations of the MAC, or of a key bag in a
	// file without a MAC (opened with the empty password).
	hugeMAC := biPFX(tb, func(m *biMacData) bool { m.Iterations = 1 << 31; return true }, nil)
	hugeBag := biPFX(tb, func(*biMacData) bool { return false }, func(p *legacyParams) { p.Iterations = 1 << 31 })
	return append(seeds, ts, hugeMAC, hugeBag)
}

func FuzzPeekPKCS12(f *testing.F) {
	fzCapIterations(f)
	for _, s := range fzPKCS12Seeds(f) {
		f.Add(s)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		x, err := peekPKCS12Certificate(data)
		fzCheckTime(t, "peekPKCS12Certificate", start)
		if err != nil {
			fzCheckErr(t, "peekPKCS12Certificate", withPath("x.pfx", err))
			return
		}
		if x == nil {
			t.Fatal("no certificate and no error")
		}
		_ = (&Certificate{X509: x, Kind: KindPKCS12}).Info(now)
	})
}

// FuzzDecodePKCS12 opens PKCS#12 files with their password, as Unlock,
// LoadPKCS12 and ImportPKCS12 do.
func FuzzDecodePKCS12(f *testing.F) {
	fzCapIterations(f)
	for _, s := range fzPKCS12Seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, pw := range []string{realPassword, ""} {
			start := time.Now()
			key, x, err := decodePKCS12(data, pw)
			fzCheckTime(t, "decodePKCS12", start)
			if err != nil {
				fzCheckErr(t, "decodePKCS12", err)
				continue
			}
			if key == nil || x == nil {
				t.Fatalf("decodePKCS12: key %v, certificate %v, no error", key, x)
			}
			_ = KeyMatches(key, x.PublicKey) // as LoadPKCS12 does
		}
	})
}

// fzIdentifyDataSeeds returns the inner IdentifyData of the real
// certificate and of generated ones.
func fzIdentifyDataSeeds(tb testing.TB) [][]byte {
	tb.Helper()
	inner := func(sanValue []byte) []byte {
		var names []asn1.RawValue
		if err := unmarshalStrict(sanValue, &names); err != nil {
			tb.Fatal(err)
		}
		for _, n := range names {
			var on otherName
			if _, err := asn1.UnmarshalWithParams(n.FullBytes, &on, "tag:0"); err == nil && on.TypeID.Equal(oidKISAIdentifyData) {
				return on.Value.Bytes
			}
		}
		tb.Fatal("no identify data")
		return nil
	}
	var seeds [][]byte
	x, err := ParseCertificate(testfixtures.Read(tb, "npki-real", "signCert.der"))
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range x.Extensions {
		if e.Id.Equal(oidSubjectAltName) {
			seeds = append(seeds, inner(e.Value))
		}
	}
	if len(seeds) != 1 {
		tb.Fatal("the real certificate has no subjectAltName")
	}
	for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256, crypto.SHA512} {
		v, err := MarshalIdentifyData("홍길동", "8001011234567", bytes.Repeat([]byte{2}, 20), h)
		if err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, inner(v))
	}
	// No hash algorithm (SHA-1 implied), no VID, an unknown hash.
	noHash, _ := asn1.Marshal(identifyData{RealName: "HKD", UserInfos: []userInfo{{IDType: oidKISAVID, IDValue: vidValue{VirtualID: bytes.Repeat([]byte{3}, 20)}}}})
	noVID, _ := asn1.Marshal(identifyData{RealName: "HKD"})
	unknown, _ := asn1.Marshal(identifyData{RealName: "HKD", UserInfos: []userInfo{{IDType: oidKISAVID, IDValue: vidValue{HashAlg: pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 3}}, VirtualID: []byte{1}}}}})
	return append(seeds, noHash, noVID, unknown)
}

func FuzzIdentifyData(f *testing.F) {
	for _, s := range fzIdentifyDataSeeds(f) {
		f.Add(s)
		for _, m := range fzMutations(s) {
			f.Add(m)
		}
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		id, err := decodeIdentifyData(der)
		if err != nil {
			fzCheckErr(t, "decodeIdentifyData", err)
			return
		}
		if id == nil {
			t.Fatal("nil without an error")
		}
		if len(id.VID) > 0 {
			if !id.Hash.Available() {
				t.Fatalf("VID with unusable hash %v", id.Hash)
			}
			if _, err := ComputeVID(id.Hash, "8001011234567", []byte{1, 2, 3}); err != nil {
				fzCheckErr(t, "ComputeVID", err)
			}
		}
	})
}
