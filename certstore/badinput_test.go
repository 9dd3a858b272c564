package certstore

// Bad input of every kind a user's disk can hold: truncated and corrupt
// key files, unknown algorithms, absurd iteration counts, keys beside the
// wrong certificate, missing and oversized files, unreadable folders and a
// USB drive pulled out while the picker scans it. Every case must end in a
// typed error (never a panic, never a hang).

import (
	"context"
	crand "crypto/rand"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/internal/testfixtures"
)

// biTyped fails unless err is an *api.Error with a code other than internal.
func biTyped(t *testing.T, what string, err error) {
	t.Helper()
	var ae *api.Error
	if !errors.As(err, &ae) || api.CodeOf(err) == api.CodeInternal {
		t.Errorf("%s: error %T %v is not a typed *api.Error", what, err, err)
	}
}

// biWithin runs f and fails the test if it takes longer than d. f runs on
// its own goroutine so a runaway key derivation cannot hang the test.
func biWithin[T any](t *testing.T, d time.Duration, f func() (T, error)) (T, error) {
	t.Helper()
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	start := time.Now()
	go func() {
		v, err := f()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		if el := time.Since(start); el > d {
			t.Errorf("took %v, want under %v", el, d)
		}
		return r.v, r.err
	case <-time.After(d + 10*time.Second):
		t.Fatalf("did not return within %v", d+10*time.Second)
	}
	var zero T
	return zero, nil
}

// biLegacyKey re-encodes the real seedCBCWithSHA1 signPri.key after edit
// changes its algorithm or parameters.
func biLegacyKey(t *testing.T, edit func(alg *pkix.AlgorithmIdentifier, p *legacyParams, data *[]byte)) []byte {
	t.Helper()
	var epki encryptedPrivateKeyInfo
	if err := unmarshalStrict(testfixtures.Read(t, "npki-real", "signPri.key"), &epki); err != nil {
		t.Fatal(err)
	}
	var p legacyParams
	if err := unmarshalStrict(epki.Algo.Parameters.FullBytes, &p); err != nil {
		t.Fatal(err)
	}
	edit(&epki.Algo, &p, &epki.EncryptedData)
	params, err := asn1.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	epki.Algo.Parameters = asn1.RawValue{FullBytes: params}
	der, err := asn1.Marshal(epki)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// biPBES2Key re-encodes the OpenSSL PBES2 SEED key (password test1234)
// after edit changes its parameters.
func biPBES2Key(t *testing.T, edit func(p *pbes2Params, kp *pbkdf2Params, iv *[]byte)) []byte {
	t.Helper()
	var epki encryptedPrivateKeyInfo
	if err := unmarshalStrict(testfixtures.Read(t, "pbes2-openssl", "seed-cbc-hmacsha256.key"), &epki); err != nil {
		t.Fatal(err)
	}
	var p pbes2Params
	if err := unmarshalStrict(epki.Algo.Parameters.FullBytes, &p); err != nil {
		t.Fatal(err)
	}
	var kp pbkdf2Params
	if err := unmarshalStrict(p.KDF.Parameters.FullBytes, &kp); err != nil {
		t.Fatal(err)
	}
	var iv []byte
	if err := unmarshalStrict(p.Scheme.Parameters.FullBytes, &iv); err != nil {
		t.Fatal(err)
	}
	edit(&p, &kp, &iv)
	kdf, err := asn1.Marshal(kp)
	if err != nil {
		t.Fatal(err)
	}
	p.KDF.Parameters = asn1.RawValue{FullBytes: kdf}
	ivDER, err := asn1.Marshal(iv)
	if err != nil {
		t.Fatal(err)
	}
	p.Scheme.Parameters = asn1.RawValue{FullBytes: ivDER}
	params, err := asn1.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	epki.Algo.Parameters = asn1.RawValue{FullBytes: params}
	der, err := asn1.Marshal(epki)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestBadKeyFiles(t *testing.T) {
	real := testfixtures.Read(t, "npki-real", "signPri.key")
	pbes2 := testfixtures.Read(t, "pbes2-openssl", "seed-cbc-hmacsha256.key")
	plain := testfixtures.Read(t, "npki-real", "signPri.plain.der")
	cert := testfixtures.Read(t, "npki-real", "signCert.der")
	rng := mrand.New(mrand.NewPCG(1, 2))
	randomBytes := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	legacyIter := func(n int) []byte {
		return biLegacyKey(t, func(_ *pkix.AlgorithmIdentifier, p *legacyParams, _ *[]byte) { p.Iterations = n })
	}
	pbes2Iter := func(n int) []byte {
		return biPBES2Key(t, func(_ *pbes2Params, kp *pbkdf2Params, _ *[]byte) { kp.Iterations = n })
	}
	oidUnknown := asn1.ObjectIdentifier{1, 2, 3, 4, 5, 6, 7}

	type row struct {
		name     string
		der      []byte
		password string
		want     error         // nil: must decrypt
		fast     time.Duration // 0: 2 s
	}
	rows := []row{
		// Controls: the re-encoders are faithful.
		{"control legacy re-encoded", legacyIter(2048), realPassword, nil, 0},
		{"control pbes2 re-encoded", pbes2Iter(2048), "test1234", nil, 0},
		{"control legacy wrong password", real, "wrong", ErrWrongPassword, 0},

		{"empty", nil, realPassword, ErrCorrupt, 0},
		{"one zero byte", []byte{0}, realPassword, ErrCorrupt, 0},
		{"zeros", make([]byte, 1300), realPassword, ErrCorrupt, 0},
		{"0xff", []byte(strings.Repeat("\xff", 1300)), realPassword, ErrCorrupt, 0},
		{"random", randomBytes(1300), realPassword, ErrCorrupt, 0},
		{"random behind a SEQUENCE header", append([]byte{0x30, 0x82, 0x05, 0x00}, randomBytes(0x500)...), realPassword, ErrCorrupt, 0},
		{"BER indefinite length", append(append([]byte{0x30, 0x80}, real[2:]...), 0, 0), realPassword, ErrCorrupt, 0},
		{"PEM text", []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n"), realPassword, ErrCorrupt, 0},
		{"trailing byte", append(append([]byte{}, real...), 0), realPassword, ErrCorrupt, 0},
		{"plaintext PKCS#8", plain, realPassword, ErrCorrupt, 0},
		{"a certificate", cert, realPassword, ErrCorrupt, 0},
		{"ciphertext not a block multiple", biLegacyKey(t, func(_ *pkix.AlgorithmIdentifier, _ *legacyParams, d *[]byte) { *d = (*d)[:len(*d)-1] }), realPassword, ErrCorrupt, 0},
		{"ciphertext empty", biLegacyKey(t, func(_ *pkix.AlgorithmIdentifier, _ *legacyParams, d *[]byte) { *d = nil }), realPassword, ErrCorrupt, 0},
		{"ciphertext one block", biLegacyKey(t, func(_ *pkix.AlgorithmIdentifier, _ *legacyParams, d *[]byte) { *d = (*d)[:16] }), realPassword, ErrWrongPassword, 0},
		{"legacy salt empty", biLegacyKey(t, func(_ *pkix.AlgorithmIdentifier, p *legacyParams, _ *[]byte) { p.Salt = nil }), realPassword, ErrCorrupt, 0},
		{"legacy salt 65 bytes", biLegacyKey(t, func(_ *pkix.AlgorithmIdentifier, p *legacyParams, _ *[]byte) { p.Salt = make([]byte, 65) }), realPassword, ErrCorrupt, 0},
		{"unknown key algorithm", biLegacyKey(t, func(a *pkix.AlgorithmIdentifier, _ *legacyParams, _ *[]byte) { a.Algorithm = oidUnknown }), realPassword, ErrUnsupported, 0},
		{"pbeWithMD5AndDES", biLegacyKey(t, func(a *pkix.AlgorithmIdentifier, _ *legacyParams, _ *[]byte) {
			a.Algorithm = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 3}
		}), realPassword, ErrUnsupported, 0},
		{"PBES2 OID over legacy parameters", biLegacyKey(t, func(a *pkix.AlgorithmIdentifier, _ *legacyParams, _ *[]byte) { a.Algorithm = oidPBES2 }), realPassword, ErrCorrupt, 0},

		{"pbes2 unknown cipher", biPBES2Key(t, func(p *pbes2Params, _ *pbkdf2Params, _ *[]byte) { p.Scheme.Algorithm = oidUnknown }), "test1234", ErrUnsupported, 0},
		{"pbes2 RC5 cipher", biPBES2Key(t, func(p *pbes2Params, _ *pbkdf2Params, _ *[]byte) {
			p.Scheme.Algorithm = asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 9}
		}), "test1234", ErrUnsupported, 0},
		{"pbes2 unknown PRF", biPBES2Key(t, func(_ *pbes2Params, kp *pbkdf2Params, _ *[]byte) { kp.PRF.Algorithm = oidUnknown }), "test1234", ErrUnsupported, 0},
		{"pbes2 hmacWithSHA512-224 PRF", biPBES2Key(t, func(_ *pbes2Params, kp *pbkdf2Params, _ *[]byte) {
			kp.PRF.Algorithm = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 12}
		}), "test1234", ErrUnsupported, 0},
		{"pbes2 scrypt KDF", biPBES2Key(t, func(p *pbes2Params, _ *pbkdf2Params, _ *[]byte) {
			p.KDF.Algorithm = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11591, 4, 11}
		}), "test1234", ErrUnsupported, 0},
		{"pbes2 IV 8 bytes", biPBES2Key(t, func(_ *pbes2Params, _ *pbkdf2Params, iv *[]byte) { *iv = (*iv)[:8] }), "test1234", ErrCorrupt, 0},
		{"pbes2 IV empty", biPBES2Key(t, func(_ *pbes2Params, _ *pbkdf2Params, iv *[]byte) { *iv = nil }), "test1234", ErrCorrupt, 0},
		{"pbes2 key length 32 for SEED", biPBES2Key(t, func(_ *pbes2Params, kp *pbkdf2Params, _ *[]byte) { kp.KeyLength = 32 }), "test1234", ErrCorrupt, 0},
		{"pbes2 key length -1", biPBES2Key(t, func(_ *pbes2Params, kp *pbkdf2Params, _ *[]byte) { kp.KeyLength = -1 }), "test1234", ErrCorrupt, 0},
		{"pbes2 key length 16 stated", biPBES2Key(t, func(_ *pbes2Params, kp *pbkdf2Params, _ *[]byte) { kp.KeyLength = 16 }), "test1234", nil, 0},
		{"pbes2 salt empty", biPBES2Key(t, func(_ *pbes2Params, kp *pbkdf2Params, _ *[]byte) { kp.Salt = nil }), "test1234", ErrCorrupt, 0},
		{"pbes2 wrong salt", biPBES2Key(t, func(_ *pbes2Params, kp *pbkdf2Params, _ *[]byte) { kp.Salt = []byte("saltsalt") }), "test1234", ErrWrongPassword, 0},

		{"password longer than 1024 bytes", real, strings.Repeat("a", 1025), ErrParamsRejected, 50 * time.Millisecond},
		{"pbes2 password longer than 1024 bytes", pbes2, strings.Repeat("a", 4096), ErrParamsRejected, 50 * time.Millisecond},
		// The cap: MaxIterations itself is allowed (and here wrong, since
		// the key was made with 2048); anything beyond is refused before
		// any work.
		{"legacy MaxIterations", legacyIter(MaxIterations), realPassword, ErrWrongPassword, 5 * time.Second},
		{"pbes2 MaxIterations", pbes2Iter(MaxIterations), "test1234", ErrWrongPassword, 5 * time.Second},
	}
	for _, n := range []int{0, -1, MaxIterations + 1, 1 << 31, 1<<63 - 1, -1 << 63} {
		rows = append(rows,
			row{"legacy iterations " + strconv.Itoa(n), legacyIter(n), realPassword, ErrParamsRejected, 50 * time.Millisecond},
			row{"pbes2 iterations " + strconv.Itoa(n), pbes2Iter(n), "test1234", ErrParamsRejected, 50 * time.Millisecond})
	}
	// Every prefix of the real key, at a stride, and the last few bytes one
	// by one.
	for n := 0; n < len(real); n++ {
		if n%11 == 0 || n > len(real)-20 {
			rows = append(rows, row{"truncated to " + strconv.Itoa(n), real[:n], realPassword, ErrCorrupt, 50 * time.Millisecond})
		}
	}
	for n := 0; n < len(pbes2); n += 37 {
		rows = append(rows, row{"pbes2 truncated to " + strconv.Itoa(n), pbes2[:n], "test1234", ErrCorrupt, 50 * time.Millisecond})
	}

	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			fast := r.fast
			if fast == 0 {
				fast = 2 * time.Second
			}
			k, err := biWithin(t, fast, func() (*PrivateKey, error) { return DecryptPrivateKey(r.der, []byte(r.password)) })
			if r.want == nil {
				if err != nil || k == nil || k.Signer == nil {
					t.Fatalf("want a key, got %v", err)
				}
				return
			}
			if !errors.Is(err, r.want) {
				t.Fatalf("got %v, want %v", err, r.want)
			}
			biTyped(t, r.name, err)
			if k != nil {
				t.Fatal("a key returned with an error")
			}
		})
	}
}

// biWrite writes files (relative path -> content) under dir.
func biWrite(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// biOversized returns a file body just over the 1 MiB limit that starts
// like the real data.
func biOversized(prefix []byte) []byte {
	b := make([]byte, maxKeyFileLen+1)
	copy(b, prefix)
	return b
}

// TestBadCertificateFolders loads and unlocks certificate folders with
// missing, foreign, corrupt and oversized files.
func TestBadCertificateFolders(t *testing.T) {
	cert := testfixtures.Read(t, "npki-real", "signCert.der")
	key := testfixtures.Read(t, "npki-real", "signPri.key")
	foreignKey := testfixtures.Read(t, "pbes2-openssl", "seed-cbc-hmacsha256.key")
	pfx := testfixtures.Read(t, "npki-real", "cert.pfx")

	type row struct {
		name      string
		files     map[string][]byte
		load      string // path under the temp dir given to Load
		loadErr   error  // nil: Load succeeds
		password  string
		unlockErr error // nil: Unlock succeeds
	}
	rows := []row{
		{name: "control", files: map[string][]byte{"signCert.der": cert, "signPri.key": key}, password: realPassword},
		{name: "control GPKI", files: map[string][]byte{"x_sig.cer": cert, "x_sig.key": key}, load: "x_sig.cer", password: realPassword},
		{name: "control pfx", files: map[string][]byte{"a.pfx": pfx}, load: "a.pfx", password: realPassword},
		{name: "key of another certificate", files: map[string][]byte{"signCert.der": cert, "signPri.key": foreignKey}, password: "test1234", unlockErr: ErrKeyMismatch},
		{name: "key of another certificate, certificate's password", files: map[string][]byte{"signCert.der": cert, "signPri.key": foreignKey}, password: realPassword, unlockErr: ErrWrongPassword},
		{name: "signPri.key missing", files: map[string][]byte{"signCert.der": cert}, password: realPassword, unlockErr: ErrNotFound},
		{name: "GPKI key missing", files: map[string][]byte{"x_sig.cer": cert}, load: "x_sig.cer", password: realPassword, unlockErr: ErrNotFound},
		{name: "signPri.key is a folder", files: map[string][]byte{"signCert.der": cert, "signPri.key/x": nil}, password: realPassword, unlockErr: ErrUnreadable},
		{name: "signPri.key empty", files: map[string][]byte{"signCert.der": cert, "signPri.key": {}}, password: realPassword, unlockErr: ErrCorrupt},
		{name: "signPri.key truncated", files: map[string][]byte{"signCert.der": cert, "signPri.key": key[:len(key)/2]}, password: realPassword, unlockErr: ErrCorrupt},
		{name: "signPri.key oversized", files: map[string][]byte{"signCert.der": cert, "signPri.key": biOversized(key)}, password: realPassword, unlockErr: ErrCorrupt},
		{name: "signPri.key exactly 1 MiB", files: map[string][]byte{"signCert.der": cert, "signPri.key": biOversized(key)[:maxKeyFileLen]}, password: realPassword, unlockErr: ErrCorrupt},
		{name: "password too long", files: map[string][]byte{"signCert.der": cert, "signPri.key": key}, password: strings.Repeat("x", 2000), unlockErr: ErrParamsRejected},
		{name: "folder without signCert.der", files: map[string][]byte{"signPri.key": key}, loadErr: ErrNotFound},
		{name: "signCert.der empty", files: map[string][]byte{"signCert.der": {}, "signPri.key": key}, loadErr: ErrCorrupt},
		{name: "signCert.der truncated", files: map[string][]byte{"signCert.der": cert[:len(cert)-1], "signPri.key": key}, loadErr: ErrCorrupt},
		{name: "signCert.der trailing garbage", files: map[string][]byte{"signCert.der": append(append([]byte{}, cert...), 0, 0), "signPri.key": key}, loadErr: ErrCorrupt},
		{name: "signCert.der is the key", files: map[string][]byte{"signCert.der": key, "signPri.key": key}, loadErr: ErrCorrupt},
		{name: "signCert.der oversized", files: map[string][]byte{"signCert.der": biOversized(cert), "signPri.key": key}, loadErr: ErrCorrupt},
		{name: "signCert.der is a folder", files: map[string][]byte{"signCert.der/x": nil, "signPri.key": key}, loadErr: ErrUnreadable},
		{name: "pfx oversized", files: map[string][]byte{"a.pfx": biOversized(pfx)}, load: "a.pfx", loadErr: ErrCorrupt},
		{name: "pfx truncated", files: map[string][]byte{"a.pfx": pfx[:len(pfx)-30]}, load: "a.pfx", loadErr: ErrCorrupt},
		{name: "pfx garbage", files: map[string][]byte{"a.p12": []byte("not a pfx")}, load: "a.p12", loadErr: ErrCorrupt},
		{name: "pfx is a DER certificate", files: map[string][]byte{"a.p12": cert}, load: "a.p12", loadErr: ErrCorrupt},
		{name: "pfx wrong password", files: map[string][]byte{"a.pfx": pfx}, load: "a.pfx", password: "wrong", unlockErr: ErrWrongPassword},
		{name: "path missing", load: "nothing/here", loadErr: ErrNotFound},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			dir := t.TempDir()
			biWrite(t, dir, r.files)
			c, err := Load(filepath.Join(dir, r.load))
			if r.loadErr != nil {
				if !errors.Is(err, r.loadErr) {
					t.Fatalf("Load: %v, want %v", err, r.loadErr)
				}
				biTyped(t, "Load", err)
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			id, err := biWithin(t, 2*time.Second, func() (*Identity, error) { return c.Unlock([]byte(r.password)) })
			if r.unlockErr == nil {
				if err != nil || id == nil {
					t.Fatalf("Unlock: %v", err)
				}
				return
			}
			if !errors.Is(err, r.unlockErr) {
				t.Fatalf("Unlock: %v, want %v", err, r.unlockErr)
			}
			biTyped(t, "Unlock", err)
		})
	}
	// LoadPKCS12 of an oversized file.
	dir := t.TempDir()
	biWrite(t, dir, map[string][]byte{"big.pfx": biOversized(pfx)})
	if _, err := LoadPKCS12(filepath.Join(dir, "big.pfx"), []byte(realPassword)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("LoadPKCS12 of an oversized file: %v, want ErrCorrupt", err)
	}
}

// biMacData mirrors PKCS#12 MacData.
type biMacData struct {
	Mac struct {
		Algorithm pkix.AlgorithmIdentifier
		Digest    []byte
	}
	MacSalt    []byte
	Iterations int `asn1:"optional,default:1"`
}

// The PKCS#12 structures again, with each [0] EXPLICIT wrapper kept as a
// raw value: encoding/asn1 writes a RawValue's FullBytes as they are,
// without the explicit tag, so pfxPDU cannot be re-encoded faithfully.
type biContentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"optional"` // [0] { content }
}

type biSafeBag struct {
	ID         asn1.ObjectIdentifier
	Value      asn1.RawValue // [0] { value }
	Attributes asn1.RawValue `asn1:"optional"`
}

type biPFXPDU struct {
	Version  int
	AuthSafe biContentInfo
	MacData  asn1.RawValue `asn1:"optional"`
}

// biExplicit0 wraps DER in a [0] EXPLICIT tag.
func biExplicit0(t testing.TB, der []byte) asn1.RawValue {
	t.Helper()
	b, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: der})
	if err != nil {
		t.Fatal(err)
	}
	return asn1.RawValue{FullBytes: b}
}

func biMarshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// biPFX re-encodes the real cert.pfx: editMac changes its MAC data
// (returning false drops it), editKeyBag the PBE parameters of its
// shrouded key bag.
func biPFX(t testing.TB, editMac func(*biMacData) bool, editKeyBag func(*legacyParams)) []byte {
	t.Helper()
	var pfx biPFXPDU
	if err := unmarshalStrict(testfixtures.Read(t, "npki-real", "cert.pfx"), &pfx); err != nil {
		t.Fatal(err)
	}
	if editKeyBag != nil {
		var authSafe []byte
		if err := unmarshalStrict(pfx.AuthSafe.Content.Bytes, &authSafe); err != nil {
			t.Fatal(err)
		}
		var infos []biContentInfo
		if err := unmarshalStrict(authSafe, &infos); err != nil {
			t.Fatal(err)
		}
		edited := false
		for i, ci := range infos {
			if !ci.ContentType.Equal(oidDataContentType) {
				continue
			}
			var safe []byte
			if err := unmarshalStrict(ci.Content.Bytes, &safe); err != nil {
				t.Fatal(err)
			}
			var bags []biSafeBag
			if err := unmarshalStrict(safe, &bags); err != nil {
				t.Fatal(err)
			}
			for j, b := range bags {
				if !b.ID.Equal(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 2}) {
					continue
				}
				var epki encryptedPrivateKeyInfo
				if err := unmarshalStrict(b.Value.Bytes, &epki); err != nil {
					t.Fatal(err)
				}
				var p legacyParams
				if err := unmarshalStrict(epki.Algo.Parameters.FullBytes, &p); err != nil {
					t.Fatal(err)
				}
				editKeyBag(&p)
				epki.Algo.Parameters = asn1.RawValue{FullBytes: biMarshal(t, p)}
				bags[j].Value = biExplicit0(t, biMarshal(t, epki))
				edited = true
			}
			infos[i].Content = biExplicit0(t, biMarshal(t, biMarshal(t, bags)))
		}
		if !edited {
			t.Fatal("no shrouded key bag in cert.pfx")
		}
		pfx.AuthSafe.Content = biExplicit0(t, biMarshal(t, biMarshal(t, infos)))
	}
	if editMac != nil {
		var md biMacData
		if err := unmarshalStrict(pfx.MacData.FullBytes, &md); err != nil {
			t.Fatal(err)
		}
		if editMac(&md) {
			pfx.MacData = asn1.RawValue{FullBytes: biMarshal(t, md)}
		} else {
			pfx.MacData = asn1.RawValue{}
		}
	}
	return biMarshal(t, pfx)
}

// TestBadPKCS12Iterations: a crafted PKCS#12 cannot demand more key
// derivation than MaxIterations, neither in its MAC nor in its key bag
// (reachable without a MAC when the password is empty).
func TestBadPKCS12Iterations(t *testing.T) {
	macIter := func(n int) func(*biMacData) bool {
		return func(m *biMacData) bool { m.Iterations = n; return true }
	}
	bagIter := func(n int) func(*legacyParams) {
		return func(p *legacyParams) { p.Iterations = n }
	}
	noMac := func(*biMacData) bool { return false }
	rows := []struct {
		name     string
		p12      []byte
		password string
		want     error
		fast     time.Duration
	}{
		{"control re-encoded", biPFX(t, macIter(1024), bagIter(1024)), realPassword, nil, 2 * time.Second},
		{"control key bag iterations changed", biPFX(t, nil, bagIter(1025)), realPassword, ErrWrongPassword, 2 * time.Second},
		{"control MAC iterations changed", biPFX(t, macIter(1025), nil), realPassword, ErrWrongPassword, 2 * time.Second},
		{"control no MAC, password given", biPFX(t, noMac, nil), realPassword, ErrCorrupt, 2 * time.Second},
		{"MAC iterations 0", biPFX(t, macIter(0), nil), realPassword, ErrParamsRejected, 100 * time.Millisecond},
		{"MAC iterations -1", biPFX(t, macIter(-1), nil), realPassword, ErrParamsRejected, 100 * time.Millisecond},
		{"MAC iterations MaxIterations+1", biPFX(t, macIter(MaxIterations+1), nil), realPassword, ErrParamsRejected, 100 * time.Millisecond},
		{"MAC iterations 2^31", biPFX(t, macIter(1<<31), nil), realPassword, ErrParamsRejected, 100 * time.Millisecond},
		{"key bag iterations 2^31, no MAC, empty password", biPFX(t, noMac, bagIter(1<<31)), "", ErrParamsRejected, 100 * time.Millisecond},
		{"key bag iterations 2^31 (MAC then fails)", biPFX(t, nil, bagIter(1<<31)), realPassword, ErrParamsRejected, 100 * time.Millisecond},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.pfx")
			if err := os.WriteFile(path, r.p12, 0o600); err != nil {
				t.Fatal(err)
			}
			id, err := biWithin(t, r.fast, func() (*Identity, error) { return LoadPKCS12(path, []byte(r.password)) })
			if r.want == nil {
				if err != nil || id == nil {
					t.Fatalf("LoadPKCS12: %v", err)
				}
				return
			}
			if !errors.Is(err, r.want) {
				t.Fatalf("LoadPKCS12: %v, want %v", err, r.want)
			}
			biTyped(t, r.name, err)
			// Importing runs the same decoder.
			_, err = biWithin(t, r.fast, func() (*Certificate, error) {
				return ImportPKCS12(nil, r.p12, []byte(r.password), t.TempDir(), LocationDisk)
			})
			if !errors.Is(err, r.want) {
				t.Fatalf("ImportPKCS12: %v, want %v", err, r.want)
			}
		})
	}
}

// biScanErrors checks that every scan error is typed and has a path, and
// returns the codes seen.
func biScanErrors(t *testing.T, res ScanResult) map[api.Code]int {
	t.Helper()
	codes := map[api.Code]int{}
	for _, e := range res.Errors {
		biTyped(t, "scan error "+e.Path, e.Err)
		if e.Path == "" {
			t.Errorf("scan error without a path: %v", e)
		}
		codes[api.CodeOf(e)]++
	}
	return codes
}

func TestBadScanTrees(t *testing.T) {
	cert := testfixtures.Read(t, "npki-real", "signCert.der")
	key := testfixtures.Read(t, "npki-real", "signPri.key")
	good := map[string][]byte{
		"NPKI/yessign/USER/good/signCert.der": cert,
		"NPKI/yessign/USER/good/signPri.key":  key,
	}
	with := func(extra map[string][]byte) map[string][]byte {
		m := map[string][]byte{}
		for k, v := range good {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	rows := []struct {
		name      string
		files     map[string][]byte
		certs     int
		errCodes  map[api.Code]int
		errSuffix string // the failing file's path ends so
	}{
		{"control", good, 1, map[api.Code]int{}, ""},
		{"corrupt signCert.der", with(map[string][]byte{"NPKI/yessign/USER/bad/signCert.der": []byte("garbage"), "NPKI/yessign/USER/bad/signPri.key": key}), 1,
			map[api.Code]int{api.CodeCertCorrupt: 1}, filepath.Join("bad", "signCert.der")},
		{"truncated signCert.der", with(map[string][]byte{"NPKI/KICA/USER/bad/signCert.der": cert[:100]}), 1,
			map[api.Code]int{api.CodeCertCorrupt: 1}, filepath.Join("bad", "signCert.der")},
		{"oversized signCert.der", with(map[string][]byte{"NPKI/KICA/USER/big/signCert.der": biOversized(cert)}), 1,
			map[api.Code]int{api.CodeCertCorrupt: 1}, filepath.Join("big", "signCert.der")},
		{"signCert.der is a folder", with(map[string][]byte{"NPKI/KICA/USER/dir/signCert.der/x": nil}), 1,
			map[api.Code]int{api.CodeCertUnreadable: 1}, filepath.Join("dir", "signCert.der")},
		{"corrupt GPKI certificate", with(map[string][]byte{"GPKI/Certificate/class2/x_sig.cer": []byte{0x30, 0x03, 0x02, 0x01}}), 1,
			map[api.Code]int{api.CodeCertCorrupt: 1}, "x_sig.cer"},
		{"stray files ignored", with(map[string][]byte{"NPKI/yessign/USER/good/kmCert.der": []byte("x"), "NPKI/readme.txt": []byte("x"), "NPKI/yessign/USER/empty/.keep": nil}), 1,
			map[api.Code]int{}, ""},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			root := t.TempDir()
			biWrite(t, root, r.files)
			res := Scan(context.Background(), SourcesForDrive(root, LocationRemovable))
			if len(res.Certificates) != r.certs {
				t.Errorf("%d certificates, want %d", len(res.Certificates), r.certs)
			}
			codes := biScanErrors(t, res)
			if len(codes) != len(r.errCodes) {
				t.Errorf("error codes %v, want %v (%v)", codes, r.errCodes, res.Errors)
			}
			for c, n := range r.errCodes {
				if codes[c] != n {
					t.Errorf("error codes %v, want %v (%v)", codes, r.errCodes, res.Errors)
				}
			}
			if r.errSuffix != "" && (len(res.Errors) == 0 || !strings.HasSuffix(res.Errors[0].Path, r.errSuffix)) {
				t.Errorf("errors %v, want one for …%s", res.Errors, r.errSuffix)
			}
		})
	}

	t.Run("source under a regular file", func(t *testing.T) {
		// Unreadable without chmod (which root ignores): the source's
		// parent is a file, so stat fails with ENOTDIR.
		if runtime.GOOS == "windows" {
			t.Skip("Windows has no ENOTDIR: a path through a regular file is not found (seen under Wine), which Scan rightly takes for a missing source")
		}
		root := t.TempDir()
		biWrite(t, root, map[string][]byte{"usb": []byte("a file, not a drive")})
		res := Scan(context.Background(), []Source{{Dir: filepath.Join(root, "usb", "NPKI"), Layout: LayoutNPKI, Location: LocationRemovable}})
		codes := biScanErrors(t, res)
		if codes[api.CodeCertUnreadable] != 1 || len(res.Errors) != 1 || len(res.Certificates) != 0 {
			t.Errorf("errors %v, want one cert_unreadable", res.Errors)
		}
	})

	t.Run("chmod 000 folder", func(t *testing.T) {
		if runtime.GOOS == "windows" {
			t.Skip("Windows: os.Chmod only sets the read-only attribute, which does not stop reading a folder")
		}
		if os.Geteuid() == 0 {
			t.Skip("running as root: chmod 000 does not stop root from reading; the 'source under a regular file' case covers unreadable sources")
		}
		root := t.TempDir()
		biWrite(t, root, with(map[string][]byte{
			"NPKI/KICA/USER/locked/signCert.der": cert,
			"GPKI/Certificate/class2/x_sig.cer":  cert,
		}))
		locked := []string{filepath.Join(root, "NPKI", "KICA", "USER", "locked"), filepath.Join(root, "GPKI", "Certificate", "class2")}
		for _, d := range locked {
			if err := os.Chmod(d, 0); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(d, 0o755) })
		}
		res := Scan(context.Background(), SourcesForDrive(root, LocationRemovable))
		codes := biScanErrors(t, res)
		if codes[api.CodeCertUnreadable] != 2 || len(res.Certificates) != 1 {
			t.Errorf("certificates %d, errors %v; want 1 and two cert_unreadable", len(res.Certificates), res.Errors)
		}
	})

	t.Run("missing sources are not errors", func(t *testing.T) {
		res := Scan(context.Background(), SourcesForDrive(filepath.Join(t.TempDir(), "gone"), LocationRemovable))
		if len(res.Errors) != 0 || len(res.Certificates) != 0 {
			t.Errorf("got %v", res)
		}
	})
}

// biBuildDrive writes an NPKI and a GPKI tree holding n certificates.
func biBuildDrive(t *testing.T, root string, n int, cert, key []byte) {
	t.Helper()
	files := map[string][]byte{}
	for i := 0; i < n; i++ {
		s := strconv.Itoa(i)
		if i%5 == 4 {
			files["GPKI/Certificate/class2/c"+s+"_sig.cer"] = cert
			files["GPKI/Certificate/class2/c"+s+"_sig.key"] = key
			continue
		}
		base := "NPKI/CA" + strconv.Itoa(i%4) + "/USER/cn=user" + s + ",o=yessign,c=kr/"
		files[base+"signCert.der"] = cert
		files[base+"signPri.key"] = key
	}
	biWrite(t, root, files)
}

// TestScanDrivePulled takes a drive's tree away from another goroutine
// while Scan reads it, as when a USB drive is pulled out with the picker
// open: first all at once (renamed away, then put back for the next
// round), then file by file (os.RemoveAll).
func TestScanDrivePulled(t *testing.T) {
	cert := testfixtures.Read(t, "npki-real", "signCert.der")
	key := testfixtures.Read(t, "npki-real", "signPri.key")
	const n = 120 // ~100 folders, 240 files
	base := t.TempDir()
	root := filepath.Join(base, "usb")
	away := filepath.Join(base, "pulled")
	biBuildDrive(t, root, n, cert, key)
	sources := append(SourcesForDrive(root, LocationRemovable), SourcesForDrive(root, LocationRemovable)...)

	// Time a full scan, to spread the pulls across it.
	start := time.Now()
	if res := Scan(context.Background(), sources); len(res.Certificates) != n || len(res.Errors) != 0 {
		t.Fatalf("full scan: %d certificates, errors %v", len(res.Certificates), res.Errors)
	}
	scanTime := time.Since(start)
	t.Logf("a full scan of %d certificates takes %v", n, scanTime)

	pull := func(name string, delay time.Duration, remove func() error) {
		t.Helper()
		var wg sync.WaitGroup
		done := make(chan ScanResult, 1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(delay)
			if err := remove(); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}()
		go func() { done <- Scan(context.Background(), sources) }()
		var res ScanResult
		select {
		case res = <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: Scan did not return after the drive was pulled", name)
		}
		wg.Wait()
		codes := biScanErrors(t, res)
		if len(res.Certificates) > n {
			t.Errorf("%s: %d certificates from a drive of %d", name, len(res.Certificates), n)
		}
		for _, c := range res.Certificates {
			if c.X509 == nil || !strings.HasPrefix(c.Path, root) || c.Location != LocationRemovable {
				t.Errorf("%s: bad entry %+v", name, c)
			}
		}
		t.Logf("%s after %v: %d certificates listed, errors %v", name, delay, len(res.Certificates), codes)
		// Once gone, a rescan is empty and quiet.
		if res := Scan(context.Background(), sources); len(res.Certificates) != 0 || len(res.Errors) != 0 {
			t.Errorf("%s: rescan of a pulled drive: %d certificates, errors %v", name, len(res.Certificates), res.Errors)
		}
	}

	const rounds = 6
	for round := 0; round < rounds; round++ {
		pull("renamed away", scanTime*time.Duration(round)/rounds, func() error { return os.Rename(root, away) })
		if err := os.Rename(away, root); err != nil {
			t.Fatal(err)
		}
	}
	for _, frac := range []time.Duration{0, 4} {
		if frac != 0 {
			biBuildDrive(t, root, n, cert, key)
		}
		pull("removed", scanTime*frac/10, func() error { return os.RemoveAll(root) })
	}
}

func TestBadPKCS12ReencoderFaithful(t *testing.T) {
	if got, want := biPFX(t, func(*biMacData) bool { return true }, func(*legacyParams) {}), testfixtures.Read(t, "npki-real", "cert.pfx"); string(got) != string(want) {
		t.Fatal("re-encoding cert.pfx without changes alters it")
	}
}

// TestBadPKCS12PBES2Iterations: the PKCS#12 iteration check reads PBES2
// and PBMAC1 parameters too (PKCS#12 files from OpenSSL 3 and Windows).
func TestBadPKCS12PBES2Iterations(t *testing.T) {
	for _, n := range []int{1, DefaultIterations, MaxIterations, MaxIterations + 1, 1 << 31, 0, -5} {
		alg, err := pbes2Algorithm(crand.Reader, SchemePBES2AES256, make([]byte, 8), n)
		if err != nil {
			t.Fatal(err)
		}
		wantErr := n < 1 || n > MaxIterations
		for _, oid := range []asn1.ObjectIdentifier{oidPBES2, oidPBMAC1} {
			alg.Algorithm = oid
			err := checkPBEIterations(alg)
			if wantErr != errors.Is(err, ErrParamsRejected) || (!wantErr && err != nil) {
				t.Errorf("%v with %d iterations: %v", oid, n, err)
			}
		}
	}
}

// TestWriteNPKIOddNamesScannable: certificates whose subject or issuer
// gives no usable folder name (an issuer O of "...", a subject of empty
// RDNs) are still written where Scan finds them, each in its own folder.
func TestWriteNPKIOddNamesScannable(t *testing.T) {
	npki := filepath.Join(t.TempDir(), "NPKI")
	certs := fzCertificates(t)
	want := map[string]bool{}
	for _, der := range certs {
		x, err := ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		dir, err := WriteNPKI(npki, x, []byte("key"))
		if err != nil {
			t.Fatalf("%s: %v", x.Subject, err)
		}
		if filepath.Dir(filepath.Dir(filepath.Dir(dir))) != npki {
			t.Errorf("%q: written to %s, not <NPKI>/<CA>/USER/<subject>", x.Subject, dir)
		}
		want[string(x.Raw)] = true
	}
	res := Scan(context.Background(), []Source{{Dir: npki, Layout: LayoutNPKI, Location: LocationDisk}})
	if len(res.Errors) != 0 {
		t.Errorf("scan errors %v", res.Errors)
	}
	for _, c := range res.Certificates {
		delete(want, string(c.X509.Raw))
	}
	if len(want) != 0 || len(res.Certificates) != len(certs) {
		t.Errorf("scan found %d of %d written certificates", len(certs)-len(want), len(certs))
	}
}
