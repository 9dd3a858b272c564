package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/opensvpn/svpn/api"
)

// fakeToken is a token whose PIN flags the test sets: SoftHSM never counts
// wrong PINs, real tokens do.
type fakeToken struct {
	pin      string
	flags    []uint // CK_TOKEN_INFO.flags at each Info call; the last repeats
	infos    int
	logins   int
	loginErr error
	minPIN   uint
	maxPIN   uint
	key      crypto.Signer
}

func (f *fakeToken) Info() (TokenInfo, error) {
	i := min(f.infos, len(f.flags)-1)
	f.infos++
	return TokenInfo{Label: "fake", Flags: f.flags[i], MinPIN: f.minPIN, MaxPIN: f.maxPIN}, nil
}

func (f *fakeToken) Login(pin string) (crypto.Signer, error) {
	f.logins++
	if f.loginErr != nil {
		return nil, f.loginErr
	}
	if pin != f.pin {
		return nil, CKRError(ckrPINIncorrect)
	}
	return f.key, nil
}

func TestLoginWithPINFlags(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cases := []struct {
		name      string
		tok       fakeToken
		pin       string
		code      api.Code
		state     PINState
		maxLogins int
	}{
		{"right PIN", fakeToken{pin: "1234", flags: []uint{0}}, "1234", "", PINOK, 1},
		{"wrong PIN, token counts nothing", fakeToken{pin: "1234", flags: []uint{0}}, "0000", api.CodeTokenPINWrong, PINCountLow, 1},
		{"wrong PIN, count low", fakeToken{pin: "1234", flags: []uint{0, ckfUserPINCountLow}}, "0000", api.CodeTokenPINWrong, PINCountLow, 1},
		{"wrong PIN, final try next", fakeToken{pin: "1234", flags: []uint{ckfUserPINCountLow, ckfUserPINCountLow | ckfUserPINFinalTry}}, "0000", api.CodeTokenPINWrong, PINFinalTry, 1},
		{"wrong PIN on the final try locks", fakeToken{pin: "1234", flags: []uint{ckfUserPINFinalTry, ckfUserPINLocked}}, "0000", api.CodeTokenPINLocked, PINLocked, 1},
		// A locked token is not sent the PIN at all.
		{"locked before", fakeToken{pin: "1234", flags: []uint{ckfUserPINLocked}}, "1234", api.CodeTokenPINLocked, PINLocked, 0},
		{"module says locked", fakeToken{pin: "1234", flags: []uint{0}, loginErr: CKRError(ckrPINLocked)}, "1234", api.CodeTokenPINLocked, PINLocked, 1},
		// A PIN the token cannot take costs no try.
		{"empty PIN", fakeToken{pin: "1234", flags: []uint{0}}, "", api.CodeTokenPINInvalid, PINOK, 0},
		{"too short", fakeToken{pin: "1234", flags: []uint{0}, minPIN: 6, maxPIN: 16}, "1234", api.CodeTokenPINInvalid, PINOK, 0},
		{"too long", fakeToken{pin: "1234", flags: []uint{0}, minPIN: 4, maxPIN: 8}, "123456789", api.CodeTokenPINInvalid, PINOK, 0},
		{"pulled out", fakeToken{pin: "1234", flags: []uint{0}, loginErr: CKRError(ckrDeviceRemoved)}, "1234", api.CodeTokenRemoved, PINOK, 1},
		{"no token", fakeToken{pin: "1234", flags: []uint{0}, loginErr: CKRError(ckrTokenNotPresent)}, "1234", api.CodeTokenRemoved, PINOK, 1},
		{"device error", fakeToken{pin: "1234", flags: []uint{0}, loginErr: CKRError(ckrDeviceError)}, "1234", api.CodeTokenFailed, PINOK, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok := c.tok
			tok.key = key
			s, err := loginWithPIN(&tok, []byte(c.pin))
			if api.CodeOf(err) != c.code {
				t.Fatalf("got %v, want %q", err, c.code)
			}
			if c.code == "" && s != key {
				t.Fatal("no key")
			}
			var pe *PINError
			if errors.As(err, &pe) && pe.State != c.state {
				t.Errorf("state %s, want %s", pe.State, c.state)
			}
			if (c.code == api.CodeTokenPINWrong || c.code == api.CodeTokenPINLocked) && pe == nil {
				t.Errorf("%v is not a *PINError", err)
			}
			if tok.logins > c.maxLogins {
				t.Errorf("%d logins, want at most %d", tok.logins, c.maxLogins)
			}
		})
	}
}

func TestPINStateOf(t *testing.T) {
	for flags, want := range map[uint]PINState{
		0: PINOK, ckfUserPINCountLow: PINCountLow, ckfUserPINFinalTry | ckfUserPINCountLow: PINFinalTry,
		ckfUserPINLocked | ckfUserPINFinalTry: PINLocked, ckfLoginRequired | ckfTokenInitialized: PINOK,
	} {
		if got := PINStateOf(flags); got != want {
			t.Errorf("%#x: %s, want %s", flags, got, want)
		}
	}
}

func TestClassifySigningErrors(t *testing.T) {
	wrapped := api.Errorf(api.CodeInternal, "signing: %w", CKRError(ckrDeviceRemoved))
	if got := api.CodeOf(classify("signing", wrapped)); got != api.CodeTokenRemoved {
		t.Errorf("removed during signing: %s", got)
	}
	if got := api.CodeOf(classify("x", api.Errorf(api.CodeTokenKeyMissing, "k"))); got != api.CodeTokenKeyMissing {
		t.Errorf("coded error rewritten: %s", got)
	}
	if got := api.CodeOf(classify("x", errors.New("other"))); got != api.CodeTokenFailed {
		t.Errorf("other: %s", got)
	}
}
