// Package installer holds SVPN's packaging: the Linux .deb packages (nfpm),
// the Windows NSIS installer, the macOS bundle and launchd plists, and the
// programs the installers use (cmd/mkicons, cmd/profilecheck,
// cmd/svpn-recover). installer/dist.sh builds them into dist/ (`make
// dist`); see README.md.
//
// Its tests check the packaging files themselves (fast, in `make test`);
// with SVPN_DIST_TEST=1 and root they test what `make dist` built: the .deb
// packages installed and purged in a fresh Debian root under
// systemd-nspawn, the Windows installer (signatures, the wintun.dll check,
// an install and uninstall under Wine) and the macOS bundle (`make
// dist-test`).
package installer
