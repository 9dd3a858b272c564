package proxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/opensvpn/svpn/api"
)

// SOCKS version 5 (RFC 1928), the parts a proxy into a tunnel needs:
// username/password authentication (RFC 1929) and nothing else, CONNECT
// only (BIND and UDP ASSOCIATE are refused with "command not supported").
const (
	socksVersion = 5

	socksAuthNone         = 0x00
	socksAuthUserPass     = 0x02
	socksAuthNoAcceptable = 0xff

	socksUserPassVersion = 1
	socksUserPassOK      = 0
	socksUserPassFailed  = 1

	socksCmdConnect = 1

	socksAtypIPv4   = 1
	socksAtypDomain = 3
	socksAtypIPv6   = 4

	socksSucceeded        = 0
	socksGeneralFailure   = 1
	socksNotAllowed       = 2
	socksNetUnreachable   = 3
	socksHostUnreachable  = 4
	socksConnRefused      = 5
	socksTTLExpired       = 6
	socksCmdNotSupported  = 7
	socksAtypNotSupported = 8
)

func (s *server) serveSOCKS(ctx context.Context, c net.Conn, br *bufio.Reader) {
	if err := socksNegotiate(br, c, s.creds); err != nil {
		s.log.Debug("SOCKS5 negotiation failed", "client", c.RemoteAddr().String(), "err", err)
		return
	}
	addr, rep, err := readSOCKSRequest(br)
	if err != nil {
		if rep != socksSucceeded {
			writeSOCKSReply(c, rep, nil)
		}
		s.log.Debug("SOCKS5 request refused", "client", c.RemoteAddr().String(), "err", err)
		return
	}
	up, err := dialUp(ctx, s.dial, addr)
	if err != nil {
		writeSOCKSReply(c, socksReplyFor(err), nil)
		s.log.Info("SOCKS5 connect failed", "target", addr, "err", err)
		return
	}
	if err := writeSOCKSReply(c, socksSucceeded, up.LocalAddr()); err != nil {
		up.Close()
		return
	}
	s.log.Debug("SOCKS5 connect", "target", addr)
	relay(ctx, c, br, up)
}

// socksNegotiate reads the client's greeting (VER NMETHODS METHODS),
// selects username/password if it is offered and checks the client's
// (RFC 1929: VER ULEN UNAME PLEN PASSWD, answered VER STATUS) against
// creds. Any other method, "no authentication" included, is refused.
func socksNegotiate(r io.Reader, w io.Writer, creds Credentials) error {
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return err
	}
	if hdr[0] != socksVersion {
		return fmt.Errorf("SOCKS version %d", hdr[0])
	}
	methods := make([]byte, hdr[1])
	if _, err := io.ReadFull(r, methods); err != nil {
		return err
	}
	offered := false
	for _, m := range methods {
		offered = offered || m == socksAuthUserPass
	}
	if !offered {
		w.Write([]byte{socksVersion, socksAuthNoAcceptable})
		return errors.New("client offers no username/password authentication")
	}
	if _, err := w.Write([]byte{socksVersion, socksAuthUserPass}); err != nil {
		return err
	}
	var ver [2]byte // VER ULEN
	if _, err := io.ReadFull(r, ver[:]); err != nil {
		return err
	}
	if ver[0] != socksUserPassVersion {
		w.Write([]byte{socksUserPassVersion, socksUserPassFailed})
		return fmt.Errorf("username/password version %d", ver[0])
	}
	user := make([]byte, ver[1])
	if _, err := io.ReadFull(r, user); err != nil {
		return err
	}
	var plen [1]byte
	if _, err := io.ReadFull(r, plen[:]); err != nil {
		return err
	}
	pass := make([]byte, plen[0])
	if _, err := io.ReadFull(r, pass); err != nil {
		return err
	}
	if !creds.match(string(user), string(pass)) {
		w.Write([]byte{socksUserPassVersion, socksUserPassFailed})
		return errors.New("wrong username or password")
	}
	_, err := w.Write([]byte{socksUserPassVersion, socksUserPassOK})
	return err
}

// readSOCKSRequest reads a request (VER CMD RSV ATYP DST.ADDR DST.PORT) and
// returns the address to connect to as host:port. On an error, rep is the
// reply to send, or socksSucceeded when the connection is beyond replying
// to (a short read).
func readSOCKSRequest(r io.Reader) (addr string, rep byte, err error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return "", socksSucceeded, err
	}
	if hdr[0] != socksVersion {
		return "", socksGeneralFailure, fmt.Errorf("SOCKS version %d in request", hdr[0])
	}
	var host string
	switch hdr[3] {
	case socksAtypIPv4, socksAtypIPv6:
		b := make([]byte, 4)
		if hdr[3] == socksAtypIPv6 {
			b = make([]byte, 16)
		}
		if _, err := io.ReadFull(r, b); err != nil {
			return "", socksSucceeded, err
		}
		ip, _ := netip.AddrFromSlice(b)
		host = ip.String()
	case socksAtypDomain:
		var n [1]byte
		if _, err := io.ReadFull(r, n[:]); err != nil {
			return "", socksSucceeded, err
		}
		b := make([]byte, n[0])
		if _, err := io.ReadFull(r, b); err != nil {
			return "", socksSucceeded, err
		}
		host = string(b)
		if !validHostName(host) {
			return "", socksHostUnreachable, fmt.Errorf("invalid host name %q", host)
		}
	default:
		return "", socksAtypNotSupported, fmt.Errorf("address type %d", hdr[3])
	}
	var port [2]byte
	if _, err := io.ReadFull(r, port[:]); err != nil {
		return "", socksSucceeded, err
	}
	// The command is checked after the whole request is read, so the
	// reply does not race the rest of it.
	if hdr[1] != socksCmdConnect {
		return "", socksCmdNotSupported, fmt.Errorf("command %d not supported", hdr[1])
	}
	p := int(port[0])<<8 | int(port[1])
	if p == 0 {
		return "", socksHostUnreachable, errors.New("port 0")
	}
	return net.JoinHostPort(host, strconv.Itoa(p)), socksSucceeded, nil
}

// validHostName reports whether a SOCKS domain name can be dialled as
// given: printable ASCII, none of the characters that would change the
// meaning of host:port or of a URL. Internationalized names arrive in
// punycode.
func validHostName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(":[]/\\@%", c) >= 0 {
			return false
		}
	}
	return true
}

// writeSOCKSReply sends VER REP RSV ATYP BND.ADDR BND.PORT, with bound as
// the address when it is a TCP address (all zeros otherwise).
func writeSOCKSReply(w io.Writer, rep byte, bound net.Addr) error {
	ap := netip.AddrPortFrom(netip.IPv4Unspecified(), 0)
	if ta, ok := bound.(*net.TCPAddr); ok {
		ap = ta.AddrPort()
	}
	ip := ap.Addr().Unmap()
	b := []byte{socksVersion, rep, 0, socksAtypIPv4}
	if ip.Is6() {
		b[3] = socksAtypIPv6
	}
	b = append(b, ip.AsSlice()...)
	b = append(b, byte(ap.Port()>>8), byte(ap.Port()))
	_, err := w.Write(b)
	return err
}

// socksReplyFor maps a dial error to the reply code that says most.
func socksReplyFor(err error) byte {
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case api.CodeOf(err) == api.CodeTunnelNotRouted:
		return socksNotAllowed
	case errors.Is(err, syscall.ECONNREFUSED):
		return socksConnRefused
	case errors.Is(err, syscall.ENETUNREACH):
		return socksNetUnreachable
	case errors.Is(err, syscall.EHOSTUNREACH), errors.As(err, &dnsErr):
		return socksHostUnreachable
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &netErr) && netErr.Timeout():
		return socksTTLExpired
	}
	// gVisor's netstack reports its errors as text only.
	switch msg := err.Error(); {
	case strings.Contains(msg, "refused"):
		return socksConnRefused
	case strings.Contains(msg, "unreachable"):
		return socksHostUnreachable
	case strings.Contains(msg, "timed out"), strings.Contains(msg, "timeout"):
		return socksTTLExpired
	}
	return socksGeneralFailure
}
