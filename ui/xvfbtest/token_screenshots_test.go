package xvfbtest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestTokenScreenshots saves the picker's 보안토큰 tab in the light and
// the dark theme, and a wrong PIN, from the real app under Xvfb with the
// demo's SoftHSM token (no certificate on the disk or a drive, so the
// picker opens on the token).
func TestTokenScreenshots(t *testing.T) {
	out, X, d := startScreenshots(t)
	display := X.display
	var demo struct {
		Users []struct {
			UserID       string `json:"user_id"`
			Password     string `json:"initial_password"`
			Kind         string `json:"kind"`
			SoftHSM2Conf string `json:"softhsm2_conf"`
		} `json:"users"`
		Notes []string `json:"notes"`
	}
	b, err := os.ReadFile(filepath.Join(d.dir, "demo.json"))
	if err != nil || json.Unmarshal(b, &demo) != nil {
		t.Fatalf("demo.json: %v", err)
	}
	conf, user, pw := "", "", ""
	for _, u := range demo.Users {
		if u.Kind == "token" {
			conf, user, pw = u.SoftHSM2Conf, u.UserID, u.Password
		}
	}
	if conf == "" {
		t.Skipf("the demo has no token account: %v", demo.Notes)
	}
	png := func(name string) string { return filepath.Join(out, name) }
	for _, theme := range []string{"light", "dark"} {
		app := d.app(t, display, t.TempDir(), nil, []string{"FYNE_THEME=" + theme, "SOFTHSM2_CONF=" + conf})
		login := X.window("^원격근무서비스$")
		X.settled(login, nil)
		X.typeIn(login, user, "Tab")
		X.typeIn(login, pw, "Return")
		picker := X.window("인증서 선택")
		X.shot(picker, png("14-picker-token-"+theme+".png"))
		if theme == "light" {
			X.typeIn(picker, "wrong-pin")
			X.save(X.after(picker, X.key(picker, "Return")), png("15-picker-token-wrong-pin.png"))
		}
		X.typeIn(picker, "", "Escape")
		app.Stop()
		if t.Failed() {
			t.Logf("app output:\n%s", app.Output())
		}
	}
}
