#!/bin/sh
# TCP throughput through SVPN's tunnel against the upstream wireguard-go
# binary on the same setup: two network namespaces joined by a veth pair,
# iperf3 across the tunnel. Root only (namespaces, TUN); prints the two
# figures and their ratio. Used by `make bench`. Every step waits for
# readiness (listening sockets, WireGuard handshakes), not for a fixed
# time; a step or an iperf3 run that fails stops it with its logs, exit 1.
set -eu

BIN=${BIN:-bin}
SECS=${SECS:-10}
ROUNDS=${ROUNDS:-3}
NAME=bench-iperf
. "$(dirname "$0")"/benchlib.sh
bench_init bg bc ip wg iperf3 go
# handshaken NS DEV: the WireGuard device has completed a handshake.
handshaken() { ip netns exec "$1" wg show "$2" latest-handshakes | awk '$2 > 0 { ok = 1 } END { exit !ok }'; }
# svpn_connected: svpnd reports the tunnel up with a handshake done.
svpn_connected() {
	ip netns exec $C "$BIN"/svpnctl --socket "$TMP"/svpnd.sock status --json >"$TMP"/status.json 2>&1 &&
		grep -q '"state": *"connected"' "$TMP"/status.json && grep -q '"last_handshake"' "$TMP"/status.json
}

ip netns add $G; ip netns add $C
ip link add vg$ID type veth peer name vc$ID
ip link set vg$ID netns $G; ip link set vc$ID netns $C
ip -n $G addr add 10.204.0.1/30 dev vg$ID; ip -n $G link set vg$ID up; ip -n $G link set lo up
ip -n $C addr add 10.204.0.2/30 dev vc$ID; ip -n $C link set vc$ID up; ip -n $C link set lo up

# iperf SERVER-NS SERVER-ADDR LABEL: one run; prints the receiver's Mbit/s,
# or fails the benchmark with iperf3's output.
iperf() {
	ip netns exec "$1" iperf3 -s -B "$2" -1 >"$TMP"/iperf3-server.log 2>&1 &
	srv=$!
	echo $srv >> "$TMP"/pids
	wait_for 10 "the iperf3 server on $2:5201 ($3)" listening "$1" "$2" 5201
	if ! ip netns exec $C iperf3 -c "$2" -t "$SECS" -f m >"$TMP"/iperf3-client.log 2>&1; then
		die "iperf3 through $3 failed: $(tail -3 "$TMP"/iperf3-client.log | tr '\n' ' ')"
	fi
	wait $srv 2>/dev/null || true
	mbits=$(awk '/receiver/ {print $7}' "$TMP"/iperf3-client.log)
	case "$mbits" in
	'' | *[!0-9.]* | .) die "iperf3 through $3 reported no receiver rate: $(tail -3 "$TMP"/iperf3-client.log | tr '\n' ' ')" ;;
	esac
	awk -v m="$mbits" 'BEGIN { exit !(m > 0) }' || die "iperf3 through $3 moved nothing (receiver $mbits Mbit/s)"
	echo "$mbits"
}

# 1. Upstream wireguard-go, configured with wg.
go build -o "$TMP"/wireguard-go golang.zx2c4.com/wireguard
umask 077
wg genkey > "$TMP"/g.key; wg pubkey < "$TMP"/g.key > "$TMP"/g.pub
wg genkey > "$TMP"/c.key; wg pubkey < "$TMP"/c.key > "$TMP"/c.pub
# The UAPI sockets live in the shared /var/run/wireguard: one name per side.
ip netns exec $G env WG_PROCESS_FOREGROUND=1 "$TMP"/wireguard-go wgg$ID >"$TMP"/wg-gateway.log 2>&1 & echo $! >> "$TMP"/pids
ip netns exec $C env WG_PROCESS_FOREGROUND=1 "$TMP"/wireguard-go wgc$ID >"$TMP"/wg-client.log 2>&1 & echo $! >> "$TMP"/pids
wait_for 10 "wireguard-go's UAPI socket (gateway side)" test -S /var/run/wireguard/wgg$ID.sock
wait_for 10 "wireguard-go's UAPI socket (client side)" test -S /var/run/wireguard/wgc$ID.sock
ip netns exec $G wg set wgg$ID private-key "$TMP"/g.key listen-port 51900 peer "$(cat "$TMP"/c.pub)" allowed-ips 10.99.0.2/32
ip netns exec $C wg set wgc$ID private-key "$TMP"/c.key peer "$(cat "$TMP"/g.pub)" endpoint 10.204.0.1:51900 allowed-ips 10.99.0.0/24
ip -n $G addr add 10.99.0.1/24 dev wgg$ID; ip -n $G link set wgg$ID mtu 1420 up
ip -n $C addr add 10.99.0.2/24 dev wgc$ID; ip -n $C link set wgc$ID mtu 1420 up
# A keepalive makes the client start its handshake now, not on the first
# iperf3 packet; wait for the handshake to complete.
ip netns exec $C wg set wgc$ID peer "$(cat "$TMP"/g.pub)" persistent-keepalive 25
wait_for 20 "the upstream wireguard-go handshake" handshaken $C wgc$ID

# 2. SVPN: the gateway on a kernel TUN, svpnd with a kernel TUN, a real login.
ip netns exec $G "$BIN"/svpn-gateway demo --dir "$TMP"/demo --listen 10.204.0.1:8443 --wg-port 51901 --tun svg$ID >"$TMP"/gateway.log 2>&1 &
echo $! >> "$TMP"/pids
wait_for 30 "the demo gateway's demo.json" test -s "$TMP"/demo/demo.json
wait_for 30 "the gateway API on 10.204.0.1:8443" listening $G 10.204.0.1 8443
CERT=$(demo_field "$TMP"/demo/demo.json cert_path)
[ -n "$CERT" ] || die "no cert_path in demo.json"
ip netns exec $C "$BIN"/svpnd run --socket "$TMP"/svpnd.sock --profile "$TMP"/demo/profile.json --state-dir "$TMP"/state --tun svc$ID >"$TMP"/svpnd.log 2>&1 &
echo $! >> "$TMP"/pids
wait_for 30 "svpnd's socket" ip netns exec $C "$BIN"/svpnctl --socket "$TMP"/svpnd.sock status
printf 'svpn1234!\ndemo-cert1!\nBench-pass9!\n' | ip netns exec $C "$BIN"/svpnctl --socket "$TMP"/svpnd.sock login --user test05 --cert "$CERT" --password-stdin >"$TMP"/login.log 2>&1 ||
	die "svpnctl login failed"
wait_for 30 "the SVPN tunnel's handshake (svpnctl status: connected, last_handshake)" svpn_connected

# Alternate the two tunnels, ROUNDS times each, so drift in the machine's
# load hits both alike; report the medians.
: > "$TMP"/up; : > "$TMP"/sv
for r in $(seq 1 "$ROUNDS"); do
	iperf $G 10.77.0.1 "the SVPN tunnel (round $r)" >> "$TMP"/sv
	iperf $G 10.99.0.1 "upstream wireguard-go (round $r)" >> "$TMP"/up
done
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
UP=$(median "$TMP"/up) SV=$(median "$TMP"/sv)

echo "iperf3 TCP, ${SECS}s x $ROUNDS alternating rounds, 2 namespaces on this machine (medians):"
echo "  runs (Mbit/s): svpn $(tr '\n' ' ' < "$TMP"/sv)/ upstream $(tr '\n' ' ' < "$TMP"/up)"
echo "  upstream wireguard-go: $UP Mbit/s"
echo "  svpn (gateway + svpnd): $SV Mbit/s"
awk -v a="$SV" -v b="$UP" 'BEGIN { printf "  ratio svpn/upstream: %.2f\n", a / b }'
