package proxy

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"
)

// TokenParam is the query parameter that carries the portal token on the
// first visit.
const TokenParam = "svpn_token"

// PortalURL is the loopback URL that opens the portal at path through a
// ServePortal listening on addr with token: the first visit sets the
// cookie and drops the token from the address bar.
func PortalURL(addr, path, token string) string {
	u := &url.URL{Scheme: "http", Host: addr, Path: "/"}
	if p, err := url.ParseRequestURI(path); err == nil && path != "" {
		u.Path, u.RawQuery = p.Path, p.RawQuery
	}
	q := u.Query()
	q.Set(TokenParam, token)
	u.RawQuery = q.Encode()
	return u.String()
}

// ServePortal serves HTTP on ln until ctx ends, passing each request to
// target (an http:// or https:// URL of the portal; its path is not used)
// through dial. It only serves requests that
//
//   - name the listener itself as Host (127.0.0.1:port, localhost:port,
//     [::1]:port): a page on another name that resolves to loopback (DNS
//     rebinding) is refused, and
//   - carry token: as the svpn_token query parameter on the first visit,
//     answered with an HttpOnly, SameSite=Strict cookie and a redirect to
//     the same address without the token; in that cookie afterwards.
//
// The cookie is not passed on to the portal. ServePortal returns as Serve
// does.
func ServePortal(ctx context.Context, ln net.Listener, dial DialFunc, target *url.URL, token string, logger *slog.Logger) error {
	if token == "" {
		ln.Close()
		return errors.New("proxy: no portal token: a loopback forward must not be open to every local user")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	_, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		ln.Close()
		return err
	}
	p := &portal{
		token:  token,
		cookie: "svpn_portal_" + port,
		hosts:  map[string]bool{"127.0.0.1:" + port: true, "localhost:" + port: true, "[::1]:" + port: true},
		log:    logger.With("component", "portal", "listen", ln.Addr().String()),
	}
	tr := &http.Transport{
		DialContext:           func(ctx context.Context, network, addr string) (net.Conn, error) { return dialUp(ctx, dial, addr) },
		ResponseHeaderTimeout: responseTimeout,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       30 * time.Second,
	}
	defer tr.CloseIdleConnections()
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = target.Host
			dropCookie(r.Out, p.cookie)
		},
		Transport: tr,
		ErrorLog:  slog.NewLogLogger(p.log.Handler(), slog.LevelDebug),
	}
	hs := &http.Server{Handler: p, ReadHeaderTimeout: handshakeTimeout, ErrorLog: slog.NewLogLogger(p.log.Handler(), slog.LevelDebug),
		BaseContext: func(net.Listener) context.Context { return ctx }}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	hs.Close() // closes the listener and every connection
	<-errc
	return nil
}

type portal struct {
	token  string
	cookie string
	hosts  map[string]bool
	rp     *httputil.ReverseProxy
	log    *slog.Logger
}

func (p *portal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !p.hosts[strings.ToLower(r.Host)] {
		p.log.Info("portal forward: refused a request for another host", "host", r.Host)
		http.Error(w, "this address only serves the SVPN portal at its own loopback address", http.StatusMisdirectedRequest)
		return
	}
	if q := r.URL.Query(); q.Has(TokenParam) {
		if !p.valid(q.Get(TokenParam)) {
			p.refuse(w, "a wrong portal token")
			return
		}
		http.SetCookie(w, &http.Cookie{Name: p.cookie, Value: p.token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		q.Del(TokenParam)
		u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
		http.Redirect(w, r, u.String(), http.StatusSeeOther)
		return
	}
	if c, err := r.Cookie(p.cookie); err != nil || !p.valid(c.Value) {
		p.refuse(w, "no portal token")
		return
	}
	p.rp.ServeHTTP(w, r)
}

func (p *portal) valid(t string) bool {
	return subtle.ConstantTimeCompare([]byte(t), []byte(p.token)) == 1
}

func (p *portal) refuse(w http.ResponseWriter, why string) {
	p.log.Info("portal forward: refused a request", "why", why)
	http.Error(w, "open the portal from the SVPN app (원격근무서비스): this address needs the session's token", http.StatusForbidden)
}

// dropCookie removes the cookie name from r, keeping the portal's own.
func dropCookie(r *http.Request, name string) {
	cs := r.Cookies()
	r.Header.Del("Cookie")
	for _, c := range cs {
		if c.Name != name {
			r.AddCookie(c)
		}
	}
}
