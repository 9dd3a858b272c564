#!/bin/sh
# Installs what `make dist` and `make dist-test` need beyond `make deps`:
# Debian packages for packaging (mingw-w64 for the Windows cgo builds of
# svpn.exe and svpnctl.exe, NSIS, osslsigncode, openssl for the test
# signing certificate, debootstrap and systemd-container for the .deb test,
# lintian to check the .debs, gcc and dpkg-dev for the .deb's cgo svpnctl
# and its libc6 dependency (dpkg-shlibdeps), wine64 to run the Windows CLI,
# desktop-file-utils to validate the .desktop entries), and nfpmdeb (nfpm's
# .deb packager, a module of its own under installer/nfpmdeb) built into
# the cache. Safe to run any number of times.
set -eu

# installer/deps.sh [linux] [windows] [macos]: only what those need
# (default all), so the .deb test in `make test` does not pull in wine.
PKGS=""
[ $# -gt 0 ] || set -- linux windows macos
for os in "$@"; do
	case $os in
	linux) PKGS="$PKGS debootstrap systemd-container desktop-file-utils binutils lintian dpkg-dev gcc" ;;
	windows) PKGS="$PKGS gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 nsis osslsigncode openssl wine64" ;;
	macos) ;;
	*) echo "installer/deps: unknown target $os" >&2; exit 2 ;;
	esac
done

"$(dirname "$0")/../scripts/apt-install.sh" $PKGS

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${SVPN_DIST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/svpn-dist}
mkdir -p "$cache/bin"
# Rebuilt when its source changes (go build is a no-op otherwise).
(cd "$root/installer/nfpmdeb" && go build -trimpath -o "$cache/bin/nfpmdeb" .)
echo "installer/deps: packaging tools present (nfpmdeb in $cache/bin)"
