#!/bin/bash
# Builds SVPN's packages into dist/ (see installer/README.md):
#
#   installer/dist.sh [linux] [windows] [macos]     default: all three
#
# Settings (environment, or `make dist NAME=value`):
#   VERSION         package version (default: installer/VERSION)
#   PROFILE         client profile every installer writes (default: installer/profiles/example.json)
#   CA_FILE         optional PEM installed beside the profile as ca.pem
#   WINTUN_DLL      path of the amd64 wintun.dll (from the Wintun zip, bin/amd64/wintun.dll);
#                   unset: every Windows file but the installer is built, and the build says why;
#                   "placeholder": a TEST-ONLY installer with a fake wintun.dll, to prove the script compiles
#   SIGN_PKCS12 + SIGN_PASSWORD_FILE, or SIGN_CERT + SIGN_KEY (PEM):
#                   Authenticode certificate; none: a throwaway test certificate (openssl)
#   SIGN_TIMESTAMP_URL  RFC 3161 timestamp server (optional)
#   SVPN_UI         auto (default: package the desktop app if cmd/svpn builds, else skip it
#                   with a warning), require, none, or stub (a stand-in, for packaging tests)
#   TRAY_ARGS       arguments of the autostarted tray instance (default: --no-window)
#   DIST            output directory (default: dist)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
GO=${GO:-go}
DIST=${DIST:-$ROOT/dist}
case "$DIST" in /*) ;; *) DIST=$ROOT/$DIST ;; esac
WORK=$DIST/.work
CACHE=${SVPN_DIST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/svpn-dist}
VERSION=${VERSION:-$(cat installer/VERSION)}
PROFILE=${PROFILE:-installer/profiles/example.json}
CA_FILE=${CA_FILE:-}
SVPN_UI=${SVPN_UI:-auto}
TRAY_ARGS=${TRAY_ARGS:---no-window}
WINTUN_DLL=${WINTUN_DLL:-}
MINGW_CC=${MINGW_CC:-x86_64-w64-mingw32-gcc}
WINDRES=${WINDRES:-x86_64-w64-mingw32-windres}

say() { printf '\033[1mdist:\033[0m %s\n' "$*"; }
warn() { printf '\033[1;33mdist: WARNING:\033[0m %s\n' "$*" >&2; }
die() {
	printf '\033[1;31mdist: ERROR:\033[0m %s\n' "$*" >&2
	exit 1
}

# Windows wants a four-part numeric version: 1.2.3-rc1 -> 1.2.3.0.
win_version() {
	local v=${VERSION%%[-+~]*}
	IFS=. read -r a b c d <<<"$v"
	echo "${a:-0}.${b:-0}.${c:-0}.${d:-0}"
}

case "$SVPN_UI" in
stub) VERSION=$VERSION+stubui ;;
auto | require | none) ;;
*) die "SVPN_UI must be auto, require, none or stub, got '$SVPN_UI'" ;;
esac
LDFLAGS="-s -w -X main.version=$VERSION"
# The desktop app without Fyne's colour-emoji font (see UI_TAGS in the Makefile).
UI_TAGS="${UI_TAGS:-no_emoji}"
ui_pkg() { if [ "$SVPN_UI" = stub ]; then echo ./installer/testdata/stubui; else echo ./cmd/svpn; fi; }

# build OS ARCH OUT PKG: a cgo-free binary.
build() {
	CGO_ENABLED=0 GOOS=$1 GOARCH=$2 $GO build -trimpath -ldflags "$LDFLAGS" -o "$3" "$4"
}

# build_cgo OS ARCH OUT PKG [CC]: a cgo binary; svpnctl is one, because
# security tokens (PKCS#11, miekg/pkcs11) need cgo to load their drivers.
# Position-independent, as Debian's hardening wants of dynamic programs.
build_cgo() {
	CGO_ENABLED=1 GOOS=$1 GOARCH=$2 CC=${5:-gcc} $GO build -trimpath -buildmode=pie -ldflags "$LDFLAGS" -o "$3" "$4"
}

# ui_available: whether to (try to) build the desktop app.
ui_available() {
	[ "$SVPN_UI" != none ] || return 1
	if [ "$SVPN_UI" != stub ] && [ ! -f cmd/svpn/main.go ]; then
		[ "$SVPN_UI" != require ] || die "SVPN_UI=require but cmd/svpn does not exist"
		warn "cmd/svpn does not exist yet: packages are built without the desktop app"
		return 1
	fi
}

# ui_failed LOG: the desktop app did not build.
ui_failed() {
	tail -20 "$1" >&2
	[ "$SVPN_UI" != require ] || die "the desktop app (cmd/svpn) did not build (log: $1)"
	warn "the desktop app (cmd/svpn) did not build (log: $1): packages are built without it"
}

prepare() {
	"$ROOT/installer/deps.sh" "${targets[@]}"
	rm -rf "$WORK"
	mkdir -p "$WORK"
	say "version $VERSION, profile $PROFILE, desktop app: $SVPN_UI"
	build linux amd64 "$WORK/profilecheck" ./installer/cmd/profilecheck
	"$WORK/profilecheck" "$PROFILE" || die "the profile $PROFILE is not valid (fix it, or set PROFILE=)"
	cp "$PROFILE" "$WORK/profile.json"
	if [ -n "$CA_FILE" ]; then
		"$WORK/profilecheck" pin "$CA_FILE" >/dev/null || die "CA_FILE $CA_FILE: not a PEM certificate"
		grep -q "BEGIN CERTIFICATE" "$CA_FILE" || die "CA_FILE $CA_FILE: svpnd reads PEM only"
	fi
	$GO run ./installer/cmd/mkicons --out "$WORK/icons" --assets assets
}

# ---------------------------------------------------------------- Linux

# deb_shlibs BINARY...: the versioned Debian dependencies of the shared
# libraries the binaries link (libc6 for svpnctl), as dpkg-shlibdeps
# reckons them from the libraries' symbols files; nothing for static ones.
deb_shlibs() {
	local d=$WORK/shlibdeps
	mkdir -p "$d/debian"
	printf 'Source: svpn\n\nPackage: svpn\nArchitecture: amd64\n' >"$d/debian/control"
	(cd "$d" && dpkg-shlibdeps -O "$@" 2>"$d/log") | sed -n 's/^shlibs:Depends=//p' ||
		die "dpkg-shlibdeps failed: $(cat "$d/log")"
}

# deb_depends SVPNCTL [UI-BINARY]: the svpn package's dependencies: the
# libraries svpnctl (cgo, for tokens) and the desktop app link, plus the
# X11 libraries GLFW opens at run time when the desktop app is in.
deb_depends() {
	local bins=("$1") x11=""
	if [ -n "${2:-}" ]; then
		bins+=("$2")
		x11="libxcursor1, libxrandr2, libxinerama1, libxi6, libxxf86vm1"
		# The packaging test's stand-in is static: no X11 either.
		objdump -p "$2" 2>/dev/null | grep -q NEEDED || x11=""
	fi
	local shl
	shl=$(deb_shlibs "${bins[@]}")
	printf '%s\n' "$shl" "$x11" | grep -v '^$' | paste -sd, - | sed 's/,\([^ ]\)/, \1/g'
}

# deb_docs NAME: the Debian changelog of one package (SVPN is its own
# upstream, so a native package: changelog.gz, dated by the commit built)
# and the man pages, gzipped as Debian wants them, into $WORK/doc-NAME.
deb_docs() {
	local d=$WORK/doc-$1 date commit page
	mkdir -p "$d"
	date=$(date -u -R -d "@$(git log -1 --format=%ct 2>/dev/null || date +%s)")
	commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
	printf '%s (%s) unstable; urgency=medium\n\n  * SVPN %s, built from commit %s.\n\n -- SVPN <svpn@opensvpn.invalid>  %s\n' \
		"$1" "$VERSION" "$VERSION" "$commit" "$date" | gzip -9n >"$d/changelog.gz"
	for page in installer/linux/man/*.[18]; do
		gzip -9nc "$page" >"$d/$(basename "$page").gz"
	done
}

# deb_doc_contents NAME: nfpm contents lines for the files every package
# carries in /usr/share/doc/NAME: README, copyright (DEP-5, generated by
# scripts/notices), the third-party notices, the changelog; and its
# lintian overrides (installer/linux/lintian-overrides-NAME, each explained,
# as deb_overrides copied them).
deb_doc_contents() {
	local d=/usr/share/doc/$1
	cat <<EOF
  - {src: installer/README.md, dst: $d/README.md, file_info: {mode: 0644}}
  - {src: installer/linux/copyright-$1, dst: $d/copyright, file_info: {mode: 0644}}
  - {src: THIRD_PARTY_NOTICES, dst: $d/THIRD_PARTY_NOTICES, file_info: {mode: 0644}}
  - {src: $WORK/doc-$1/changelog.gz, dst: $d/changelog.gz, file_info: {mode: 0644}}
  - {src: $WORK/lintian-overrides-$1, dst: /usr/share/lintian/overrides/$1, file_info: {mode: 0644}}
EOF
}

# deb_overrides UI: the packages' lintian overrides into $WORK. The one
# for a static /usr/bin/svpn holds only for the packaging test's stand-in
# (UI "stub"); the real app links dynamically and lintian flags an unused
# override.
deb_overrides() {
	cp installer/linux/lintian-overrides-svpn-gateway "$WORK/"
	if [ "$1" = stub ]; then
		cp installer/linux/lintian-overrides-svpn "$WORK/"
	else
		grep -v '^svpn: statically-linked-binary \[usr/bin/svpn\*\]$' installer/linux/lintian-overrides-svpn >"$WORK/lintian-overrides-svpn"
	fi
}

# deb_man PAGE...: nfpm contents lines for man pages made by deb_docs.
deb_man() {
	local pkg=$1 page
	shift
	for page; do
		echo "  - {src: $WORK/doc-$pkg/$page.gz, dst: /usr/share/man/man${page##*.}/$page.gz, file_info: {mode: 0644}}"
	done
}

linux() {
	local b=$WORK/linux ui=no depends=""
	mkdir -p "$b" "$DIST/linux"
	say "linux: binaries"
	build linux amd64 "$b/svpnd" ./cmd/svpnd
	build_cgo linux amd64 "$b/svpnctl" ./cmd/svpnctl
	build linux amd64 "$b/svpn-gateway" ./cmd/svpn-gateway
	build linux amd64 "$b/svpn-recover" ./installer/cmd/svpn-recover
	if ui_available; then
		say "linux: desktop app ($(ui_pkg), cgo)"
		# Position-independent (Debian's hardening), but for the packaging
		# test's stand-in, which stays static as its lintian override says.
		local pie=-buildmode=pie
		[ "$SVPN_UI" != stub ] || pie=-buildmode=exe
		if CGO_ENABLED=1 $GO build -trimpath $pie -tags "$UI_TAGS" -ldflags "$LDFLAGS" -o "$b/svpn" "$(ui_pkg)" >"$WORK/ui-linux.log" 2>&1; then
			ui=yes
		else
			ui_failed "$WORK/ui-linux.log"
		fi
	fi
	if [ $ui = yes ]; then depends=$(deb_depends "$b/svpnctl" "$b/svpn"); else depends=$(deb_depends "$b/svpnctl"); fi
	if [ $ui = yes ] && [ "$SVPN_UI" = stub ]; then deb_overrides stub; else deb_overrides app; fi
	sed "s|@TRAY_ARGS@|$TRAY_ARGS|" installer/linux/svpn-tray.desktop >"$b/svpn-tray.desktop"
	deb_docs svpn
	deb_docs svpn-gateway
	desktop-file-validate installer/linux/svpn.desktop "$b/svpn-tray.desktop"

	# The svpn package.
	{
		cat <<EOF
name: svpn
arch: amd64
platform: linux
version: "$VERSION"
section: net
priority: optional
maintainer: SVPN <svpn@opensvpn.invalid>
homepage: https://github.com/opensvpn/svpn
license: MIT
description: |-
  remote-work VPN client (SVPN 원격근무서비스)
  Log in with ID, password and a Korean public certificate (NPKI/GPKI or
  PKCS#12) and get a WireGuard tunnel to the office: the svpnd service,
  the svpnctl command line and the desktop app with its tray icon.
EOF
		[ -z "$depends" ] || printf 'depends: [%s]\n' "$depends"
		cat <<EOF
scripts:
  postinstall: installer/linux/scripts/svpn-postinst
  preremove: installer/linux/scripts/svpn-prerm
  postremove: installer/linux/scripts/svpn-postrm
contents:
  - {src: $b/svpnd, dst: /usr/sbin/svpnd, file_info: {mode: 0755}}
  - {src: $b/svpnctl, dst: /usr/bin/svpnctl, file_info: {mode: 0755}}
  - {src: $b/svpn-recover, dst: /usr/lib/svpn/svpn-recover, file_info: {mode: 0755}}
  - {src: installer/linux/svpnd.service, dst: /usr/lib/systemd/system/svpnd.service, file_info: {mode: 0644}}
  - {dst: /etc/svpn, type: dir, file_info: {mode: 0755}}
  - {src: $WORK/profile.json, dst: /etc/svpn/profile.json, type: config|noreplace, file_info: {mode: 0644}}
$(deb_doc_contents svpn)
$(deb_man svpn svpnctl.1 svpnd.8)
EOF
		[ -z "$CA_FILE" ] || echo "  - {src: $CA_FILE, dst: /etc/svpn/ca.pem, type: config|noreplace, file_info: {mode: 0644}}"
		if [ $ui = yes ]; then
			cat <<EOF
  - {src: $b/svpn, dst: /usr/bin/svpn, file_info: {mode: 0755}}
  - {src: installer/linux/svpn.desktop, dst: /usr/share/applications/svpn.desktop, file_info: {mode: 0644}}
$(deb_man svpn svpn.1)
  - {src: $b/svpn-tray.desktop, dst: /etc/xdg/autostart/svpn-tray.desktop, type: config, file_info: {mode: 0644}}
EOF
			for png in "$WORK"/icons/hicolor/*/apps/svpn.png; do
				local size
				size=$(basename "$(dirname "$(dirname "$png")")")
				echo "  - {src: $png, dst: /usr/share/icons/hicolor/$size/apps/svpn.png, file_info: {mode: 0644}}"
			done
		fi
	} >"$WORK/nfpm-svpn.yaml"
	rm -f "$DIST"/linux/svpn_*.deb
	"$CACHE/bin/nfpmdeb" --config "$WORK/nfpm-svpn.yaml" --target "$DIST/linux/svpn_${VERSION}_amd64.deb"
	[ $ui = yes ] || warn "linux: svpn_${VERSION}_amd64.deb has no desktop app (no /usr/bin/svpn, .desktop or autostart entry)"

	# The svpn-gateway package.
	cat >"$WORK/nfpm-gateway.yaml" <<EOF
name: svpn-gateway
arch: amd64
platform: linux
version: "$VERSION"
section: net
priority: optional
maintainer: SVPN <svpn@opensvpn.invalid>
homepage: https://github.com/opensvpn/svpn
license: MIT
description: |-
  remote-work VPN gateway (SVPN 원격근무서비스)
  The server SVPN clients log in to: password, Korean public certificate
  and device posture checks, WireGuard tunnels, SQLite or PostgreSQL store.
recommends: [nftables]
scripts:
  postinstall: installer/linux/scripts/gateway-postinst
  preremove: installer/linux/scripts/gateway-prerm
  postremove: installer/linux/scripts/gateway-postrm
contents:
  - {src: $b/svpn-gateway, dst: /usr/bin/svpn-gateway, file_info: {mode: 0755}}
  - {src: installer/linux/svpn-gateway.service, dst: /usr/lib/systemd/system/svpn-gateway.service, file_info: {mode: 0644}}
  - {dst: /etc/svpn-gateway, type: dir, file_info: {mode: 0750}}
  - {dst: /etc/svpn-gateway/tls, type: dir, file_info: {mode: 0700}}
  - {dst: /etc/svpn-gateway/ca, type: dir, file_info: {mode: 0755}}
  - {src: installer/linux/gateway-config.json, dst: /etc/svpn-gateway/config.json, type: config|noreplace, file_info: {mode: 0640}}
$(deb_doc_contents svpn-gateway)
$(deb_man svpn-gateway svpn-gateway.8)
EOF
	rm -f "$DIST"/linux/svpn-gateway_*.deb
	"$CACHE/bin/nfpmdeb" --config "$WORK/nfpm-gateway.yaml" --target "$DIST/linux/svpn-gateway_${VERSION}_amd64.deb"
	say "linux: $(cd "$DIST" && ls linux/*.deb | tr '\n' ' ')"
}

# ---------------------------------------------------------------- Windows

# signing_setup: SIGN_ARGS for osslsigncode, a throwaway certificate when
# none is configured.
signing_setup() {
	if [ -n "${SIGN_PKCS12:-}" ]; then
		[ -f "$SIGN_PKCS12" ] || die "SIGN_PKCS12 $SIGN_PKCS12 does not exist"
		SIGN_ARGS=(-pkcs12 "$SIGN_PKCS12")
		[ -z "${SIGN_PASSWORD_FILE:-}" ] || SIGN_ARGS+=(-readpass "$SIGN_PASSWORD_FILE")
		SIGN_KIND="certificate $SIGN_PKCS12"
	elif [ -n "${SIGN_CERT:-}" ]; then
		[ -f "$SIGN_CERT" ] && [ -f "${SIGN_KEY:-}" ] || die "SIGN_CERT and SIGN_KEY must both name files"
		SIGN_ARGS=(-certs "$SIGN_CERT" -key "$SIGN_KEY")
		[ -z "${SIGN_PASSWORD_FILE:-}" ] || SIGN_ARGS+=(-readpass "$SIGN_PASSWORD_FILE")
		SIGN_KIND="certificate $SIGN_CERT"
	else
		# Kept with the build it signed, so that `windows-installer` reuses it.
		local t=$DIST/windows/.test-signing
		if [ ! -f "$t/key.pem" ]; then
			mkdir -p "$t"
			openssl req -x509 -newkey rsa:3072 -nodes -days 30 -sha256 \
				-subj "/CN=SVPN TEST code signing - NOT TRUSTED/O=SVPN packaging test" \
				-addext "keyUsage=critical,digitalSignature" -addext "extendedKeyUsage=codeSigning" \
				-keyout "$t/key.pem" -out "$t/cert.pem" 2>/dev/null
		fi
		cp "$t/cert.pem" "$DIST/windows/TEST-signing-cert.pem"
		SIGN_ARGS=(-certs "$t/cert.pem" -key "$t/key.pem")
		SIGN_KIND="a throwaway TEST certificate (dist/windows/TEST-signing-cert.pem): set SIGN_PKCS12 for a real one"
	fi
	[ -z "${SIGN_TIMESTAMP_URL:-}" ] || SIGN_ARGS+=(-ts "$SIGN_TIMESTAMP_URL")
	# A script that signs one file in place; NSIS calls it too, for the
	# uninstaller it writes and for the installer itself.
	{
		echo '#!/bin/bash'
		echo 'set -e'
		printf 'osslsigncode sign -h sha256 -n "원격근무서비스" -i https://github.com/opensvpn/svpn'
		printf ' %q' "${SIGN_ARGS[@]}"
		echo ' -in "$1" -out "$1.signed" >/dev/null'
		echo 'mv -f "$1.signed" "$1"'
	} >"$WORK/sign-one.sh"
	chmod +x "$WORK/sign-one.sh"
	say "windows: signing with $SIGN_KIND"
}

sign() {
	local f
	for f; do
		"$WORK/sign-one.sh" "$f" >/dev/null
	done
}

# windows_ui OUT: svpn.exe, cgo with mingw-w64, GUI subsystem, with an icon,
# a manifest and a version resource linked in.
windows_ui() {
	local r=$WORK/windows/rsrc v4
	v4=$(win_version)
	mkdir -p "$r"
	cp "$WORK/icons/svpn.ico" "$r/"
	sed "s/@VERSION4@/$v4/" installer/windows/svpn.manifest >"$r/svpn.manifest"
	sed -e "s/@VERSION@/$VERSION/g" -e "s/@VERSION_COMMA@/${v4//./,}/g" installer/windows/svpn.rc >"$r/svpn.rc"
	(cd "$r" && $WINDRES -c 65001 -O coff -i svpn.rc -o rsrc.o)
	CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=$MINGW_CC $GO build -trimpath -tags "$UI_TAGS" \
		-ldflags "$LDFLAGS -H windowsgui -linkmode external -extldflags $r/rsrc.o" -o "$1" "$(ui_pkg)"
}

windows() {
	local b=$DIST/windows/bin
	rm -rf "$DIST/windows"
	mkdir -p "$b"
	say "windows: binaries"
	build windows amd64 "$b/svpnd.exe" ./cmd/svpnd
	# svpnctl.exe with cgo (mingw-w64), for security tokens: miekg/pkcs11
	# loads the token's driver DLL through cgo on Windows too.
	if ! build_cgo windows amd64 "$b/svpnctl.exe" ./cmd/svpnctl "$MINGW_CC" >"$WORK/svpnctl-windows.log" 2>&1; then
		tail -20 "$WORK/svpnctl-windows.log" >&2
		warn "windows: svpnctl.exe did not build with cgo ($MINGW_CC, log: $WORK/svpnctl-windows.log): built without, so it has no security token support (E-250)"
		build windows amd64 "$b/svpnctl.exe" ./cmd/svpnctl
	fi
	build windows amd64 "$b/svpn-recover.exe" ./installer/cmd/svpn-recover
	build windows amd64 "$b/profilecheck.exe" ./installer/cmd/profilecheck
	if ui_available; then
		say "windows: desktop app ($(ui_pkg), cgo with mingw-w64)"
		windows_ui "$b/svpn.exe" >"$WORK/ui-windows.log" 2>&1 || ui_failed "$WORK/ui-windows.log"
	fi
	signing_setup
	sign "$b"/*.exe
	windows_installer
}

# windows_installer: the NSIS installer, from dist/windows/bin.
windows_installer() {
	local b=$DIST/windows/bin n=$WORK/windows/nsis out suffix=""
	mkdir -p "$n"
	if [ ! -f "$b/svpn.exe" ]; then
		warn "windows: no installer: svpn.exe (the desktop app) was not built"
		return 0
	fi
	case "$WINTUN_DLL" in
	"")
		printf '%s\n' \
			"dist: windows: STOP: wintun.dll is missing, so the Windows installer was not built." \
			"  svpnd.exe needs the Wintun driver DLL beside it. Download the Wintun zip from" \
			"  https://www.wintun.net/ (check its signature), take bin/amd64/wintun.dll, and run" \
			"      make dist WINTUN_DLL=/path/to/wintun.dll" \
			"  Everything else in dist/ was built." >&2
		return 3
		;;
	placeholder)
		echo "PLACEHOLDER: NOT wintun.dll. SVPN packaging test build; never install it." >"$n/wintun.dll"
		suffix=-TEST-PLACEHOLDER-WINTUN
		warn "windows: WINTUN_DLL=placeholder: the installer is a TEST build with a fake wintun.dll"
		;;
	*)
		if [ ! -f "$WINTUN_DLL" ]; then
			echo "dist: windows: STOP: WINTUN_DLL=$WINTUN_DLL does not exist (the amd64 wintun.dll from https://www.wintun.net/)." >&2
			return 3
		fi
		x86_64-w64-mingw32-objdump -f "$WINTUN_DLL" 2>/dev/null | grep -q "file format pei-x86-64" ||
			die "WINTUN_DLL=$WINTUN_DLL is not the amd64 wintun.dll (take bin/amd64/wintun.dll from the Wintun zip)"
		cp "$WINTUN_DLL" "$n/wintun.dll"
		;;
	esac
	cp "$b"/*.exe "$WORK/icons/svpn.ico" "$WORK/profile.json" "$n/"
	# The licences, with Windows line ends so that Notepad shows them.
	sed 's/$/\r/' LICENSE >"$n/LICENSE.txt"
	sed 's/$/\r/' THIRD_PARTY_NOTICES >"$n/THIRD_PARTY_NOTICES.txt"
	[ -z "$CA_FILE" ] || cp "$CA_FILE" "$n/ca.pem"
	out=$DIST/windows/svpn-setup-$VERSION$suffix.exe
	local defs=(-DVERSION="$VERSION" -DVERSION4="$(win_version)" -DSRC="$n" -DOUTFILE="$out"
		-DTRAY_ARGS="$TRAY_ARGS" -DSIGN_SCRIPT="$WORK/sign-one.sh")
	[ -z "$CA_FILE" ] || defs+=(-DCA_FILE)
	[ -z "$suffix" ] || defs+=(-DPLACEHOLDER_WINTUN)
	say "windows: NSIS installer"
	makensis -V2 -INPUTCHARSET UTF8 "${defs[@]}" installer/windows/svpn.nsi
	say "windows: $(cd "$DIST" && ls windows/*.exe)"
}

# ---------------------------------------------------------------- macOS

macos() {
	rm -rf "$DIST/macos"
	mkdir -p "$DIST/macos"
	local arch
	for arch in arm64 amd64; do
		local name=SVPN-$VERSION-macos-$arch
		local d=$DIST/macos/$name
		local app=$d/payload/Applications/SVPN.app
		say "macos: $name (cgo-free binaries and the bundle; finish on a Mac)"
		mkdir -p "$app/Contents/MacOS" "$app/Contents/Resources" "$d/payload/Library/LaunchDaemons" \
			"$d/payload/Library/LaunchAgents" "$d/payload/Library/Application Support/SVPN" "$d/scripts"
		build darwin $arch "$app/Contents/MacOS/svpnd" ./cmd/svpnd
		build darwin $arch "$app/Contents/MacOS/svpnctl" ./cmd/svpnctl
		build darwin $arch "$app/Contents/MacOS/svpn-recover" ./installer/cmd/svpn-recover
		sed -e "s/@VERSION@/$VERSION/g" -e "s/@VERSION_SHORT@/${VERSION%%[-+~]*}/g" installer/macos/Info.plist >"$app/Contents/Info.plist"
		printf 'APPL????' >"$app/Contents/PkgInfo"
		cp "$WORK/icons/svpn.icns" "$app/Contents/Resources/svpn.icns"
		cp LICENSE THIRD_PARTY_NOTICES "$app/Contents/Resources/"
		cp installer/macos/svpnd.plist "$d/payload/Library/LaunchDaemons/svpnd.plist"
		sed "s|@TRAY_ARGS@|$TRAY_ARGS|" installer/macos/svpn-tray.plist >"$d/payload/Library/LaunchAgents/org.opensvpn.svpn.tray.plist"
		cp "$WORK/profile.json" "$d/payload/Library/Application Support/SVPN/profile.json"
		[ -z "$CA_FILE" ] || cp "$CA_FILE" "$d/payload/Library/Application Support/SVPN/ca.pem"
		cp installer/macos/preinstall installer/macos/postinstall "$d/scripts/"
		cp installer/macos/finish.sh installer/macos/uninstall.sh "$d/"
		chmod 0755 "$d/scripts/"* "$d/finish.sh" "$d/uninstall.sh"
		echo "$arch" >"$d/ARCH"
		echo "$VERSION" >"$d/VERSION"
		tar -C "$DIST/macos" -czf "$DIST/macos/$name.tar.gz" "$name"
	done
	say "macos: finish on a Mac with: installer/macos/finish.sh dist/macos/SVPN-$VERSION-macos-<arch>"
}

# ---------------------------------------------------------------- main

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(linux windows macos)
start=$(date +%s)
prepare
status=0
for t in "${targets[@]}"; do
	case "$t" in
	linux) linux ;;
	macos) macos ;;
	windows | windows-installer)
		# windows-installer: only the NSIS step, from an earlier build's
		# dist/windows/bin (used by the dist test).
		set +e
		if [ "$t" = windows ]; then (windows); else (signing_setup >/dev/null && windows_installer); fi
		rc=$?
		set -e
		if [ $rc -eq 3 ] && [ -z "$WINTUN_DLL" ]; then
			warn "windows: the installer was skipped (wintun.dll missing, see above); the rest of dist/ is complete"
		elif [ $rc -ne 0 ]; then
			status=$rc
		fi
		;;
	*) die "unknown target $t (linux, windows, macos, windows-installer)" ;;
	esac
done
# The deliverables: packages, installers, signed programs, macOS archives.
(cd "$DIST" && find $(ls -d linux windows macos 2>/dev/null) -maxdepth 2 -type f \( -name '*.deb' -o -name '*.exe' -o -name '*.tar.gz' \) \
	-print0 2>/dev/null | sort -z | xargs -0r sha256sum >SHA256SUMS)
say "done in $(($(date +%s) - start))s:"
(cd "$DIST" && sed 's/^[0-9a-f]*  //' SHA256SUMS | while read -r f; do printf '  %10d  %s\n' "$(stat -c %s "$f")" "$f"; done)
exit $status
