package sessionbus

import (
	"os"
	"path/filepath"
	"testing"
)

func TestNoAutolaunch(t *testing.T) {
	empty := t.TempDir()
	withBus := t.TempDir()
	if err := os.WriteFile(filepath.Join(withBus, "bus"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, addr, runtime string
		want                string // the address after NoAutolaunch
	}{
		{"no bus anywhere", "", empty, Disabled},
		{"autolaunch asked for", "autolaunch:", empty, Disabled},
		{"an address set", "unix:path=/x", empty, "unix:path=/x"},
		{"a bus in the runtime directory", "", withBus, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("DBUS_SESSION_BUS_ADDRESS", c.addr)
			t.Setenv("XDG_RUNTIME_DIR", c.runtime)
			did := NoAutolaunch()
			if got := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); got != c.want {
				t.Errorf("DBUS_SESSION_BUS_ADDRESS = %q, want %q", got, c.want)
			}
			if did != (c.want == Disabled) {
				t.Errorf("NoAutolaunch() = %v", did)
			}
			if Available() != (c.want != Disabled) {
				t.Errorf("Available() = %v", Available())
			}
		})
	}
}
