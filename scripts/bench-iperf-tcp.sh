#!/bin/sh
# TCP throughput through SVPN's tunnel over its TCP transport (WireGuard
# framed on the gateway's HTTPS port) against the same tunnel over UDP, in
# one run: two network namespaces joined by a veth pair, the demo gateway
# on a kernel TUN, svpnd with a kernel TUN, iperf3 across. Rounds alternate
# the transports (a login per round: profile "transport": "udp" or "tcp"),
# client to gateway (up) and, with iperf3 -R, gateway to client (down).
# Prints the medians, their ratio, and the CPU the gateway and svpnd use
# per Gbit/s. Root only; used by `make bench`.
set -eu

BIN=${BIN:-bin}
SECS=${SECS:-10}
ROUNDS=${ROUNDS:-3}
NAME=bench-iperf-tcp
. "$(dirname "$0")"/benchlib.sh
bench_init tg tc ip iperf3
# connected SOCK TRANSPORT: svpnd is connected, handshake done, on TRANSPORT.
connected() {
	ip netns exec $C "$BIN"/svpnctl --socket "$1" status --json >"$TMP"/status.json 2>&1 &&
		grep -q '"state": *"connected"' "$TMP"/status.json && grep -q '"last_handshake"' "$TMP"/status.json &&
		grep -q "\"transport\": *\"$2\"" "$TMP"/status.json
}

ip netns add $G; ip netns add $C
ip link add vg$ID type veth peer name vc$ID
ip link set vg$ID netns $G; ip link set vc$ID netns $C
ip -n $G addr add 10.205.0.1/30 dev vg$ID; ip -n $G link set vg$ID up; ip -n $G link set lo up
ip -n $C addr add 10.205.0.2/30 dev vc$ID; ip -n $C link set vc$ID up; ip -n $C link set lo up

ip netns exec $G "$BIN"/svpn-gateway demo --dir "$TMP"/demo --listen 10.205.0.1:8443 --wg-port 51902 --tun stg$ID >"$TMP"/gateway.log 2>&1 &
GW=$!
echo $GW >> "$TMP"/pids
wait_for 30 "the demo gateway's demo.json" test -s "$TMP"/demo/demo.json
wait_for 30 "the gateway API on 10.205.0.1:8443" listening $G 10.205.0.1 8443
CERT=$(demo_field "$TMP"/demo/demo.json cert_path)
[ -n "$CERT" ] || die "no cert_path in demo.json"
# One profile per transport, next to the demo's (its ca_file is relative).
for tr in udp tcp; do
	sed "0,/{/s//{\n  \"transport\": \"$tr\",/" "$TMP"/demo/profile.json > "$TMP"/demo/profile-$tr.json
	ip netns exec $C "$BIN"/svpnd run --socket "$TMP"/$tr.sock --profile "$TMP"/demo/profile-$tr.json --state-dir "$TMP"/state-$tr --tun st$tr$ID >"$TMP"/svpnd-$tr.log 2>&1 &
	echo $! > "$TMP"/svpnd-$tr.pid
	cat "$TMP"/svpnd-$tr.pid >> "$TMP"/pids
	wait_for 30 "svpnd's socket ($tr)" ip netns exec $C "$BIN"/svpnctl --socket "$TMP"/$tr.sock status
done

PW='svpn1234!' NEW='Bench-pass9!'
# round TRANSPORT R: log in on TRANSPORT, one iperf3 run each way, log
# out; appends Mbit/s to $TMP/TRANSPORT-up and -down, and the cores per
# Gbit/s of gateway + svpnd to $TMP/TRANSPORT-up.cpu and -down.cpu.
round() {
	sock="$TMP"/$1.sock
	if [ -n "$NEW" ]; then in="$PW\ndemo-cert1!\n$NEW\n"; else in="$PW\ndemo-cert1!\n"; fi
	printf "$in" | ip netns exec $C "$BIN"/svpnctl --socket "$sock" login --user test05 --cert "$CERT" --password-stdin >"$TMP"/login.log 2>&1 ||
		die "svpnctl login ($1) failed"
	[ -z "$NEW" ] || { PW=$NEW; NEW=; }
	wait_for 30 "the tunnel on $1" connected "$sock" "$1"
	measure "$1" "$2" up
	measure "$1" "$2" down
	ip netns exec $C "$BIN"/svpnctl --socket "$sock" logout >/dev/null 2>&1 || die "logout ($1) failed"
}
# measure TRANSPORT R up|down: one iperf3 run.
measure() {
	rev=
	[ "$3" = up ] || rev=-R
	ip netns exec $G iperf3 -s -B 10.77.0.1 -1 >"$TMP"/iperf3-server.log 2>&1 &
	srv=$!
	echo $srv >> "$TMP"/pids
	wait_for 10 "the iperf3 server" listening $G 10.77.0.1 5201
	c0=$(cputicks $GW "$(cat "$TMP"/svpnd-$1.pid)")
	ip netns exec $C iperf3 -c 10.77.0.1 $rev -t "$SECS" -f m >"$TMP"/iperf3-client.log 2>&1 ||
		die "iperf3 $3 over $1 (round $2) failed: $(tail -3 "$TMP"/iperf3-client.log | tr '\n' ' ')"
	c1=$(cputicks $GW "$(cat "$TMP"/svpnd-$1.pid)")
	wait $srv 2>/dev/null || true
	mbits=$(awk '/receiver/ {print $7}' "$TMP"/iperf3-client.log)
	case "$mbits" in '' | *[!0-9.]* | .) die "iperf3 over $1 reported no receiver rate" ;; esac
	echo "$mbits" >> "$TMP"/$1-$3
	# cores busy per Gbit/s: (CPU seconds / wall seconds) / (Gbit/s)
	awk -v t=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v s="$SECS" -v m="$mbits" 'BEGIN { printf "%.3f\n", (t / hz / s) / (m / 1000) }' >> "$TMP"/$1-$3.cpu
}
for f in udp-up tcp-up udp-down tcp-down; do : > "$TMP"/$f; : > "$TMP"/$f.cpu; done
for r in $(seq 1 "$ROUNDS"); do
	round udp "$r"
	round tcp "$r"
done
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "iperf3 TCP through SVPN, UDP vs TCP transport, ${SECS}s x $ROUNDS alternating rounds, 2 namespaces (medians):"
for d in up down; do
	UDP=$(median "$TMP"/udp-$d) TCP=$(median "$TMP"/tcp-$d)
	echo "  $d (client $( [ $d = up ] && echo '->' || echo '<-') gateway), runs (Mbit/s): udp $(tr '\n' ' ' < "$TMP"/udp-$d)/ tcp $(tr '\n' ' ' < "$TMP"/tcp-$d)"
	echo "    svpn over UDP: $UDP Mbit/s, $(median "$TMP"/udp-$d.cpu) cores per Gbit/s (gateway + svpnd)"
	echo "    svpn over TCP: $TCP Mbit/s, $(median "$TMP"/tcp-$d.cpu) cores per Gbit/s (gateway + svpnd)"
	awk -v a="$TCP" -v b="$UDP" -v d=$d 'BEGIN { printf "    ratio tcp/udp %s: %.2f (goal >= 0.5)\n", d, a / b }'
done
