#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Sluice host set-up: Debian packages, 2 MiB hugepages, hugetlbfs mount.
# Idempotent: safe to re-run; each step checks before it changes anything.
# Usage: bash deploy/setup.sh [--with-ovs | --ovs-only]
#   --with-ovs  also install Open vSwitch with DPDK (openvswitch-switch-dpdk), an optional
#               benchmark dependency: only `bench/run.sh --scenario ovs|all` asks for it,
#               neither the build nor the tests (nor CI) need it.
#   --ovs-only  only that (bench/run.sh --no-build --scenario ovs).
set -euo pipefail

HUGEPAGES=${SLUICE_HUGEPAGES:-1024}
OVS_PKGS=(openvswitch-switch-dpdk)
# FRR for tests/integration/test_netlink_frr.py, which runs zebra, staticd and bgpd in network
# namespaces of its own: the package's service (watchfrr) is not started on the host.
FRR_PKGS=(frr)

with_ovs=0
base=1
for arg in "$@"; do
	case "$arg" in
	--with-ovs) with_ovs=1 ;;
	--ovs-only) with_ovs=1 base=0 ;;
	*)
		echo "setup: unknown argument '$arg' (--with-ovs, --ovs-only)" >&2
		exit 2
		;;
	esac
done

PKGS=(
	build-essential meson ninja-build pkg-config git
	dpdk dpdk-dev libdpdk-dev libnuma-dev libbsd-dev libbpf-dev libpcap-dev
	libjansson-dev libcmocka-dev libmnl-dev
	librte-mempool-ring23 librte-net-af-packet23 librte-net-af-xdp23
	librte-net-null23 librte-net-pcap23 librte-net-ring23 librte-net-tap23
	librte-net-vhost23 librte-net-virtio23 librte-net-memif23 librte-net-e1000-23
	librte-net-ixgbe23 librte-net-i40e23 librte-net-ice23 librte-net-mlx5-23
	python3 python3-pytest python3-scapy iproute2 iputils-ping tcpdump procps
	qemu-system-x86 busybox-static ethtool	# tests/e2e: QEMU guests on vhost-user ports
)

need_install() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || return 0
	done
	return 1
}

if [ "$(id -u)" -ne 0 ]; then
	echo "setup: must run as root (packages, hugepages)" >&2
	exit 1
fi

# Install packages whose service must not start on this host (invoke-rc.d and deb-systemd-invoke
# honour policy-rc.d): unless the host already has a policy-rc.d, forbid service starts for the
# duration of the install.
install_no_start() {
	local policy=/usr/sbin/policy-rc.d ours=0
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\n# sluice deploy/setup.sh: no service starts while packages install\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		ours=1
	fi
	local rc=0
	apt-get install -y -q --no-install-recommends "$@" || rc=$?
	if [ "$ours" -eq 1 ]; then
		rm -f "$policy"
	fi
	return "$rc"
}

install_ovs() {
	# The package would enable and start the host's openvswitch-switch service; the
	# benchmark starts its own ovsdb-server and ovs-vswitchd in a temp dir and needs
	# neither.
	echo "setup: installing ${OVS_PKGS[*]} (benchmark only; its service is not started)"
	install_no_start "${OVS_PKGS[@]}"
}

export DEBIAN_FRONTEND=noninteractive
updated=0
if [ "$base" -eq 1 ] && need_install "${PKGS[@]}"; then
	echo "setup: installing packages"
	apt-get update -q
	updated=1
	apt-get install -y -q --no-install-recommends "${PKGS[@]}"
fi
if [ "$base" -eq 1 ] && need_install "${FRR_PKGS[@]}"; then
	[ "$updated" -eq 1 ] || apt-get update -q
	updated=1
	echo "setup: installing ${FRR_PKGS[*]} (netlink tests; its service is not started)"
	install_no_start "${FRR_PKGS[@]}"
fi
if [ "$with_ovs" -eq 1 ] && need_install "${OVS_PKGS[@]}"; then
	[ "$updated" -eq 1 ] || apt-get update -q
	install_ovs
fi
if [ "$base" -eq 0 ]; then
	exit 0
fi

nr=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
if [ -w "$nr" ] && [ "$(cat "$nr")" -lt "$HUGEPAGES" ]; then
	echo "$HUGEPAGES" >"$nr" || true
fi
echo "setup: $(cat "$nr" 2>/dev/null || echo 0) x 2 MiB hugepages"

if ! mountpoint -q /dev/hugepages; then
	mkdir -p /dev/hugepages
	mount -t hugetlbfs nodev /dev/hugepages
fi
