package posture

import (
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestCollectThisMachine runs the real probes: they must finish well
// inside their bounds and produce a report that encodes as a list.
func TestCollectThisMachine(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	p := Collect(ctx)
	elapsed := time.Since(start)
	t.Logf("Collect took %v: %+v", elapsed, p)
	if elapsed > 15*time.Second {
		t.Errorf("Collect took %v", elapsed)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"antivirus":[`) {
		t.Errorf("JSON %s: antivirus must be a list", b)
	}
}

func TestCollectCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	p := Collect(ctx)
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("Collect with a canceled context took %v", elapsed)
	}
	if p.Antivirus == nil {
		t.Error("Antivirus is nil")
	}
}

func TestDeviceInfo(t *testing.T) {
	d := DeviceInfo("1.2.3")
	t.Logf("%+v", d)
	if d.OS != runtime.GOOS || d.ClientVersion != "1.2.3" || d.Hostname == "" {
		t.Errorf("DeviceInfo = %+v", d)
	}
}
