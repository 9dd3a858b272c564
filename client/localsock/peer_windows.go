package localsock

import (
	"fmt"
	"net"

	"golang.org/x/sys/windows"
)

// peerCred identifies the client of a named pipe connection through its
// process: GetNamedPipeClientProcessId on the server end of the pipe (the
// kernel records the client's process ID at connect; the client cannot
// choose it), then that process's primary token.
//
// Impersonation (ImpersonateNamedPipeClient + OpenThreadToken) is not
// used: go-winio's DialPipeContext opens the pipe with
// SECURITY_SQOS_PRESENT|SECURITY_ANONYMOUS, so the server would only ever
// impersonate an anonymous token, and any client may choose that level.
// winio's connections expose their handle through Fd().
//
// A process ID is reused once its process ends; PeerIdentity is therefore
// asked right when a connection is accepted, while its client is alive.
func peerCred(c net.Conn) (uid string, admin bool, err error) {
	f, ok := c.(interface{ Fd() uintptr })
	if !ok {
		return "", false, fmt.Errorf("%T is not a named pipe connection", c)
	}
	var pid uint32
	if err := windows.GetNamedPipeClientProcessId(windows.Handle(f.Fd()), &pid); err != nil {
		return "", false, fmt.Errorf("GetNamedPipeClientProcessId: %w", err)
	}
	proc, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, pid)
	if err != nil {
		return "", false, fmt.Errorf("open client process %d: %w", pid, err)
	}
	defer windows.CloseHandle(proc)
	var tok windows.Token
	if err := windows.OpenProcessToken(proc, windows.TOKEN_QUERY, &tok); err != nil {
		return "", false, fmt.Errorf("open token of client process %d: %w", pid, err)
	}
	defer tok.Close()

	user, err := tok.GetTokenUser()
	if err != nil {
		return "", false, fmt.Errorf("token user: %w", err)
	}
	admin, err = tokenIsAdmin(tok, user.User.Sid)
	if err != nil {
		return "", false, err
	}
	return user.User.Sid.String(), admin, nil
}

// tokenIsAdmin reports whether the token is SYSTEM's or has
// BUILTIN\Administrators enabled. The group list is read directly rather
// than through CheckTokenMembership, which wants an impersonation token. A
// UAC-filtered administrator carries Administrators as deny-only, which
// is not enabled, so only an elevated process counts: the same line
// Windows itself draws.
func tokenIsAdmin(tok windows.Token, user *windows.SID) (bool, error) {
	if user.IsWellKnown(windows.WinLocalSystemSid) {
		return true, nil
	}
	admins, err := windows.CreateWellKnownSid(windows.WinBuiltinAdministratorsSid)
	if err != nil {
		return false, fmt.Errorf("administrators SID: %w", err)
	}
	groups, err := tok.GetTokenGroups()
	if err != nil {
		return false, fmt.Errorf("token groups: %w", err)
	}
	for _, g := range groups.AllGroups() {
		if g.Sid.Equals(admins) &&
			g.Attributes&windows.SE_GROUP_ENABLED != 0 &&
			g.Attributes&windows.SE_GROUP_USE_FOR_DENY_ONLY == 0 {
			return true, nil
		}
	}
	return false, nil
}
