#!/bin/sh
# Finishes the macOS package on a Mac (the cgo desktop app cannot be
# cross-built on Linux). From the root of an SVPN checkout, with Go and the
# Xcode command line tools:
#
#   installer/macos/finish.sh dist/macos/SVPN-<version>-macos-<arch>
#
# It builds cmd/svpn (and svpnctl again, with cgo, for security tokens) for
# that architecture into SVPN.app, signs the bundle
# (MAC_SIGN_IDENTITY="Developer ID Application: …", default ad hoc) and
# writes SVPN-<version>-macos-<arch>.pkg beside the directory
# (MAC_INSTALLER_IDENTITY="Developer ID Installer: …" signs the .pkg).
set -eu
dir=${1:?usage: installer/macos/finish.sh dist/macos/SVPN-<version>-macos-<arch>}
dir=$(cd "$dir" && pwd)
arch=$(cat "$dir/ARCH")
version=$(cat "$dir/VERSION")
app="$dir/payload/Applications/SVPN.app"
[ -f go.mod ] && [ -d cmd/svpn ] || { echo "finish.sh: run it from the root of the SVPN checkout" >&2; exit 1; }
[ "$(uname -s)" = Darwin ] || { echo "finish.sh: run it on a Mac" >&2; exit 1; }

CGO_ENABLED=1 GOOS=darwin GOARCH="$arch" go build -trimpath -ldflags "-s -w -X main.version=$version" \
	-o "$app/Contents/MacOS/svpn" ./cmd/svpn
# svpnctl again, with cgo, for security tokens (their PKCS#11 drivers load
# through cgo); the cgo-free one built on Linux stays if this fails, and
# answers E-250 for tokens.
if CGO_ENABLED=1 GOOS=darwin GOARCH="$arch" go build -trimpath -ldflags "-s -w -X main.version=$version" \
	-o "$app/Contents/MacOS/svpnctl.cgo" ./cmd/svpnctl; then
	mv -f "$app/Contents/MacOS/svpnctl.cgo" "$app/Contents/MacOS/svpnctl"
else
	rm -f "$app/Contents/MacOS/svpnctl.cgo"
	echo "finish.sh: WARNING: svpnctl did not build with cgo: the bundle keeps the one without security token support" >&2
fi
codesign --force --options runtime --timestamp=none --sign "${MAC_SIGN_IDENTITY:--}" \
	"$app/Contents/MacOS/svpnd" "$app/Contents/MacOS/svpnctl" "$app/Contents/MacOS/svpn-recover"
codesign --force --options runtime --timestamp=none --sign "${MAC_SIGN_IDENTITY:--}" "$app"
pkg="$dir.pkg"
set -- --root "$dir/payload" --scripts "$dir/scripts" --identifier org.opensvpn.svpn --version "$version" --install-location /
[ -z "${MAC_INSTALLER_IDENTITY:-}" ] || set -- "$@" --sign "$MAC_INSTALLER_IDENTITY"
pkgbuild "$@" "$pkg"
echo "finish.sh: $pkg (install: sudo installer -pkg '$pkg' -target /)"
