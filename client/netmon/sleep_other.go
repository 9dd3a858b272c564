//go:build !linux && !windows && !darwin

package netmon

import "context"

// watchSleep: no sleep notification is listened to on this OS yet; the
// heartbeat's clock-jump detection covers a resume.
func watchSleep(ctx context.Context, resumed func()) error { return nil }
