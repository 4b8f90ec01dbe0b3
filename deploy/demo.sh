#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Sluice demo: namespace hosts on veth pairs, switched by a private sluiced over af_packet.
# Usage (as root): bash deploy/demo.sh [start|stop|status]   (start is the default; re-runnable)
# Four hosts share one subnet but sit in two VLANs (h1,h2: 10; h3,h4: 20); x1,x2 are cross-connected;
# r1 (VLAN 30) and r2 (VLAN 40) are routed by Sluice between their VLANs in VRF blue.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build
SLUICED=$BUILD/sluiced
SLUICECTL=$BUILD/tools/sluicectl # meson builds an executable in its meson.build's folder

# Everything below is private to the demo, so it never touches a production sluiced.
SOCK=/run/sluice/demo.sock
CONF=/var/lib/sluice/demo.conf
PIDFILE=/run/sluice/demo.pid
# What this demo created (hosts, directories), so stop removes exactly that, even after the
# tables below were edited. Outside /run/sluice, which may be one of the things it created.
STATE=/run/sluice-demo.state
LOG=/var/log/sluice-demo.log
FILE_PREFIX=sluice-demo
EAL=(-l 0-1 --file-prefix "$FILE_PREFIX" --no-pci)
START_TIMEOUT=20 # seconds to wait for the control socket
STOP_TIMEOUT=15  # seconds to wait after SIGTERM before SIGKILL

# ---- Topology -------------------------------------------------------------------------------
# One row per host: "NAME ADDRESS/PREFIX [MAC [GATEWAY]]". Host NAME is network namespace sl-NAME;
# its eth0
# (with MAC, if given, so `show fdb` is easy to read) is one end of a veth pair whose root-side
# end, also called sl-NAME (<= 15 chars), is the af_packet device of sluiced port NAME. A new
# port is an access port in VLAN 1. To grow the demo, add rows here, the switch commands that
# use the new ports to SWITCH_CMDS, and the checks to PINGS.
HOSTS=(
	"h1 10.10.0.1/24 02:00:00:00:10:01"
	"h2 10.10.0.2/24 02:00:00:00:10:02"
	"h3 10.10.0.3/24 02:00:00:00:20:03"
	"h4 10.10.0.4/24 02:00:00:00:20:04"
	"x1 10.20.0.1/24 02:00:00:00:99:01"
	"x2 10.20.0.2/24 02:00:00:00:99:02"
	"r1 10.30.0.1/24 02:00:00:00:30:01 10.30.0.254"
	"r2 10.40.0.1/24 02:00:00:00:40:01 10.40.0.254"
)

# sluicectl commands run once every host's port exists (the ports are added from HOSTS).
# h1-h4 are on one IP subnet, but VLANs 10 and 20 keep them apart: h1 reaches h2 only, h3
# reaches h4 only. x1 and x2 form a patch cable that bypasses the bridge (a cross-connect
# takes precedence over bridging); vlan none keeps them out of the bridge's floods too.
SWITCH_CMDS=(
	"port set h1 vlan access 10"
	"port set h2 vlan access 10"
	"port set h3 vlan access 20"
	"port set h4 vlan access 20"
	"port set x1 vlan none"
	"port set x2 vlan none"
	"port xconnect x1 x2"
	# Routing: VLANs 30 and 40 get router interfaces (VLAN interfaces on the bridge) in VRF
	# blue; frames to the router MAC are routed between them. Sluice answers ARP for the
	# .254 addresses, resolves r1 and r2, and decrements the TTL.
	"port set r1 vlan access 30"
	"port set r2 vlan access 40"
	"vrf add blue table 100"
	"interface add v30 port r1 vlan 30 vrf blue"
	"interface add v40 port r2 vlan 40 vrf blue"
	"interface set v30 mac 02:00:00:00:30:fe"
	"interface set v40 mac 02:00:00:00:40:fe"
	"interface set v30 address 10.30.0.254/24"
	"interface set v40 address 10.40.0.254/24"
)

# Connectivity checks, "FROM-HOST DESTINATION-ADDRESS [ok|blocked]" (default ok: the ping must
# get replies; blocked: it must not, e.g. across VLANs). Any failed check fails the demo.
PINGS=(
	"h1 10.10.0.2 ok"
	"h4 10.10.0.3 ok"
	"x1 10.20.0.2 ok"
	"h1 10.10.0.3 blocked"
	"h2 10.10.0.4 blocked"
	"h3 10.10.0.1 blocked"
	"r1 10.30.0.254 ok"
	"r1 10.40.0.1 ok"
	"r2 10.30.0.1 ok"
	"h1 10.40.0.1 blocked"
)

# What the demo prints once the checks ran.
SHOW_CMDS=(
	"show vlans"
	"show fdb"
	"show interfaces"
	"show routes vrf blue"
	"show neigh"
	"show ports"
	"show drops"
)

# One tx queue per worker: -l 0-1 is one control lcore plus one worker.
QPAIRS=1
# ---------------------------------------------------------------------------------------------

log() { printf 'demo: %s\n' "$*"; }
die() {
	printf 'demo: %s\n' "$*" >&2
	exit 1
}

ctl() { "$SLUICECTL" -s "$SOCK" "$@"; }

host_ns() { echo "sl-$1"; }
host_veth() { echo "sl-$1"; }

# True while PID exists and is not a zombie (a daemon that died during start-up is our
# unreaped child, and kill -0 still succeeds on it).
alive() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	[[ $st != Z* ]]
}

# The pid of the running demo sluiced, or nothing. The pidfile may be stale and its pid
# reused, so the process must also be a sluiced on the demo socket.
demo_pid() {
	local pid cmd
	[ -r "$PIDFILE" ] || return 0
	read -r pid <"$PIDFILE" || return 0
	[[ $pid =~ ^[0-9]+$ ]] || return 0
	cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 0
	if [[ $cmd == *sluiced* && $cmd == *"$SOCK"* ]] && alive "$pid"; then
		echo "$pid"
	fi
}

stop_daemon() {
	local pid i
	pid=$(demo_pid)
	if [ -n "$pid" ]; then
		log "stopping sluiced (pid $pid)"
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
			alive "$pid" || break
			sleep 0.1
		done
		if alive "$pid"; then
			log "sluiced (pid $pid) ignored SIGTERM for ${STOP_TIMEOUT}s, killing it"
			kill -KILL "$pid" 2>/dev/null || true
			for ((i = 0; i < 50; i++)); do
				alive "$pid" || break
				sleep 0.1
			done
			alive "$pid" && die "sluiced (pid $pid) does not die"
		fi
	fi
	rm -f "$PIDFILE" "$SOCK"
	clean_hugepages
}

# Hugepage files and the EAL runtime directory a killed demo leaves behind; never while a
# process still maps them (someone may run the demo prefix by hand).
clean_hugepages() {
	local mnt
	if grep -qs "/${FILE_PREFIX}map_" /proc/[0-9]*/maps; then
		log "hugepage files of prefix $FILE_PREFIX still mapped by a process, leaving them"
		return 0
	fi
	while read -r mnt; do
		rm -f "$mnt/${FILE_PREFIX}map_"*
	done < <(awk '$3 == "hugetlbfs" { print $2 }' /proc/mounts)
	rm -rf "/var/run/dpdk/$FILE_PREFIX"
}

# ---- What the demo created ------------------------------------------------------------------
# STATE holds "host NAME" and "dir PATH" lines. A host is recorded before it is created, so an
# interrupted start is cleaned up too; a directory only when the demo had to create it.
state_add() {
	mkdir -p "$(dirname "$STATE")"
	grep -qxF "$*" "$STATE" 2>/dev/null || echo "$*" >>"$STATE"
}

state_list() {
	if [ -r "$STATE" ]; then
		awk -v k="$1" '$1 == k { print $2 }' "$STATE"
	fi
}

state_del() {
	[ -e "$STATE" ] || return 0
	grep -vxF "$*" "$STATE" >"$STATE.new" || true
	mv -f "$STATE.new" "$STATE"
}

make_dir() {
	[ -d "$1" ] && return 0
	state_add dir "$1"
	mkdir -p "$1"
}

# Every host of HOSTS, and any recorded host that is no longer in the table.
topology_down() {
	local row name ns veth
	for name in $( (
		for row in "${HOSTS[@]}"; do echo "${row%% *}"; done
		state_list host
	) | sort -u); do
		ns=$(host_ns "$name")
		veth=$(host_veth "$name")
		# Delete the veth first: it takes its peer with it at once, while a namespace's
		# devices go away asynchronously and would block re-creating the same name.
		if ip link show dev "$veth" >/dev/null 2>&1; then
			ip link del dev "$veth"
		fi
		if [ -e "/run/netns/$ns" ]; then
			ip netns del "$ns"
		fi
		state_del host "$name"
	done
}

topology_up() {
	local row name addr mac gw ns veth
	for row in "${HOSTS[@]}"; do
		read -r name addr mac gw <<<"$row"
		ns=$(host_ns "$name")
		veth=$(host_veth "$name")
		state_add host "$name"
		ip netns add "$ns"
		ip link add "$veth" type veth peer name eth0 netns "$ns"
		# IPv6 off before the links come up, so no router solicitations, MLD or DAD
		# traffic muddies the counters and the FDB the demo prints.
		echo 1 >"/proc/sys/net/ipv6/conf/$veth/disable_ipv6"
		ip netns exec "$ns" sh -c 'echo 1 >/proc/sys/net/ipv6/conf/eth0/disable_ipv6'
		if [ -n "$mac" ]; then
			ip -n "$ns" link set dev eth0 address "$mac"
		fi
		ip link set dev "$veth" up
		ip -n "$ns" link set dev lo up
		ip -n "$ns" addr add "$addr" dev eth0
		ip -n "$ns" link set dev eth0 up
		if [ -n "$gw" ]; then
			ip -n "$ns" route add default via "$gw"
		fi
		mac=$(ip netns exec "$ns" cat /sys/class/net/eth0/address)
		log "host $name: namespace $ns, eth0 $addr $mac <-> $veth"
	done
}

build() {
	if [ ! -f "$BUILD/build.ninja" ]; then
		meson setup "$BUILD" "$ROOT"
	fi
	# Only what the demo runs: a unit test or benchmark being written must not stop the demo.
	ninja -C "$BUILD" -j2 "${SLUICED#"$BUILD"/}" "${SLUICECTL#"$BUILD"/}"
}

start_daemon() {
	local pid i reported d
	for d in "$(dirname "$SOCK")" "$(dirname "$CONF")" "$(dirname "$PIDFILE")" "$(dirname "$LOG")"; do
		make_dir "$d"
	done
	rm -f "$CONF" "$CONF".* "$SOCK"
	: >"$LOG"
	# setsid: the daemon outlives this script and a Ctrl-C in this terminal. -f /dev/null:
	# a production /etc/sluice/sluiced.conf must not add its EAL args or settings to the demo's.
	setsid "$SLUICED" -f /dev/null -s "$SOCK" -c "$CONF" -- "${EAL[@]}" </dev/null >>"$LOG" 2>&1 &
	pid=$!
	echo "$pid" >"$PIDFILE"
	log "started sluiced (pid $pid), log $LOG"
	for ((i = 0; i < START_TIMEOUT * 10; i++)); do
		if ! alive "$pid"; then
			wait "$pid" 2>/dev/null || true
			rm -f "$PIDFILE"
			tail -n 30 "$LOG" >&2 || true
			die "sluiced exited during start-up (log above, full log in $LOG)"
		fi
		ctl show version >/dev/null 2>&1 && break
		sleep 0.1
	done
	if ! reported=$(ctl --json show version 2>/dev/null); then
		tail -n 30 "$LOG" >&2 || true
		stop_daemon
		die "sluiced did not answer on $SOCK within ${START_TIMEOUT}s (log above)"
	fi
	# Trust the daemon's own word for the pid the stop path will signal.
	reported=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["pid"])' \
		<<<"$reported" 2>/dev/null) || reported=$pid
	[ "$reported" = "$pid" ] || echo "$reported" >"$PIDFILE"
}

configure_switch() {
	local row name cmd cmds=() i=0
	for row in "${HOSTS[@]}"; do
		name=${row%% *}
		cmds+=("port add $name net_af_packet$i,iface=$(host_veth "$name"),qpairs=$QPAIRS")
		i=$((i + 1))
	done
	for cmd in "${cmds[@]}" "${SWITCH_CMDS[@]}"; do
		log "sluicectl $cmd"
		# shellcheck disable=SC2086 # a command line is split into words on purpose
		ctl $cmd >/dev/null || die "'sluicectl $cmd' failed (error above, log $LOG); the demo is left running for a look"
	done
}

check_pings() {
	local row from dst expect rc=0
	for row in "${PINGS[@]}"; do
		read -r from dst expect <<<"$row"
		case "${expect:-ok}" in
		ok)
			log "ping $dst from $from"
			if ! ip netns exec "$(host_ns "$from")" ping -c 5 -i 0.2 -W 2 "$dst"; then
				log "FAILED: no reply from $dst to $from"
				rc=1
			fi
			;;
		blocked)
			log "ping $dst from $from (must get no reply)"
			if ip netns exec "$(host_ns "$from")" ping -c 2 -i 0.2 -W 1 "$dst" >/dev/null; then
				log "FAILED: $dst answered $from"
				rc=1
			fi
			;;
		*) die "PINGS row '$row': expected ok or blocked" ;;
		esac
	done
	return "$rc"
}

show_state() {
	local what
	for what in "${SHOW_CMDS[@]}"; do
		echo
		echo "\$ sluicectl -s $SOCK $what"
		# shellcheck disable=SC2086
		ctl $what || true
	done
}

do_start() {
	local rc=0 ctl_rel
	bash "$ROOT/deploy/setup.sh"
	build
	[ -x "$SLUICED" ] || die "$SLUICED was not built"
	[ -x "$SLUICECTL" ] || die "$SLUICECTL was not built"
	stop_daemon
	topology_down
	topology_up
	start_daemon
	configure_switch
	check_pings || rc=$?
	show_state
	ctl_rel=${SLUICECTL#"$ROOT"/}
	cat <<EOF

Sluice demo is running (sluiced pid $(cat "$PIDFILE"), log $LOG).
  VLAN 10: h1 10.10.0.1, h2 10.10.0.2    VLAN 20: h3 10.10.0.3, h4 10.10.0.4
  Cross-connected: x1 10.20.0.1 <-> x2 10.20.0.2
  Routed (VRF blue): r1 10.30.0.1 (VLAN 30) <-> r2 10.40.0.1 (VLAN 40), router .254
  Poke at it:    ip netns exec sl-h1 ping 10.10.0.2     (same VLAN: replies)
                 ip netns exec sl-h1 ping 10.10.0.3     (other VLAN: no reply)
                 ip netns exec sl-r1 ping 10.40.0.1     (routed: replies, ttl 63)
                 $ctl_rel -s $SOCK show neigh
                 $ctl_rel -s $SOCK show fdb
                 $ctl_rel -s $SOCK help
  Stop it:       bash deploy/demo.sh stop
EOF
	if [ "$rc" -ne 0 ]; then
		die "connectivity check FAILED; the demo is left running for a look (log $LOG)"
	fi
	log "connectivity checks OK"
}

# Removes everything start created, except the log.
do_stop() {
	local d
	stop_daemon
	topology_down
	rm -f "$CONF" "$CONF.tmp"
	# Directories the demo created, unless something else has put files in them since.
	for d in $(state_list dir | sort -r); do
		rmdir "$d" 2>/dev/null || true
		state_del dir "$d"
	done
	rm -f "$STATE"
	log "stopped (the log stays: $LOG)"
}

do_status() {
	local pid
	pid=$(demo_pid)
	if [ -z "$pid" ]; then
		log "not running"
		return 3
	fi
	log "sluiced running, pid $pid, socket $SOCK"
	ctl show vlans
	echo
	ctl show ports
}

main() {
	[ "$(id -u)" -eq 0 ] || die "must run as root (namespaces, hugepages, af_packet)"
	cd "$ROOT"
	case "${1:-start}" in
	start) do_start ;;
	stop) do_stop ;;
	status) do_status ;;
	-h | --help | help) sed -n '3,5s/^# //p' "${BASH_SOURCE[0]}" ;;
	*) die "unknown command '$1' (start, stop, status)" ;;
	esac
}

# Sourcing the file (tests, other scripts) gets the functions without running anything.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	main "$@"
fi
