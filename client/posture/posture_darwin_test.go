package posture

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/opensvpn/svpn/api"
)

func TestDarwinCollect(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	root := t.TempDir()
	mk := func(rel, content string, mtime time.Time) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	plist := func(v string) string {
		return `<plist><dict><key>CFBundleShortVersionString</key><string>` + v + `</string></dict></plist>`
	}
	mk("Library/Apple/System/Library/CoreServices/XProtect.bundle/Contents/Info.plist", plist("2199"), now.Add(-200*24*time.Hour))
	mk("private/var/protected/xprotect/XProtect.bundle/Contents/Info.plist", plist("5287"), now.Add(-10*24*time.Hour))
	mk("Applications/V3.app/Contents/Info.plist", "", now)
	mk("Applications/"+norm.NFD.String("알약")+".app/Contents/Info.plist", "", now)
	mk("Applications/Safari.app/Contents/Info.plist", "", now)

	h := darwinHost{
		Root: root,
		Now:  func() time.Time { return now },
		Processes: func(context.Context) []string {
			return []string{"/sbin/launchd", "/Applications/V3.app/Contents/MacOS/V3Agent"}
		},
		Products: darwinProducts(),
	}
	want := []api.Antivirus{
		{Name: "Apple XProtect 5287", Enabled: true, UpToDate: true},
		{Name: "AhnLab V3", Enabled: true},
		{Name: "ALYac", Enabled: false},
	}
	if got := h.collect(context.Background()); !reflect.DeepEqual(got, want) {
		t.Errorf("collect =\n %+v\nwant\n %+v", got, want)
	}
}
