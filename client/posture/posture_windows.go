package posture

import (
	"context"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"

	"github.com/opensvpn/svpn/api"
)

// wscTimeout bounds the Security Center query: PowerShell plus WMI take
// one to three seconds on a cold start and can hang when WMI is broken.
const wscTimeout = 10 * time.Second

func collect(ctx context.Context) []api.Antivirus {
	ps, err := powershellPath()
	if err != nil {
		return nil
	}
	out, err := commandOutput(ctx, wscTimeout, hideWindow, ps,
		"-NoLogo", "-NoProfile", "-NonInteractive", "-EncodedCommand", encodePowerShell(wscScript))
	if err != nil {
		// Windows Server has no Security Center (root/SecurityCenter2 does
		// not exist): nothing to report.
		return nil
	}
	av, err := parseWSC(out)
	if err != nil {
		return nil
	}
	return av
}

// powershellPath is Windows PowerShell in the system directory. svpnd runs
// as SYSTEM: resolving "powershell.exe" through PATH would run whatever a
// user managed to put earlier on it.
func powershellPath() (string, error) {
	dir, err := windows.GetSystemDirectory()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "WindowsPowerShell", "v1.0", "powershell.exe"), nil
}

// hideWindow keeps PowerShell from flashing a console window when the
// probe runs in a desktop process.
func hideWindow(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{HideWindow: true, CreationFlags: windows.CREATE_NO_WINDOW}
}

// osVersion reads the edition and release from the registry
// (HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion), which needs no
// external command.
func osVersion() string {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, `SOFTWARE\Microsoft\Windows NT\CurrentVersion`, registry.QUERY_VALUE)
	if err != nil {
		return "Windows"
	}
	defer k.Close()
	product, _, _ := k.GetStringValue("ProductName")
	display, _, err := k.GetStringValue("DisplayVersion") // 20H2 and later
	if err != nil || display == "" {
		display, _, _ = k.GetStringValue("ReleaseId")
	}
	var build uint64
	if s, _, err := k.GetStringValue("CurrentBuildNumber"); err == nil {
		build = parseUint(s)
	}
	ubr, _, _ := k.GetIntegerValue("UBR")
	return windowsVersion(product, display, build, ubr)
}
