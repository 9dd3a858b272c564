package token

import (
	"crypto"

	"github.com/opensvpn/svpn/api"
)

// pinToken is the seam the PIN logic runs on: the real one is a token
// reached through its module (crypto11 for the login, miekg/pkcs11 for the
// flags); tests use a fake whose flags they set, since SoftHSM never counts
// wrong PINs.
type pinToken interface {
	// Info re-reads the token's CK_TOKEN_INFO (the PIN flags change with
	// every try).
	Info() (TokenInfo, error)
	// Login logs in with pin in a fresh session and finds the private key
	// of the certificate (by its CKA_ID).
	Login(pin string) (crypto.Signer, error)
}

// loginWithPIN logs in to t: a locked token is refused before the PIN is
// sent (each try counts), a PIN of a length the token cannot take is
// refused without trying, and a wrong PIN comes back with the PIN state the
// token reports right after.
func loginWithPIN(t pinToken, pin []byte) (crypto.Signer, error) {
	info, err := t.Info()
	if err != nil {
		return nil, classify("reading the token", err)
	}
	if info.PINState() == PINLocked {
		return nil, &PINError{Code: api.CodeTokenPINLocked, State: PINLocked}
	}
	if len(pin) == 0 || (info.MinPIN > 0 && uint(len(pin)) < info.MinPIN) || (info.MaxPIN > 0 && info.MaxPIN < 1<<16 && uint(len(pin)) > info.MaxPIN) {
		return nil, api.Errorf(api.CodeTokenPINInvalid, "the token takes PINs of %d to %d characters, got %d", info.MinPIN, info.MaxPIN, len(pin))
	}
	signer, err := t.Login(string(pin))
	if err == nil {
		return signer, nil
	}
	if v, ok := ckrOf(err); ok && v == ckrPINIncorrect {
		state := PINCountLow
		if after, ierr := t.Info(); ierr == nil {
			state = after.PINState()
			if state == PINOK {
				// The token counts nothing (SoftHSM): say a wrong PIN was
				// entered, which is true.
				state = PINCountLow
			}
		}
		code := api.CodeTokenPINWrong
		if state == PINLocked {
			code = api.CodeTokenPINLocked
		}
		return nil, &PINError{Code: code, State: state, Err: err}
	}
	return nil, classify("logging in to the token", err)
}
