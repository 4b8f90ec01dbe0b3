#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Sluice demo: namespace hosts on veth pairs, switched by a private sluiced over af_packet.
# Usage (as root): bash deploy/demo.sh [start|stop|status]   (start is the default; re-runnable)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build
SLUICED=$BUILD/sluiced
SLUICECTL=$BUILD/sluicectl

# Everything below is private to the demo, so it never touches a production sluiced.
SOCK=/run/sluice/demo.sock
CONF=/var/lib/sluice/demo.conf
PIDFILE=/run/sluice/demo.pid
LOG=/var/log/sluice-demo.log
FILE_PREFIX=sluice-demo
EAL=(-l 0-1 --file-prefix "$FILE_PREFIX" --no-pci)
START_TIMEOUT=20 # seconds to wait for the control socket
STOP_TIMEOUT=15  # seconds to wait after SIGTERM before SIGKILL

# ---- Topology -------------------------------------------------------------------------------
# One row per host: "NAME ADDRESS/PREFIX". Host NAME is network namespace sl-NAME; its eth0 is
# one end of a veth pair whose root-side end, also called sl-NAME (<= 15 chars), is the
# af_packet device of sluiced port NAME. To grow the demo, add rows here, the switch commands
# that use the new ports to SWITCH_CMDS, and the checks to PINGS.
HOSTS=(
	"h1 10.10.0.1/24"
	"h2 10.10.0.2/24"
)

# sluicectl commands run once every host's port exists (the ports are added from HOSTS).
SWITCH_CMDS=(
	"port xconnect h1 h2"
)

# Connectivity checks, "FROM-HOST DESTINATION-ADDRESS [ok|blocked]" (default ok: the ping must
# get replies; blocked: it must not, e.g. across VLANs). Any failed check fails the demo.
PINGS=(
	"h1 10.10.0.2"
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

topology_down() {
	local row name addr ns veth
	for row in "${HOSTS[@]}"; do
		read -r name addr <<<"$row"
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
	done
}

topology_up() {
	local row name addr ns veth
	for row in "${HOSTS[@]}"; do
		read -r name addr <<<"$row"
		ns=$(host_ns "$name")
		veth=$(host_veth "$name")
		ip netns add "$ns"
		ip link add "$veth" type veth peer name eth0 netns "$ns"
		# IPv6 off before the links come up, so no router solicitations, MLD or DAD
		# traffic muddies the counters the demo prints.
		echo 1 >"/proc/sys/net/ipv6/conf/$veth/disable_ipv6"
		ip netns exec "$ns" sh -c 'echo 1 >/proc/sys/net/ipv6/conf/eth0/disable_ipv6'
		ip link set dev "$veth" up
		ip -n "$ns" link set dev lo up
		ip -n "$ns" addr add "$addr" dev eth0
		ip -n "$ns" link set dev eth0 up
		log "host $name: namespace $ns, eth0 $addr <-> $veth"
	done
}

build() {
	if [ ! -f "$BUILD/build.ninja" ]; then
		meson setup "$BUILD" "$ROOT"
	fi
	ninja -C "$BUILD" -j2
	find_ctl
}

# meson puts an executable in the build folder of the meson.build that declares it.
find_ctl() {
	if [ ! -x "$SLUICECTL" ] && [ -x "$BUILD/tools/sluicectl" ]; then
		SLUICECTL=$BUILD/tools/sluicectl
	fi
}

start_daemon() {
	local pid i reported
	mkdir -p "$(dirname "$SOCK")" "$(dirname "$CONF")" "$(dirname "$PIDFILE")" "$(dirname "$LOG")"
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
	local row name addr cmd i=0
	for row in "${HOSTS[@]}"; do
		read -r name addr <<<"$row"
		log "sluicectl port add $name net_af_packet$i,iface=$(host_veth "$name"),qpairs=$QPAIRS"
		ctl port add "$name" "net_af_packet$i,iface=$(host_veth "$name"),qpairs=$QPAIRS" >/dev/null
		i=$((i + 1))
	done
	for cmd in "${SWITCH_CMDS[@]}"; do
		log "sluicectl $cmd"
		# shellcheck disable=SC2086 # a command line is split into words on purpose
		ctl $cmd >/dev/null
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
	for what in "show ports" "show workers" "show stats"; do
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
  Poke at it:    $ctl_rel -s $SOCK help
                 $ctl_rel -s $SOCK show ports
                 ip netns exec sl-h1 ping 10.10.0.2
  Stop it:       bash deploy/demo.sh stop
EOF
	if [ "$rc" -ne 0 ]; then
		die "connectivity check FAILED; the demo is left running for a look (log $LOG)"
	fi
	log "connectivity checks OK"
}

do_stop() {
	stop_daemon
	topology_down
	log "stopped"
}

do_status() {
	local pid
	pid=$(demo_pid)
	if [ -z "$pid" ]; then
		log "not running"
		return 3
	fi
	log "sluiced running, pid $pid, socket $SOCK"
	find_ctl
	ctl show ports
}

main() {
	[ "$(id -u)" -eq 0 ] || die "must run as root (namespaces, hugepages, af_packet)"
	cd "$ROOT"
	case "${1:-start}" in
	start) do_start ;;
	stop) do_stop ;;
	status) do_status ;;
	-h | --help | help) sed -n '3,4s/^# //p' "${BASH_SOURCE[0]}" ;;
	*) die "unknown command '$1' (start, stop, status)" ;;
	esac
}

# Sourcing the file (tests, other scripts) gets the functions without running anything.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	main "$@"
fi
