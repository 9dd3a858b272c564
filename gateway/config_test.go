package gateway

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/api/passwordrules"
)

// loadPolicy writes an otherwise minimal valid config whose password_policy
// is section and loads it as svpn-gateway does.
func loadPolicy(t *testing.T, section string) (api.PasswordRules, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(path, []byte(`{"gateway_id": "gw-test", "store": "sqlite::memory:",
		"trust_anchors": ["ca.pem"], "password_policy": `+section+`}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(path)
	if err != nil {
		return api.PasswordRules{}, err
	}
	return c.PasswordPolicy.Rules(), nil
}

// TestPasswordPolicyConfigKeys: config files written before the policy
// became api.PasswordRules (max_repeat, forbid_old) keep loading, and the
// wire's names are accepted too.
func TestPasswordPolicyConfigKeys(t *testing.T) {
	want := api.PasswordRules{MinLength: 10, MaxLength: 20, RequireDigit: true, Specials: "!",
		MaxRepeated: 3, ForbidUserID: true, ForbidReuseLast: true}
	for _, section := range []string{
		`{"min_length": 10, "max_length": 20, "require_digit": true, "specials": "!", "max_repeat": 3, "forbid_user_id": true, "forbid_old": true}`,
		`{"min_length": 10, "max_length": 20, "require_digit": true, "specials": "!", "max_repeated": 3, "forbid_user_id": true, "forbid_reuse_last": true}`,
	} {
		got, err := loadPolicy(t, section)
		if err != nil || got != want {
			t.Errorf("%s\n loads as %+v, %v\n want %+v", section, got, err, want)
		}
	}
}

func TestPasswordPolicyConfigRefused(t *testing.T) {
	for _, section := range []string{
		`{"max_repeat": 3, "max_repeated": 2}`,
		`{"forbid_old": true, "forbid_reuse_last": false}`,
		`{"min_lenght": 9}`, // a typo must not silently mean "no minimum"
		`{"max_repeat": "3"}`,
	} {
		if got, err := loadPolicy(t, section); err == nil {
			t.Errorf("%s loads as %+v, want an error", section, got)
		}
	}
}

func TestPasswordPolicyConfigDefault(t *testing.T) {
	got, err := loadPolicy(t, `{}`)
	if err != nil || got != passwordrules.Default() {
		t.Errorf("empty policy loads as %+v, %v; want the default", got, err)
	}
}

// TestPasswordPolicyConfigRoundTrip: what the gateway writes (svpn-gateway
// demo writes its config) it reads back, under the config's own key names.
func TestPasswordPolicyConfigRoundTrip(t *testing.T) {
	p := PasswordPolicy(passwordrules.Default())
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(b); !strings.Contains(s, `"max_repeat":2`) || !strings.Contains(s, `"forbid_old":true`) ||
		strings.Contains(s, "max_repeated") || strings.Contains(s, "forbid_reuse_last") {
		t.Errorf("written as %s", s)
	}
	var back PasswordPolicy
	if err := json.Unmarshal(b, &back); err != nil || back != p {
		t.Errorf("read back %+v, %v; want %+v", back, err, p)
	}
}
