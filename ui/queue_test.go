package ui

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
)

// uiQueue is Options.Do in tests. Fyne's test driver runs fyne.Do's
// function at once on the goroutine that posts it, so the windows'
// background work (svpnd's status, finished calls, fitHeight) would change
// widgets while the test types, taps and reads them on its own goroutine.
// Queued instead, the updates are applied by the test goroutine (pump),
// which is thus the only one that touches widgets, as Fyne's is in the app.
type uiQueue struct {
	mu sync.Mutex
	fs []func()
}

func (q *uiQueue) post(f func()) {
	q.mu.Lock()
	q.fs = append(q.fs, f)
	q.mu.Unlock()
}

// run applies what was posted, and what that posts, until nothing is left.
func (q *uiQueue) run() {
	for {
		q.mu.Lock()
		fs := q.fs
		q.fs = nil
		q.mu.Unlock()
		if len(fs) == 0 {
			return
		}
		for _, f := range fs {
			f()
		}
	}
}

// queues are the current test's windows' queues; a test's own goroutine
// alone adds, removes and pumps them (tests in this package are not
// parallel), so the map needs no lock.
var queues = map[*uiQueue]bool{}

// newTestWindows is NewWindows with the UI updates queued for the test
// goroutine. What is posted after the test ends is never applied, as in
// a window that has closed.
func newTestWindows(t testing.TB, a fyne.App, o Options) *Windows {
	t.Helper()
	q := &uiQueue{}
	queues[q] = true
	t.Cleanup(func() { delete(queues, q) })
	o.Do = q.post
	return NewWindows(a, o)
}

// pump applies the UI updates posted so far, on the test goroutine.
func pump() {
	for q := range queues {
		q.run()
	}
}

// onUI runs f on the test goroutine, Fyne's in these tests, with the
// updates posted before it applied (and those it posts).
func onUI(f func()) {
	pump()
	f()
	pump()
}

// TestUIUpdatesGoThroughOptionsDo: the windows call neither fyne.Do nor
// fyne.DoAndWait themselves; an update posted past Options.Do would run
// beside the test's steps again.
func TestUIUpdatesGoThroughOptionsDo(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	n := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		n++
		ast.Inspect(f, func(node ast.Node) bool {
			call, ok := node.(*ast.CallExpr)
			if !ok {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
				if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "fyne" && (sel.Sel.Name == "Do" || sel.Sel.Name == "DoAndWait") {
					t.Errorf("%s: fyne.%s called directly; post through Windows.onMain or Windows.do", fset.Position(call.Pos()), sel.Sel.Name)
				}
			}
			return true
		})
	}
	if n < 10 {
		t.Fatalf("parsed only %d files: is the pattern right?", n)
	}
}
