// Package login is the one login sequence every front end runs against
// svpnd: ask the daemon to begin (it opens a TLS connection to the gateway
// and fetches a challenge bound to its own WireGuard key), build the signed
// bytes here from the binding's fields, sign them with the certificate key
// in this process, and finish. A login method (a key file, a security
// token, …) is a Signer; the sequence stays here.
package login

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"time"

	"github.com/opensvpn/svpn/api"
)

// Daemon is the part of svpnd's local API a login uses.
type Daemon interface {
	LoginBegin(ctx context.Context, userID string) (*api.LoginBeginResponse, error)
	LoginFinish(ctx context.Context, req *api.LoginFinishRequest) (api.Status, error)
}

// Canceller is a Daemon that can abandon a begun login (svpnd's local API
// can; a front end's test double need not).
type Canceller interface {
	LoginCancel(ctx context.Context, id string) (api.Status, error)
}

// Signer is a certificate key held by the front end; it never leaves the
// front end's process. certstore.Identity is one.
type Signer interface {
	CertificateDER() []byte
	// Sign signs msg; alg "" lets the key choose its default algorithm.
	Sign(rand io.Reader, msg []byte, alg api.SignatureAlgorithm) ([]byte, api.SignatureAlgorithm, error)
}

// VIDSigner is a Signer whose key carries R (NPKI key files do), which a
// gateway that binds certificates at first login may ask for.
type VIDSigner interface {
	VIDRandom() []byte
}

// Once runs one begin-sign-finish round. It signs only the message it
// built itself from the binding (api.LoginBinding.Message), whose gateway
// ID must be the one pinned in the profile; nothing the gateway sends is
// ever signed as is.
func Once(ctx context.Context, d Daemon, s Signer, user, password, newPassword string) (api.Status, error) {
	begin, err := d.LoginBegin(ctx, user)
	if err != nil {
		return api.Status{}, err
	}
	if begin.Binding.UserID != user {
		return api.Status{}, abandon(ctx, d, begin.LoginID, api.Errorf(api.CodeBadRequest, "svpnd began a login for %q, not %q", begin.Binding.UserID, user))
	}
	msg, err := begin.Binding.Message()
	if err != nil {
		return api.Status{}, abandon(ctx, d, begin.LoginID, err)
	}
	sig, alg, err := s.Sign(rand.Reader, msg, "")
	if err != nil {
		return api.Status{}, abandon(ctx, d, begin.LoginID, err)
	}
	var random []byte
	if v, ok := s.(VIDSigner); ok {
		random = v.VIDRandom()
	}
	return d.LoginFinish(ctx, &api.LoginFinishRequest{LoginID: begin.LoginID, Password: password, NewPassword: newPassword,
		Certificate: s.CertificateDER(), Signature: sig, SignatureAlgorithm: alg, VIDRandom: random})
}

// NewPasswordFunc asks the user for a new account password after the
// gateway asked for one (code password_change_required) or refused the
// last one (code password_policy, with the violations in refusal).
type NewPasswordFunc func(code api.Code, err error) (string, error)

// MaxRounds bounds the rounds of Run: a first login, then new passwords.
const MaxRounds = 3

// Run logs in, asking for a new password with ask while the gateway wants
// one, at most MaxRounds rounds. Each round is a complete login (password,
// signature, channel binding): the gateway changes a password only inside
// one.
func Run(ctx context.Context, d Daemon, s Signer, user, password string, ask NewPasswordFunc) (api.Status, error) {
	newPW := ""
	for range MaxRounds {
		st, err := Once(ctx, d, s, user, password, newPW)
		code := api.CodeOf(err)
		switch code {
		case "":
			return st, nil
		case api.CodePasswordChangeRequired, api.CodePasswordPolicy:
			if ask == nil {
				return st, err
			}
			if newPW, err = ask(code, err); err != nil {
				return api.Status{}, err
			}
		default:
			return st, err
		}
	}
	return api.Status{}, errors.New("login: too many attempts")
}

// abandon tells svpnd that the login begun as id will not be finished, so
// it does not go on showing it as under way, and returns err. It is told
// even when ctx has ended (the user cancelled): briefly, and best effort.
func abandon(ctx context.Context, d Daemon, id string, err error) error {
	if c, ok := d.(Canceller); ok {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		c.LoginCancel(cctx, id)
		cancel()
	}
	return err
}
