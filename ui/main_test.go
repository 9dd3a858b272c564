package ui

import (
	"os"
	"testing"

	_ "github.com/opensvpn/svpn/internal/testlocale" // before Fyne reads the locale
)

func TestMain(m *testing.M) {
	if err := SetupLanguage(Korean); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

// withLanguage runs f with the UI in l, restoring Korean after.
func withLanguage(t *testing.T, l Language, f func()) {
	t.Helper()
	if err := SetupLanguage(l); err != nil {
		t.Fatal(err)
	}
	defer SetupLanguage(Korean)
	f()
}
