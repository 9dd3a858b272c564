package netmon

import (
	"context"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Windows' power notifications, without a window: powrprof's
// PowerRegisterSuspendResumeNotification with a callback (Windows 8 and
// later; earlier ones rely on the heartbeat's clock).
var (
	powrprof                    = windows.NewLazySystemDLL("powrprof.dll")
	procRegisterSuspendResume   = powrprof.NewProc("PowerRegisterSuspendResumeNotification")
	procUnregisterSuspendResume = powrprof.NewProc("PowerUnregisterSuspendResumeNotification")
)

const (
	deviceNotifyCallback  = 2    // DEVICE_NOTIFY_CALLBACK
	pbtAPMResumeSuspend   = 0x7  // PBT_APMRESUMESUSPEND: resumed by the user
	pbtAPMResumeAutomatic = 0x12 // PBT_APMRESUMEAUTOMATIC: resumed, user or not
)

// deviceNotifySubscribeParameters is DEVICE_NOTIFY_SUBSCRIBE_PARAMETERS.
type deviceNotifySubscribeParameters struct {
	callback uintptr
	context  uintptr
}

func watchSleep(ctx context.Context, resumed func()) error {
	if err := procRegisterSuspendResume.Find(); err != nil {
		return nil
	}
	events := make(chan struct{}, 1)
	// The callback runs on a thread of the power manager's; it only
	// signals, and the loop below calls resumed.
	cb := windows.NewCallback(func(_, typ, _ uintptr) uintptr {
		if typ == pbtAPMResumeAutomatic || typ == pbtAPMResumeSuspend {
			select {
			case events <- struct{}{}:
			default:
			}
		}
		return 0
	})
	params := &deviceNotifySubscribeParameters{callback: cb}
	var h uintptr
	r, _, _ := procRegisterSuspendResume.Call(deviceNotifyCallback, uintptr(unsafe.Pointer(params)), uintptr(unsafe.Pointer(&h)))
	if r != 0 {
		return fmt.Errorf("netmon: registering for resume notifications: %w", windows.Errno(r))
	}
	defer func() {
		procUnregisterSuspendResume.Call(h)
		runtime.KeepAlive(params)
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-events:
			resumed()
		}
	}
}
