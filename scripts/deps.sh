#!/bin/sh
# Installs what building and testing SVPN needs on Debian/Ubuntu: Debian
# packages that are missing (as root, or through sudo) and the Go modules.
# Safe to run any number of times: it installs only what is absent.
set -eu

# openssl: interoperability tests; postgresql: the gateway store's cluster
# tests; iproute2/iperf3: tunnel tests and benchmarks; wireguard-tools,
# curl, nftables: WireGuard interop and NAT tests, the kill switch's;
# dbus-daemon: a private bus for the sleep/resume tests; the X11/GL headers:
# Fyne (cgo); xvfb/imagemagick/xdotool/dbus-x11: UI screenshots and
# benchmark; fonts-nanum: the Hangul font assets/gen bundles; xdg-utils:
# the app opens the portal in the browser (make run); debootstrap,
# systemd-container, desktop-file-utils, binutils, lintian: the .deb tests;
# softhsm2, opensc (pkcs11-tool): security token tests and the demo's token.
# zbar-tools: zbarimg reads the mobile ID QR code (svpn-wallet, tests).
PKGS="ca-certificates git gcc pkg-config openssl postgresql iproute2 iperf3
      wireguard-tools curl nftables
      libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev
      libxi-dev libxxf86vm-dev libxkbcommon-dev xvfb imagemagick
      xdotool dbus-x11 dbus-daemon fonts-nanum xdg-utils
      debootstrap systemd-container desktop-file-utils binutils lintian
      softhsm2 opensc zbar-tools"

"$(dirname "$0")/apt-install.sh" $PKGS
echo "deps: Debian packages present"

command -v go >/dev/null || { echo "deps: Go is not installed (need Go 1.26: https://go.dev/dl/)" >&2; exit 1; }
go mod download
echo "deps: Go modules present"
