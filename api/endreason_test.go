package api

import (
	"encoding/json"
	"strings"
	"testing"
)

// The end reasons stay plain JSON strings with their old values: older
// front ends and gateways read and write them as strings.
func TestEndReasonJSON(t *testing.T) {
	for _, r := range []EndReason{EndLogout, EndKicked, EndExpired, EndReplaced, EndRevoked} {
		b, err := json.Marshal(ErrorResponse{Code: CodeSessionEnded, EndReason: r})
		if err != nil || !strings.Contains(string(b), `"end_reason":"`+string(r)+`"`) {
			t.Errorf("%s: %s %v", r, b, err)
		}
	}
	var st Status
	if err := json.Unmarshal([]byte(`{"state":"disconnected","end_reason":"solar_flare"}`), &st); err != nil || st.EndReason != "solar_flare" {
		t.Fatalf("an unknown reason from a newer gateway: %q %v", st.EndReason, err)
	}
	if b, _ := json.Marshal(Status{}); strings.Contains(string(b), "end_reason") {
		t.Fatalf("no reason is omitted: %s", b)
	}
}
