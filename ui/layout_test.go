package ui

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/client/local"
)

// TestKeepTogether: the attempts left start a line of their own instead
// of breaking as "(남은 시도 횟수:" / "4회)" (issue 17, item 7).
func TestKeepTogether(t *testing.T) {
	v := newProblemView(nil)
	err := &api.Error{Code: api.CodeBadCredentials, Err: &local.Refusal{Status: 403,
		Response: api.ErrorResponse{Code: api.CodeBadCredentials, RemainingAttempts: 4}}}
	p := Explain(err)
	v.Set(&p, "")
	if !strings.HasSuffix(v.label.Text, "\n(남은 시도 횟수: 4회)") {
		t.Errorf("label %q", v.label.Text)
	}
	for in, want := range map[string]string{
		"끝. (짧다)": "끝.\n(짧다)",
		"끝 (이 괄호 안의 말은 한 줄에 두기에는 너무 길어서 그냥 둡니다)": "끝 (이 괄호 안의 말은 한 줄에 두기에는 너무 길어서 그냥 둡니다)",
		"괄호 없음":     "괄호 없음",
		"(처음부터 괄호)": "(처음부터 괄호)",
	} {
		if got := keepTogether(in); got != want {
			t.Errorf("keepTogether(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDNText: a certificate's subject wraps between its parts, never
// inside one (cn=홍길동()00004346…); escaped commas stay.
func TestDNText(t *testing.T) {
	for in, want := range map[string]string{
		"cn=홍길동()0000434688492328130554,ou=SVPNBANK,ou=personal4IB,o=yessign,c=kr": "cn=홍길동()0000434688492328130554, ou=SVPNBANK, ou=personal4IB, o=yessign, c=kr",
		`cn=Kim\, Minsu,o=Gov`: `cn=Kim\, Minsu, o=Gov`,
		"cn=a, o=b":            "cn=a, o=b",
	} {
		if got := dnText(in); got != want {
			t.Errorf("dnText(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDiagnosticsLayout: the values of every section start at one x, and
// a refresh (svpnd's status changed) keeps the reader's scroll position
// (issue 17, item 7).
func TestDiagnosticsLayout(t *testing.T) {
	a := test.NewTempApp(t)
	d := &quietDiagDaemon{diagDaemon{diag: api.Diagnostics{
		Status:   api.Status{State: api.StateConnected, User: "kim01", Address: "10.77.0.9/32", Routes: []string{"10.0.0.0/8"}},
		Profile:  api.Profile{Name: "행정안전부", Helpdesk: testHelpdesk},
		Versions: map[string]string{"svpnd": "1.0", "go": "go1.26", "os": "linux/amd64"},
		Errors:   []api.ErrorEvent{{Code: api.CodeBadCredentials, Time: time.Now()}},
	}}}
	x := newTestWindows(t, a, Options{Daemon: d, Sources: func() []certstore.Source { return nil },
		OpenURL: func(*url.URL) error { return nil }})
	w := x.ShowDiagnostics()
	t.Cleanup(func() { w.Close() })
	w.Resize(fyne.NewSize(720, 400))
	dw := x.diag
	eventually(t, 5*time.Second, "the report", func() bool {
		ready := false
		onUI(func() { ready = dw.grid != nil && !dw.loading })
		return ready
	})
	xs := map[float32]int{}
	var minH, viewH float32
	eventually(t, 5*time.Second, "the report laid out", func() bool {
		onUI(func() {
			w.Resize(fyne.NewSize(721, 400)) // lays the new content out
			w.Resize(fyne.NewSize(720, 400))
			clear(xs)
			objs := dw.grid.Objects
			for i := 0; i+1 < len(objs); i += 2 {
				if v, ok := objs[i+1].(*widget.Label); ok && v.Text != "" {
					xs[v.Position().X]++
				}
			}
			minH, viewH = dw.body.MinSize().Height, dw.scroll.Size().Height
		})
		return minH > viewH && len(xs) > 0
	})
	if len(xs) != 1 {
		t.Errorf("values start at %d different x: %v", len(xs), xs)
	}
	for x := range xs {
		if x <= 0 {
			t.Errorf("values at x %v: not laid out", x)
		}
	}
	if minH <= viewH {
		t.Fatalf("the report fits (%v in %v): cannot test the scroll", minH, viewH)
	}
	onUI(func() {
		c := dw.scroll.Content
		c.Resize(c.MinSize().Max(dw.scroll.Size())) // as the scroll lays it out
		dw.scroll.ScrollToOffset(fyne.NewPos(0, 120))
	})
	if dw.scroll.Offset.Y != 120 {
		t.Fatalf("could not scroll: offset %v", dw.scroll.Offset)
	}
	var before *fyne.Container
	var first *widget.Label
	onUI(func() { before, first = dw.grid, dw.values[0] })
	d.mu.Lock()
	d.diag.Status.Address = "10.77.0.10/32" // a value changes, the rows stay
	d.mu.Unlock()
	onUI(dw.refresh)
	eventually(t, 5*time.Second, "the refresh", func() bool {
		found := false
		onUI(func() { found = strings.Contains(dw.Text(), "10.77.0.10/32") })
		return found
	})
	onUI(func() {
		if dw.grid != before || dw.values[0] != first {
			t.Error("the report was rebuilt for a changed value: its new labels, not laid out yet, made the scroll jump")
		}
	})
	// Kept, also after the layout that follows the rebuild.
	for range 10 {
		var off fyne.Position
		onUI(func() { off = dw.scroll.Offset })
		if off.Y != 120 {
			t.Fatalf("scroll offset %v after a refresh, want 120", off)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// quietDiagDaemon's watch stream says nothing: the test alone triggers
// refreshes, so it knows which snapshot the report shows.
type quietDiagDaemon struct{ diagDaemon }

func (*quietDiagDaemon) Watch(ctx context.Context, _ func(api.Status)) error {
	<-ctx.Done()
	return ctx.Err()
}

// TestLoginWindowShrinks: the login window gives back the space of an
// error once it is gone, instead of growing with each one and never
// shrinking (issue 17, item 7).
func TestLoginWindowShrinks(t *testing.T) {
	a := test.NewTempApp(t)
	x := newTestWindows(t, a, Options{Daemon: &scriptedDaemon{}, Sources: func() []certstore.Source { return nil },
		OpenURL: func(*url.URL) error { return nil }})
	w := showLogin(t, x)
	t.Cleanup(func() { w.Close() })
	lw := x.login
	height := func() float32 {
		var h float32
		onUI(func() { h = w.Canvas().Size().Height })
		return h
	}
	var h0 float32
	eventually(t, 5*time.Second, "the window's height", func() bool { h0 = height(); return h0 > 100 })
	onUI(func() { lw.submit() }) // no ID: a problem under the form
	eventually(t, 5*time.Second, "the window to grow", func() bool { return height() > h0 })
	onUI(func() { lw.problem.Set(nil, "") })
	eventually(t, 5*time.Second, "the window to shrink back", func() bool { return height() == h0 })
}

// flakyDaemon is svpnd up, then gone for a while (the first stream
// ends), then back.
type flakyDaemon struct {
	scriptedDaemon
	mu2   sync.Mutex
	calls int
	back  chan struct{}
}

func (d *flakyDaemon) Watch(ctx context.Context, f func(api.Status)) error {
	d.mu2.Lock()
	d.calls++
	n := d.calls
	d.mu2.Unlock()
	switch n {
	case 1:
		f(api.Status{State: api.StateDisconnected})
		return &api.Error{Code: api.CodeDaemonUnavailable} // gone
	case 2:
		select {
		case <-d.back:
		case <-ctx.Done():
			return ctx.Err()
		}
		return &api.Error{Code: api.CodeDaemonUnavailable}
	}
	f(api.Status{State: api.StateDisconnected})
	<-ctx.Done()
	return ctx.Err()
}

// TestLoginWindowFitsDaemonBanner: the E-601 banner (svpnd gone) makes
// room for itself, and gives it back when svpnd answers again, also when
// the profile needs no reloading (which fitted the window on its own).
func TestLoginWindowFitsDaemonBanner(t *testing.T) {
	a := test.NewTempApp(t)
	d := &flakyDaemon{back: make(chan struct{})}
	d.profile = api.ProfileInfo{Profile: api.Profile{Name: "원격근무서비스"}, Gateway: &api.Info{Name: "GW"}}
	x := newTestWindows(t, a, Options{Daemon: d, Sources: func() []certstore.Source { return nil },
		OpenURL: func(*url.URL) error { return nil }})
	w := showLogin(t, x)
	t.Cleanup(func() { w.Close() })
	lw := x.login
	height := func() float32 {
		var h float32
		onUI(func() { h = w.Canvas().Size().Height })
		return h
	}
	banner := func() bool {
		var v bool
		onUI(func() { v = lw.daemonBanner.Visible() })
		return v
	}
	var withBanner float32
	eventually(t, 5*time.Second, "the banner", func() bool {
		withBanner = height()
		return banner() && lw.profile != nil
	})
	eventually(t, 5*time.Second, "the window to make room for the banner", func() bool {
		withBanner = height()
		return withBanner >= lw.w.Content().MinSize().Height
	})
	close(d.back)
	eventually(t, 5*time.Second, "the banner to go and the window to shrink", func() bool {
		return !banner() && height() < withBanner
	})
}
