#!/bin/sh
# Removes SVPN from a Mac (run as root: sudo ./uninstall.sh): stops svpnd,
# undoes what a tunnel left behind, removes every installed file.
set -u
[ "$(id -u)" -eq 0 ] || { echo "uninstall.sh: run it with sudo" >&2; exit 1; }
data="/Library/Application Support/SVPN"
launchctl bootout system/svpnd 2>/dev/null || launchctl unload /Library/LaunchDaemons/svpnd.plist 2>/dev/null || true
for uid in $(ps -axo uid=,comm= | awk '$2 ~ /SVPN.app\/Contents\/MacOS\/svpn$/ {print $1}' | sort -u); do
	launchctl bootout "gui/$uid/org.opensvpn.svpn.tray" 2>/dev/null || true
done
if [ -x /Applications/SVPN.app/Contents/MacOS/svpn-recover ]; then
	/Applications/SVPN.app/Contents/MacOS/svpn-recover --state-dir "$data/state" || true
fi
rm -f /Library/LaunchDaemons/svpnd.plist /Library/LaunchAgents/org.opensvpn.svpn.tray.plist /var/run/svpnd.sock
[ "$(readlink /usr/local/bin/svpnctl 2>/dev/null)" = /Applications/SVPN.app/Contents/MacOS/svpnctl ] && rm -f /usr/local/bin/svpnctl
rm -rf /Applications/SVPN.app "$data" /Library/Logs/svpnd.log
pkgutil --forget org.opensvpn.svpn >/dev/null 2>&1 || true
echo "SVPN removed"
