//go:build cgo

package token

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/pkcs11"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/certstore/certgen"
	"github.com/opensvpn/svpn/internal/p11fake"
	"github.com/opensvpn/svpn/internal/softhsm"
)

const testPIN = "123456"

// testToken is a SoftHSM token in its own SOFTHSM2_CONF holding a
// certificate with its non-extractable key (CKA_ID 01) and a certificate
// without a key (CKA_ID 02).
type testToken struct {
	tok     *softhsm.Token
	user    *certgen.User
	orphan  *certgen.User
	ca      *certgen.CA
	manager *Manager
}

func newTestToken(t testing.TB) *testToken {
	t.Helper()
	if err := softhsm.Available(); err != nil {
		t.Skipf("SoftHSM tests skipped: %v", err)
	}
	tok, err := softhsm.New(t.TempDir(), "svpn-test", testPIN)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", tok.Conf)
	pki, err := certgen.NewPKI()
	if err != nil {
		t.Fatal(err)
	}
	u, err := pki.Yessign.IssueUser(certgen.UserOptions{Name: "김토큰"})
	if err != nil {
		t.Fatal(err)
	}
	orphan, err := pki.Yessign.IssueUser(certgen.UserOptions{Name: "박고아"})
	if err != nil {
		t.Fatal(err)
	}
	if err := tok.Import(u.Cert, u.Key, []byte{1}, "signCert"); err != nil {
		t.Fatal(err)
	}
	if err := tok.ImportCertificate(orphan.Cert, []byte{2}, "orphan"); err != nil {
		t.Fatal(err)
	}
	return &testToken{tok: tok, user: u, orphan: orphan, ca: pki.Yessign,
		manager: NewManager(Policy{Extra: []string{tok.Module}}, 10*time.Second)}
}

func TestSoftHSMListUnlockSign(t *testing.T) {
	tt := newTestToken(t)
	ctx := context.Background()
	r := tt.manager.List(ctx)
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %v", r.Errors)
	}
	if len(r.Tokens) != 1 || r.Tokens[0].Label != "svpn-test" || r.Tokens[0].Manufacturer == "" {
		t.Fatalf("tokens: %+v", r.Tokens)
	}
	var good, orphan *Cert
	for _, c := range r.Certificates {
		switch c.Object {
		case "signCert":
			good = c
		case "orphan":
			orphan = c
		}
	}
	if good == nil || orphan == nil {
		t.Fatalf("certificates: %+v", r.Certificates)
	}
	in := good.Info(time.Now())
	if in.Location != "token" || in.Token != "svpn-test" || !strings.HasPrefix(in.Path, "pkcs11:") || !in.Usable || in.Name != "김토큰" {
		t.Errorf("info: %+v", in)
	}
	if !strings.Contains(orphan.Unusable, "CKA_ID") || orphan.Info(time.Now()).Usable {
		t.Errorf("a certificate without its key is not marked unusable: %q", orphan.Unusable)
	}

	id, err := tt.manager.Unlock(ctx, in.Path, []byte(testPIN))
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("SVPN-LOGIN-V2\nchallenge")
	sig, alg, err := id.Sign(rand.Reader, msg, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := certstore.VerifySignature(tt.user.Cert, alg, msg, sig); err != nil {
		t.Fatal(err)
	}
	for _, a := range []api.SignatureAlgorithm{api.SigRSAPSSSHA256} {
		sig, _, err := id.Sign(rand.Reader, msg, a)
		if err != nil || certstore.VerifySignature(tt.user.Cert, a, msg, sig) != nil {
			t.Errorf("%s: %v", a, err)
		}
	}
	if err := id.Close(); err != nil {
		t.Fatal(err)
	}

	// The issue's short form finds the same certificate among all allowed
	// modules.
	id, err = tt.manager.Unlock(ctx, "pkcs11:token=svpn-test;id=%01", []byte(testPIN))
	if err != nil {
		t.Fatal(err)
	}
	id.Close()

	if _, err := tt.manager.Unlock(ctx, orphan.Path, []byte(testPIN)); api.CodeOf(err) != api.CodeTokenKeyMissing {
		t.Errorf("orphan: %v", err)
	}
	if _, err := tt.manager.Unlock(ctx, "pkcs11:token=absent;id=%01", []byte(testPIN)); api.CodeOf(err) != api.CodeTokenNotFound {
		t.Errorf("absent token: %v", err)
	}
}

// TestSoftHSMWrongPIN: a wrong PIN is refused even right after a good
// login kept open (SoftHSM keeps login state per token and process).
func TestSoftHSMWrongPIN(t *testing.T) {
	tt := newTestToken(t)
	ctx := context.Background()
	uri := "pkcs11:token=svpn-test;id=%01"
	_, err := tt.manager.Unlock(ctx, uri, []byte("000000"))
	var pe *PINError
	if api.CodeOf(err) != api.CodeTokenPINWrong || !errors.As(err, &pe) {
		t.Fatalf("wrong PIN: %v", err)
	}
	id, err := tt.manager.Unlock(ctx, uri, []byte(testPIN))
	if err != nil {
		t.Fatal(err)
	}
	defer id.Close()
	if _, err := tt.manager.Unlock(ctx, uri, []byte("000000")); api.CodeOf(err) != api.CodeTokenPINWrong {
		t.Fatalf("wrong PIN after a good login: %v", err)
	}
	if _, err := tt.manager.Unlock(ctx, uri, nil); api.CodeOf(err) != api.CodeTokenPINInvalid {
		t.Fatalf("empty PIN: %v", err)
	}
}

// TestSoftHSMKeyNotExtractable: the imported key is sensitive and not
// extractable: its private exponent cannot be read, even logged in.
func TestSoftHSMKeyNotExtractable(t *testing.T) {
	tt := newTestToken(t)
	c := pkcs11.New(tt.tok.Module)
	if err := c.Initialize(); err != nil {
		t.Fatal(err)
	}
	defer func() { c.Finalize(); c.Destroy() }()
	slots, err := c.GetSlotList(true)
	if err != nil || len(slots) == 0 {
		t.Fatal(slots, err)
	}
	sh, err := c.OpenSession(slots[0], pkcs11.CKF_SERIAL_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseSession(sh)
	if err := c.Login(sh, pkcs11.CKU_USER, testPIN); err != nil {
		t.Fatal(err)
	}
	defer c.Logout(sh)
	hs, err := find(c, sh, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY)})
	if err != nil || len(hs) != 1 {
		t.Fatal(hs, err)
	}
	attrs, err := c.GetAttributeValue(sh, hs[0], []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, nil), pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, nil), pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if attrs[0].Value[0] != 1 || attrs[1].Value[0] != 0 || attrs[2].Value[0] != 1 {
		t.Errorf("CKA_SENSITIVE=%v CKA_EXTRACTABLE=%v CKA_PRIVATE=%v", attrs[0].Value, attrs[1].Value, attrs[2].Value)
	}
	if _, err := c.GetAttributeValue(sh, hs[0], []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_PRIVATE_EXPONENT, nil)}); err == nil {
		t.Error("the private exponent was readable")
	}
}

func TestSoftHSMModulePolicy(t *testing.T) {
	tt := newTestToken(t)
	ctx := context.Background()
	uri := "pkcs11:token=svpn-test;id=%01?module-path=" + tt.tok.Module
	m := NewManager(Policy{}, time.Second)
	if _, err := m.Unlock(ctx, uri, []byte(testPIN)); api.CodeOf(err) != api.CodeTokenModuleNotAllowed || !strings.Contains(err.Error(), tt.tok.Module) {
		t.Errorf("not allowed: %v", err)
	}
	m = NewManager(Policy{Profile: []api.PKCS11Module{{Path: tt.tok.Module, SHA256: strings.Repeat("ab", 32)}}}, time.Second)
	if _, err := m.Unlock(ctx, uri, []byte(testPIN)); api.CodeOf(err) != api.CodeTokenModuleHash {
		t.Errorf("hash: %v", err)
	}
	if r := m.List(ctx); len(r.Certificates) != 0 || len(r.Errors) != 1 || api.CodeOf(r.Errors[0]) != api.CodeTokenModuleHash {
		t.Errorf("list with a differing hash: %+v", r)
	}
	real, _ := filepath.EvalSymlinks(tt.tok.Module)
	data, _ := os.ReadFile(real)
	sum := sha256.Sum256(data)
	m = NewManager(Policy{Profile: []api.PKCS11Module{{Path: tt.tok.Module, SHA256: hex.EncodeToString(sum[:])}}}, 10*time.Second)
	id, err := m.Unlock(ctx, uri, []byte(testPIN))
	if err != nil {
		t.Fatalf("pinned and matching: %v", err)
	}
	id.Close()
}

// buildFakeModule compiles a real PKCS#11 module whose C_Initialize hangs
// or crashes (internal/p11fake, with gcc).
func buildFakeModule(t *testing.T, b p11fake.Behaviour) string {
	t.Helper()
	lib, err := p11fake.Build(t.TempDir(), b)
	if errors.Is(err, p11fake.ErrNoCompiler) {
		t.Skipf("the broken-driver tests need a C compiler: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return lib
}

// TestBrokenModules: a driver that crashes or hangs in C_Initialize is
// reported with its own code, and this process (the app) goes on.
func TestBrokenModules(t *testing.T) {
	ctx := context.Background()
	crash := buildFakeModule(t, p11fake.Crash)
	m := NewManager(Policy{Extra: []string{crash}}, 5*time.Second)
	r := m.List(ctx)
	if len(r.Errors) != 1 || api.CodeOf(r.Errors[0]) != api.CodeTokenModuleFailed || !strings.Contains(r.Errors[0].Error(), "crashed") {
		t.Errorf("crashing module: %v", r.Errors)
	}
	// A driver that exits 3, as abort() does on Windows, crashed too: the
	// probe's own exit codes are not 3.
	exit3 := buildFakeModule(t, p11fake.Exit3)
	r = NewManager(Policy{Extra: []string{exit3}}, 5*time.Second).List(ctx)
	if len(r.Errors) != 1 || api.CodeOf(r.Errors[0]) != api.CodeTokenModuleFailed || !strings.Contains(r.Errors[0].Error(), "crashed while initialising (exit 3") {
		t.Errorf("a module exiting 3: %v", r.Errors)
	}
	// Not allowed: refused before the module is even probed (this one
	// would crash).
	_, err := NewManager(Policy{}, time.Second).Unlock(ctx, "pkcs11:token=x?module-path="+crash, []byte("1234"))
	if api.CodeOf(err) != api.CodeTokenModuleNotAllowed {
		t.Errorf("a module outside the policy: %v", err)
	}
	hang := buildFakeModule(t, p11fake.Hang)
	m = NewManager(Policy{Extra: []string{hang}}, 500*time.Millisecond)
	start := time.Now()
	_, err = m.Unlock(ctx, "pkcs11:token=x?module-path="+hang, []byte("1234"))
	if api.CodeOf(err) != api.CodeTokenModuleTimeout || !strings.Contains(err.Error(), hang) {
		t.Errorf("hanging module: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the hang was bounded only after %s", d)
	}
}

// TestBrokenModulesBesideAGoodOne: with a crashing and a hanging driver
// allowed next to SoftHSM, a listing reports the crash (E-242) and the
// hang (E-243), each with its path, within a bound, and still lists the
// good token, which then signs: this process, the app, lives on.
func TestBrokenModulesBesideAGoodOne(t *testing.T) {
	tt := newTestToken(t)
	crash, hang := buildFakeModule(t, p11fake.Crash), buildFakeModule(t, p11fake.Hang)
	m := NewManager(Policy{Extra: []string{crash, hang, tt.tok.Module}}, time.Second)
	start := time.Now()
	r := m.List(context.Background())
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the listing took %s", d)
	}
	got := map[api.Code]string{}
	for _, err := range r.Errors {
		got[api.CodeOf(err)] = err.Error()
	}
	if len(r.Errors) != 2 || !strings.Contains(got[api.CodeTokenModuleFailed], crash) || !strings.Contains(got[api.CodeTokenModuleTimeout], hang) {
		t.Errorf("errors: %v", r.Errors)
	}
	if n := api.Number(api.CodeTokenModuleFailed); n != "E-242" {
		t.Errorf("crash is %s", n)
	}
	if n := api.Number(api.CodeTokenModuleTimeout); n != "E-243" {
		t.Errorf("hang is %s", n)
	}
	if len(r.Tokens) != 1 || r.Tokens[0].Label != "svpn-test" {
		t.Fatalf("the good token: %+v", r.Tokens)
	}
	// The good token still logs in and signs.
	id, err := m.Unlock(context.Background(), "pkcs11:token=svpn-test;id=%01", []byte(testPIN))
	if err != nil {
		t.Fatal(err)
	}
	defer id.Close()
	if _, _, err := id.Sign(rand.Reader, []byte("msg"), ""); err != nil {
		t.Fatal(err)
	}
}

// TestWithTimeout: a call into a module that never returns is given up
// after the timeout, and what it returns late is released.
func TestWithTimeout(t *testing.T) {
	m := NewManager(Policy{}, 50*time.Millisecond)
	release := make(chan struct{})
	released := make(chan int, 1)
	_, err := withTimeout(context.Background(), m, Module{Path: "/x.so"}, func() (int, error) {
		<-release
		return 7, nil
	}, func(v int) { released <- v })
	if api.CodeOf(err) != api.CodeTokenModuleTimeout {
		t.Fatalf("%v", err)
	}
	close(release)
	select {
	case v := <-released:
		if v != 7 {
			t.Fatal(v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the late result was not released")
	}
}

// TestSoftHSMPulledMidLogin: the token disappears between the PIN and the
// signature (its files are gone, as a pulled USB token's slot empties):
// signing fails with a numbered token error, never a panic or a hang.
func TestSoftHSMPulledMidLogin(t *testing.T) {
	tt := newTestToken(t)
	ctx := context.Background()
	id, err := tt.manager.Unlock(ctx, "pkcs11:token=svpn-test;id=%01", []byte(testPIN))
	if err != nil {
		t.Fatal(err)
	}
	defer id.Close()
	if err := os.RemoveAll(filepath.Join(tt.tok.Dir, "tokens")); err != nil {
		t.Fatal(err)
	}
	_, _, err = id.Sign(rand.Reader, []byte("msg"), "")
	t.Logf("signing after removal: %v", err)
	if api.CodeOf(err) != api.CodeTokenRemoved {
		t.Fatalf("got %v, want token_removed", err)
	}
	// The certstore.Identity inside (what the desktop app's flow holds)
	// says the same.
	if _, _, err := id.Identity.Sign(rand.Reader, []byte("msg"), ""); api.CodeOf(err) != api.CodeTokenRemoved {
		t.Fatalf("inner identity: %v, want token_removed", err)
	}
}

// TestSoftHSMInsertRemoveAndForeignKey: a token plugged in shows at the
// next listing and one pulled out goes; a certificate whose CKA_ID names
// another certificate's key is listed as unusable, with the reason.
func TestSoftHSMInsertRemoveAndForeignKey(t *testing.T) {
	tt := newTestToken(t)
	ctx := context.Background()
	second, folder, err := tt.tok.AddToken("second")
	if err != nil {
		t.Fatal(err)
	}
	// The orphan's certificate with the first user's key pair under its
	// CKA_ID: a key is there, but not this certificate's.
	if err := second.Import(tt.orphan.Cert, tt.user.Key, []byte{3}, "foreign"); err != nil {
		t.Fatal(err)
	}
	r := tt.manager.List(ctx)
	var foreign *Cert
	for _, c := range r.Certificates {
		if c.Token.Label == "second" && c.Object == "foreign" {
			foreign = c
		}
	}
	if len(r.Tokens) != 2 || foreign == nil || !strings.Contains(foreign.Unusable, "another certificate") {
		t.Fatalf("after plugging in: tokens %d, foreign %+v", len(r.Tokens), foreign)
	}
	if _, err := tt.manager.Unlock(ctx, foreign.Path, []byte(testPIN)); api.CodeOf(err) != api.CodeTokenKeyMissing {
		t.Errorf("foreign key: %v", err)
	}
	if err := os.RemoveAll(folder); err != nil {
		t.Fatal(err)
	}
	r = tt.manager.List(ctx)
	if len(r.Tokens) != 1 || r.Tokens[0].Label != "svpn-test" {
		t.Errorf("after pulling out: %+v", r.Tokens)
	}
}
